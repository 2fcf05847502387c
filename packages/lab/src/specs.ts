// Host spec presets: the heterogeneous cluster of the issue, a small demo
// cluster for `npm start`, and N-compute clusters for benchmarks. Devices
// carry real vendor/device ids and pci.ids names, and every host has the
// ordinary devices of a real server (host bridge, SATA, NICs, BMC VGA), so
// that filtering by vendor and class matters.

import type { Distro, HostSpec, NovaRelease, PciDevice } from './types.ts';
import { CLASSES, deviceName, vendorName } from './pciids.ts';
import { distroInfo } from './distro.ts';

interface DevInit {
  address: string;
  id: string; // vendor:device
  class: string;
  rev?: string;
  sub?: string; // subvendor:subdevice
  driver?: string;
}

function dev(d: DevInit, group: number): PciDevice {
  const [vendor = '', device = ''] = d.id.split(':');
  const [sv, sd] = d.sub ? d.sub.split(':') : [undefined, undefined];
  return {
    address: d.address,
    vendor,
    device,
    class: d.class,
    vendorName: vendorName(vendor) ?? `Vendor ${vendor}`,
    deviceName: deviceName(vendor, device) ?? `Device ${device}`,
    className: CLASSES[d.class.slice(0, 4)] ?? CLASSES[d.class.slice(0, 2)] ?? `Class ${d.class.slice(0, 4)}`,
    revision: d.rev,
    subsystemVendor: sv,
    subsystemDevice: sd,
    iommuGroup: group,
    driver: d.driver,
  };
}

/**
 * Assign IOMMU groups in address order, as the kernel does while it walks the
 * bus: one group per device, except the functions listed together in `shared`
 * (functions of one device without ACS between them: a GPU's VGA, audio, USB
 * and UCSI functions; the chipset's LPC and SMBus).
 */
function build(devs: DevInit[], shared: string[][] = []): PciDevice[] {
  const sorted = [...devs].sort((a, b) => a.address.localeCompare(b.address));
  const groupOf = new Map<string, number>();
  let next = 0;
  const out: PciDevice[] = [];
  for (const d of sorted) {
    const set = shared.find((s) => s.includes(d.address));
    let g = set ? set.map((a) => groupOf.get(a)).find((x) => x !== undefined) : undefined;
    if (g === undefined) g = next++;
    groupOf.set(d.address, g);
    out.push(dev(d, g));
  }
  return out;
}

const SM_X11 = '15d9:095d';

/** Supermicro X11 (Xeon Scalable, C622) board devices */
function intelBoard(): DevInit[] {
  return [
    { address: '0000:00:00.0', id: '8086:2020', class: '060000', rev: '04', sub: SM_X11 },
    { address: '0000:00:05.0', id: '8086:2024', class: '088000', rev: '04' },
    { address: '0000:00:11.5', id: '8086:a1d2', class: '010601', rev: '09', sub: SM_X11, driver: 'ahci' },
    { address: '0000:00:14.0', id: '8086:a1af', class: '0c0330', rev: '09', sub: SM_X11, driver: 'xhci_hcd' },
    { address: '0000:00:17.0', id: '8086:a182', class: '010601', rev: '09', sub: SM_X11, driver: 'ahci' },
    { address: '0000:00:1f.0', id: '8086:a1c2', class: '060100', rev: '09', sub: SM_X11 },
    { address: '0000:00:1f.4', id: '8086:a1a3', class: '0c0500', rev: '09', sub: SM_X11, driver: 'i801_smbus' },
    { address: '0000:02:00.0', id: '1a03:1150', class: '060400', rev: '04' },
    { address: '0000:03:00.0', id: '1a03:2000', class: '030000', rev: '41', sub: SM_X11, driver: 'ast' },
    { address: '0000:18:00.0', id: '8086:1572', class: '020000', rev: '02', sub: '8086:0007', driver: 'i40e' },
    { address: '0000:18:00.1', id: '8086:1572', class: '020000', rev: '02', sub: '8086:0007', driver: 'i40e' },
  ];
}
const INTEL_SHARED = [['0000:00:1f.0', '0000:00:1f.4']];

const SM_H12 = '15d9:1b95';

/** Supermicro H12 (EPYC Rome/Milan) board devices */
function amdBoard(): DevInit[] {
  return [
    { address: '0000:00:00.0', id: '1022:1480', class: '060000', sub: SM_H12 },
    { address: '0000:00:00.2', id: '1022:1481', class: '080600' },
    { address: '0000:00:01.0', id: '1022:1482', class: '060000' },
    { address: '0000:00:14.0', id: '1022:790b', class: '0c0500', rev: '61', sub: '15d9:790b', driver: 'piix4_smbus' },
    { address: '0000:00:14.3', id: '1022:790e', class: '060100', rev: '51', sub: '15d9:790e' },
    { address: '0000:00:18.0', id: '1022:1490', class: '060000' },
    { address: '0000:41:00.0', id: '8086:1572', class: '020000', rev: '02', sub: '8086:0007', driver: 'i40e' },
    { address: '0000:41:00.1', id: '8086:1572', class: '020000', rev: '02', sub: '8086:0007', driver: 'i40e' },
    { address: '0000:c2:00.0', id: '1a03:1150', class: '060400', rev: '04' },
    { address: '0000:c3:00.0', id: '1a03:2000', class: '030000', rev: '41', sub: SM_H12, driver: 'ast' },
    { address: '0000:c4:00.0', id: '1022:7901', class: '010601', rev: '51', sub: '15d9:7901', driver: 'ahci' },
  ];
}
const AMD_SHARED = [['0000:00:14.0', '0000:00:14.3']];

/** A GeForce RTX 2080 Ti behind a root port: four functions, one IOMMU group. */
function rtx2080ti(bus: string, rootPort: string, el7 = false): { devs: DevInit[]; shared: string[] } {
  const a = (f: number): string => `0000:${bus}:00.${f}`;
  return {
    devs: [
      { address: rootPort, id: '8086:2030', class: '060400', rev: '04', driver: 'pcieport' },
      { address: a(0), id: '10de:1e04', class: '030000', rev: 'a1', sub: '10de:12fb', driver: 'nouveau' },
      { address: a(1), id: '10de:10f7', class: '040300', rev: 'a1', sub: '10de:12fb', driver: 'snd_hda_intel' },
      { address: a(2), id: '10de:1ad6', class: '0c0330', rev: 'a1', sub: '10de:12fb', driver: 'xhci_hcd' },
      // the UCSI driver (i2c-nvidia-gpu) appeared in Linux 5.0: none on EL7's 3.10
      { address: a(3), id: '10de:1ad7', class: '0c8000', rev: 'a1', sub: '10de:12fb', ...(el7 ? {} : { driver: 'nvidia-gpu' }) },
    ],
    shared: [a(0), a(1), a(2), a(3)],
  };
}

/** A single-function data-center GPU (3D controller) behind a root port. */
function dcGpu(id: string, sub: string, address: string, rootPort: string, rootPortId = '8086:2030'): DevInit[] {
  return [
    { address: rootPort, id: rootPortId, class: '060400', rev: rootPortId === '8086:2030' ? '04' : '00', driver: 'pcieport' },
    { address, id, class: '030200', rev: 'a1', sub },
  ];
}

function cpuIntel(cores: number, virtualization = true): HostSpec['cpu'] {
  return { vendor: 'intel', model: 'Intel(R) Xeon(R) Gold 6248R CPU @ 3.00GHz', virtualization, cores };
}

function cpuAmd(cores: number, virtualization = true): HostSpec['cpu'] {
  return { vendor: 'amd', model: 'AMD EPYC 7543 32-Core Processor', virtualization, cores };
}

function cmdline(distro: Distro): string {
  return distroInfo(distro).defaultCmdline;
}

/**
 * A controller on an Intel board without a GPU (8 cores, VT-d in the firmware,
 * the IOMMU off by default): what differs between the labs' controllers.
 */
function intelController(o: Pick<HostSpec, 'name' | 'distro' | 'bootMode' | 'grubCmdline' | 'nova' | 'rebootSeconds'> & Partial<Pick<HostSpec, 'kolla'>>): HostSpec {
  return { roles: ['controller'], cpu: cpuIntel(8), iommuFirmware: true, iommuDefaultOn: false, devices: build(intelBoard(), INTEL_SHARED), ...o };
}

/** The heterogeneous lab of the issue. */
export function mixedCluster(): HostSpec[] {
  const release: NovaRelease = '2023.2';
  const g1 = rtx2080ti('3b', '0000:3a:00.0', true);
  const g2 = rtx2080ti('af', '0000:ae:00.0', true);
  return [
    intelController({
      name: 'ctl1',
      distro: 'rocky-9',
      bootMode: 'uefi',
      grubCmdline: cmdline('rocky-9'),
      nova: {
        release,
        // written for Queens and carried through every upgrade since
        enabledFilters:
          'RetryFilter,AvailabilityZoneFilter,ComputeFilter,ComputeCapabilitiesFilter,RamFilter,CoreFilter,ImagePropertiesFilter,ServerGroupAntiAffinityFilter,ServerGroupAffinityFilter',
      },
      rebootSeconds: 3,
    }),
    {
      name: 'el7-bios',
      roles: ['compute'],
      distro: 'centos-7',
      bootMode: 'bios',
      cpu: cpuIntel(16),
      iommuFirmware: true,
      iommuDefaultOn: false,
      grubCmdline: cmdline('centos-7'),
      devices: build([...intelBoard(), ...g1.devs, ...g2.devs], [...INTEL_SHARED, g1.shared, g2.shared]),
      nova: { release: 'yoga' },
      rebootSeconds: 3,
    },
    {
      name: 'el7-uefi',
      roles: ['compute'],
      distro: 'centos-7',
      bootMode: 'uefi',
      cpu: cpuIntel(16),
      iommuFirmware: true,
      iommuDefaultOn: false,
      grubCmdline: cmdline('centos-7'),
      devices: build([...intelBoard(), ...dcGpu('10de:1eb8', '10de:12a2', '0000:d8:00.0', '0000:d7:00.0')], INTEL_SHARED),
      nova: { release: 'yoga' },
      rebootSeconds: 3,
    },
    {
      name: 'ubuntu',
      roles: ['compute'],
      distro: 'ubuntu-22.04',
      bootMode: 'bios',
      cpu: cpuIntel(24),
      iommuFirmware: true,
      iommuDefaultOn: false,
      grubCmdline: '',
      devices: build([...intelBoard(), ...dcGpu('10de:20f1', '10de:145f', '0000:ca:00.0', '0000:c9:00.0')], INTEL_SHARED),
      nova: { release },
      rebootSeconds: 3,
    },
    {
      name: 'amd',
      roles: ['compute'],
      distro: 'rocky-9',
      bootMode: 'uefi',
      cpu: cpuAmd(32),
      iommuFirmware: true,
      iommuDefaultOn: true,
      grubCmdline: cmdline('rocky-9'),
      devices: build([...amdBoard(), ...dcGpu('10de:2236', '10de:1482', '0000:81:00.0', '0000:80:01.1', '1022:1483')], AMD_SHARED),
      nova: { release },
      rebootSeconds: 3,
    },
    {
      name: 'nogpu',
      roles: ['compute'],
      distro: 'debian-12',
      bootMode: 'uefi',
      cpu: cpuIntel(16),
      iommuFirmware: true,
      iommuDefaultOn: false,
      grubCmdline: '',
      devices: build(intelBoard(), INTEL_SHARED),
      nova: { release: 'zed' },
      rebootSeconds: 3,
    },
    {
      name: 'novtx',
      roles: ['compute'],
      distro: 'ubuntu-22.04',
      bootMode: 'bios',
      cpu: cpuIntel(16, false),
      iommuFirmware: true,
      iommuDefaultOn: false,
      grubCmdline: '',
      devices: build([...intelBoard(), ...dcGpu('10de:1db6', '10de:124a', '0000:3b:00.0', '0000:3a:00.0')], INTEL_SHARED),
      nova: { release },
      rebootSeconds: 3,
    },
    guestSpec('guest1'),
  ];
}

/** A KVM guest (q35) with a passed-through RTX 2080 Ti. */
export function guestSpec(name: string): HostSpec {
  const g = (f: number): string => `0000:05:00.${f}`;
  const qvm = '1af4:1100';
  return {
    name,
    roles: ['guest'],
    distro: 'ubuntu-22.04',
    bootMode: 'bios',
    cpu: { vendor: 'amd', model: 'AMD EPYC', virtualization: false, cores: 4 },
    iommuFirmware: false,
    iommuDefaultOn: false,
    grubCmdline: '',
    devices: build([
      { address: '0000:00:00.0', id: '8086:29c0', class: '060000', sub: qvm },
      { address: '0000:00:01.0', id: '1234:1111', class: '030000', rev: '02', sub: qvm, driver: 'bochs-drm' },
      { address: '0000:00:02.0', id: '1b36:000c', class: '060400', driver: 'pcieport' },
      { address: '0000:00:1f.0', id: '8086:2918', class: '060100', rev: '02', sub: qvm, driver: 'lpc_ich' },
      { address: '0000:00:1f.2', id: '8086:2922', class: '010601', rev: '02', sub: qvm, driver: 'ahci' },
      { address: '0000:00:1f.3', id: '8086:2930', class: '0c0500', rev: '02', sub: qvm, driver: 'i801_smbus' },
      { address: '0000:01:00.0', id: '1af4:1041', class: '020000', rev: '01', sub: '1af4:1100', driver: 'virtio-pci' },
      { address: '0000:02:00.0', id: '1b36:000d', class: '0c0330', rev: '01', sub: '1af4:1100', driver: 'xhci_hcd' },
      { address: '0000:03:00.0', id: '1af4:1042', class: '010000', rev: '01', sub: '1af4:1100', driver: 'virtio-pci' },
      { address: g(0), id: '10de:1e04', class: '030000', rev: 'a1', sub: '10de:12fb', driver: 'nouveau' },
      { address: g(1), id: '10de:10f7', class: '040300', rev: 'a1', sub: '10de:12fb', driver: 'snd_hda_intel' },
      { address: g(2), id: '10de:1ad6', class: '0c0330', rev: 'a1', sub: '10de:12fb', driver: 'xhci_hcd' },
      { address: g(3), id: '10de:1ad7', class: '0c8000', rev: 'a1', sub: '10de:12fb', driver: 'nvidia-gpu' },
    ]),
    rebootSeconds: 2,
  };
}

/** A controller and four computes that differ, for `npm start`. */
export function demoCluster(): HostSpec[] {
  const release: NovaRelease = '2024.1';
  const g = rtx2080ti('3b', '0000:3a:00.0');
  return [
    intelController({
      name: 'controller',
      distro: 'ubuntu-22.04',
      bootMode: 'bios',
      grubCmdline: '',
      nova: {
        release,
        enabledFilters: 'ComputeFilter,ComputeCapabilitiesFilter,ImagePropertiesFilter,ServerGroupAntiAffinityFilter,ServerGroupAffinityFilter,NUMATopologyFilter',
      },
      rebootSeconds: 2,
    }),
    {
      name: 'gpu-rtx',
      roles: ['compute'],
      distro: 'ubuntu-22.04',
      bootMode: 'uefi',
      cpu: cpuIntel(16),
      iommuFirmware: true,
      iommuDefaultOn: false,
      grubCmdline: '',
      devices: build([...intelBoard(), ...g.devs], [...INTEL_SHARED, g.shared]),
      nova: { release },
      rebootSeconds: 2,
      instances: [{ name: 'web-1' }, { name: 'db-1' }, { name: 'old-test', status: 'SHUTOFF' }],
    },
    {
      name: 'gpu-t4',
      roles: ['compute'],
      distro: 'rocky-9',
      bootMode: 'uefi',
      cpu: cpuIntel(16),
      iommuFirmware: true,
      iommuDefaultOn: false,
      grubCmdline: cmdline('rocky-9'),
      devices: build([...intelBoard(), ...dcGpu('10de:1eb8', '10de:12a2', '0000:d8:00.0', '0000:d7:00.0')], INTEL_SHARED),
      nova: { release },
      rebootSeconds: 2,
      instances: [{ name: 'batch-1' }],
    },
    {
      name: 'gpu-a10',
      roles: ['compute'],
      distro: 'rocky-8',
      bootMode: 'bios',
      cpu: cpuAmd(32),
      iommuFirmware: true,
      iommuDefaultOn: true,
      grubCmdline: cmdline('rocky-8'),
      devices: build([...amdBoard(), ...dcGpu('10de:2236', '10de:1482', '0000:81:00.0', '0000:80:01.1', '1022:1483')], AMD_SHARED),
      nova: { release },
      rebootSeconds: 2,
    },
    {
      name: 'cpu-only',
      roles: ['compute'],
      distro: 'debian-12',
      bootMode: 'uefi',
      cpu: cpuIntel(16),
      iommuFirmware: true,
      iommuDefaultOn: false,
      grubCmdline: '',
      devices: build(intelBoard(), INTEL_SHARED),
      nova: { release },
      rebootSeconds: 2,
      instances: [{ name: 'ci-runner' }],
    },
  ];
}

/** One controller and N computes of mixed distributions and GPUs. */
export function benchCluster(computes: number): HostSpec[] {
  const release: NovaRelease = '2024.1';
  const hosts: HostSpec[] = [
    intelController({ name: 'ctl', distro: 'rocky-9', bootMode: 'uefi', grubCmdline: cmdline('rocky-9'), nova: { release, enabledFilters: null }, rebootSeconds: 1 }),
  ];
  const distros: Array<[Distro, 'bios' | 'uefi']> = [
    ['ubuntu-22.04', 'bios'],
    ['rocky-9', 'uefi'],
    ['rocky-8', 'bios'],
    ['debian-12', 'uefi'],
    ['ubuntu-24.04', 'uefi'],
  ];
  for (let i = 0; i < computes; i++) {
    const [distro, bootMode] = distros[i % distros.length] ?? ['ubuntu-22.04', 'bios'];
    const n = String(i + 1).padStart(3, '0');
    const amd = i % 4 === 3;
    let devices: PciDevice[];
    if (i % 3 === 0) {
      const g = rtx2080ti('3b', '0000:3a:00.0');
      devices = build([...intelBoard(), ...g.devs], [...INTEL_SHARED, g.shared]);
    } else if (amd) {
      devices = build([...amdBoard(), ...dcGpu('10de:2236', '10de:1482', '0000:81:00.0', '0000:80:01.1', '1022:1483')], AMD_SHARED);
    } else {
      devices = build([...intelBoard(), ...dcGpu('10de:1eb8', '10de:12a2', '0000:d8:00.0', '0000:d7:00.0')], INTEL_SHARED);
    }
    hosts.push({
      name: `cmp${n}`,
      roles: ['compute'],
      distro,
      bootMode,
      cpu: amd ? cpuAmd(32) : cpuIntel(16),
      iommuFirmware: true,
      iommuDefaultOn: amd,
      grubCmdline: cmdline(distro),
      devices,
      nova: { release },
      rebootSeconds: 1,
    });
  }
  return hosts;
}

/**
 * A kolla-ansible cluster: nova in containers, configured by
 * /etc/kolla/<service>/nova.conf. A controller (docker), a compute with an
 * RTX 2080 Ti (docker) and one with a data-center GPU (podman).
 */
export function kollaCluster(): HostSpec[] {
  const release: NovaRelease = '2023.2';
  const g = rtx2080ti('3b', '0000:3a:00.0');
  return [
    intelController({ name: 'kctl', distro: 'ubuntu-22.04', bootMode: 'bios', grubCmdline: '', nova: { release, enabledFilters: null }, kolla: { engine: 'docker' }, rebootSeconds: 1 }),
    {
      name: 'kcmp1',
      roles: ['compute'],
      distro: 'ubuntu-22.04',
      bootMode: 'uefi',
      cpu: cpuIntel(16),
      iommuFirmware: true,
      iommuDefaultOn: false,
      grubCmdline: '',
      devices: build([...intelBoard(), ...g.devs], [...INTEL_SHARED, g.shared]),
      nova: { release },
      kolla: { engine: 'docker' },
      rebootSeconds: 1,
    },
    {
      name: 'kcmp2',
      roles: ['compute'],
      distro: 'rocky-9',
      bootMode: 'uefi',
      cpu: cpuIntel(16),
      iommuFirmware: true,
      iommuDefaultOn: false,
      grubCmdline: cmdline('rocky-9'),
      devices: build([...intelBoard(), ...dcGpu('10de:1eb8', '10de:12a2', '0000:d8:00.0', '0000:d7:00.0')], INTEL_SHARED),
      nova: { release },
      kolla: { engine: 'podman' },
      rebootSeconds: 1,
    },
  ];
}

/**
 * One controller and N computes that all need the IOMMU, so that every compute
 * reboots on a first apply: CentOS 7 (BIOS, Intel, IOMMU off by default), one
 * RTX 2080 Ti each (its four functions in one IOMMU group, held by host
 * drivers). The benchmark's "every compute reboots" lab.
 */
export function rebootCluster(computes: number): HostSpec[] {
  const [ctl] = benchCluster(0);
  const hosts: HostSpec[] = ctl ? [ctl] : [];
  for (let i = 0; i < computes; i++) {
    const g = rtx2080ti('3b', '0000:3a:00.0', true);
    hosts.push({
      name: `cmp${String(i + 1).padStart(3, '0')}`,
      roles: ['compute'],
      distro: 'centos-7',
      bootMode: 'bios',
      cpu: cpuIntel(16),
      iommuFirmware: true,
      iommuDefaultOn: false,
      grubCmdline: cmdline('centos-7'),
      devices: build([...intelBoard(), ...g.devs], [...INTEL_SHARED, g.shared]),
      nova: { release: 'yoga' },
      rebootSeconds: 1,
    });
  }
  return hosts;
}
