import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { BOOTLOADER_TABLE, BootloaderError, bootloaderCommandLine, planBootloader, type BootOs } from '../../src/boot/bootloader.ts';
import { parseBootloaderFiles } from '../../src/facts/bootloader-files.ts';
import { osRelease } from '../../src/facts/os-release.ts';

const fx = (p: string): string => readFileSync(new URL(`../fixtures/facts/${p}`, import.meta.url), 'utf8');
const os = (name: string): BootOs => osRelease.parse(fx(`os-release/${name}`), 0);
const tools = (name: string) => parseBootloaderFiles(fx(`bootloader/${name}`));
const args = { add: ['intel_iommu=on', 'iommu=pt'], remove: ['intel_iommu=off'] };

test('every table row cites its source', () => {
  for (const row of BOOTLOADER_TABLE) assert.ok(row.source.length > 20, JSON.stringify(row));
});

test('Debian/Ubuntu: update-grub on BIOS and UEFI alike; grub-mkconfig when update-grub is missing', () => {
  for (const mode of ['bios', 'uefi'] as const) {
    const p = planBootloader(os('ubuntu-22.04'), mode, args, tools(mode === 'bios' ? 'ubuntu-22.04-bios.txt' : 'ubuntu-22.04-uefi.txt'));
    assert.deepEqual(p.commands, [['update-grub']]);
    assert.equal(p.honoursDropins, true);
    assert.equal(p.output, '/boot/grub/grub.cfg');
  }
  const noUpdateGrub = { ...tools('ubuntu-22.04-bios.txt'), commands: { 'grub-mkconfig': '/usr/sbin/grub-mkconfig' } };
  const p = planBootloader(os('debian-12'), 'bios', args, noUpdateGrub);
  assert.deepEqual(p.commands, [['grub-mkconfig', '-o', '/boot/grub/grub.cfg']]);
  assert.match(p.notes[0]!, /update-grub is missing/);
});

test('EL7: grub2-mkconfig to the file the firmware boots from', () => {
  assert.deepEqual(planBootloader(os('centos-7'), 'bios', args, tools('centos-7-bios.txt')).commands, [['grub2-mkconfig', '-o', '/boot/grub2/grub.cfg']]);
  const uefi = planBootloader(os('centos-7'), 'uefi', args, tools('centos-7-uefi.txt'));
  assert.deepEqual(uefi.commands, [['grub2-mkconfig', '-o', '/boot/efi/EFI/centos/grub.cfg']]);
  assert.equal(bootloaderCommandLine(uefi), 'grub2-mkconfig -o /boot/efi/EFI/centos/grub.cfg');
  // RHEL 7 keeps its files under EFI/redhat
  const rhel = { id: 'rhel', family: 'el', major: 7 } as const;
  assert.deepEqual(planBootloader(rhel, 'uefi', args).commands, [['grub2-mkconfig', '-o', '/boot/efi/EFI/redhat/grub.cfg']]);
});

test('EL7 UEFI with an unexpected EFI directory: the only one present is used, with a note; several: refused', () => {
  const t = { ...tools('centos-7-uefi.txt'), efiGrubCfgs: ['/boot/efi/EFI/custom/grub.cfg'] };
  const p = planBootloader(os('centos-7'), 'uefi', args, t);
  assert.deepEqual(p.commands, [['grub2-mkconfig', '-o', '/boot/efi/EFI/custom/grub.cfg']]);
  assert.equal(p.notes.length, 1);
  const two = { ...t, efiGrubCfgs: ['/boot/efi/EFI/a/grub.cfg', '/boot/efi/EFI/b/grub.cfg'] };
  assert.throws(() => planBootloader(os('centos-7'), 'uefi', args, two), (e: unknown) => e instanceof BootloaderError && /cannot tell which EFI grub.cfg/.test(e.message));
});

test('EL8/EL9: grubby on all entries; EL9 never overwrites the UEFI grub.cfg stub', () => {
  const r9 = planBootloader(os('rocky-9'), 'uefi', args, tools('rocky-9-uefi.txt'));
  assert.deepEqual(r9.commands, [['grubby', '--update-kernel=ALL', '--args=intel_iommu=on iommu=pt', '--remove-args=intel_iommu=off']]);
  assert.equal(bootloaderCommandLine(r9), "grubby --update-kernel=ALL '--args=intel_iommu=on iommu=pt' --remove-args=intel_iommu=off");
  assert.deepEqual(r9.neverWrite, ['/boot/efi/EFI/*/grub.cfg']);
  assert.ok(!r9.commands.flat().some((a) => a.includes('grub2-mkconfig')));
  const r8 = planBootloader(os('rhel-8'), 'bios', { add: ['intel_iommu=on'], remove: [] }, tools('rhel-8-bios.txt'));
  assert.deepEqual(r8.commands, [['grubby', '--update-kernel=ALL', '--args=intel_iommu=on']]);
  assert.deepEqual(r8.neverWrite, []);
  // nothing to change: no command
  assert.deepEqual(planBootloader(os('rocky-9'), 'bios', { add: [], remove: [] }).commands, []);
});

test('unknown systems and missing tools are refused with a hint', () => {
  assert.throws(() => planBootloader({ id: 'arch', family: 'other', major: undefined }, 'uefi', args), (e: unknown) => e instanceof BootloaderError && e.hint !== undefined);
  assert.throws(() => planBootloader({ id: 'centos', family: 'el', major: 6 }, 'bios', args), /no known way/);
  assert.throws(() => planBootloader(os('rocky-9'), 'uefi', args, { ...tools('rocky-9-uefi.txt'), commands: {} }), /grubby not found/);
});
