// lspci (pciutils 3.x): reads the devices from /sys/bus/pci/devices and
// their names from the lab's pci.ids table, and prints them in lspci's own
// formats: default, -D, -n, -nn, -m/-mm (machine readable), -k, -s, -d.
// Options the real lspci has but the lab does not model (-v, -t, -x, -b, ...)
// fail with a clear message instead of pretending.

import type { LabFs, Tool, ToolResult } from '../types.ts';
import { CLASSES, DEVICES, KERNEL_MODULES, SUBSYSTEMS, VENDORS } from '../pciids.ts';
import { fail, getopt, ok } from './util.ts';

const USAGE = `Usage: lspci [<switches>]

Basic display modes:
-mm		Produce machine-readable output (single -m for an obsolete format)
-t		Show bus tree

Display options:
-v		Be verbose (-vv or -vvv for higher verbosity)
-k		Show kernel drivers handling each device
-x		Show hex-dump of the standard part of the config space
-xxx		Show hex-dump of the whole config space (dangerous; root only)
-xxxx		Show hex-dump of the 4096-byte extended config space (root only)
-b		Bus-centric view (addresses and IRQ's as seen by the bus)
-D		Always show domain numbers
-P		Display bridge path in addition to bus and device number
-PP		Display bus path in addition to bus and device number

Resolving of device ID's to names:
-n		Show numeric ID's
-nn		Show both textual and numeric ID's (names & numbers)
-q		Query the PCI ID database for unknown ID's via DNS
-qq		As above, but re-query locally cached entries
-Q		Query the PCI ID database for all ID's via DNS

Selection of devices:
-s [[[[<domain>]:]<bus>]:][<slot>][.[<func>]]	Show only devices in selected slots
-d [<vendor>]:[<device>][:<class>]		Show only devices with specified ID's

Other options:
-i <file>	Use specified ID database instead of /usr/share/misc/pci.ids.gz
-p <file>	Look up kernel modules in a given file instead of default modules.pcimap
-M		Enable \`bus mapping' mode (dangerous; root only)

PCI access options:
-A <method>	Use the specified PCI access method (see \`-A help' for a list)
-O <par>=<val>	Set PCI access parameter (see \`-O help' for a list)
-G		Enable PCI access debugging
-H <mode>	Use direct hardware access (<mode> = 1 or 2)
-F <file>	Read PCI configuration dump from a given file
`;

export interface SysfsPciDevice {
  address: string;
  vendor: string;
  device: string;
  cls: string;
  revision: string;
  sv: string;
  sd: string;
  driver?: string | undefined;
}

function hexOf(fs: LabFs, path: string, digits: number): string {
  const t = (fs.readFile(path) ?? '').trim().replace(/^0x/, '');
  return t.padStart(digits, '0').slice(-digits).toLowerCase();
}

export function readSysfsPci(fs: LabFs): SysfsPciDevice[] {
  const out: SysfsPciDevice[] = [];
  for (const addr of fs.readdir('/sys/bus/pci/devices')) {
    const base = `/sys/bus/pci/devices/${addr}`;
    if (!fs.exists(`${base}/vendor`)) continue;
    const uevent = fs.readFile(`${base}/uevent`) ?? '';
    const driver = /^DRIVER=(.*)$/m.exec(uevent)?.[1];
    out.push({
      address: addr,
      vendor: hexOf(fs, `${base}/vendor`, 4),
      device: hexOf(fs, `${base}/device`, 4),
      cls: hexOf(fs, `${base}/class`, 6),
      revision: hexOf(fs, `${base}/revision`, 2),
      sv: hexOf(fs, `${base}/subsystem_vendor`, 4),
      sd: hexOf(fs, `${base}/subsystem_device`, 4),
      driver,
    });
  }
  return out.sort((a, b) => a.address.localeCompare(b.address));
}

type Mode = 'name' | 'num' | 'both';

function vendorStr(v: string, mode: Mode): string {
  const n = VENDORS[v];
  if (mode === 'num') return v;
  if (!n) return mode === 'both' ? `Vendor [${v}]` : `Vendor ${v}`;
  return mode === 'both' ? `${n} [${v}]` : n;
}

function deviceStr(v: string, d: string, mode: Mode): string {
  const n = DEVICES[`${v}:${d}`];
  if (mode === 'num') return d;
  if (!n) return mode === 'both' ? `Device [${d}]` : `Device ${d}`;
  return mode === 'both' ? `${n} [${d}]` : n;
}

function subDeviceStr(v: string, d: string, sv: string, sd: string, mode: Mode): string {
  const n = SUBSYSTEMS[`${v}:${d}:${sv}:${sd}`];
  if (mode === 'num') return sd;
  if (!n) return mode === 'both' ? `Device [${sd}]` : `Device ${sd}`;
  return mode === 'both' ? `${n} [${sd}]` : n;
}

/** vendor and device together, as the terse format prints them */
function pairStr(v: string, d: string, mode: Mode, sub?: { sv: string; sd: string }): string {
  const num = sub ? `${sub.sv}:${sub.sd}` : `${v}:${d}`;
  if (mode === 'num') return num;
  const vn = sub ? VENDORS[sub.sv] : VENDORS[v];
  const dn = sub ? SUBSYSTEMS[`${v}:${d}:${sub.sv}:${sub.sd}`] : DEVICES[`${v}:${d}`];
  if (!vn) return mode === 'both' ? `Device [${num}]` : `Device ${num}`;
  const devPart = sub ? sub.sd : d;
  if (!dn) return mode === 'both' ? `${vn} Device [${num}]` : `${vn} Device ${devPart}`;
  return mode === 'both' ? `${vn} ${dn} [${num}]` : `${vn} ${dn}`;
}

function classStr(cls: string, mode: Mode): string {
  const c = cls.slice(0, 4);
  if (mode === 'num') return c;
  const n = CLASSES[c] ?? CLASSES[c.slice(0, 2)];
  if (!n) return mode === 'both' ? `Class [${c}]` : `Class ${c}`;
  return mode === 'both' ? `${n} [${c}]` : n;
}

interface SlotFilter {
  domain?: number;
  bus?: number;
  slot?: number;
  func?: number;
}

function parseSlotFilter(s: string): SlotFilter | string {
  const f: SlotFilter = {};
  const dot = s.indexOf('.');
  const left = dot < 0 ? s : s.slice(0, dot);
  const func = dot < 0 ? undefined : s.slice(dot + 1);
  const hex = (x: string, max: number, what: string): number | undefined | string => {
    if (x === '' || x === '*') return undefined;
    if (!/^[0-9a-fA-F]+$/.test(x)) return `Invalid ${what} number`;
    const n = Number.parseInt(x, 16);
    return n > max ? `Invalid ${what} number` : n;
  };
  const parts = left.split(':');
  if (parts.length > 3) return 'Invalid slot number';
  const [slotS = '', busS, domS] = [...parts].reverse();
  const slot = hex(slotS, 0x1f, 'slot');
  if (typeof slot === 'string') return slot;
  if (slot !== undefined) f.slot = slot;
  if (busS !== undefined) {
    const bus = hex(busS, 0xff, 'bus');
    if (typeof bus === 'string') return bus;
    if (bus !== undefined) f.bus = bus;
  }
  if (domS !== undefined) {
    const dom = hex(domS, 0xffff, 'domain');
    if (typeof dom === 'string') return dom;
    if (dom !== undefined) f.domain = dom;
  }
  if (func !== undefined) {
    const fn = hex(func, 7, 'function');
    if (typeof fn === 'string') return fn;
    if (fn !== undefined) f.func = fn;
  }
  return f;
}

function matchSlot(f: SlotFilter, address: string): boolean {
  const m = /^([0-9a-f]{4}):([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])$/.exec(address);
  if (!m) return false;
  const [dom, bus, slot, fn] = [m[1], m[2], m[3], m[4]].map((x) => Number.parseInt(x as string, 16));
  return (f.domain === undefined || f.domain === dom) && (f.bus === undefined || f.bus === bus) && (f.slot === undefined || f.slot === slot) && (f.func === undefined || f.func === fn);
}

interface IdFilter {
  vendor?: string;
  device?: string;
  cls?: string;
}

function parseIdFilter(s: string): IdFilter | string {
  const parts = s.split(':');
  if (parts.length < 2 || parts.length > 3) return 'Invalid vendor ID';
  const f: IdFilter = {};
  const names = ['vendor ID', 'device ID', 'class code'];
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i] as string;
    if (p === '' || p === '*') continue;
    if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return `Invalid ${names[i]}`;
    const v = p.toLowerCase().padStart(4, '0');
    if (i === 0) f.vendor = v;
    else if (i === 1) f.device = v;
    else f.cls = v;
  }
  return f;
}

/** pciutils >= 3.8 (Debian 12: 3.9.0, Ubuntu 24.04: 3.10.0); EL7 3.5.1, EL8/EL9 and Ubuntu 22.04 3.7.0 */
const PCIUTILS_38: Record<string, boolean> = {
  'centos-7': false,
  'rocky-8': false,
  'rocky-9': false,
  'ubuntu-22.04': false,
  'ubuntu-24.04': true,
  'debian-12': true,
};

const NOT_MODELLED: Record<string, string> = {
  v: '-v', t: '-t', x: '-x', b: '-b', P: '-P', q: '-q', Q: '-Q', M: '-M', G: '-G', A: '-A', O: '-O', H: '-H', F: '-F', i: '-i', p: '-p',
};

export const lspci: Tool = (inv): ToolResult => {
  const p = getopt(inv.argv.slice(1), 'nvbxs:d:tPMGO:H:F:A:p:kmDQqyi:');
  if (p.error) {
    if (p.error.kind === 'missing') return fail(1, `lspci: option requires an argument -- '${p.error.option}'\n${USAGE}`);
    return fail(1, `lspci: invalid option -- '${p.error.option}'\n${USAGE}`);
  }
  if (p.args.length) return fail(1, USAGE);
  let numeric = 0;
  let machine = 0;
  let domains = false;
  let kernel = false;
  let slot: SlotFilter | undefined;
  let ids: IdFilter | undefined;
  for (const [o, v] of p.opts) {
    if (o === 'n') numeric++;
    else if (o === 'm') machine++;
    else if (o === 'D') domains = true;
    else if (o === 'k') kernel = true;
    else if (o === 's') {
      const f = parseSlotFilter(v ?? '');
      if (typeof f === 'string') return fail(1, `lspci: -s: ${f}\n`);
      slot = f;
    } else if (o === 'd') {
      const f = parseIdFilter(v ?? '');
      if (typeof f === 'string') return fail(1, `lspci: -d: ${f}\n`);
      ids = f;
    } else if (o in NOT_MODELLED) {
      return fail(1, `lspci: option ${NOT_MODELLED[o]} is not modelled by the passthru lab (supported: -D -n -nn -m -mm -k -s -d)\n`);
    }
  }
  const newPciutils = PCIUTILS_38[inv.host.spec.distro];
  const mode: Mode = numeric === 0 ? 'name' : numeric === 1 ? 'num' : 'both';
  const devices = readSysfsPci(inv.fs).filter(
    (d) =>
      (!slot || matchSlot(slot, d.address)) &&
      (!ids || ((!ids.vendor || ids.vendor === d.vendor) && (!ids.device || ids.device === d.device) && (!ids.cls || ids.cls === d.cls.slice(0, 4)))),
  );
  // like lspci, show the domain when asked or when any device is outside domain 0
  const showDomain = domains || devices.some((d) => !d.address.startsWith('0000:'));
  let out = '';
  for (const d of devices) {
    const addr = showDomain ? d.address : d.address.slice(5);
    const hasSub = d.sv !== '0000' && d.sv !== 'ffff';
    if (machine > 0) {
      let line = `${addr} "${classStr(d.cls, mode)}" "${vendorStr(d.vendor, mode)}" "${deviceStr(d.vendor, d.device, mode)}"`;
      if (d.revision !== '00') line += ` -r${d.revision}`;
      // pciutils >= 3.8 knows the prog-if from sysfs and always prints it
      if (newPciutils || d.cls.slice(4, 6) !== '00') line += ` -p${d.cls.slice(4, 6)}`;
      line += hasSub ? ` "${vendorStr(d.sv, mode)}" "${subDeviceStr(d.vendor, d.device, d.sv, d.sd, mode)}"` : ' "" ""';
      out += `${line}\n`;
      continue;
    }
    if (mode === 'num') {
      out += `${addr} ${d.cls.slice(0, 4)}: ${d.vendor}:${d.device}${d.revision !== '00' ? ` (rev ${d.revision})` : ''}\n`;
    } else {
      out += `${addr} ${classStr(d.cls, mode)}: ${pairStr(d.vendor, d.device, mode)}${d.revision !== '00' ? ` (rev ${d.revision})` : ''}\n`;
    }
    if (kernel) {
      if (hasSub) out += `\tSubsystem: ${pairStr(d.vendor, d.device, mode, { sv: d.sv, sd: d.sd })}\n`;
      if (d.driver) out += `\tKernel driver in use: ${d.driver}\n`;
      const mods = KERNEL_MODULES[`${d.vendor}:${d.device}`];
      if (mods) out += `\tKernel modules: ${mods.join(', ')}\n`;
    }
  }
  return ok(out);
};
