// UEFI or legacy BIOS boot: the kernel exposes /sys/firmware/efi only when
// booted through UEFI (Documentation/ABI/stable/sysfs-firmware-efi).

import type { Fact } from './types.ts';

export type BootMode = 'bios' | 'uefi';

export const bootMode: Fact<BootMode> = {
  id: 'boot_mode',
  script: 'if [ -d /sys/firmware/efi ]; then echo uefi; else echo bios; fi',
  parse(output) {
    const v = output.trim();
    if (v !== 'uefi' && v !== 'bios') throw new Error(`unexpected boot mode output: ${v}`);
    return v;
  },
};
