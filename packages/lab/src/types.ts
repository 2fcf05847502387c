// The model of a simulated host, shared by both labs:
//  - the embedded lab (src/lab/embedded/): in-process ssh2 servers, a
//    simulated shell (just-bash) over an in-memory file system;
//  - the real-sshd lab (test/lab/): Debian's OpenSSH sshd per host in its own
//    mount and pid namespace on 127.0.0.x, real bash and coreutils.
// In both, the machine-specific commands (lspci, dmesg, systemctl, reboot,
// update-grub, grub2-mkconfig, grubby, openstack, cpuid) are the Tools of
// src/lab/tools/, written once against LabFs.

export type Distro = 'ubuntu-22.04' | 'ubuntu-24.04' | 'debian-12' | 'centos-7' | 'rocky-8' | 'rocky-9';
export type Role = 'controller' | 'compute' | 'guest';
export type NovaRelease = 'yoga' | 'zed' | '2023.1' | '2023.2' | '2024.1' | '2024.2' | '2025.1';

export interface PciDevice {
  /** domain:bus:slot.func, e.g. 0000:3b:00.0 */
  address: string;
  /** 4 hex digits, lower case */
  vendor: string;
  device: string;
  /** 6 hex digits: class, subclass, prog-if (e.g. 030000 VGA) */
  class: string;
  vendorName: string;
  deviceName: string;
  className: string;
  revision?: string | undefined;
  subsystemVendor?: string | undefined;
  subsystemDevice?: string | undefined;
  /** IOMMU group once the IOMMU is active */
  iommuGroup: number;
  /** kernel driver in use, e.g. nouveau, snd_hda_intel, xhci_hcd, nvidia-gpu */
  driver?: string | undefined;
}

export interface HostSpec {
  name: string;
  roles: Role[];
  distro: Distro;
  bootMode: 'bios' | 'uefi';
  cpu: {
    vendor: 'intel' | 'amd';
    model: string;
    /** vmx/svm flag present (VT-x / AMD-V enabled in firmware) */
    virtualization: boolean;
    cores: number;
  };
  /** the firmware offers an IOMMU (VT-d / AMD-Vi on): an ACPI DMAR or IVRS table */
  iommuFirmware: boolean;
  /** which IOMMU the firmware offers (DMAR: intel, IVRS: amd); default: the CPU vendor's. A nested test cloud can put an AMD CPU on QEMU's emulated intel-iommu */
  firmwareIommu?: 'intel' | 'amd' | undefined;
  /** the kernel turns the IOMMU on without any argument (AMD; some Intel kernels) */
  iommuDefaultOn: boolean;
  /** initial GRUB_CMDLINE_LINUX */
  grubCmdline: string;
  devices: PciDevice[];
  nova?: {
    release: NovaRelease;
    /** initial enabled_filters line in [filter_scheduler]; null = line absent */
    enabledFilters?: string | null | undefined;
  } | undefined;
  /**
   * kolla-ansible host: nova runs in containers (nova_api, nova_scheduler,
   * nova_conductor; nova_libvirt, nova_compute) of this engine, configured by
   * /etc/kolla/<service>/nova.conf; no nova package, unit or /etc/nova/nova.conf
   */
  kolla?: { engine: 'docker' | 'podman' } | undefined;
  /** seconds a reboot takes before sshd answers again */
  rebootSeconds?: number | undefined;
  /** a compute's instances when the lab starts (the cloud's API on the controller knows them) */
  instances?: InstanceSpec[] | undefined;
}

/** An instance (a nova server) running on a lab compute. */
export interface InstanceSpec {
  name: string;
  /** ACTIVE (default), PAUSED or SHUTOFF */
  status?: 'ACTIVE' | 'PAUSED' | 'SHUTOFF' | undefined;
  flavor?: string | undefined;
  image?: string | undefined;
  /** its project (default `demo`, not the admin's own: only `server list --all-projects` shows it) */
  project?: string | undefined;
  /** has a PCI device (a GPU passed through): nova's pre-check refuses to live-migrate it */
  pciDevice?: boolean | undefined;
  /** locked by its owner (this lab's cloud enforces locks for admins too, as some sites do) */
  locked?: boolean | undefined;
  /** how a live migration of it goes: `completes` (default) or `never` (it stays `running`) */
  migration?: 'completes' | 'never' | undefined;
}

export interface FileMeta {
  mode: number;
  owner: string;
  group: string;
}

/** File access for tools: the in-memory FS in the embedded lab, node:fs inside the namespace in the real lab. */
export interface LabFs {
  readFile(path: string): string | undefined;
  writeFile(path: string, content: string, meta?: Partial<FileMeta>): void;
  exists(path: string): boolean;
  isDirectory(path: string): boolean;
  readdir(path: string): string[];
  remove(path: string): void;
  mkdirp(path: string): void;
}

export interface LabHostControl {
  spec: HostSpec;
  /** reboot soon after the calling command returns (drops every connection) */
  requestReboot(): void;
  /**
   * Another host's files, as the cloud sees that host (the controller's API
   * reads a compute's boots and nova-compute state); undefined when the lab
   * cannot reach them (a tool run as its own process).
   */
  peer?: ((name: string) => LabPeer | undefined) | undefined;
}

export interface LabPeer {
  spec: HostSpec;
  fs: LabFs;
}

export interface ToolInvocation {
  /** argv[0] is the tool's name */
  argv: string[];
  stdin: string;
  env: Record<string, string>;
  fs: LabFs;
  host: LabHostControl;
  /** run a command line on the host with this stdin (the embedded shell's; docker exec), where the lab can */
  exec?: ((command: string, stdin: string) => Promise<ToolResult>) | undefined;
}

export interface ToolResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export type Tool = (inv: ToolInvocation) => Promise<ToolResult> | ToolResult;
