// Is the IOMMU active? Decided from sysfs first: /sys/class/iommu/ lists the
// IOMMU units (dmar0, ivhd0, ...) the kernel registered and
// /sys/kernel/iommu_groups/ one directory per group
// (Documentation/ABI/testing/sysfs-kernel-iommu_groups). dmesg lines
// (`DMAR: IOMMU enabled`, printed only with intel_iommu=on; `DMAR: Intel(R)
// Virtualization Technology for Directed I/O`; `AMD-Vi: ...`) are a second
// signal: the ring buffer can wrap, and reading it can be refused
// (kernel.dmesg_restrict) - not an error.
// Which IOMMU the host has is the firmware's answer, not the CPU's: an ACPI
// DMAR table (/sys/firmware/acpi/tables/DMAR) is Intel VT-d, IVRS is AMD-Vi.
// They usually match the CPU vendor; not in nested test clouds (an AMD CPU
// with QEMU's emulated intel-iommu) and on some odd platforms.

import type { Fact } from './types.ts';

/** The IOMMU the firmware offers: from the ACPI tables, 'unknown' when they cannot be listed. */
export type FirmwareIommu = 'intel' | 'amd' | 'none' | 'unknown';

export interface IommuState {
  /** from sysfs: IOMMU units registered or groups present */
  active: boolean;
  /** /sys/class/iommu entries */
  units: string[];
  /** number of /sys/kernel/iommu_groups entries */
  groups: number;
  /** dmesg lines about DMAR / AMD-Vi / IOMMU (timestamps removed) */
  dmesgSignals: string[];
  /** false when dmesg could not be read */
  dmesgReadable: boolean;
  /** one line saying why `active` is what it is */
  evidence: string;
  /** DMAR: 'intel'; IVRS: 'amd'; tables listed but neither: 'none' */
  firmware: FirmwareIommu;
  /** the ACPI table names under /sys/firmware/acpi/tables */
  acpiTables: string[];
}

// Listed with the shell's own globs and builtins (no ls, no wc): a few
// hundred entries cost less than starting a program.
export const IOMMU_SCRIPT = [
  'echo "@@units"',
  `for f in /sys/class/iommu/*; do { [ -e "$f" ] || [ -L "$f" ]; } && printf '%s\\n' "\${f##*/}"; done`,
  'echo "@@groups"',
  'n=0; for f in /sys/kernel/iommu_groups/*; do [ -e "$f" ] && n=$((n+1)); done; echo "$n"',
  'echo "@@acpi"',
  `for f in /sys/firmware/acpi/tables/*; do [ -e "$f" ] && printf '%s\\n' "\${f##*/}"; done`,
  'echo "@@dmesg"',
  'if out=$(dmesg 2>&1); then',
  "  grep -i -E -m 60 'DMAR|AMD-Vi|IOMMU' <<__PT_DMESG_EOF",
  '$out',
  '__PT_DMESG_EOF',
  'else',
  '  echo "@@dmesg-unreadable"',
  "  printf '%s\\n' \"$out\" | head -n 2",
  'fi',
  'true',
].join('\n');

function sections(output: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let cur = '';
  for (const line of output.split('\n')) {
    const m = /^@@([a-z-]+)$/.exec(line.trim());
    if (m) {
      cur = m[1]!;
      if (!out.has(cur)) out.set(cur, []);
      continue;
    }
    if (line.trim() === '') continue;
    out.get(cur)?.push(line);
  }
  return out;
}

export function parseIommu(output: string): IommuState {
  const s = sections(output);
  if (!s.has('units') || !s.has('groups')) throw new Error('iommu probe printed no sections');
  const units = (s.get('units') ?? []).map((l) => l.trim()).filter(Boolean);
  const groups = Number((s.get('groups') ?? ['0'])[0]?.trim() ?? '0') || 0;
  const dmesgReadable = !s.has('dmesg-unreadable');
  const dmesgSignals = dmesgReadable ? (s.get('dmesg') ?? []).map((l) => l.replace(/^\[\s*[\d.]+\]\s*/, '').trim()) : [];
  const active = units.length > 0 || groups > 0;
  const acpiTables = (s.get('acpi') ?? []).map((l) => l.trim()).filter(Boolean);
  const firmware = firmwareIommu(acpiTables);
  const parts: string[] = [];
  parts.push(units.length > 0 ? `/sys/class/iommu: ${units.join(', ')}` : '/sys/class/iommu is empty');
  parts.push(`${groups} IOMMU group${groups === 1 ? '' : 's'}`);
  if (!dmesgReadable) parts.push('dmesg not readable');
  else {
    const key = dmesgSignals.find((l) => /DMAR: IOMMU enabled|AMD-Vi: (Found IOMMU|Interrupt remapping enabled)|Intel\(R\) Virtualization Technology for Directed I\/O/.test(l));
    parts.push(key ? `dmesg: ${key}` : 'no IOMMU line in dmesg');
  }
  if (firmware === 'intel') parts.push('ACPI DMAR table (Intel VT-d)');
  else if (firmware === 'amd') parts.push('ACPI IVRS table (AMD-Vi)');
  else if (firmware === 'none') parts.push('no ACPI DMAR or IVRS table');
  return { active, units, groups, dmesgSignals, dmesgReadable, evidence: parts.join('; '), firmware, acpiTables };
}

export function firmwareIommu(acpiTables: readonly string[]): FirmwareIommu {
  if (acpiTables.length === 0) return 'unknown';
  if (acpiTables.includes('DMAR')) return 'intel';
  if (acpiTables.includes('IVRS')) return 'amd';
  return 'none';
}

export const iommu: Fact<IommuState> = {
  id: 'iommu',
  script: IOMMU_SCRIPT,
  parse: (output) => parseIommu(output),
};
