// vfio-pci for the passthrough GPUs, on real OpenSSH hosts through the CLI:
// an RTX 2080 Ti whose four functions are held by nouveau, snd_hda_intel,
// xhci_hcd and i2c-nvidia-gpu gets a modprobe.d file and a new initramfs,
// and after the one reboot that also turns the IOMMU on, every function is
// bound to vfio-pci while the host's own display and disk controllers keep
// their drivers. A second run changes nothing and reboots nothing.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { demoCluster } from '@passthru/lab/specs.ts';
import { ssh } from '@passthru/lab/real/client.ts';
import { PLAYBOOK, hostLines, passthru, readReport, playbookLab } from './helpers.ts';


test('vfio-pci: the GPU functions bound at boot, in the same reboot; host devices untouched; idempotent', { timeout: 900_000 }, async (t) => {
  // the demo's gpu-rtx runs instances: stopped for the reboot and started again (there is no other compute to migrate them to)
  const specs = demoCluster().filter((s) => s.name === 'controller' || s.name === 'gpu-rtx');
  const rtx = specs.find((s) => s.name === 'gpu-rtx')!;
  const gpu = rtx.devices.filter((d) => d.vendor === '10de');
  assert.equal(gpu.length, 4, 'the lab RTX has four functions');
  const env = await playbookLab(t, specs, { rebootSeconds: 1 });
  if (!env) return;
  const { lab, work } = env;
  const driversOf = async (): Promise<Map<string, string>> => {
    const r = await ssh(lab, 'gpu-rtx', 'lspci -Dk', { timeoutMs: 60_000 });
    const out = new Map<string, string>();
    let addr = '';
    for (const line of r.stdout.split('\n')) {
      const a = /^([0-9a-f]{4}:\S+)/.exec(line);
      if (a) addr = a[1]!;
      const d = /Kernel driver in use: (\S+)/.exec(line);
      if (d) out.set(addr, d[1]!);
    }
    return out;
  };
  const before = await driversOf();
  assert.equal(before.get(gpu[0]!.address), 'nouveau');
  const boots = lab.bootCount('gpu-rtx');

  const check = await passthru(['run', PLAYBOOK, '-i', lab.inventoryPath, '-e', 'instances=stop', '--check', '--diff'], 600_000);
  assert.match(hostLines(check.stdout, 'gpu-rtx'), /bind GPUs to vfio-pci.*\/etc\/modprobe\.d\/passthru-vfio\.conf/);
  assert.match(check.stdout, /\+options vfio-pci ids=10de:10f7,10de:1ad6,10de:1ad7,10de:1e04/);

  const report = join(work, 'r.json');
  const r = await passthru(['run', PLAYBOOK, '-i', lab.inventoryPath, '-e', 'instances=stop', '--yes', '--json', report], 600_000);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.equal(lab.bootCount('gpu-rtx'), boots + 1, 'one reboot for the IOMMU and vfio together');
  const conf = lab.readFile('gpu-rtx', '/etc/modprobe.d/passthru-vfio.conf');
  assert.match(conf, /^options vfio-pci ids=10de:10f7,10de:1ad6,10de:1ad7,10de:1e04$/m);
  for (const m of ['nouveau', 'snd_hda_intel', 'xhci_pci', 'i2c_nvidia_gpu']) assert.match(conf, new RegExp(`^softdep ${m} pre: vfio-pci$`, 'm'));
  assert.match(lab.readFile('gpu-rtx', '/etc/initramfs-tools/modules'), /^vfio_pci$/m);
  const after = await driversOf();
  for (const f of gpu) assert.equal(after.get(f.address), 'vfio-pci', `${f.address} is bound to vfio-pci`);
  for (const d of rtx.devices.filter((x) => x.vendor !== '10de' && x.driver)) assert.equal(after.get(d.address), d.driver, `${d.address} keeps ${d.driver}`);
  assert.match(hostLines(r.stdout, 'gpu-rtx'), /verify vfio-pci: ok/);

  const again = await passthru(['run', PLAYBOOK, '-i', lab.inventoryPath, '-e', 'instances=stop', '--yes', '--json', report], 600_000);
  assert.equal(again.code, 0, `${again.stdout}\n${again.stderr}`);
  assert.equal(readReport(report).hosts['gpu-rtx']?.status, 'ok', 'nothing to change the second time');
  assert.equal(lab.bootCount('gpu-rtx'), boots + 1, 'no second reboot');
});
