process.env['TZ'] = 'UTC';

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventBus } from '../../src/engine/events.ts';
import { SecretRegistry } from '../../src/util/secrets.ts';
import { createPlainRenderer } from '../../src/ui/plain.ts';
import { at, emitAll, outcome, Sink, smallRun } from './fixtures/events.ts';

function run(events: Parameters<typeof emitAll>[1], o: { diff?: boolean; verbose?: boolean; secrets?: SecretRegistry } = {}) {
  const bus = new EventBus();
  const out = new Sink();
  const r = createPlainRenderer(bus, { out, diff: o.diff ?? false, verbose: o.verbose, secrets: o.secrets ?? new SecretRegistry() });
  emitAll(bus, events);
  return { out, r };
}

test('one timestamped line per step, play and batch headers, failures with hint', async () => {
  const { out, r } = run(smallRun());
  await r.done();
  assert.deepEqual(out.lines(), [
    '12:01:00.000 passthru: 1 play on 2 hosts',
    '12:01:00.000 PLAY [pci-passthrough] 2 hosts in 2 batches',
    '12:01:00.000 batch 1/2: compute-1',
    '12:01:02.000 [compute-1] kernel arguments: changed (add intel_iommu=on)',
    '12:01:03.000 [compute-1] vfio modules: ok',
    '12:01:03.000 batch 2/2: compute-2',
    '12:01:04.000 [compute-2] kernel arguments: FAILED: VT-d is disabled in the firmware',
    '    hint: enable VT-d (Intel Virtualization Technology for Directed I/O) in the BIOS',
    '12:01:04.000 [compute-2] pci-passthrough: FAILED in 1.0s',
    '12:01:04.000 batch 2/2 done: 1 host failed (compute-2)',
  ]);
});

test('unified diff after the step line with diff: true, and none without', async () => {
  const withDiff = run(smallRun(), { diff: true });
  await withDiff.r.done();
  const text = withDiff.out.text;
  const step = text.indexOf('kernel arguments: changed');
  const diff = text.indexOf('--- /etc/default/grub (before)');
  assert.ok(step >= 0 && diff > step, 'diff comes right after its step line');
  assert.match(text, /\n-GRUB_CMDLINE_LINUX=""\n\+GRUB_CMDLINE_LINUX="intel_iommu=on iommu=pt"\n/);
  assert.ok(diff < text.indexOf('vfio modules'), 'before the next step line');

  const without = run(smallRun(), { diff: false });
  await without.r.done();
  assert.doesNotMatch(without.out.text, /\+\+\+ /);
});

test('check mode shows diffs even without diff: true, and says nothing will change', async () => {
  const { out, r } = run(smallRun({ check: true }), { diff: false });
  await r.done();
  assert.equal(out.lines()[0], '12:01:00.000 passthru: 1 play on 2 hosts (check mode: nothing will be changed)');
  assert.match(out.text, /\+\+\+ \/etc\/default\/grub \(after\)/);
});

test('skips with their reason, pending checks, notes, warnings, aborted plays, interruption', async () => {
  const play = 'site';
  const { out, r } = run([
    { type: 'run-start', check: true, plays: [play], hosts: ['ctl-1'], time: at(0) },
    { type: 'play-start', play, index: 0, hosts: ['ctl-1'], batches: [['ctl-1']], time: at(0) },
    { type: 'step-end', play, host: 'ctl-1', step: 'vfio-pci ids', time: at(1), outcome: outcome({ name: 'vfio-pci ids', status: 'skipped', skipReason: 'no passthrough device on this host' }) },
    { type: 'step-end', play, host: 'ctl-1', step: 'verify iommu', time: at(1), outcome: outcome({ name: 'verify iommu', status: 'ok', pending: 'needs the reboot of step "reboot"' }) },
    { type: 'step-end', play, host: 'ctl-1', step: 'reboot', time: at(2), outcome: outcome({ name: 'reboot', status: 'changed', changes: ['reboot'], notes: ['back after 41.2s'] }) },
    { type: 'warning', host: 'ctl-1', message: 'clock skew of 3s', time: at(2) },
    { type: 'warning', message: 'no host in group [gpu]', time: at(2) },
    { type: 'play-end', play, aborted: 'max_fail_percentage 0 exceeded', time: at(3) },
    { type: 'run-end', interrupted: true, time: at(3) },
  ]);
  await r.done();
  assert.deepEqual(out.lines().slice(2), [
    '12:01:01.000 [ctl-1] vfio-pci ids: skipped (no passthrough device on this host)',
    '12:01:01.000 [ctl-1] verify iommu: ok (pending: needs the reboot of step "reboot")',
    '12:01:02.000 [ctl-1] reboot: changed (reboot)',
    '    note: back after 41.2s',
    '12:01:02.000 [ctl-1] WARNING: clock skew of 3s',
    '12:01:02.000 WARNING: no host in group [gpu]',
    '12:01:03.000 PLAY [site] aborted: max_fail_percentage 0 exceeded',
    '12:01:03.000 INTERRUPTED',
  ]);
});

test('verbose adds step starts and host results', async () => {
  const { out, r } = run(smallRun(), { verbose: true });
  await r.done();
  const lines = out.lines();
  assert.ok(lines.includes('12:01:00.000 [compute-1] kernel arguments ...'));
  assert.ok(lines.includes('12:01:03.000 [compute-1] pci-passthrough: changed in 3.0s'));
});

test('no secret reaches the output: registered values, URL passwords, diffs', async () => {
  const secrets = new SecretRegistry();
  secrets.add('Rabb1tPw');
  const play = 'nova';
  const { out, r } = run(
    [
      { type: 'run-start', check: false, plays: [play], hosts: ['ctl-1'], time: at(0) },
      { type: 'play-start', play, index: 0, hosts: ['ctl-1'], batches: [['ctl-1']], time: at(0) },
      {
        type: 'step-end', play, host: 'ctl-1', step: 'nova.conf', time: at(1),
        outcome: outcome({
          name: 'nova.conf',
          status: 'changed',
          changes: ['set [DEFAULT] transport_url = rabbit://openstack:Rabb1tPw@ctl'],
          diffs: [{ path: '/etc/nova/nova.conf', before: '[database]\nconnection = mysql+pymysql://nova:NOVA_DBPASS@ctl/nova\n', after: '[database]\nconnection = mysql+pymysql://nova:NOVA_DBPASS@ctl/nova\nmax_retries = -1\n' }],
        }),
      },
      {
        type: 'step-end', play, host: 'ctl-1', step: 'db sync', time: at(2),
        outcome: outcome({ name: 'db sync', status: 'failed', error: 'nova-manage: cannot connect to mysql+pymysql://nova:NOVA_DBPASS@ctl/nova\npassword = NOVA_DBPASS' }),
      },
      { type: 'warning', host: 'ctl-1', message: 'becoming root with password Rabb1tPw', time: at(2) },
      { type: 'run-end', interrupted: false, time: at(3) },
    ],
    { diff: true, secrets },
  );
  await r.done();
  assert.doesNotMatch(out.text, /Rabb1tPw|NOVA_DBPASS/);
  assert.match(out.text, /rabbit:\/\/openstack:\*{8}@ctl/);
  assert.match(out.text, /\n    password = \*{8}\n/, 'the second line of the error is printed, masked');
});

test('done() waits for run-end', async () => {
  const bus = new EventBus();
  const out = new Sink();
  const r = createPlainRenderer(bus, { out, diff: false, secrets: new SecretRegistry() });
  let finished = false;
  const p = r.done().then(() => {
    finished = true;
  });
  bus.emit({ type: 'run-start', check: false, plays: [], hosts: [], time: at(0) });
  await new Promise((res) => setImmediate(res));
  assert.equal(finished, false);
  bus.emit({ type: 'run-end', interrupted: false, time: at(1) });
  await p;
  assert.equal(finished, true);
});

test('a host going down for a reboot gets its line, stamped to the millisecond; a reboot that is skipped gets none', async () => {
  const play = 'p';
  const { out, r } = run([
    { type: 'run-start', check: false, plays: [play], hosts: ['cmp1', 'ctl1'], time: at(0) },
    { type: 'step-start', play, host: 'ctl1', step: 'reboot to enable the IOMMU', kind: 'reboot', time: at(1) },
    { type: 'step-start', play, host: 'cmp1', step: 'reboot to enable the IOMMU', kind: 'reboot', time: at(1.2) },
    { type: 'step-apply', play, host: 'cmp1', step: 'reboot to enable the IOMMU', kind: 'reboot', time: at(1.234) },
    { type: 'step-start', play, host: 'cmp1', step: 'verify IOMMU', kind: 'iommu_verify', time: at(9.5) },
    { type: 'run-end', interrupted: false, time: at(10) },
  ]);
  await r.done();
  assert.deepEqual(out.lines().slice(1), ['12:01:01.234 [cmp1] reboot to enable the IOMMU: going down']);
});
