import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { EventBus, type EngineEvent } from '../../src/engine/events.ts';
import { SecretRegistry } from '../../src/util/secrets.ts';
import { ReportBuilder, writeReport } from '../../src/ui/report.ts';
import { at, emitAll, outcome, smallRun } from './fixtures/events.ts';

const status = z.enum(['ok', 'changed', 'failed', 'unreachable', 'skipped']);
const stepStatus = z.enum(['ok', 'changed', 'failed', 'ignored', 'unreachable', 'skipped']);
const ReportSchema = z.strictObject({
  hosts: z.record(
    z.string(),
    z.strictObject({
      status,
      error: z.string().optional(),
      steps: z.array(
        z.strictObject({
          name: z.string(),
          play: z.string(),
          status: stepStatus,
          changed: z.boolean(),
          diff: z.string().optional(),
          duration_ms: z.number().int().nonnegative(),
          error: z.string().optional(),
        }),
      ),
      last_step: z.strictObject({ play: z.string(), step: z.string(), done: z.boolean() }).optional(),
    }),
  ),
  summary: z.strictObject({ ok: z.number(), changed: z.number(), failed: z.number(), unreachable: z.number(), skipped: z.number(), ignored: z.number(), hosts: z.number() }),
  duration_ms: z.number().int().nonnegative(),
  check: z.boolean(),
  interrupted: z.boolean(),
  failed_hosts: z.array(z.string()),
  unreachable_hosts: z.array(z.string()),
  limit_retry: z.string(),
});

function build(events: EngineEvent[], secrets = new SecretRegistry()) {
  const bus = new EventBus();
  const b = new ReportBuilder(bus, secrets);
  emitAll(bus, events);
  return b.build();
}

test('report of a run with a change and a failure: exact shape and values', () => {
  const report = ReportSchema.parse(build(smallRun()));
  assert.deepEqual(Object.keys(report), ['hosts', 'summary', 'duration_ms', 'check', 'interrupted', 'failed_hosts', 'unreachable_hosts', 'limit_retry']);
  assert.equal(report.hosts['compute-1']?.status, 'changed');
  assert.equal(report.hosts['compute-2']?.status, 'failed');
  assert.equal(report.hosts['compute-2']?.error, 'VT-d is disabled in the firmware');
  assert.deepEqual(report.hosts['compute-1']?.steps.map((s) => [s.name, s.play, s.status, s.changed, s.duration_ms]), [
    ['kernel arguments', 'pci-passthrough', 'changed', true, 2000],
    ['vfio modules', 'pci-passthrough', 'ok', false, 1000],
  ]);
  assert.match(report.hosts['compute-1']?.steps[0]?.diff ?? '', /^--- \/etc\/default\/grub \(before\)\n\+\+\+ \/etc\/default\/grub \(after\)\n@@/);
  assert.equal(report.hosts['compute-1']?.steps[1]?.diff, undefined);
  assert.deepEqual(report.summary, { ok: 0, changed: 1, failed: 1, unreachable: 0, skipped: 0, ignored: 0, hosts: 2 });
  assert.equal(report.duration_ms, 4000);
  assert.equal(report.check, false);
  assert.equal(report.interrupted, false);
  assert.deepEqual(report.failed_hosts, ['compute-2']);
  assert.deepEqual(report.unreachable_hosts, []);
  assert.equal(report.limit_retry, 'compute-2');
  assert.equal(report.hosts['compute-1']?.last_step, undefined, 'last_step only when interrupted');
});

test('a host status is the worst across plays; skipped only when every step was skipped', () => {
  const ev: EngineEvent[] = [{ type: 'run-start', check: false, plays: ['a', 'b'], hosts: ['h1', 'h2', 'h3', 'h4', 'h5'], time: at(0) }];
  const end = (play: string, host: string, st: 'ok' | 'changed' | 'failed' | 'unreachable' | 'skipped', step = 's'): EngineEvent[] => [
    { type: 'step-end', play, host, step, time: at(1), outcome: outcome({ name: step, status: st, ...(st === 'failed' || st === 'unreachable' ? { error: `${host} ${st}` } : {}) }) },
    { type: 'host-end', play, host, status: st, time: at(1) },
  ];
  ev.push(...end('a', 'h1', 'changed'), ...end('b', 'h1', 'ok')); // changed, then ok -> changed
  ev.push(...end('a', 'h2', 'failed'), ...end('b', 'h2', 'unreachable')); // -> unreachable
  ev.push(...end('a', 'h3', 'skipped'), ...end('b', 'h3', 'skipped')); // -> skipped
  ev.push(...end('a', 'h4', 'skipped'), ...end('b', 'h4', 'ok')); // -> ok
  ev.push({ type: 'warning', host: 'h5', message: 'connect to 10.0.0.35:22: connection refused', time: at(1) });
  ev.push({ type: 'host-end', play: 'a', host: 'h5', status: 'unreachable', time: at(1) }); // no step at all
  ev.push({ type: 'run-end', interrupted: false, time: at(2) });
  const r = ReportSchema.parse(build(ev));
  assert.deepEqual(Object.fromEntries(Object.entries(r.hosts).map(([h, v]) => [h, v.status])), { h1: 'changed', h2: 'unreachable', h3: 'skipped', h4: 'ok', h5: 'unreachable' });
  assert.equal(r.hosts['h2']?.error, 'h2 unreachable');
  assert.equal(r.hosts['h5']?.error, 'connect to 10.0.0.35:22: connection refused');
  assert.deepEqual(r.summary, { ok: 1, changed: 1, failed: 0, unreachable: 2, skipped: 1, ignored: 0, hosts: 5 });
  assert.deepEqual(r.unreachable_hosts, ['h2', 'h5']);
  assert.equal(r.limit_retry, 'h2,h5');
});

test('interrupted run: flag, and where each host got to', () => {
  const r = ReportSchema.parse(build(smallRun({ interrupted: true })));
  assert.equal(r.interrupted, true);
  assert.deepEqual(r.hosts['compute-1']?.last_step, { play: 'pci-passthrough', step: 'vfio modules', done: true });
  assert.deepEqual(r.hosts['compute-2']?.last_step, { play: 'pci-passthrough', step: 'kernel arguments', done: false });
  assert.equal(r.duration_ms, 5000);
});

test('a step failed with ignore_errors is counted ignored, and its host is not failed', () => {
  const play = 'p';
  const r = ReportSchema.parse(
    build([
      { type: 'run-start', check: false, plays: [play], hosts: ['c1'], time: at(0) },
      { type: 'step-end', play, host: 'c1', step: 'probe', time: at(1), outcome: outcome({ name: 'probe', status: 'ignored', error: 'command false: exited 1' }) },
      { type: 'step-end', play, host: 'c1', step: 'after', time: at(2), outcome: outcome({ name: 'after', status: 'ok' }) },
      { type: 'host-end', play, host: 'c1', status: 'ok', time: at(3) },
      { type: 'run-end', interrupted: false, time: at(3) },
    ]),
  );
  assert.equal(r.hosts['c1']?.status, 'ok');
  assert.deepEqual(r.hosts['c1']?.steps.map((s) => s.status), ['ignored', 'ok']);
  assert.deepEqual(r.summary, { ok: 1, changed: 0, failed: 0, unreachable: 0, skipped: 0, ignored: 1, hosts: 1 });
  assert.deepEqual(r.failed_hosts, []);
});

test('a step cut short by Ctrl-C is told by its outcome, not by its message', () => {
  const play = 'p';
  const ev = (interrupted: boolean, error: string): EngineEvent[] => [
    { type: 'run-start', check: false, plays: [play], hosts: ['c1'], time: at(0) },
    { type: 'step-start', play, host: 'c1', step: 's', time: at(1) },
    { type: 'step-end', play, host: 'c1', step: 's', time: at(2), outcome: outcome({ name: 's', status: 'failed', error, interrupted }) },
    { type: 'run-end', interrupted: true, time: at(3) },
  ];
  assert.equal(build(ev(true, 'anything')).hosts['c1']?.last_step?.done, false);
  assert.equal(build(ev(false, 'interrupted (Ctrl-C): stopped before it finished')).hosts['c1']?.last_step?.done, true, 'the text alone says nothing');
});

test('check mode is recorded', () => {
  assert.equal(build(smallRun({ check: true })).check, true);
});

test('everything in the report is masked: diffs, errors, step names', () => {
  const secrets = new SecretRegistry();
  secrets.add('sup3r-s3cret-token');
  const play = 'nova';
  const r = build(
    [
      { type: 'run-start', check: false, plays: [play], hosts: ['ctl-1'], time: at(0) },
      {
        type: 'step-end', play, host: 'ctl-1', step: 'nova.conf', time: at(1),
        outcome: outcome({
          name: 'nova.conf',
          status: 'changed',
          diffs: [{ path: '/etc/nova/nova.conf', before: '[database]\nconnection = mysql+pymysql://nova:NOVA_DBPASS@ctl/nova\n\n[keystone_authtoken]\npassword = s3cret\n', after: '[database]\nconnection = mysql+pymysql://nova:NOVA_DBPASS@ctl/nova\n\n[keystone_authtoken]\npassword = s3cret\n\n[pci]\nalias = {}\n' }],
        }),
      },
      { type: 'step-end', play, host: 'ctl-1', step: 'api token sup3r-s3cret-token', time: at(2), outcome: outcome({ name: 'x', status: 'failed', error: 'curl -H "X-Auth-Token: sup3r-s3cret-token" failed: mysql+pymysql://nova:NOVA_DBPASS@ctl/nova' }) },
      { type: 'host-end', play, host: 'ctl-1', status: 'failed', time: at(2) },
      { type: 'run-end', interrupted: false, time: at(3) },
    ],
    secrets,
  );
  const json = JSON.stringify(r);
  for (const s of ['NOVA_DBPASS', 's3cret\\n', 'password = s3cret', 'sup3r-s3cret-token']) assert.ok(!json.includes(s), `${s} leaked`);
  assert.match(r.hosts['ctl-1']?.steps[0]?.diff ?? '', /\n password = \*{8}\n/);
  assert.match(r.hosts['ctl-1']?.error ?? '', /X-Auth-Token: \*{8}/);
});

test('writeReport writes pretty JSON that reads back the same, and leaves no temp file', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'passthru-report-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const report = build(smallRun());
  const path = join(dir, 'report.json');
  await writeReport(path, report);
  const text = await readFile(path, 'utf8');
  assert.deepEqual(JSON.parse(text), report);
  assert.match(text, /^\{\n {2}"hosts": \{/);
  assert.deepEqual(await readdir(dir), ['report.json']);
});
