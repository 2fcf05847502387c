import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventBus, type EngineEvent } from '../../src/engine/events.ts';
import { SecretRegistry } from '../../src/util/secrets.ts';
import { ReportBuilder, type Report } from '../../src/ui/report.ts';
import { formatRecap } from '../../src/ui/recap.ts';
import { at, emitAll, outcome, smallRun } from './fixtures/events.ts';

function build(events: EngineEvent[], secrets = new SecretRegistry()): Report {
  const bus = new EventBus();
  const b = new ReportBuilder(bus, secrets);
  emitAll(bus, events);
  return b.build();
}

/** 'ctl-1' (ok=10), 'compute-1' (7 steps ok incl. 3 changed, 1 skipped), 'compute-12' unreachable at connect */
function clusterRun(): EngineEvent[] {
  const play = 'pci-passthrough';
  const hosts = ['ctl-1', 'compute-1', 'compute-12'];
  const ev: EngineEvent[] = [{ type: 'run-start', check: false, plays: [play], hosts, time: at(0) }];
  for (let i = 0; i < 10; i++) {
    ev.push({ type: 'step-end', play, host: 'ctl-1', step: `step ${i}`, time: at(1), outcome: outcome({ name: `step ${i}`, status: 'ok', duration_ms: 100 + i }) });
  }
  const c1: Array<['ok' | 'changed' | 'skipped', string, number]> = [
    ['changed', 'kernel arguments', 2100],
    ['changed', 'vfio modules', 300],
    ['changed', 'reboot', 93_200],
    ['ok', 'verify iommu', 800],
    ['ok', 'nova compute', 400],
    ['ok', 'nova.conf', 12_000],
    ['ok', 'restart nova-compute', 5_500],
    ['skipped', 'blacklist nouveau', 0],
  ];
  for (const [status, step, ms] of c1) ev.push({ type: 'step-end', play, host: 'compute-1', step, time: at(2), outcome: outcome({ name: step, status, duration_ms: ms }) });
  ev.push({ type: 'host-end', play, host: 'ctl-1', status: 'ok', time: at(3) });
  ev.push({ type: 'host-end', play, host: 'compute-1', status: 'changed', time: at(3) });
  ev.push({ type: 'host-end', play, host: 'compute-12', status: 'unreachable', time: at(3) });
  ev.push({ type: 'run-end', interrupted: false, time: at(125) });
  return ev;
}

test('PLAY RECAP: one aligned line per host with Ansible-style counts', () => {
  const text = formatRecap(build(clusterRun()), { color: false });
  const lines = text.split('\n');
  assert.equal(lines[0], 'PLAY RECAP');
  assert.deepEqual(lines.slice(1, 4), [
    'ctl-1      : ok=10 changed=0 unreachable=0 failed=0 skipped=0 ignored=0',
    'compute-1  : ok=7  changed=3 unreachable=0 failed=0 skipped=1 ignored=0',
    'compute-12 : ok=0  changed=0 unreachable=1 failed=0 skipped=0 ignored=0',
  ]);
  for (const col of [':', 'changed=', 'unreachable=', 'failed=', 'skipped=', 'ignored=']) {
    const cols = new Set(lines.slice(1, 4).map((l) => l.indexOf(col)));
    assert.equal(cols.size, 1, `"${col}" is aligned`);
  }
});

test('an ignored failure counts in ok and ignored (changed too when it changed), never in failed', () => {
  const play = 'p';
  const text = formatRecap(
    build([
      { type: 'run-start', check: false, plays: [play], hosts: ['c1'], time: at(0) },
      { type: 'step-end', play, host: 'c1', step: 'a', time: at(1), outcome: outcome({ name: 'a', status: 'ignored', error: 'exited 1' }) },
      { type: 'step-end', play, host: 'c1', step: 'b', time: at(1), outcome: outcome({ name: 'b', status: 'ignored', changed: true, error: 'exited 2' }) },
      { type: 'step-end', play, host: 'c1', step: 'c', time: at(1), outcome: outcome({ name: 'c', status: 'ok' }) },
      { type: 'host-end', play, host: 'c1', status: 'changed', time: at(2) },
      { type: 'run-end', interrupted: false, time: at(2) },
    ]),
    { color: false },
  );
  assert.equal(text.split('\n')[1], 'c1 : ok=3 changed=1 unreachable=0 failed=0 skipped=0 ignored=2');
  assert.match(text, /^OK: 1 host, 1 changed/m);
});

test('the 5 slowest steps, slowest first, with host and seconds', () => {
  const text = formatRecap(build(clusterRun()), { color: false });
  const start = text.split('\n').indexOf('slowest steps');
  assert.ok(start > 0);
  assert.deepEqual(text.split('\n').slice(start + 1, start + 7), [
    '  compute-1  reboot                93.2s',
    '  compute-1  nova.conf             12.0s',
    '  compute-1  restart nova-compute   5.5s',
    '  compute-1  kernel arguments       2.1s',
    '  compute-1  verify iommu           0.8s',
    '',
  ]);
  assert.doesNotMatch(formatRecap(build(clusterRun()), { color: false, slowest: 0 }), /slowest/);
});

test('verdict: failures and unreachable hosts named, with the --limit to retry them', () => {
  const text = formatRecap(build(clusterRun()), { color: false });
  assert.equal(text.split('\n').at(-1), 'UNREACHABLE: 1 unreachable (compute-12) of 3 hosts (2m05s); retry them with --limit compute-12');
  const failed = formatRecap(build(smallRun()), { color: false });
  assert.equal(failed.split('\n').at(-1), 'FAILED: 1 failed (compute-2) of 2 hosts (4.0s); retry them with --limit compute-2');
});

test('verdict: all good, and check mode says nothing was changed', () => {
  const play = 'p';
  const ok: EngineEvent[] = [
    { type: 'run-start', check: true, plays: [play], hosts: ['a', 'b'], time: at(0) },
    { type: 'step-end', play, host: 'a', step: 's', time: at(1), outcome: outcome({ name: 's', status: 'changed' }) },
    { type: 'step-end', play, host: 'b', step: 's', time: at(1), outcome: outcome({ name: 's', status: 'ok' }) },
    { type: 'run-end', interrupted: false, time: at(1) },
  ];
  assert.equal(formatRecap(build(ok), { color: false }).split('\n').at(-1), 'CHECK OK: 1 of 2 hosts would change, 1 already as wanted (1.0s); nothing was changed');
  const applied = ok.map((e) => (e.type === 'run-start' ? { ...e, check: false } : e));
  assert.equal(formatRecap(build(applied), { color: false }).split('\n').at(-1), 'OK: 2 hosts, 1 changed, 1 unchanged (1.0s)');
});

test('interrupted: where each host got to', () => {
  const text = formatRecap(build(smallRun({ interrupted: true })), { color: false });
  const lines = text.split('\n');
  const i = lines.findIndex((l) => l.startsWith('INTERRUPTED'));
  assert.deepEqual(lines.slice(i), [
    'INTERRUPTED after 5.0s; where each host got to:',
    '  compute-1 : pci-passthrough / vfio modules (finished)',
    '  compute-2 : pci-passthrough / kernel arguments (running when interrupted)',
  ]);
});

test('colors only when asked', () => {
  const report = build(clusterRun());
  assert.doesNotMatch(formatRecap(report, { color: false }), /\u001b\[/);
  const colored = formatRecap(report, { color: true });
  assert.match(colored, /\u001b\[31mcompute-12/, 'unreachable host in red');
  assert.equal(colored.replace(/\u001b\[[0-9;]*m/g, ''), formatRecap(report, { color: false }));
});

test('no secret in the recap, and a host named like a secret key is not masked away', () => {
  const secrets = new SecretRegistry();
  secrets.add('p4ssw0rd!');
  const play = 'p';
  const text = formatRecap(
    build(
      [
        { type: 'run-start', check: false, plays: [play], hosts: ['secret-store-1'], time: at(0) },
        { type: 'step-end', play, host: 'secret-store-1', step: 'login as admin:p4ssw0rd!', time: at(1), outcome: outcome({ name: 'x', status: 'ok', duration_ms: 1500 }) },
        { type: 'run-end', interrupted: false, time: at(2) },
      ],
      secrets,
    ),
    { color: false, secrets },
  );
  assert.doesNotMatch(text, /p4ssw0rd!/);
  assert.match(text, /^secret-store-1 : ok=1 /m);
  // a report built elsewhere (or by hand) is masked too
  const raw = build([{ type: 'run-start', check: false, plays: [], hosts: ['h'], time: at(0) }]);
  const hand: Report = { ...raw, hosts: { h: { status: 'ok', groups: [], phases: [], steps: [{ name: 'use p4ssw0rd!', play: 'p', status: 'ok', changed: false, started_at: raw.started_at, duration_ms: 5000, changes: [], notes: [] }] } } };
  assert.doesNotMatch(formatRecap(hand, { color: false, secrets }), /p4ssw0rd!/);
});

test('hosts left held back: what and the command that undoes it, after the slowest steps', () => {
  const events = smallRun();
  const end = events.findIndex((e) => e.type === 'run-end');
  events.splice(end, 0, { type: 'host-hold', host: 'compute-2', key: 'svc', hold: { what: 'nova-compute on compute-2 is disabled in the scheduler (passthru drained it)', undo: 'openstack compute service set --enable compute-2 nova-compute' }, time: at(4) });
  const text = formatRecap(build(events), { color: false });
  assert.match(text, /\n\nleft as they are \(the host did not finish; undo by hand once it is fixed, or run again\):\n  compute-2: nova-compute on compute-2 is disabled in the scheduler \(passthru drained it\)\n    openstack compute service set --enable compute-2 nova-compute\n\nFAILED: 1 failed \(compute-2\)/);
  assert.doesNotMatch(formatRecap(build(smallRun()), { color: false }), /left as they are/);
});
