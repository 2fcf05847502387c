// A nova service that does not start with the new configuration: the step
// that restarted it puts the old nova.conf back, starts the service again on
// it, and fails the host with the service's own error.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { demoCluster } from '@passthru/lab/specs.ts';
import { ssh } from '@passthru/lab/real/client.ts';
import type { RealLab } from '@passthru/lab/real/lab.ts';
import { assertNoStack, cliEnv, labUnavailable, readReport, runCli, scratch, sha256, startFaultLab } from './helpers.ts';

const unavailable = labUnavailable('test/faults/service-rollback.test.ts');

// an alias that is not JSON: nova-compute refuses to start on it
const PLAYBOOK = `
- name: nova pci alias
  hosts: compute
  steps:
    - name: pci alias
      ini:
        path: /etc/nova/nova.conf
        section: pci
        option: alias
        value: '{"name": "gpu", "vendor_id": "10de", "product_id": "1e04"'
    - name: restart nova-compute
      service:
        name: nova-compute
        state: restarted
        rollback: [/etc/nova/]
    - name: after the restart
      copy: { dest: /root/after-restart.txt, content: "went on\\n" }
`;

describe('a nova service that fails to start with the new config', { skip: unavailable ? `SKIPPED: ${unavailable}` : false }, () => {
  let lab: RealLab;
  const tmp = scratch();
  const host = 'gpu-rtx'; // Ubuntu: the unit is nova-compute

  before(async () => {
    lab = await startFaultLab(demoCluster().filter((s) => s.name === host));
  });
  after(async () => {
    await lab?.stop();
    tmp.remove();
  });

  it('gets the old config back, runs again, and the host fails with the service error', async () => {
    const before = lab.readFile(host, '/etc/nova/nova.conf');
    const active = await ssh(lab, host, 'systemctl is-active nova-compute');
    assert.equal(active.stdout.trim(), 'active', 'nova-compute runs before the change');

    const pb = tmp.file('alias.yaml', PLAYBOOK);
    const json = join(tmp.dir, 'report.json');
    const r = await runCli(['run', pb, '-i', lab.inventoryPath, '--yes', '--json', json], { env: cliEnv(tmp.dir) });
    const out = r.stdout + r.stderr;
    assertNoStack(out);
    assert.equal(r.code, 2, out);

    // the host is failed in the restart step, with nova's own words and what was done about it
    assert.match(out, new RegExp(`\\[${host}\\] pci alias: changed`));
    assert.match(out, new RegExp(`\\[${host}\\] restart nova-compute: FAILED: ${host}: restart nova-compute: failed with the new configuration:`));
    assert.match(out, /nova-compute: .*ERROR nova nova\.exception\.PciInvalidAlias: Invalid PCI alias definition/);
    assert.match(out, /the previous configuration was put back: \/etc\/nova\/nova\.conf \(from \/etc\/nova\/nova\.conf\.\d{8}T\d{6}Z\.bak\); nova-compute running again on it/);
    const report = readReport(json);
    assert.deepEqual(report.failed_hosts, [host]);
    assert.match(report.hosts[host]?.error ?? '', /previous configuration was put back/);

    // on the host: the old file, byte for byte; the service active again; the backup kept; nothing after
    assert.equal(sha256(lab.readFile(host, '/etc/nova/nova.conf')), sha256(before));
    const again = await ssh(lab, host, 'systemctl is-active nova-compute');
    assert.equal(again.stdout.trim(), 'active', 'nova-compute runs again');
    const backups = readdirSync(join(lab.host(host).rootDir, 'etc/nova')).filter((f) => /^nova\.conf\.\d{8}T\d{6}Z\.bak$/.test(f));
    assert.equal(backups.length, 1, 'one backup of nova.conf');
    assert.throws(() => lab.readFile(host, '/root/after-restart.txt'), 'no step ran after the failed restart');
  });
});
