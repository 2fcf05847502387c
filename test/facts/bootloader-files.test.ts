import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Bash } from 'just-bash';
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

test('the snippet under just-bash: generated files, the EFI stub, /etc/kernel/cmdline; absent tools are absent', async () => {
  const bash = new Bash({
    files: {
      '/boot/grub/grub.cfg': '#\n',
      '/boot/efi/EFI/ubuntu/grub.cfg': "search.fs_uuid 1234 root\nset prefix=($root)'/boot/grub'\nconfigfile $prefix/grub.cfg\n",
      '/etc/kernel/cmdline': 'root=UUID=1 ro\n',
    },
  });
  const r = await bash.exec(bootloaderFiles.script);
  const v = bootloaderFiles.parse(r.stdout, r.exitCode);
  assert.deepEqual(v.files, ['/boot/grub/grub.cfg', '/boot/efi/EFI/ubuntu/grub.cfg', '/etc/kernel/cmdline']);
  assert.deepEqual(v.efiStubs, ['/boot/efi/EFI/ubuntu/grub.cfg']);
  assert.equal(v.kernelCmdlineFile, true);
  assert.ok(v.commands['update-grub'] === undefined);
  assert.deepEqual(bootloaderFiles.parse(fx('ubuntu-22.04-bios.txt'), 0).commands['update-grub'], '/usr/sbin/update-grub');
});
