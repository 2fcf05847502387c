// /proc/cpuinfo: vendor, model name, hardware virtualisation (vmx = Intel
// VT-x, svm = AMD-V: arch/x86/include/asm/cpufeatures.h), count of CPUs.

import type { Fact } from './types.ts';

export interface CpuInfo {
  vendor: 'intel' | 'amd' | 'other';
  /** vendor_id as the kernel prints it (GenuineIntel, AuthenticAMD, ...) */
  vendorId: string;
  model: string;
  /** vmx or svm in flags: the host can run KVM guests */
  virtualization: boolean;
  /** which flag: vmx, svm or none */
  virtFlag: 'vmx' | 'svm' | undefined;
  /** hypervisor flag: this host is itself a virtual machine */
  hypervisor: boolean;
  count: number;
}

const VENDORS: Readonly<Record<string, CpuInfo['vendor']>> = { GenuineIntel: 'intel', AuthenticAMD: 'amd' };

/**
 * Parse the first CPU block of /proc/cpuinfo, preceded by a line with the
 * number of CPUs (what the script prints), or a whole /proc/cpuinfo.
 */
export function parseCpuinfo(output: string): CpuInfo {
  const lines = output.split('\n');
  let count: number | undefined;
  if (/^\d+$/.test(lines[0]?.trim() ?? '')) count = Number(lines.shift()!.trim());
  const fields = new Map<string, string>();
  let processors = 0;
  for (const l of lines) {
    const m = /^([^:]+?)\s*:\s?(.*)$/.exec(l);
    if (!m) continue;
    const k = m[1]!.trim();
    if (k === 'processor') processors++;
    if (!fields.has(k)) fields.set(k, (m[2] ?? '').trim());
  }
  const vendorId = fields.get('vendor_id') ?? '';
  const flags = new Set((fields.get('flags') ?? '').split(/\s+/));
  if (!fields.has('flags') && !fields.has('vendor_id')) throw new Error('no CPU information in /proc/cpuinfo output');
  const virtFlag = flags.has('vmx') ? 'vmx' : flags.has('svm') ? 'svm' : undefined;
  return {
    vendor: VENDORS[vendorId] ?? 'other',
    vendorId,
    model: fields.get('model name') ?? '',
    virtualization: virtFlag !== undefined,
    virtFlag,
    hypervisor: flags.has('hypervisor'),
    count: count ?? processors,
  };
}

export const cpu: Fact<CpuInfo> = {
  id: 'cpu',
  // one sed: the first CPU's block, then the `processor` line of every other CPU (parseCpuinfo counts them)
  script: "sed -n '1,/^$/p; 1,/^$/d; /^processor/p' /proc/cpuinfo",
  parse: (output) => parseCpuinfo(output),
};
