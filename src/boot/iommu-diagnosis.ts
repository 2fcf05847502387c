// Why is the IOMMU not active? After the arguments were put in place (and
// the host rebooted), name what really stands in the way, in this order:
// an argument on the running command line that turns it off; no DMAR/IVRS
// table (the firmware does not offer one: a setup option); the arguments
// missing from the command line the host booted with (the boot loader did
// not take them); or a kernel that ignored them.

import type { IommuState } from '../facts/iommu.ts';
import { IOMMU_OFF_ARGS, hasKernelArg, type IommuKind } from './cmdline.ts';

export interface IommuDiagnosis {
  message: string;
  hint: string;
}

const FIRMWARE_SETTING: Record<IommuKind, string> = {
  intel: "enable 'VT-d' (Intel Virtualization Technology for Directed I/O) in the firmware setup",
  amd: "enable 'IOMMU' / 'AMD-Vi' in the firmware setup",
};

export function diagnoseInactiveIommu(io: IommuState, cmdline: string, kind: IommuKind, wanted: readonly string[]): IommuDiagnosis {
  const base = `IOMMU not active: ${io.evidence}; kernel command line: ${cmdline}`;
  const off = IOMMU_OFF_ARGS.filter((a) => hasKernelArg(cmdline, a));
  if (off.length > 0) {
    return {
      message: `${base}; ${off.join(' and ')} on the kernel command line turns the IOMMU off`,
      hint: `remove ${off.join(' ')} from the boot loader's kernel arguments (passthru's kernel step does: run it again), then reboot`,
    };
  }
  if (io.firmware === 'none') {
    return { message: `${base}; the firmware offers no IOMMU (no ACPI DMAR or IVRS table)`, hint: FIRMWARE_SETTING[kind] };
  }
  const missing = wanted.filter((a) => !hasKernelArg(cmdline, a));
  if (missing.length > 0) {
    return {
      message: `${base}; the host booted without ${missing.join(' ')}`,
      hint: 'the boot loader did not take the new arguments: check which configuration the firmware really boots (grub.cfg path, BLS entries, a drop-in that overrides GRUB_CMDLINE_LINUX)',
    };
  }
  if (io.firmware === 'unknown') {
    return { message: `${base}; the ACPI tables could not be listed`, hint: `${FIRMWARE_SETTING[kind]}, or check dmesg for DMAR / AMD-Vi errors` };
  }
  return {
    message: `${base}; the kernel did not turn on the IOMMU the firmware offers (${io.firmware === 'intel' ? 'DMAR' : 'IVRS'} table present, arguments given)`,
    hint: `check dmesg for ${kind === 'intel' ? 'DMAR' : 'AMD-Vi'} errors and that the kernel is built with ${kind === 'intel' ? 'CONFIG_INTEL_IOMMU' : 'CONFIG_AMD_IOMMU'}`,
  };
}
