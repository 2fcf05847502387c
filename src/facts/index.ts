// Every fact of a host, by name. Each one is a read-only POSIX sh snippet
// and a parser; gather.ts joins the snippets into one remote script.

import { bootId } from './boot-id.ts';
import { bootMode } from './boot-mode.ts';
import { bootloaderFiles } from './bootloader-files.ts';
import { cpu } from './cpu.ts';
import { grubDefault } from './grub-files.ts';
import { hostname } from './hostname.ts';
import { iommu } from './iommu.ts';
import { kernelCmdline } from './kernel-cmdline.ts';
import { novaConfFiles } from './nova-conf-files.ts';
import { novaConfMtimes } from './nova-conf-mtimes.ts';
import { novaConfText } from './nova-conf-text.ts';
import { novaVersion } from './nova-version.ts';
import { osRelease } from './os-release.ts';
import { iommuGroups, pciDevices } from './pci-devices.ts';
import { systemdUnits } from './systemd-units.ts';
import { unitStartTimes } from './unit-start-times.ts';
import { vfioFiles } from './vfio-files.ts';
import type { Fact } from './types.ts';

export { bootId, bootMode, bootloaderFiles, cpu, grubDefault, hostname, iommu, iommuGroups, kernelCmdline, novaConfFiles, novaConfMtimes, novaConfText, novaVersion, osRelease, pciDevices, systemdUnits, unitStartTimes, vfioFiles };

export const FACTS = {
  osRelease,
  bootMode,
  cpu,
  kernelCmdline,
  iommu,
  pciDevices,
  iommuGroups,
  grubDefault,
  bootloaderFiles,
  novaVersion,
  systemdUnits,
  novaConfFiles,
  novaConfText,
  novaConfMtimes,
  unitStartTimes,
  vfioFiles,
  bootId,
  hostname,
} as const;

export const ALL_FACTS: Fact<unknown>[] = Object.values(FACTS) as Fact<unknown>[];
