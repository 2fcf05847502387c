import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBus, type EngineEvent } from '../../src/engine/events.ts';
import { SecretRegistry } from '../../src/util/secrets.ts';
import { ReportBuilder, writeReport } from '../../src/ui/report.ts';
import { ReportSchema } from '../../src/ui/report-schema.ts';
import { at, emitAll, outcome, smallRun } from './fixtures/events.ts';

function build(events: EngineEvent[], secrets = new SecretRegistry()) {
  const bus = new EventBus();
  const b = new ReportBuilder(bus, secrets);
  emitAll(bus, events);
  return b.build();
}

test('report of a run with a change and a failure: exact shape and values', () => {
  const report = ReportSchema.parse(build(smallRun()));
  assert.deepEqual(Object.keys(report), [
    'schema', 'passthru', 'started_at', 'ended_at', 'duration_ms', 'check', 'interrupted', 'playbook', 'inventory', 'options',
    'plays', 'summary', 'failed_hosts', 'unreachable_hosts', 'limit_retry', 'warnings', 'flavors', 'hosts',
  ]);
  assert.equal(report.schema, 2);
  assert.equal(report.started_at, '2024-01-15T12:01:00.000Z');
  assert.equal(report.ended_at, '2024-01-15T12:01:04.000Z');
  assert.deepEqual(report.plays, [{ name: 'pci-passthrough', started_at: '2024-01-15T12:01:00.000Z', duration_ms: 4000, hosts: 2 }]);
  assert.deepEqual(report.hosts['compute-1']?.steps.map((s) => s.started_at), ['2024-01-15T12:01:00.000Z', '2024-01-15T12:01:02.000Z']);
  assert.deepEqual(report.hosts['compute-1']?.steps[0]?.changes, ['add intel_iommu=on']);
  assert.equal(report.hosts['compute-2']?.steps[0]?.hint, 'enable VT-d (Intel Virtualization Technology for Directed I/O) in the BIOS');
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
  assert.match(text, /^\{\n {2}"schema": 2,\n {2}"passthru": /);
  assert.deepEqual(await readdir(dir), ['report.json']);
});

test("the run's files, version, options and groups; per host the facts the PCI steps found: OS, boot mode, CPU, IOMMU, GPUs with groups, aliases and flavor", () => {
  const play = 'gpu';
  const host = 'cmp1';
  const step = (name: string, kind: string, result: Record<string, unknown>, t: number): EngineEvent[] => [
    { type: 'step-start', play, host, step: name, kind, time: at(t) },
    { type: 'step-end', play, host, step: name, time: at(t + 1), outcome: outcome({ name, status: 'ok', kind, result, notes: [`${name} note`] }) },
  ];
  const devices = [
    { address: '0000:3b:00.0', vendor: '10de', device: '1e04', class: '030000', deviceName: 'TU102 [GeForce RTX 2080 Ti]', iommuGroup: 20 },
    { address: '0000:3b:00.1', vendor: '10de', device: '10f7', class: '040300', iommuGroup: 20 },
  ];
  const events: EngineEvent[] = [
    { type: 'run-start', check: false, plays: [play], hosts: [host], time: at(0) },
    { type: 'play-start', play, index: 0, hosts: [host], batches: [[host]], time: at(0) },
    { type: 'host-start', play, host, time: at(0) },
    { type: 'host-phase', play, host, phase: 'connect', start: at(0), time: at(0.5) },
    { type: 'host-phase', play, host, phase: 'facts', start: at(0.5), time: at(1) },
    ...step('preflight checks', 'pci_preflight', { os: 'Ubuntu 22.04.4 LTS', family: 'debian', major: 22, boot_mode: 'uefi', cpu_vendor: 'intel', release: '2024.1', roles: ['compute'] }, 1),
    ...step('discover GPUs', 'pci_discover', { has_gpu: true, iommu_active: false, cards: [{ slot: '0000:3b:00', model: '10de:1e04', functions: ['0000:3b:00.0', '0000:3b:00.1'] }], devices }, 2),
    ...step('verify IOMMU', 'iommu_verify', { active: true, groups: 42, evidence: '/sys/class/iommu: dmar0' }, 3),
    ...step('nova.conf', 'nova_pci', { aliases: ['nvidia-1e04-vga', 'nvidia-10f7-audio'] }, 4),
    ...step('GPU flavor', 'openstack_gpu', { flavors: [{ name: 'gpu.large', alias: 'nvidia-1e04-vga:1,nvidia-10f7-audio:1' }] }, 5),
    { type: 'host-end', play, host, status: 'ok', time: at(7) },
    { type: 'play-end', play, time: at(7) },
    { type: 'run-end', interrupted: false, time: at(7) },
  ];
  const bus = new EventBus();
  const b = new ReportBuilder(bus, new SecretRegistry());
  emitAll(bus, events);
  const r = ReportSchema.parse(b.build({ version: '9.9.9', playbook: '/pb.yaml', inventory: '/inv.ini', options: { forks: 50 }, groups: () => ['compute', 'gpu'] }));
  assert.equal(r.passthru, '9.9.9');
  assert.equal(r.playbook, '/pb.yaml');
  assert.equal(r.inventory, '/inv.ini');
  assert.deepEqual(r.options, { forks: 50 });
  assert.deepEqual(r.flavors, [{ name: 'gpu.large', alias: 'nvidia-1e04-vga:1,nvidia-10f7-audio:1' }]);
  const h = r.hosts[host];
  assert.deepEqual(h?.groups, ['compute', 'gpu']);
  assert.deepEqual(h?.phases.map((p) => [p.phase, p.started_at, p.duration_ms]), [['connect', '2024-01-15T12:01:00.000Z', 500], ['facts', '2024-01-15T12:01:00.500Z', 500]]);
  assert.deepEqual(h?.steps[0]?.notes, ['preflight checks note']);
  assert.equal(h?.steps[0]?.kind, 'pci_preflight');
  assert.deepEqual(h?.facts, {
    os: 'Ubuntu 22.04.4 LTS', family: 'debian', os_major: 22, boot_mode: 'uefi', cpu_vendor: 'intel', nova_release: '2024.1', roles: ['compute'],
    iommu: { active: true, evidence: '/sys/class/iommu: dmar0', groups: 42 },
    gpus: [{
      slot: '0000:3b:00', model: '10de:1e04', name: 'TU102 [GeForce RTX 2080 Ti]', iommu_groups: [20], flavor: 'gpu.large',
      functions: [
        { address: '0000:3b:00.0', id: '10de:1e04', kind: 'vga', iommu_group: 20, alias: 'nvidia-1e04-vga' },
        { address: '0000:3b:00.1', id: '10de:10f7', kind: 'audio', iommu_group: 20, alias: 'nvidia-10f7-audio' },
      ],
    }],
  });
});

test('held: what a step left on a host (a compute still disabled in the scheduler) is in the report until it is lifted, masked', () => {
  const secrets = new SecretRegistry();
  secrets.add('s3cr3t-pw');
  const events = smallRun();
  const end = events.findIndex((e) => e.type === 'run-end');
  const hold = (host: string, key: string, what: string | undefined): EngineEvent => ({
    type: 'host-hold', host, key, hold: what === undefined ? undefined : { what, undo: `openstack --os-password s3cr3t-pw compute service set --enable ${host} nova-compute` }, time: at(3),
  });
  events.splice(end, 0, hold('compute-1', 'svc', 'nova-compute on compute-1 is disabled'), hold('compute-2', 'svc', 'nova-compute on compute-2 is disabled'), hold('compute-1', 'svc', undefined));
  const report = ReportSchema.parse(build(events, secrets));
  assert.equal(report.hosts['compute-1']?.held, undefined, 'a lifted hold is gone');
  assert.deepEqual(report.hosts['compute-2']?.held, [{ what: 'nova-compute on compute-2 is disabled', undo: 'openstack --os-password ******** compute service set --enable compute-2 nova-compute' }]);
});
