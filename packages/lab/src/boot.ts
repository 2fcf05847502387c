// Booting a lab host: the firmware's GRUB reads the boot loader config it
// really reads for this family and boot mode, picks the default entry, and
// the kernel starts with that command line. The kernel then decides the
// IOMMU, and bootHost (re)writes everything a running kernel shows:
// /proc/cmdline, the boot id, /sys/class/iommu, /sys/kernel/iommu_groups,
// each device's iommu_group, the ring buffer (/var/log/lab/dmesg) and the
// state of the systemd units (a nova unit whose configuration nova rejects
// comes up failed).
//
// Differences from a real kernel, on purpose: /sys/bus/pci/devices/X/iommu_group
// is a file holding the group number (the kernel has a symlink to
// /sys/kernel/iommu_groups/N); /sys/kernel/iommu_groups/N/devices/X are empty
// directories (symlinks on a real host). The journal is volatile: it starts
// empty at every boot.

import { readInitramfs, vfioIds } from './initramfs.ts';
import { firmwareIommu } from './firmware.ts';
import type { HostSpec, LabFs } from './types.ts';
import { distroInfo, hostUnits, type NovaService } from './distro.ts';
import {
  blsEntries,
  bootFiles,
  bootPartition,
  fallbackKernelopts,
  menuEntries,
  parseGrubenv,
} from './grub.ts';
import { checkNovaService, type NovaCheckFailure } from './novacheck.ts';
import { copyConfig, kollaContainers, recordContainerStart } from './containers.ts';
import { isEnabled, journal, JOURNAL, nextPid, UNIT_STATE_DIR, writeUnitState } from './units.ts';
import { recordUnitStart } from './novalog.ts';

export interface BootState {
  bootId: string;
  cmdline: string;
  iommuActive: boolean;
  reason: string;
}

export const DMESG = '/var/log/lab/dmesg';

interface Selected {
  cmdline: string;
  kernel: string;
  source: string;
}

function expand(word: string, vars: Map<string, string>): string {
  return word.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_, n: string) => vars.get(n) ?? '');
}

function joinWords(words: string[]): string {
  return words.join(' ').split(/\s+/).filter(Boolean).join(' ');
}

function kernelOfImage(image: string): string {
  const base = image.replace(/^\([^)]*\)/, '').split('/').pop() ?? '';
  return base.replace(/^vmlinuz-/, '');
}

/** what the firmware's GRUB boots (undefined when it finds nothing to boot) */
export function selectBootEntry(fs: LabFs, spec: HostSpec): Selected | undefined {
  const d = distroInfo(spec.distro);
  const b = bootFiles(spec);
  const first = fs.readFile(b.firmwareCfg);
  if (first === undefined) return undefined;
  // a stub that chains to the real config (EL9 UEFI, Debian-family UEFI)
  const cfgPath = /^\s*configfile\s/m.test(first) ? b.menuCfg : b.firmwareCfg;
  const cfg = cfgPath === b.firmwareCfg ? first : fs.readFile(cfgPath);
  if (cfg === undefined) return undefined;
  const env = parseGrubenv(fs.readFile(b.grubenv));
  if (b.bls && /^\s*blscfg\s*$/m.test(cfg)) {
    const entries = blsEntries(fs);
    if (!entries.length) return undefined;
    const saved = env.get('saved_entry');
    const e = entries.find((x) => x.id === saved) ?? entries[0];
    if (!e) return undefined;
    const vars = new Map<string, string>(env);
    if (!vars.get('kernelopts')) {
      const fb = fallbackKernelopts(cfg);
      if (fb !== undefined) vars.set('kernelopts', fb);
    }
    const linux = e.fields.get('linux') ?? '';
    const image = `(${bootPartition(spec)})${linux}`;
    const opts = (e.fields.get('options') ?? '').split(/\s+/).map((w) => expand(w, vars));
    return { cmdline: joinWords([`BOOT_IMAGE=${image}`, ...opts]), kernel: kernelOfImage(linux), source: `${cfgPath} + ${e.file}` };
  }
  const entries = menuEntries(cfg);
  if (!entries.length) return undefined;
  let entry = entries[0];
  if (d.family === 'el') {
    const saved = env.get('saved_entry');
    entry = entries.find((x) => x.title === saved) ?? entries[0];
  }
  if (!entry) return undefined;
  const vars = new Map<string, string>([['vt_handoff', d.distro.startsWith('ubuntu') ? 'vt.handoff=7' : '']]);
  const args = entry.args.map((w) => expand(w, vars));
  return { cmdline: joinWords([`BOOT_IMAGE=${entry.image}`, ...args]), kernel: kernelOfImage(entry.image), source: cfgPath };
}

/** the last value given to a kernel parameter */
function param(cmdline: string, name: string): string | undefined {
  let v: string | undefined;
  for (const w of cmdline.split(' ')) {
    if (w === name) v = '';
    else if (w.startsWith(`${name}=`)) v = w.slice(name.length + 1);
  }
  return v;
}

export interface IommuDecision {
  active: boolean;
  reason: string;
  intelOn: boolean;
  intelOff: boolean;
  amdOff: boolean;
  passthrough: boolean;
}

export function decideIommu(spec: HostSpec, cmdline: string): IommuDecision {
  const intel = param(cmdline, 'intel_iommu');
  const amd = param(cmdline, 'amd_iommu');
  const iommu = param(cmdline, 'iommu');
  const intelOpts = (intel ?? '').split(',');
  const intelOn = intelOpts.includes('on');
  const intelOff = intelOpts.includes('off');
  const amdOff = (amd ?? '').split(',').includes('off');
  const iommuOff = iommu === 'off';
  const passthrough = iommu === 'pt';
  const vendor = firmwareIommu(spec);
  let active: boolean;
  let reason: string;
  if (!spec.iommuFirmware) {
    active = false;
    reason = vendor === 'intel' ? 'the firmware offers no DMAR table (VT-d off)' : 'the firmware offers no IVRS table (AMD-Vi off)';
  } else if (iommuOff) {
    active = false;
    reason = 'iommu=off on the kernel command line';
  } else if (vendor === 'intel') {
    if (intelOff) {
      active = false;
      reason = 'intel_iommu=off on the kernel command line';
    } else if (intelOn) {
      active = true;
      reason = 'intel_iommu=on on the kernel command line';
    } else if (spec.iommuDefaultOn) {
      active = true;
      reason = 'the kernel enables VT-d by default';
    } else {
      active = false;
      reason = 'no intel_iommu=on on the kernel command line';
    }
  } else if (amdOff) {
    active = false;
    reason = 'amd_iommu=off on the kernel command line';
  } else if (spec.iommuDefaultOn) {
    active = true;
    reason = 'AMD-Vi is on by default';
  } else {
    active = false;
    reason = 'the kernel does not enable AMD-Vi by default here';
  }
  return { active, reason, intelOn, intelOff, amdOff, passthrough };
}

function kernelVersion(kernel: string): [number, number] {
  const [a = 0, b = 0] = kernel.split(/[.-]/).map(Number);
  return [a, b];
}

function ts(t: number): string {
  return `[${t.toFixed(6).padStart(12, ' ')}]`;
}

function renderDmesg(spec: HostSpec, kernel: string, cmdline: string, dec: IommuDecision): string {
  const d = distroInfo(spec.distro);
  const [maj, min] = kernelVersion(kernel);
  const modern = maj >= 5;
  const guest = spec.roles.includes('guest');
  const intel = spec.cpu.vendor === 'intel';
  /** the firmware's IOMMU is Intel VT-d (an AMD CPU can sit on an emulated one) */
  const vtd = firmwareIommu(spec) === 'intel';
  const L: Array<[number, string]> = [];
  const at = (t: number, s: string): void => {
    L.push([t, s]);
  };
  at(0, d.banner(kernel));
  at(0, `Command line: ${cmdline}`);
  at(0, 'x86/fpu: Supporting XSAVE feature 0x001: \'x87 floating point registers\'');
  at(0, 'x86/fpu: Supporting XSAVE feature 0x002: \'SSE registers\'');
  at(0, 'x86/fpu: Supporting XSAVE feature 0x004: \'AVX registers\'');
  at(0, 'BIOS-provided physical RAM map:');
  at(0, 'BIOS-e820: [mem 0x0000000000000000-0x000000000009ffff] usable');
  at(0, 'BIOS-e820: [mem 0x00000000000a0000-0x00000000000fffff] reserved');
  at(0, 'BIOS-e820: [mem 0x0000000000100000-0x000000006f0c3fff] usable');
  at(0, 'NX (Execute Disable) protection: active');
  if (spec.bootMode === 'uefi') at(0, 'efi: EFI v2.70 by American Megatrends');
  at(0, 'SMBIOS 3.2.0 present.');
  if (guest) at(0, 'DMI: QEMU Standard PC (Q35 + ICH9, 2009), BIOS 1.16.2-debian-1.16.2-1 04/01/2014');
  else if (intel) at(0, 'DMI: Supermicro SYS-2029GP-TR/X11DPG-SN, BIOS 3.4 11/25/2020');
  else at(0, 'DMI: Supermicro AS -2024US-TRT/H12SSL-i, BIOS 2.4 04/27/2022');
  if (guest) at(0, 'Hypervisor detected: KVM');
  at(0, `tsc: Detected ${intel ? '3000.000' : '2794.750'} MHz processor`);
  if (intel && !spec.cpu.virtualization && !guest && maj * 100 + min >= 506) at(0, 'x86/cpu: VMX (outside TXT) disabled by BIOS');
  if (spec.iommuFirmware && !guest) {
    if (vtd) at(0.004, 'ACPI: DMAR 0x000000006F0C4000 0000F8 (v01 ALASKA A M I    00000001 INTL 20091013)');
    else at(0.004, 'ACPI: IVRS 0x00000000BEB9D000 0000D0 (v02 AMD    AmdTable 00000001 AMD  00000001)');
  }
  at(0.012, `Kernel command line: ${cmdline}`);
  if (dec.intelOn) at(0.012, 'DMAR: IOMMU enabled');
  if (dec.intelOff) at(0.012, 'DMAR: IOMMU disabled');
  const amdParam = param(cmdline, 'amd_iommu');
  if (amdParam !== undefined && modern) {
    for (const o of amdParam.split(',')) if (!['off', 'fullflush', 'force_isolation', 'force_enable', 'pgtbl_v1', 'pgtbl_v2', 'irtcachedis', 'nopt'].includes(o)) at(0.012, `AMD-Vi: Unknown option - '${o}'`);
  }
  at(0.2, `Memory: 263745860K/268106120K available (16384K kernel code, 4356K rwdata, 11580K rodata, 3048K init, 17208K bss, 4360004K reserved, 0K cma-reserved)`);
  if (spec.iommuFirmware && vtd && !guest) {
    at(0.5, 'DMAR: Host address width 46');
    at(0.5, 'DMAR: DRHD base: 0x000000d37fc000 flags: 0x0');
    at(0.5, 'DMAR: dmar0: reg_base_addr d37fc000 ver 1:0 cap 8d2078c106f0466 ecap f020df');
    at(0.5, 'DMAR: DRHD base: 0x000000fbffc000 flags: 0x1');
    at(0.5, 'DMAR: dmar1: reg_base_addr fbffc000 ver 1:0 cap 8d2078c106f0466 ecap f020df');
    at(0.5, 'DMAR: RMRR base: 0x0000006f3a4000 end: 0x0000006f3b4fff');
    at(0.5, 'DMAR: ATSR flags: 0x0');
    at(0.5, 'DMAR-IR: IOAPIC id 12 under DRHD base  0xd37fc000 IOMMU 0');
    at(0.5, 'DMAR-IR: IOAPIC id 8 under DRHD base  0xfbffc000 IOMMU 1');
    at(0.5, 'DMAR-IR: HPET id 0 under DRHD base 0xfbffc000');
    at(0.5, 'DMAR-IR: Queued invalidation will be enabled to support x2apic and Intr-remapping.');
    at(0.5, 'DMAR-IR: Enabled IRQ remapping in x2apic mode');
  }
  at(0.9, `PCI: Using configuration type 1 for base access`);
  let t = 1.1;
  for (const dv of spec.devices) {
    at(t, `pci ${dv.address}: [${dv.vendor}:${dv.device}] type ${dv.class.startsWith('0604') ? '01' : '00'} class 0x${dv.class}`);
    t += 0.0004;
  }
  if (intel && spec.iommuFirmware && !guest && !spec.cpu.virtualization && !modern) at(1.4, 'kvm: disabled by bios');
  if (dec.active) {
    const groups = [...spec.devices].sort((a, b) => a.address.localeCompare(b.address));
    if (vtd) {
      if (dec.passthrough && modern) at(2.7, 'iommu: Default domain type: Passthrough (set via kernel command line)');
      else if (modern) at(2.7, `iommu: Default domain type: Translated `);
      at(2.8, 'DMAR: No ANDD device found');
      at(2.8, 'DMAR: dmar0: Using Queued invalidation');
      at(2.8, 'DMAR: dmar1: Using Queued invalidation');
      let g = 2.81;
      for (const dv of groups) {
        at(g, modern ? `pci ${dv.address}: Adding to iommu group ${dv.iommuGroup}` : `iommu: Adding device ${dv.address} to group ${dv.iommuGroup}`);
        g += 0.0002;
      }
      at(2.95, 'DMAR: Intel(R) Virtualization Technology for Directed I/O');
    } else {
      if (dec.passthrough && modern) at(1.8, 'iommu: Default domain type: Passthrough (set via kernel command line)');
      else if (modern) at(1.8, `iommu: Default domain type: Translated `);
      at(1.9, 'pci 0000:00:00.2: AMD-Vi: IOMMU performance counters supported');
      let g = 1.91;
      for (const dv of groups) {
        at(g, modern ? `pci ${dv.address}: Adding to iommu group ${dv.iommuGroup}` : `iommu: Adding device ${dv.address} to group ${dv.iommuGroup}`);
        g += 0.0002;
      }
      at(1.96, 'pci 0000:00:00.2: AMD-Vi: Found IOMMU cap 0x40');
      at(1.96, 'AMD-Vi: Extended features (0x58f77ef22294a5a): PPR NX GT IA PC GA_vAPIC');
      at(1.96, 'AMD-Vi: Interrupt remapping enabled');
      at(1.96, 'AMD-Vi: Virtual APIC enabled');
      at(1.97, 'perf/amd_iommu: Detected AMD IOMMU #0 (2 banks, 4 counters/bank).');
    }
  } else if (vtd && spec.iommuFirmware && !guest && !dec.intelOff && modern) {
    at(2.7, 'DMAR: [Firmware Bug]: No firmware reserved region can cover this RMRR [0x000000006f3a4000-0x000000006f3b4fff], contact BIOS vendor for fixes');
  }
  let k = 4.2;
  for (const dv of spec.devices) {
    if (dv.driver === 'nouveau' && dv.vendor === '10de') {
      at(k, `nouveau ${dv.address}: NVIDIA ${dv.deviceName.split(' ')[0]} (${dv.device === '1e04' ? '162000a1' : '164000a1'})`);
      at(k + 0.01, `nouveau ${dv.address}: DRM: VRAM: 11264 MiB`);
      k += 0.1;
    }
  }
  at(5.1, `systemd[1]: systemd ${d.systemd} running in system mode`);
  at(5.1, 'systemd[1]: Detected architecture x86-64.');
  at(5.2, `systemd[1]: Hostname set to <${spec.name}>.`);
  L.sort((a, b) => a[0] - b[0]);
  return L.map(([time, s]) => `${ts(time)} ${s}\n`).join('');
}

/** Boots so far, kept on the host's disk (0 before the first boot). */
export const BOOT_COUNT = '/var/lib/lab/boot-count';

export function bootCount(fs: LabFs): number {
  const n = Number((fs.readFile(BOOT_COUNT) ?? '0').trim());
  return Number.isInteger(n) && n >= 0 ? n : 0;
}

/** Boot the host: write the kernel's view of this boot into fs. */
/**
 * Which driver holds each device after this boot: vfio-pci for the ids it
 * claims (vfio-pci.ids= on the command line, or its options in the
 * initramfs it loads from; it needs an active IOMMU), else the spec's.
 * Shown as sysfs does: /sys/bus/pci/drivers/DRIVER/ADDR and DRIVER= in uevent.
 */
function bindDrivers(fs: LabFs, spec: HostSpec, kernel: string, cmdline: string, iommuActive: boolean): void {
  const claimed = iommuActive ? vfioIds(cmdline, readInitramfs(fs, spec, kernel)) : new Set<string>();
  for (const drv of fs.readdir('/sys/bus/pci/drivers')) {
    for (const a of fs.readdir(`/sys/bus/pci/drivers/${drv}`)) if (/^[0-9a-f]{4}:/.test(a)) fs.remove(`/sys/bus/pci/drivers/${drv}/${a}`);
  }
  for (const dv of spec.devices) {
    const driver = claimed.has(`${dv.vendor}:${dv.device}`) ? 'vfio-pci' : dv.driver;
    const uevent = `/sys/bus/pci/devices/${dv.address}/uevent`;
    const text = (fs.readFile(uevent) ?? '').replace(/^DRIVER=.*\n/m, '');
    fs.writeFile(uevent, `${driver ? `DRIVER=${driver}\n` : ''}${text}`);
    if (driver) fs.mkdirp(`/sys/bus/pci/drivers/${driver}/${dv.address}`);
  }
}

export function bootHost(fs: LabFs, spec: HostSpec, bootId: string): BootState {
  const d = distroInfo(spec.distro);
  const sel = selectBootEntry(fs, spec);
  const previous = fs.readFile('/proc/cmdline')?.trim();
  const cmdline = sel?.cmdline ?? previous ?? `BOOT_IMAGE=/boot/vmlinuz-${d.kernels[0]} ro`;
  const kernel = sel?.kernel || (d.kernels[0] ?? '');
  const dec = decideIommu(spec, cmdline);
  const reason = sel ? `${dec.reason} (booted from ${sel.source})` : `${dec.reason} (no boot entry found; kept the previous command line)`;

  fs.writeFile('/proc/cmdline', `${cmdline}\n`, { mode: 0o444 });
  fs.writeFile('/proc/sys/kernel/random/boot_id', `${bootId}\n`, { mode: 0o444 });
  // how many times the host booted (kept across boots): the cloud's view of a compute's reboots
  fs.writeFile(BOOT_COUNT, `${bootCount(fs) + 1}\n`, { mode: 0o644 });
  fs.writeFile('/proc/sys/kernel/osrelease', `${kernel}\n`, { mode: 0o444 });
  fs.writeFile('/proc/version', `${d.banner(kernel)}\n`, { mode: 0o444 });

  // IOMMU sysfs
  for (const name of fs.readdir('/sys/class/iommu')) fs.remove(`/sys/class/iommu/${name}`);
  for (const name of fs.readdir('/sys/kernel/iommu_groups')) fs.remove(`/sys/kernel/iommu_groups/${name}`);
  fs.mkdirp('/sys/class/iommu');
  fs.mkdirp('/sys/kernel/iommu_groups');
  const [maj, min] = kernelVersion(kernel);
  for (const dv of spec.devices) fs.remove(`/sys/bus/pci/devices/${dv.address}/iommu_group`);
  if (dec.active) {
    if (firmwareIommu(spec) === 'intel') {
      fs.mkdirp('/sys/class/iommu/dmar0');
      fs.mkdirp('/sys/class/iommu/dmar1');
    } else {
      fs.mkdirp('/sys/class/iommu/ivhd0');
    }
    const type = dec.passthrough ? 'identity' : maj * 100 + min >= 515 ? 'DMA-FQ' : 'DMA';
    for (const dv of spec.devices) {
      const g = `/sys/kernel/iommu_groups/${dv.iommuGroup}`;
      fs.mkdirp(`${g}/devices/${dv.address}`);
      fs.writeFile(`${g}/type`, `${type}\n`);
      fs.writeFile(`/sys/bus/pci/devices/${dv.address}/iommu_group`, `${dv.iommuGroup}\n`);
    }
  }

  bindDrivers(fs, spec, kernel, cmdline, dec.active);

  fs.writeFile(DMESG, renderDmesg(spec, kernel, cmdline, dec), { mode: 0o644 });

  // systemd: a volatile journal and every enabled unit started
  fs.remove(UNIT_STATE_DIR);
  fs.mkdirp(UNIT_STATE_DIR);
  fs.writeFile(JOURNAL, '', { mode: 0o640, owner: 'root', group: 'systemd-journal' });
  fs.writeFile('/run/lab/last-pid', '900');
  const now = new Date();
  for (const u of hostUnits(spec)) {
    if (!isEnabled(fs, u.name)) continue;
    const pid = nextPid(fs);
    let failure: NovaCheckFailure | undefined;
    if (u.nova) failure = checkNovaService(fs, spec, u.nova as NovaService);
    journal(fs, spec.name, u.name, 'systemd[1]', [`Starting ${u.description}...`], now);
    recordUnitStart(fs, spec, u, pid, failure, now);
  }
  // kolla: the engine starts every container again (restart policy unless-stopped)
  for (const c of kollaContainers(spec)) {
    copyConfig(fs, c);
    recordContainerStart(fs, spec, c, nextPid(fs), c.service ? checkNovaService(fs, spec, c.service) : undefined, now);
  }
  return { bootId, cmdline, iommuActive: dec.active, reason };
}
