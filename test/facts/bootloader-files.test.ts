import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { filesShell } from '@passthru/lab/embedded/files-shell.ts';
import { bootloaderFiles } from '../../src/facts/bootloader-files.ts';

const fx = (name: string): string => readFileSync(new URL(`../fixtures/facts/bootloader/${name}`, import.meta.url), 'utf8');

test('Rocky 9 UEFI: BLS entries with their options, the EFI stub, the tools', () => {
  const r = bootloaderFiles.parse(fx('rocky-9-uefi.txt'), 0);
  assert.deepEqual(r.grubCfg, ['/boot/grub2/grub.cfg']);
  assert.deepEqual(r.efiGrubCfgs, ['/boot/efi/EFI/rocky/grub.cfg']);
  assert.deepEqual(r.efiStubs, ['/boot/efi/EFI/rocky/grub.cfg']);
  assert.equal(r.blsEntries.length, 2);
  assert.match(Object.values(r.blsOptions)[1]!, /^root=\/dev\/mapper\/rl-root ro crashkernel/);
  assert.deepEqual(r.commands, { 'grub2-mkconfig': '/usr/sbin/grub2-mkconfig', grubby: '/usr/sbin/grubby' });
  assert.equal(r.kernelCmdlineFile, false);
});

test('RHEL 8: $kernelopts in the entries, the value in grubenv', () => {
  const r = bootloaderFiles.parse(fx('rhel-8-bios.txt'), 0);
  assert.match(r.kernelopts!, /^root=\/dev\/mapper\/rhel-root ro crashkernel=auto/);
  assert.equal(Object.values(r.blsOptions)[0], '$kernelopts');
});

test("the snippet in the embedded lab's shell: generated files, the EFI stub, /etc/kernel/cmdline; absent tools are absent", async () => {
  const bash = filesShell({
    '/boot/grub/grub.cfg': '#\n',
    '/boot/efi/EFI/ubuntu/grub.cfg': "search.fs_uuid 1234 root\nset prefix=($root)'/boot/grub'\nconfigfile $prefix/grub.cfg\n",
    '/etc/kernel/cmdline': 'root=UUID=1 ro\n',
  });
  const r = await bash.exec(bootloaderFiles.script);
  const v = bootloaderFiles.parse(r.stdout, r.exitCode);
  assert.deepEqual(v.files, ['/boot/grub/grub.cfg', '/boot/efi/EFI/ubuntu/grub.cfg', '/etc/kernel/cmdline']);
  assert.deepEqual(v.efiStubs, ['/boot/efi/EFI/ubuntu/grub.cfg']);
  assert.equal(v.kernelCmdlineFile, true);
  assert.ok(v.commands['update-grub'] === undefined);
  assert.deepEqual(bootloaderFiles.parse(fx('ubuntu-22.04-bios.txt'), 0).commands['update-grub'], '/usr/sbin/update-grub');
});

test("the `linux` lines of each generated grub.cfg: what its entries boot with (dash and the embedded lab's shell)", async () => {
  // as update-grub writes them: tab-indented, a recovery entry too
  const cfg = [
    "menuentry 'Ubuntu' --class ubuntu $menuentry_id_option 'gnulinux-simple-a50d' {",
    '\tlinux\t/boot/vmlinuz-5.15.0-107-generic root=UUID=a50d ro  intel_iommu=on iommu=pt quiet splash $vt_handoff',
    '\tinitrd\t/boot/initrd.img-5.15.0-107-generic',
    '}',
    "\tmenuentry 'Ubuntu, with Linux 5.15.0-107-generic (recovery mode)' {",
    '\t\tlinux\t/boot/vmlinuz-5.15.0-107-generic root=UUID=a50d ro recovery nomodeset dis_ucode_ldr',
    '\t}',
    '',
  ].join('\n');
  const files = { '/boot/grub/grub.cfg': cfg, '/boot/efi/EFI/centos/grub.cfg': 'linuxefi /vmlinuz-3.10.0 root=/dev/mapper/c-root ro crashkernel=auto\n' };
  const bash = await filesShell(files).exec(bootloaderFiles.script);
  const v = bootloaderFiles.parse(bash.stdout, bash.exitCode);
  assert.deepEqual(v.cfgLinuxArgs, {
    '/boot/grub/grub.cfg': [' root=UUID=a50d ro  intel_iommu=on iommu=pt quiet splash $vt_handoff', ' root=UUID=a50d ro recovery nomodeset dis_ucode_ldr'],
    '/boot/efi/EFI/centos/grub.cfg': [' root=/dev/mapper/c-root ro crashkernel=auto'],
  });
  // the same lines through dash, on files of this machine's own
  const dir = mkdtempSync(join(tmpdir(), 'passthru-grub-'));
  try {
    writeFileSync(join(dir, 'grub.cfg'), cfg);
    const script = bootloaderFiles.script.replaceAll('/boot/grub/grub.cfg', join(dir, 'grub.cfg'));
    const r = spawnSync('sh', ['-c', script], { encoding: 'utf8' });
    assert.deepEqual(bootloaderFiles.parse(r.stdout.replaceAll(join(dir, 'grub.cfg'), '/boot/grub/grub.cfg'), r.status ?? 1).cfgLinuxArgs['/boot/grub/grub.cfg'], v.cfgLinuxArgs['/boot/grub/grub.cfg']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("EL8 in the embedded lab's shell: BLS options and grubenv's kernelopts, one grep each", async () => {
  const files = {
    '/boot/grub2/grub.cfg': 'set kernelopts="root=/dev/mapper/old ro"\nblscfg\n',
    '/boot/grub2/grubenv': `# GRUB Environment Block\nsaved_entry=abc-4.18.0\nkernelopts=root=/dev/mapper/rhel-root ro crashkernel=auto intel_iommu=on\n${'#'.repeat(900)}`,
    '/boot/loader/entries/abc-4.18.0.conf': 'title Red Hat\nversion 4.18.0\nlinux /vmlinuz-4.18.0\noptions $kernelopts $tuned_params\n',
    '/boot/loader/entries/abc-0-rescue.conf': 'title rescue\noptions root=/dev/mapper/rhel-root ro\noptions second ignored\n',
  };
  const r = await filesShell(files).exec(bootloaderFiles.script);
  const v = bootloaderFiles.parse(r.stdout, r.exitCode);
  assert.equal(v.kernelopts, 'root=/dev/mapper/rhel-root ro crashkernel=auto intel_iommu=on');
  assert.deepEqual(v.blsOptions, { '/boot/loader/entries/abc-0-rescue.conf': 'root=/dev/mapper/rhel-root ro', '/boot/loader/entries/abc-4.18.0.conf': '$kernelopts $tuned_params' });
  assert.deepEqual(v.cfgLinuxArgs, {});
});
