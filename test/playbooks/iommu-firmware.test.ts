// The IOMMU a host has is the firmware's answer (ACPI DMAR: Intel VT-d,
// IVRS: AMD-Vi), not the CPU's: on real OpenSSH hosts, through the CLI.
// - an AMD CPU on an emulated Intel VT-d unit, booted with intel_iommu=off
//   (a nested test cloud): the arguments are Intel's, intel_iommu=off goes,
//   and after one reboot the IOMMU is on;
// - a host whose firmware offers no IOMMU: it fails at the kernel step with
//   the firmware setting to change, and nothing on it changes or reboots.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { mixedCluster } from '@passthru/lab/specs.ts';
import type { HostSpec } from '@passthru/lab/types.ts';
import { ssh } from '@passthru/lab/real/client.ts';
import { PLAYBOOK, hostLines, passthru, readReport, playbookLab } from './helpers.ts';


function specs(): HostSpec[] {
  const all = mixedCluster();
  const ctl = all.find((s) => s.roles.includes('controller'))!;
  const ubuntu = all.find((s) => s.name === 'ubuntu')!;
  const nested: HostSpec = {
    ...structuredClone(ubuntu),
    name: 'nested',
    cpu: { vendor: 'amd', model: 'AMD EPYC 7302 16-Core Processor', virtualization: true, cores: 16 },
    firmwareIommu: 'intel',
    iommuDefaultOn: false,
    grubCmdline: 'quiet intel_iommu=off',
  };
  const nofw: HostSpec = { ...structuredClone(ubuntu), name: 'nofw', iommuFirmware: false };
  return [ctl, nested, nofw];
}

test('the IOMMU from the firmware: arguments for it, off-arguments removed, no reboot where it cannot help', { timeout: 900_000 }, async (t) => {
  const env = await playbookLab(t, specs(), { rebootSeconds: 1 });
  if (!env) return;
  const { lab, work } = env;
  assert.match(lab.readFile('nested', '/proc/cmdline'), /intel_iommu=off/);
  const nofwHashes = lab.fileHashes('nofw');
  const nofwBoot = lab.bootId('nofw');
  const nestedBoots = lab.bootCount('nested');

  const report = join(work, 'r.json');
  const r = await passthru(['run', PLAYBOOK, '-i', lab.inventoryPath, '--yes', '--json', report, '-e', 'image=cirros-0.6.2-x86_64-disk'], 600_000);
  assert.equal(r.code, 2, `exit 2: nofw fails\n${r.stdout}\n${r.stderr}`);
  const rep = readReport(report);
  const errors = Object.fromEntries(Object.entries(rep.hosts).map(([h, v]) => [h, v.steps.filter((st) => st.error !== undefined).map((st) => `${st.name}: ${st.error}`)]));
  assert.deepEqual(rep.failed_hosts, ['nofw'], JSON.stringify(errors, null, 1));

  // nested: Intel's arguments for the Intel unit under an AMD CPU, intel_iommu=off gone
  const cmdline = lab.readFile('nested', '/proc/cmdline');
  assert.match(cmdline, /\bintel_iommu=on\b/, cmdline);
  assert.doesNotMatch(cmdline, /intel_iommu=off/, cmdline);
  assert.equal(lab.bootCount('nested'), nestedBoots + 1, 'one reboot');
  const units = await ssh(lab, 'nested', 'ls /sys/class/iommu', { timeoutMs: 30_000 });
  assert.match(units.stdout, /dmar0/, 'the Intel VT-d unit is active');
  assert.equal(rep.hosts['nested']?.status, 'changed');
  assert.match(hostLines(r.stdout, 'nested'), /firmware's IOMMU is Intel VT-d/);

  // nofw: named cause, nothing touched, not rebooted
  const lines = hostLines(r.stdout, 'nofw');
  assert.match(lines, /kernel arguments.*FAILED.*no ACPI DMAR or IVRS table/, lines);
  assert.match(`${r.stdout}\n${r.stderr}`, /VT-d.*firmware setup|firmware setup.*VT-d/);
  assert.deepEqual(lab.fileHashes('nofw'), nofwHashes, 'no file of nofw changed');
  assert.equal(lab.bootId('nofw'), nofwBoot, 'nofw was not rebooted');
});
