// PCI devices: ids, class, IOMMU group and driver from sysfs
// (/sys/bus/pci/devices/*/{vendor,device,class,...},
// /sys/kernel/iommu_groups/N/devices/ADDR, /sys/bus/pci/drivers/DRV/ADDR;
// Documentation/ABI/testing/sysfs-bus-pci), names from `lspci -Dnnmm`
// when pciutils is installed (lspci(8) "-mm: machine readable"). Two
// programs in all (lspci, grep), whatever the number of devices: the
// groups and drivers are listed by the shell's own globs.

import type { Fact } from './types.ts';

export interface PciDeviceInfo {
  /** domain:bus:slot.func */
  address: string;
  /** 4 hex digits, lower case */
  vendor: string;
  device: string;
  /** class code, 6 hex digits (class, subclass, prog-if) when sysfs is known, else 4 */
  class: string;
  vendorName?: string | undefined;
  deviceName?: string | undefined;
  className?: string | undefined;
  revision?: string | undefined;
  subsystemVendor?: string | undefined;
  subsystemDevice?: string | undefined;
  /** undefined while the IOMMU is off */
  iommuGroup?: number | undefined;
  driver?: string | undefined;
  /** the firmware's boot display (sysfs boot_vga = 1) */
  bootVga?: boolean | undefined;
}

/** every /sys/kernel/iommu_groups/N/devices/ADDR, one a line, listed by the shell's glob (no ls) */
const IOMMU_GROUP_DEVICES = `for f in /sys/kernel/iommu_groups/*/devices/*; do [ -e "$f" ] && printf '%s\\n' "$f"; done`;

export const PCI_SCRIPT = [
  'if command -v lspci >/dev/null 2>&1; then echo "@@lspci"; lspci -Dnnmm; fi',
  'echo "@@ids"',
  'grep . /sys/bus/pci/devices/*/vendor /sys/bus/pci/devices/*/device /sys/bus/pci/devices/*/class /sys/bus/pci/devices/*/subsystem_vendor /sys/bus/pci/devices/*/subsystem_device /sys/bus/pci/devices/*/boot_vga /dev/null 2>/dev/null',
  'echo "@@groups"',
  IOMMU_GROUP_DEVICES,
  'echo "@@drivers"',
  `for f in /sys/bus/pci/drivers/*/????:??:??.?; do [ -e "$f" ] && printf '%s\\n' "$f"; done`,
  'true',
].join('\n');

function sections(output: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let cur = '';
  for (const line of output.split('\n')) {
    const m = /^@@(lspci|ids|groups|drivers)$/.exec(line.trim());
    if (m) {
      cur = m[1]!;
      out.set(cur, []);
      continue;
    }
    if (line.trim() !== '') out.get(cur)?.push(line);
  }
  return out;
}

function hex(v: string): string {
  return v.trim().toLowerCase().replace(/^0x/, '');
}

function fullAddress(a: string): string {
  return /^[0-9a-f]{4}:/i.test(a) ? a.toLowerCase() : `0000:${a.toLowerCase()}`;
}

/** "VGA compatible controller [0300]" -> name + code; "0300" -> code only */
function nameCode(field: string): { name?: string; code?: string } {
  const m = /^(.*?)\s*\[([0-9a-fA-F]{4})\]$/.exec(field);
  if (m) return m[1] ? { name: m[1], code: m[2]!.toLowerCase() } : { code: m[2]!.toLowerCase() };
  if (/^[0-9a-fA-F]{4}$/.test(field)) return { code: field.toLowerCase() };
  return field === '' ? {} : { name: field };
}

function mmFields(line: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(line)) !== null) out.push(m[1] !== undefined ? m[1] : m[2]!);
  return out;
}

/**
 * Parse `lspci -D -mm` output with names and numbers (-nn), numbers only
 * (-n), or names only; and the human `lspci -Dnn` format.
 */
export function parseLspci(text: string): PciDeviceInfo[] {
  const out: PciDeviceInfo[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    if (/^\S+ "/.test(line)) {
      const f = mmFields(line);
      const address = fullAddress(f[0] ?? '');
      const quoted: string[] = [];
      let revision: string | undefined;
      let progIf: string | undefined;
      for (const x of f.slice(1)) {
        if (/^-r[0-9a-f]+$/i.test(x)) revision = x.slice(2).toLowerCase();
        else if (/^-p[0-9a-f]+$/i.test(x)) progIf = x.slice(2).toLowerCase();
        else quoted.push(x);
      }
      const cls = nameCode(quoted[0] ?? '');
      const ven = nameCode(quoted[1] ?? '');
      const dev = nameCode(quoted[2] ?? '');
      const sv = nameCode(quoted[3] ?? '');
      const sd = nameCode(quoted[4] ?? '');
      out.push({
        address,
        vendor: ven.code ?? '',
        device: dev.code ?? '',
        class: cls.code ? `${cls.code}${progIf ?? ''}` : '',
        vendorName: ven.name,
        deviceName: dev.name,
        className: cls.name,
        revision,
        subsystemVendor: sv.code,
        subsystemDevice: sd.code,
      });
      continue;
    }
    // 0000:3b:00.0 VGA compatible controller [0300]: NVIDIA Corporation TU102 [GeForce RTX 2080 Ti] [10de:1e04] (rev a1)
    const m = /^(\S+) (.+?) \[([0-9a-f]{4})\]: (.+?) \[([0-9a-f]{4}):([0-9a-f]{4})\](?: \(rev ([0-9a-f]+)\))?(?: \(prog-if ([0-9a-f]{2})[^)]*\))?/i.exec(line);
    if (!m) continue;
    out.push({
      address: fullAddress(m[1]!),
      vendor: m[5]!.toLowerCase(),
      device: m[6]!.toLowerCase(),
      class: `${m[3]!.toLowerCase()}${m[8] ?? ''}`,
      className: m[2],
      deviceName: m[4],
      revision: m[7]?.toLowerCase(),
    });
  }
  return out;
}

/** Parse the output of PCI_SCRIPT. */
export function parsePciDevices(output: string): PciDeviceInfo[] {
  const s = sections(output);
  if (!s.has('ids')) throw new Error('pci probe printed no sysfs section');
  const byAddr = new Map<string, PciDeviceInfo>();
  const get = (a: string): PciDeviceInfo => {
    let d = byAddr.get(a);
    if (!d) {
      d = { address: a, vendor: '', device: '', class: '' };
      byAddr.set(a, d);
    }
    return d;
  };
  for (const line of s.get('ids') ?? []) {
    const m = /^\/sys\/bus\/pci\/devices\/([^/]+)\/(vendor|device|class|subsystem_vendor|subsystem_device|boot_vga):(.*)$/.exec(line.trim());
    if (!m) continue;
    const d = get(m[1]!.toLowerCase());
    const v = hex(m[3]!);
    switch (m[2]) {
      case 'vendor': d.vendor = v; break;
      case 'device': d.device = v; break;
      case 'class': d.class = v.padStart(6, '0'); break;
      case 'subsystem_vendor': d.subsystemVendor = v; break;
      case 'subsystem_device': d.subsystemDevice = v; break;
      case 'boot_vga': d.bootVga = v === '1'; break;
    }
  }
  const fromLspci = parseLspci((s.get('lspci') ?? []).join('\n'));
  for (const l of fromLspci) {
    const d = byAddr.get(l.address);
    if (!d) {
      // no sysfs (or not readable): lspci alone
      byAddr.set(l.address, l);
      continue;
    }
    d.vendorName = l.vendorName;
    d.deviceName = l.deviceName;
    d.className = l.className;
    d.revision = l.revision;
  }
  for (const line of s.get('groups') ?? []) {
    const m = /^\/sys\/kernel\/iommu_groups\/(\d+)\/devices\/([^/]+)$/.exec(line.trim());
    if (!m) continue;
    const d = byAddr.get(m[2]!.toLowerCase());
    if (d) d.iommuGroup = Number(m[1]);
  }
  for (const line of s.get('drivers') ?? []) {
    const m = /^\/sys\/bus\/pci\/drivers\/([^/]+)\/([^/]+)$/.exec(line.trim());
    if (!m) continue;
    const d = byAddr.get(m[2]!.toLowerCase());
    if (d) d.driver = m[1];
  }
  // drop undefined optional fields (exactOptionalPropertyTypes-friendly, cleaner JSON)
  return [...byAddr.values()]
    .filter((d) => d.vendor !== '' && d.device !== '')
    .sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0))
    .map(definedFields);
}

/** The device without its undefined fields, the others in their order (a loop: Object.fromEntries of entries costs more, cold, than the rest of the parse). */
function definedFields(d: PciDeviceInfo): PciDeviceInfo {
  const src = d as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(src)) if (src[k] !== undefined) out[k] = src[k];
  return out as unknown as PciDeviceInfo;
}

export const pciDevices: Fact<PciDeviceInfo[]> = {
  id: 'pci_devices',
  script: PCI_SCRIPT,
  parse: (output) => parsePciDevices(output),
};

/** IOMMU group number -> addresses of its devices. */
export type IommuGroups = Record<number, string[]>;

export function parseIommuGroups(output: string): IommuGroups {
  const out: IommuGroups = {};
  for (const line of output.split('\n')) {
    const m = /^\/sys\/kernel\/iommu_groups\/(\d+)\/devices\/([^/\s]+)$/.exec(line.trim());
    if (!m) continue;
    const g = Number(m[1]);
    (out[g] ??= []).push(m[2]!.toLowerCase());
  }
  for (const g of Object.keys(out)) out[Number(g)]!.sort();
  return out;
}

export const iommuGroups: Fact<IommuGroups> = {
  id: 'iommu_groups',
  script: `${IOMMU_GROUP_DEVICES}\ntrue`,
  parse: (output) => parseIommuGroups(output),
};
