// Every static file of a lab host, with the content and the owner/mode the
// real distribution gives it. Kernel state (/proc/cmdline, iommu sysfs,
// dmesg, unit states) is written by bootHost, not here.

import type { FileMeta, HostSpec, LabFs } from './types.ts';
import { distroInfo, hostUnits, NOVA_VERSIONS } from './distro.ts';
import { machineId, shortUuid, uuid } from './ids.ts';
import {
  bootFiles,
  renderBlsEntry,
  renderBlsGrubCfg,
  renderDebianGrubCfg,
  renderEfiStub,
  renderEl7GrubCfg,
  renderGrubenv,
  rootDevice,
  BLS_DIR,
} from './grub.ts';
import { renderCpuinfo } from './cpuinfo.ts';
import { firmwareIommu } from './firmware.ts';
import { controllerName, novaComputeConf, novaConf, novaPkgInfo, openrc } from './novafiles.ts';
import { unitFiles } from './units.ts';
import { kollaContainers, kollaDir } from './containers.ts';
import { sourceShell } from './shellvars.ts';
import { initialOpenstackState, OPENSTACK_STATE } from './openstack-state.ts';

export type Rootfs = Map<string, { content: string; meta: FileMeta }>;

const ROOT: FileMeta = { mode: 0o644, owner: 'root', group: 'root' };
const DIR: FileMeta = { mode: 0o755, owner: 'root', group: 'root' };

export const GUEST_STATE = '/var/lib/lab/guest.json';

/**
 * Build the files of a host (regular files only; see rootfsDirs for the
 * empty directories a real host also has). `cluster` (optional) names the
 * controller the computes point at; without it, the controller is the spec
 * itself or "ctl1".
 */
export function buildRootfs(spec: HostSpec, cluster?: HostSpec[]): Rootfs {
  return buildTree(spec, cluster).files;
}

/** directories of the host that may be empty (e.g. /sys/class/iommu, /etc/default/grub.d), with their meta */
export function rootfsDirs(spec: HostSpec): Map<string, FileMeta> {
  return buildTree(spec).dirs;
}

/** write a host's directories and files into fs (then bootHost it) */
export function installHost(fs: LabFs, spec: HostSpec, cluster?: HostSpec[]): void {
  const t = buildTree(spec, cluster);
  for (const d of t.dirs.keys()) fs.mkdirp(d);
  for (const [path, f] of t.files) fs.writeFile(path, f.content, f.meta);
}

function buildTree(spec: HostSpec, cluster?: HostSpec[]): { files: Rootfs; dirs: Map<string, FileMeta> } {
  const files: Rootfs = new Map();
  const dirs = new Map<string, FileMeta>();
  const put = (path: string, content: string, meta: Partial<FileMeta> = {}): void => {
    files.set(path, { content, meta: { ...ROOT, ...meta } });
  };
  const dir = (path: string, meta: Partial<FileMeta> = {}): void => {
    dirs.set(path, { ...DIR, ...meta });
  };
  const d = distroInfo(spec.distro);
  const el = d.family === 'el';
  const mid = machineId(spec);
  const ctl = controllerName(spec, cluster);

  // identity
  put('/etc/os-release', d.osRelease);
  put('/usr/lib/os-release', d.osRelease);
  for (const [p, c] of Object.entries(d.releaseFiles)) put(p, c);
  put('/etc/hostname', `${spec.name}\n`);
  put('/etc/hosts', `127.0.0.1   localhost localhost.localdomain localhost4 localhost4.localdomain4\n::1         localhost localhost.localdomain localhost6 localhost6.localdomain6\n127.0.1.1   ${spec.name}\n`);
  put('/etc/machine-id', `${mid}\n`, { mode: 0o444 });
  put('/etc/passwd', passwd(el));
  put('/etc/group', group(el));

  // boot loader
  const kernels = d.kernels;
  const args = spec.grubCmdline;
  put('/etc/default/grub', defaultGrub(spec, args));
  const cloudimg = d.distro.startsWith('ubuntu') && spec.roles.includes('compute');
  if (d.family === 'debian') dir('/etc/default/grub.d');
  // module options and the initramfs configuration (see initramfs.ts)
  dir('/etc/modprobe.d');
  if (el) dir('/etc/dracut.conf.d');
  else put('/etc/initramfs-tools/modules', INITRAMFS_MODULES);
  if (cloudimg) put('/etc/default/grub.d/50-cloudimg-settings.cfg', CLOUDIMG_CFG);
  // the installed grub.cfg is what grub-mkconfig made of these very files
  const vars = new Map<string, string>();
  const subst = (cmd: string): string => (cmd.includes('lsb_release') ? (d.distro.startsWith('ubuntu') ? 'Ubuntu' : 'Debian') : d.bootTitle);
  sourceShell('/etc/default/grub', defaultGrub(spec, args), vars, subst);
  if (cloudimg) sourceShell('/etc/default/grub.d/50-cloudimg-settings.cfg', CLOUDIMG_CFG, vars, subst);
  for (const k of kernels) {
    if (el) {
      put(`/boot/vmlinuz-${k}`, `(Linux kernel image ${k})\n`, { mode: 0o755 });
      put(`/boot/initramfs-${k}.img`, `(initramfs ${k})\n`, { mode: 0o600 });
      put(`/boot/System.map-${k}`, `(System.map ${k})\n`, { mode: 0o600 });
      put(`/boot/config-${k}`, `# Linux/x86_64 ${k} Kernel Configuration\nCONFIG_INTEL_IOMMU=y\n# CONFIG_INTEL_IOMMU_DEFAULT_ON is not set\nCONFIG_AMD_IOMMU=y\n`);
    } else {
      put(`/boot/vmlinuz-${k}`, `(Linux kernel image ${k})\n`, { mode: d.distro.startsWith('ubuntu') ? 0o600 : 0o644 });
      put(`/boot/initrd.img-${k}`, `(initramfs ${k})\n`, { mode: d.distro.startsWith('ubuntu') ? 0o600 : 0o644 });
      put(`/boot/System.map-${k}`, `(System.map ${k})\n`, { mode: 0o600 });
      put(`/boot/config-${k}`, `#\n# Automatically generated file; DO NOT EDIT.\n# Linux/x86 ${k} Kernel Configuration\n#\nCONFIG_INTEL_IOMMU=y\n# CONFIG_INTEL_IOMMU_DEFAULT_ON is not set\nCONFIG_AMD_IOMMU=y\n`);
    }
  }
  if (el) {
    put(`/boot/vmlinuz-0-rescue-${mid}`, '(Linux kernel image rescue)\n', { mode: 0o755 });
    put(`/boot/initramfs-0-rescue-${mid}.img`, '(initramfs rescue)\n', { mode: 0o600 });
  }
  const b = bootFiles(spec);
  const newest = kernels[0] ?? '';
  switch (d.layout) {
    case 'el7': {
      put(b.firmwareCfg, renderEl7GrubCfg(spec, vars, kernels), { mode: spec.bootMode === 'uefi' ? 0o700 : 0o644 });
      put(b.grubenv, renderGrubenv(new Map([['saved_entry', `${d.bootTitle} (${newest}) ${d.versionTitle}`]]), false), {
        mode: spec.bootMode === 'uefi' ? 0o700 : 0o644,
      });
      if (b.staleCfg) {
        // left by an earlier BIOS-style `grub2-mkconfig -o /boot/grub2/grub.cfg`: no firmware reads it
        const old = kernels[kernels.length - 1] ?? newest;
        put(b.staleCfg, renderEl7GrubCfg({ ...spec, bootMode: 'bios' }, vars, [old]));
      }
      break;
    }
    case 'el8-bls':
    case 'el9-bls': {
      const el8 = d.layout === 'el8-bls';
      const kernelopts = `root=${rootDevice(spec)} ro ${args}`.trim();
      dir(BLS_DIR, { mode: 0o700 });
      for (const k of kernels) {
        put(`${BLS_DIR}/${mid}-${k}.conf`, renderBlsEntry(spec, k, el8 ? '$kernelopts $tuned_params' : kernelopts), { mode: 0o644 });
      }
      put(`${BLS_DIR}/${mid}-0-rescue.conf`, renderBlsEntry(spec, '', el8 ? '$kernelopts' : kernelopts, true), { mode: 0o644 });
      const cfg = renderBlsGrubCfg(spec, vars);
      if (d.layout === 'el9-bls' && spec.bootMode === 'uefi') {
        put(b.firmwareCfg, renderEfiStub(spec), { mode: 0o700 });
        put(b.menuCfg, cfg, { mode: 0o600 });
      } else {
        put(b.firmwareCfg, cfg, { mode: spec.bootMode === 'uefi' ? 0o700 : 0o600 });
      }
      const env = new Map<string, string>([['saved_entry', `${mid}-${newest}`]]);
      if (el8) env.set('kernelopts', `${kernelopts} `);
      env.set('boot_success', '0');
      if (!el8) env.set('boot_indeterminate', '0');
      const envText = renderGrubenv(env, !el8);
      put(b.grubenv, envText, { mode: el8 ? 0o644 : 0o600 });
      if (b.grubenvAlias) put(b.grubenvAlias, envText, { mode: 0o644 });
      put('/etc/kernel/cmdline', `${kernelopts}\n`);
      break;
    }
    case 'debian': {
      put(b.menuCfg, renderDebianGrubCfg(spec, vars, kernels), { mode: 0o444 });
      put(b.grubenv, renderGrubenv(new Map(), false));
      if (spec.bootMode === 'uefi') put(b.firmwareCfg, renderEfiStub(spec), { mode: 0o700 });
      break;
    }
  }
  if (spec.bootMode === 'uefi') {
    put('/sys/firmware/efi/fw_platform_size', '64\n', { mode: 0o444 });
    put('/sys/firmware/efi/runtime', '', { mode: 0o400 });
    dir('/sys/firmware/efi/efivars');
    dir(`/boot/efi/EFI/${d.efiDir}`, { mode: 0o700 });
    put('/etc/fstab', fstab(spec, true));
  } else {
    put('/etc/fstab', fstab(spec, false));
  }
  dir('/sys/firmware/acpi');
  // the ACPI tables as the kernel lists them (root-only files); DMAR or IVRS when the firmware offers an IOMMU
  const tables = ['APIC', 'DSDT', 'FACP', 'FACS', 'HPET', 'MCFG', 'SSDT1', ...(spec.iommuFirmware && !spec.roles.includes('guest') ? [firmwareIommu(spec) === 'intel' ? 'DMAR' : 'IVRS'] : [])];
  for (const t of tables) put(`/sys/firmware/acpi/tables/${t}`, '', { mode: 0o400 });

  // CPU and kernel knobs
  put('/proc/cpuinfo', renderCpuinfo(spec), { mode: 0o444 });
  put('/proc/sys/kernel/dmesg_restrict', d.dmesgRestrict ? '1\n' : '0\n');
  if (spec.cpu.virtualization && !spec.roles.includes('guest')) put('/dev/kvm', '', { mode: 0o666, group: 'kvm' });

  // PCI devices as sysfs shows them
  for (const dv of spec.devices) {
    const base = `/sys/bus/pci/devices/${dv.address}`;
    const sv = dv.subsystemVendor ?? '0000';
    const sd = dv.subsystemDevice ?? '0000';
    put(`${base}/vendor`, `0x${dv.vendor}\n`);
    put(`${base}/device`, `0x${dv.device}\n`);
    put(`${base}/class`, `0x${dv.class}\n`);
    put(`${base}/revision`, `0x${dv.revision ?? '00'}\n`);
    put(`${base}/subsystem_vendor`, `0x${sv}\n`);
    put(`${base}/subsystem_device`, `0x${sd}\n`);
    put(`${base}/numa_node`, spec.cpu.vendor === 'amd' || spec.roles.includes('guest') ? '-1\n' : `${Number.parseInt(dv.address.slice(5, 7), 16) >= 0x80 ? 1 : 0}\n`);
    const modalias = `pci:v0000${dv.vendor.toUpperCase()}d0000${dv.device.toUpperCase()}sv0000${sv.toUpperCase()}sd0000${sd.toUpperCase()}bc${dv.class.slice(0, 2).toUpperCase()}sc${dv.class.slice(2, 4).toUpperCase()}i${dv.class.slice(4, 6).toUpperCase()}`;
    put(`${base}/modalias`, `${modalias}\n`);
    put(
      `${base}/uevent`,
      `${dv.driver ? `DRIVER=${dv.driver}\n` : ''}PCI_CLASS=${Number.parseInt(dv.class, 16).toString(16).toUpperCase()}\nPCI_ID=${dv.vendor.toUpperCase()}:${dv.device.toUpperCase()}\nPCI_SUBSYS_ID=${sv.toUpperCase()}:${sd.toUpperCase()}\nPCI_SLOT_NAME=${dv.address}\nMODALIAS=${modalias}\n`,
    );
    if (dv.class.startsWith('0300')) put(`${base}/boot_vga`, dv.vendor === '1a03' || dv.vendor === '102b' || dv.vendor === '1234' ? '1\n' : '0\n');
  }
  dir('/sys/class/iommu');
  dir('/sys/kernel/iommu_groups');

  // systemd units
  for (const [p, c] of unitFiles(spec)) put(p, c);

  // OpenStack
  if (spec.nova && spec.kolla && (spec.roles.includes('controller') || spec.roles.includes('compute'))) {
    // kolla-ansible: each container's configuration in /etc/kolla/<service>/ (kolla's config task: root:root 0660)
    dir('/etc/kolla', { mode: 0o755 });
    for (const c of kollaContainers(spec)) {
      dir(kollaDir(c.name), { mode: 0o770 });
      put(`${kollaDir(c.name)}/config.json`, `${JSON.stringify({ command: `nova-${c.service ?? 'libvirt'}`, config_files: c.service ? [{ source: '/var/lib/kolla/config_files/nova.conf', dest: '/etc/nova/nova.conf', owner: 'nova', perm: '0600' }] : [] }, null, 4)}\n`, { mode: 0o660 });
      if (c.service) put(`${kollaDir(c.name)}/nova.conf`, novaConf(spec, ctl), { mode: 0o660, owner: 'root', group: 'root' });
    }
    dir('/var/log/kolla/nova', { mode: 0o755 });
    // nova's package metadata of the image's release: the real lab's `docker exec` runs this
    // machine's python, whose nova needs it to import (machine-nova.ts)
    const pkg = novaPkgInfo(spec);
    if (pkg) put(pkg.path, pkg.content);
  } else if (spec.nova && (spec.roles.includes('controller') || spec.roles.includes('compute'))) {
    dir('/etc/nova', { mode: 0o750, group: 'nova' });
    put('/etc/nova/nova.conf', novaConf(spec, ctl), { mode: 0o640, owner: 'root', group: 'nova' });
    if (!el && spec.roles.includes('compute')) put('/etc/nova/nova-compute.conf', novaComputeConf(), { mode: 0o640, owner: 'root', group: 'nova' });
    put('/etc/nova/api-paste.ini', '############\n# Metadata #\n############\n[composite:metadata]\nuse = egg:Paste#urlmap\n/: meta\n', { mode: 0o640, owner: 'root', group: 'nova' });
    dir('/var/log/nova', { mode: 0o750, owner: 'nova', group: el ? 'nova' : 'adm' });
    const version = NOVA_VERSIONS[spec.nova.release];
    for (const u of hostUnits(spec)) {
      if (!u.nova) continue;
      put(`/var/log/nova/${u.processName}.log`, `2024-06-03 08:14:02.417 ${1000 + u.name.length} INFO nova.service [-] Starting ${u.nova} node (version ${version}-1${el ? '.el' : '~cloud0'})\n`, {
        mode: 0o640,
        owner: 'nova',
        group: 'nova',
      });
    }
    dir('/var/lib/nova', { owner: 'nova', group: 'nova' });
    const pkg = novaPkgInfo(spec);
    if (pkg) put(pkg.path, pkg.content);
    for (const svc of ['api', 'scheduler', 'conductor', 'compute', 'novncproxy', 'manage', 'status']) {
      put(`/usr/bin/nova-${svc}`, `#!/usr/bin/python3\n# PBR Generated from 'console_scripts'\n\nimport sys\n\nfrom nova.cmd.${svc.replace('novncproxy', 'novncproxy')} import main\n\n\nif __name__ == "__main__":\n    sys.exit(main())\n`, {
        mode: 0o755,
      });
    }
  }
  if (spec.roles.includes('controller')) {
    const rc = openrc(spec);
    put(rc.path, rc.content, { mode: 0o600 });
    put(OPENSTACK_STATE, `${JSON.stringify(initialOpenstackState(spec, cluster), null, 2)}\n`, { mode: 0o644 });
  }
  if (spec.roles.includes('guest')) {
    put(GUEST_STATE, `${JSON.stringify({ hypervisorHidden: false }, null, 2)}\n`);
  }
  dir('/root', { mode: 0o550 });
  dir('/var/log/lab');
  dir('/run/lab/units');
  return { files, dirs };
}

function defaultGrub(spec: HostSpec, cmdline: string): string {
  const d = distroInfo(spec.distro);
  switch (d.layout) {
    case 'el7':
      return `GRUB_TIMEOUT=5
GRUB_DISTRIBUTOR="$(sed 's, release .*$,,g' /etc/system-release)"
GRUB_DEFAULT=saved
GRUB_DISABLE_SUBMENU=true
GRUB_TERMINAL_OUTPUT="console"
GRUB_CMDLINE_LINUX="${cmdline}"
GRUB_DISABLE_RECOVERY="true"
`;
    case 'el8-bls':
    case 'el9-bls':
      return `GRUB_TIMEOUT=5
GRUB_DISTRIBUTOR="$(sed 's, release .*$,,g' /etc/system-release)"
GRUB_DEFAULT=saved
GRUB_DISABLE_SUBMENU=true
GRUB_TERMINAL_OUTPUT="console"
GRUB_CMDLINE_LINUX="${cmdline}"
GRUB_DISABLE_RECOVERY="true"
GRUB_ENABLE_BLSCFG=true
`;
    case 'debian': {
      const ubuntu = d.distro.startsWith('ubuntu');
      return `# If you change this file, run 'update-grub' afterwards to update
# /boot/grub/grub.cfg.
# For full documentation of the options in this file, see:
#   info -f grub -n 'Simple configuration'

GRUB_DEFAULT=0
${ubuntu ? 'GRUB_TIMEOUT_STYLE=hidden\nGRUB_TIMEOUT=0\n' : 'GRUB_TIMEOUT=5\n'}GRUB_DISTRIBUTOR=\`lsb_release -i -s 2> /dev/null || echo Debian\`
GRUB_CMDLINE_LINUX_DEFAULT="${ubuntu ? 'quiet splash' : 'quiet'}"
GRUB_CMDLINE_LINUX="${cmdline}"

# If your computer has multiple operating systems installed, then you
# probably want to run os-prober. However, if your computer is a host
# for guest OSes installed via LVM or raw disk devices, running
# os-prober can cause damage to those guest OSes as it mounts them to
# look for operating systems.
#GRUB_DISABLE_OS_PROBER=false

# Uncomment to enable BadRAM filtering, modify to suit your needs
# This works with Linux (no patch required) and with any kernel that obtains
# the memory map information from GRUB (GNU Mach, kernel of FreeBSD ...)
#GRUB_BADRAM="0x01234567,0xfefefefe,0x89abcdef,0xefefefef"

# Uncomment to disable graphical terminal
#GRUB_TERMINAL=console

# The resolution used on graphical terminal
# note that you can use only modes which your graphic card supports via VBE
# you can see them in real GRUB with the command \`vbeinfo'
#GRUB_GFXMODE=640x480

# Uncomment if you don't want GRUB to pass "root=UUID=xxx" parameter to Linux
#GRUB_DISABLE_LINUX_UUID=true

# Uncomment to disable generation of recovery mode menu entries
#GRUB_DISABLE_RECOVERY="true"

# Uncomment to get a beep at grub start
#GRUB_INIT_TUNE="480 440 1"
`;
    }
  }
}

/** Debian's stock /etc/initramfs-tools/modules */
const INITRAMFS_MODULES = `# List of modules that you want to include in your initramfs.
# They will be loaded at boot time in the order below.
#
# Syntax:  module_name [args ...]
#
# You must run update-initramfs(8) to effect this change.
#
# Examples:
#
# raid1
# sd_mod
`;

const CLOUDIMG_CFG = `# Cloud Image specific Grub settings for Generic Cloud Images
# CLOUD_IMG: This file was created/modified by the Cloud Image build process

# Set the recordfail timeout
GRUB_RECORDFAIL_TIMEOUT=0

# Do not wait on grub prompt
GRUB_TIMEOUT=0

# Set the default commandline
GRUB_CMDLINE_LINUX_DEFAULT="console=tty1 console=ttyS0"

# Set the grub console type
GRUB_TERMINAL=console
`;

function fstab(spec: HostSpec, uefi: boolean): string {
  const d = distroInfo(spec.distro);
  if (d.family === 'el') {
    return `
#
# /etc/fstab
# Created by anaconda
#
# Accessible filesystems, by reference, are maintained under '/dev/disk/'.
# See man pages fstab(5), findfs(8), mount(8) and/or blkid(8) for more info.
#
/dev/mapper/${d.vg}-root     /                       xfs     defaults        0 0
UUID=${uuid(spec, 'boot')} /boot                   xfs     defaults        0 0
${uefi ? `UUID=${shortUuid(spec, 'efi')}          /boot/efi               vfat    umask=0077,shortname=winnt 0 2\n` : ''}/dev/mapper/${d.vg}-swap     none                    swap    defaults        0 0
`;
  }
  return `# /etc/fstab: static file system information.
#
# Use 'blkid' to print the universally unique identifier for a
# device; this may be used with UUID= as a more robust way to name devices
# that works even if disks are added and removed. See fstab(5).
#
# <file system> <mount point>   <type>  <options>       <dump>  <pass>
UUID=${uuid(spec, 'root')} /               ext4    errors=remount-ro 0       1
${uefi ? `UUID=${shortUuid(spec, 'efi')}  /boot/efi       vfat    umask=0077      0       1\n` : ''}/swap.img	none	swap	sw	0	0
`;
}

function passwd(el: boolean): string {
  const base = el
    ? [
        'root:x:0:0:root:/root:/bin/bash',
        'bin:x:1:1:bin:/bin:/sbin/nologin',
        'daemon:x:2:2:daemon:/sbin:/sbin/nologin',
        'nobody:x:65534:65534:Kernel Overflow User:/:/sbin/nologin',
        'sshd:x:74:74:Privilege-separated SSH:/usr/share/empty.sshd:/sbin/nologin',
        'nova:x:162:162:OpenStack Nova Daemons:/var/lib/nova:/sbin/nologin',
        'ops:x:1000:1000:ops:/home/ops:/bin/bash',
      ]
    : [
        'root:x:0:0:root:/root:/bin/bash',
        'daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin',
        'bin:x:2:2:bin:/bin:/usr/sbin/nologin',
        'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin',
        'sshd:x:106:65534::/run/sshd:/usr/sbin/nologin',
        'nova:x:64060:64060::/var/lib/nova:/usr/sbin/nologin',
        'ops:x:1000:1000:ops:/home/ops:/bin/bash',
      ];
  return `${base.join('\n')}\n`;
}

function group(el: boolean): string {
  const base = el
    ? ['root:x:0:', 'bin:x:1:', 'adm:x:4:', 'wheel:x:10:ops', 'kvm:x:36:qemu,nova', 'systemd-journal:x:190:', 'nobody:x:65534:', 'nova:x:162:nova', 'ops:x:1000:']
    : ['root:x:0:', 'adm:x:4:syslog', 'sudo:x:27:ops', 'kvm:x:108:nova', 'systemd-journal:x:101:', 'nogroup:x:65534:', 'nova:x:64060:', 'ops:x:1000:'];
  return `${base.join('\n')}\n`;
}
