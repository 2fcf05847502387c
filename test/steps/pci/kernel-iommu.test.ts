// kernel_iommu on real OpenSSH hosts: the grub file is written, the boot
// configuration regenerated and read back in one round trip; when the
// regeneration fails, the step fails with the command and its message, and
// the host is not rebooted.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { rebootCluster } from '@passthru/lab/specs.ts';
import { ssh } from '@passthru/lab/real/client.ts';
import { PLAYBOOK, hostLines, passthru, playbookLab, readReport } from '../../playbooks/helpers.ts';

test('a boot configuration that cannot be regenerated: the step names the command and its error, and the host does not reboot', { timeout: 600_000 }, async (t) => {
  const env = await playbookLab(t, rebootCluster(1), { rebootSeconds: 1 });
  if (!env) return;
  const { lab, work } = env;
  const [cmp] = lab.hosts.filter((h) => h.name !== 'ctl').map((h) => h.name);
  assert.ok(cmp);
  // this compute's grub2-mkconfig fails, as on a full /boot
  const broken = await ssh(lab, cmp, "p=$(command -v grub2-mkconfig) && printf '#!/bin/sh\\necho \"grub2-mkconfig: error: write error: No space left on device.\" >&2\\nexit 1\\n' > \"$p\"", { timeoutMs: 30_000 });
  assert.equal(broken.code, 0, broken.stderr);
  const boot = lab.bootId(cmp);

  const report = join(work, 'r.json');
  const r = await passthru(['run', PLAYBOOK, '-i', lab.inventoryPath, '--yes', '--json', report, '-e', 'image=cirros-0.6.2-x86_64-disk'], 300_000);
  assert.equal(r.code, 2, `${r.stdout}\n${r.stderr}`);
  const rep = readReport(report);
  assert.deepEqual(rep.failed_hosts, [cmp]);
  const failed = rep.hosts[cmp]?.steps.find((s) => s.status === 'failed');
  assert.equal(failed?.name, 'kernel arguments');
  assert.equal(failed?.error, `${cmp}: kernel arguments: grub2-mkconfig -o /boot/grub2/grub.cfg exited 1: grub2-mkconfig: error: write error: No space left on device.`);
  assert.match(hostLines(r.stdout, cmp), /kernel arguments.*FAILED/);
  assert.equal(lab.bootId(cmp), boot, 'not rebooted');
  // the edit itself was made (and its backup kept), as before the regeneration
  assert.match(lab.readFile(cmp, '/etc/default/grub'), /intel_iommu=on/);
});
