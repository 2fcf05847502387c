// A host that never comes back from its reboot: the reboot step gives up
// after `reboot_timeout`, says what it saw last, and in a serial rollout
// with max_fail_percentage 0 no later batch is rebooted.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { demoCluster } from '@passthru/lab/specs.ts';
import type { RealLab } from '@passthru/lab/real/lab.ts';
import { assertNoStack, cliEnv, labUnavailable, readReport, runCli, scratch, startFaultLab } from './helpers.ts';

const unavailable = labUnavailable('test/faults/reboot-timeout.test.ts');

const REBOOT_TIMEOUT = 8;

const PLAYBOOK = `
- name: rolling reboot
  hosts: compute
  serial: 1
  max_fail_percentage: 0
  steps:
    - name: reboot the host
      reboot:
        reboot_timeout: ${REBOOT_TIMEOUT}
        connect_timeout: 2
`;

/**
 * Lab hook: the host's `systemctl reboot` powers it off instead (the lab
 * reads a reboot request starting with "poweroff" as a power-off), so it goes
 * down as for a reboot and never answers again, like a host stuck in boot.
 */
function neverComesBack(lab: RealLab, host: string): void {
  const path = join(lab.host(host).rootDir, '/usr/local/sbin/systemctl');
  writeFileSync(
    path,
    '#!/bin/sh\n' +
      '# fault test hook: this host hangs in its next boot\n' +
      'if [ "$1" = reboot ]; then echo poweroff > /run/lab/reboot-request; exit 0; fi\n' +
      'exec /usr/bin/systemctl "$@"\n',
  );
  chmodSync(path, 0o755);
}

describe('a host that never comes back from its reboot', { skip: unavailable ? `SKIPPED: ${unavailable}` : false }, () => {
  let lab: RealLab;
  const tmp = scratch();
  const computes = ['gpu-rtx', 'gpu-t4', 'cpu-only'];
  const [dead, ...later] = computes as [string, ...string[]];

  before(async () => {
    lab = await startFaultLab(demoCluster().filter((s) => computes.includes(s.name)), { rebootSeconds: 0.3 });
    neverComesBack(lab, dead);
  });
  after(async () => {
    await lab?.stop();
    tmp.remove();
  });

  it(`fails after reboot_timeout with what was last seen; no later batch is rebooted`, async () => {
    const bootIds = Object.fromEntries(later.map((h) => [h, lab.bootId(h)]));
    const pb = tmp.file('reboot.yaml', PLAYBOOK);
    const json = `${tmp.dir}/report.json`;
    const r = await runCli(['run', pb, '-i', lab.inventoryPath, '--yes', '--json', json], { env: cliEnv(tmp.dir) });
    const out = r.stdout + r.stderr;
    assert.equal(r.code, 2, out);
    assertNoStack(out);

    // the host's line: which step, the timeout, and the last thing seen (sshd refusing: it is down)
    const line = out.split('\n').find((l) => l.includes(`[${dead}] reboot the host: FAILED`));
    assert.ok(line, out);
    assert.match(line, new RegExp(`did not come back within ${REBOOT_TIMEOUT}s; last seen: connection refused by ${lab.host(dead).address.replace(/\./g, '\\.')}:22$`));
    assert.match(out, /max_fail_percentage 0% exceeded in batch 1 \(1\/1 failed\); no later batch or play was run/);

    // the later batches were never touched
    for (const h of later) {
      assert.equal(lab.bootId(h), bootIds[h], `${h} was rebooted`);
      assert.equal(lab.bootCount(h), 1, `${h} boots`);
    }
    const report = readReport(json);
    assert.deepEqual(report.failed_hosts, [dead]);
    // given up at the timeout, and said so
    assert.match(report.hosts[dead]?.error ?? '', /did not come back within 8s; last seen/);
    for (const h of later) assert.deepEqual(report.hosts[h]?.steps, [], `${h} ran no step`);
  });
});
