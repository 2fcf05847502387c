// GRUB as the distributions ship it: which files the firmware really reads,
// /etc/default/grub evaluation, grub.cfg generation (grub-mkconfig output for
// EL7, EL8/EL9 with BLS, Debian/Ubuntu), BLS entries and the grubenv block.

import type { HostSpec, LabFs } from './types.ts';
import { distroInfo, type DistroInfo } from './distro.ts';
import { machineId, uuid } from './ids.ts';
import { sourceShell } from './shellvars.ts';

export interface BootFiles {
  /** the grub.cfg the firmware's GRUB loads first */
  firmwareCfg: string;
  /** the grub.cfg holding the menu (differs from firmwareCfg behind an EL9/Debian UEFI stub) */
  menuCfg: string;
  /** the grubenv GRUB loads (load_env) */
  grubenv: string;
  /** extra path of the same grubenv (EL8 UEFI: /boot/grub2/grubenv is a symlink to it) */
  grubenvAlias?: string;
  /** a grub.cfg that exists but that no firmware reads (EL7 UEFI: /boot/grub2/grub.cfg) */
  staleCfg?: string;
  bls: boolean;
}

export function bootFiles(spec: HostSpec): BootFiles {
  const d = distroInfo(spec.distro);
  const efi = `/boot/efi/EFI/${d.efiDir}`;
  const uefi = spec.bootMode === 'uefi';
  switch (d.layout) {
    case 'el7':
      return uefi
        ? { firmwareCfg: `${efi}/grub.cfg`, menuCfg: `${efi}/grub.cfg`, grubenv: `${efi}/grubenv`, staleCfg: '/boot/grub2/grub.cfg', bls: false }
        : { firmwareCfg: '/boot/grub2/grub.cfg', menuCfg: '/boot/grub2/grub.cfg', grubenv: '/boot/grub2/grubenv', bls: false };
    case 'el8-bls':
      return uefi
        ? { firmwareCfg: `${efi}/grub.cfg`, menuCfg: `${efi}/grub.cfg`, grubenv: `${efi}/grubenv`, grubenvAlias: '/boot/grub2/grubenv', bls: true }
        : { firmwareCfg: '/boot/grub2/grub.cfg', menuCfg: '/boot/grub2/grub.cfg', grubenv: '/boot/grub2/grubenv', bls: true };
    case 'el9-bls':
      return uefi
        ? { firmwareCfg: `${efi}/grub.cfg`, menuCfg: '/boot/grub2/grub.cfg', grubenv: '/boot/grub2/grubenv', bls: true }
        : { firmwareCfg: '/boot/grub2/grub.cfg', menuCfg: '/boot/grub2/grub.cfg', grubenv: '/boot/grub2/grubenv', bls: true };
    case 'debian':
      return uefi
        ? { firmwareCfg: `${efi}/grub.cfg`, menuCfg: '/boot/grub/grub.cfg', grubenv: '/boot/grub/grubenv', bls: false }
        : { firmwareCfg: '/boot/grub/grub.cfg', menuCfg: '/boot/grub/grub.cfg', grubenv: '/boot/grub/grubenv', bls: false };
  }
}

export function rootDevice(spec: HostSpec): string {
  const d = distroInfo(spec.distro);
  return d.family === 'el' ? `/dev/mapper/${d.vg}-root` : `UUID=${uuid(spec, 'root')}`;
}

/** the GRUB device holding /boot (EL: a separate /boot partition) */
export function bootPartition(spec: HostSpec): string {
  return spec.bootMode === 'uefi' ? 'hd0,gpt2' : 'hd0,msdos1';
}

export function kernelPath(spec: HostSpec, kernel: string): string {
  return distroInfo(spec.distro).family === 'el' ? `/vmlinuz-${kernel}` : `/boot/vmlinuz-${kernel}`;
}

export function initrdPath(spec: HostSpec, kernel: string): string {
  return distroInfo(spec.distro).family === 'el' ? `/initramfs-${kernel}.img` : `/boot/initrd.img-${kernel}`;
}

// ---------------------------------------------------------------- /etc/default/grub

export interface GrubDefaults {
  vars: Map<string, string>;
  /** files sourced, in order */
  sourced: string[];
}

/** Evaluate /etc/default/grub (and on Debian/Ubuntu /etc/default/grub.d/*.cfg) as grub-mkconfig does. Throws ShellSyntaxError. */
export function readGrubDefaults(fs: LabFs, spec: HostSpec): GrubDefaults {
  const d = distroInfo(spec.distro);
  const vars = new Map<string, string>();
  const sourced: string[] = [];
  const subst = (cmd: string): string => {
    if (cmd.includes('lsb_release')) return d.distro.startsWith('ubuntu') ? 'Ubuntu' : 'Debian';
    if (cmd.includes('system-release')) return d.bootTitle;
    return '';
  };
  const main = fs.readFile('/etc/default/grub');
  if (main !== undefined) {
    sourced.push('/etc/default/grub');
    sourceShell('/etc/default/grub', main, vars, subst);
  }
  if (d.family === 'debian' && fs.isDirectory('/etc/default/grub.d')) {
    for (const name of fs.readdir('/etc/default/grub.d')) {
      if (!name.endsWith('.cfg')) continue;
      const p = `/etc/default/grub.d/${name}`;
      const text = fs.readFile(p);
      if (text === undefined) continue;
      sourced.push(p);
      sourceShell(p, text, vars, subst);
    }
  }
  return { vars, sourced };
}

export function cmdlineArgs(vars: Map<string, string>): string {
  return `${vars.get('GRUB_CMDLINE_LINUX') ?? ''} ${vars.get('GRUB_CMDLINE_LINUX_DEFAULT') ?? ''}`;
}

// ---------------------------------------------------------------- kernels

/** installed kernels (from /boot/vmlinuz-*), newest first, rescue images excluded */
export function installedKernels(fs: LabFs): string[] {
  return fs
    .readdir('/boot')
    .filter((n) => n.startsWith('vmlinuz-') && !n.includes('-rescue-'))
    .map((n) => n.slice('vmlinuz-'.length))
    .sort(compareVersions)
    .reverse();
}

export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.\-_]/);
  const pb = b.split(/[.\-_]/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? '';
    const y = pb[i] ?? '';
    const nx = /^\d+$/.test(x) ? Number(x) : NaN;
    const ny = /^\d+$/.test(y) ? Number(y) : NaN;
    if (!Number.isNaN(nx) && !Number.isNaN(ny)) {
      if (nx !== ny) return nx - ny;
    } else if (x !== y) {
      // rpmvercmp: a numeric segment is newer than an alphabetic one; a missing one is older
      if (x === '') return -1;
      if (y === '') return 1;
      if (!Number.isNaN(nx)) return 1;
      if (!Number.isNaN(ny)) return -1;
      return x < y ? -1 : 1;
    }
  }
  return 0;
}

// ---------------------------------------------------------------- grubenv

export function parseGrubenv(text: string | undefined): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of (text ?? '').split('\n')) {
    if (line.startsWith('#') || !line.includes('=')) continue;
    const eq = line.indexOf('=');
    m.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return m;
}

/** a 1024-byte GRUB environment block */
export function renderGrubenv(vars: Map<string, string>, warning: boolean): string {
  let s = '# GRUB Environment Block\n';
  if (warning) s += '# WARNING: Do not edit this file by tools other than grub-editenv!!!\n';
  for (const [k, v] of vars) s += `${k}=${v}\n`;
  return s.length < 1024 ? s + '#'.repeat(1024 - s.length) : s;
}

export function writeGrubenv(fs: LabFs, spec: HostSpec, vars: Map<string, string>): void {
  const b = bootFiles(spec);
  const text = renderGrubenv(vars, distroInfo(spec.distro).layout === 'el9-bls');
  const meta = { mode: distroInfo(spec.distro).layout === 'el9-bls' ? 0o600 : 0o644, owner: 'root', group: 'root' };
  fs.writeFile(b.grubenv, text, meta);
  if (b.grubenvAlias) fs.writeFile(b.grubenvAlias, text, meta);
}

export function readGrubenv(fs: LabFs, spec: HostSpec): Map<string, string> {
  return parseGrubenv(fs.readFile(bootFiles(spec).grubenv));
}

// ---------------------------------------------------------------- BLS entries

export interface BlsEntry {
  id: string;
  file: string;
  fields: Map<string, string>;
}

export const BLS_DIR = '/boot/loader/entries';

export function parseBls(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split('\n')) {
    const mm = /^(\S+)[ \t]+(.*)$/.exec(line);
    if (mm && !line.startsWith('#')) m.set(mm[1] as string, (mm[2] as string).trim());
  }
  return m;
}

/** BLS entries sorted as grubby and blscfg sort them: newest version first */
export function blsEntries(fs: LabFs): BlsEntry[] {
  const out: BlsEntry[] = [];
  for (const name of fs.readdir(BLS_DIR)) {
    if (!name.endsWith('.conf')) continue;
    const file = `${BLS_DIR}/${name}`;
    const text = fs.readFile(file);
    if (text === undefined) continue;
    out.push({ id: name.slice(0, -5), file, fields: parseBls(text) });
  }
  return out.sort((a, b) => compareVersions(b.fields.get('version') ?? '', a.fields.get('version') ?? ''));
}

export function setBlsField(text: string, key: string, value: string): string {
  const re = new RegExp(`^${key}[ \\t].*$`, 'm');
  return re.test(text) ? text.replace(re, `${key} ${value}`) : `${text}${text.endsWith('\n') ? '' : '\n'}${key} ${value}\n`;
}

export function renderBlsEntry(spec: HostSpec, kernel: string, options: string, rescue = false): string {
  const d = distroInfo(spec.distro);
  const mid = machineId(spec);
  const ver = rescue ? `0-rescue-${mid}` : kernel;
  const title = `${d.bootTitle} (${ver}) ${d.versionTitle}`;
  const lines = [
    `title ${title}`,
    `version ${ver}`,
    `linux /vmlinuz-${ver}`,
    `initrd /initramfs-${ver}.img${rescue ? '' : ' $tuned_initrd'}`,
    `options ${options}`,
  ];
  if (d.layout === 'el8-bls') lines.push(`id rocky-20240530141504-${ver}`);
  lines.push('grub_users $grub_users', 'grub_arg --unrestricted', `grub_class ${rescue ? 'kernel' : d.distro.split('-')[0]}`);
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------- grub.cfg generation

function words(s: string): string {
  return s.split(/\s+/).filter(Boolean).join(' ');
}

function header(tool: string): string {
  return `#
# DO NOT EDIT THIS FILE
#
# It is automatically generated by ${tool} using templates
# from /etc/grub.d and settings from /etc/default/grub
#
`;
}

function elHeader(vars: Map<string, string>, bls: boolean): string {
  const timeout = vars.get('GRUB_TIMEOUT') ?? '5';
  const env = bls
    ? `if [ -f \${config_directory}/grubenv ]; then
  load_env -f \${config_directory}/grubenv
elif [ -s $prefix/grubenv ]; then
  load_env
fi`
    : `if [ -s $prefix/grubenv ]; then
  load_env
fi`;
  return `
### BEGIN /etc/grub.d/00_header ###
set pager=1

${env}
if [ "\${next_entry}" ] ; then
   set default="\${next_entry}"
   set next_entry=
   save_env next_entry
   set boot_once=true
else
   set default="\${saved_entry}"
fi

if [ x"\${feature_menuentry_id}" = xy ]; then
  menuentry_id_option="--id"
else
  menuentry_id_option=""
fi

export menuentry_id_option

if [ "\${prev_saved_entry}" ]; then
  set saved_entry="\${prev_saved_entry}"
  save_env saved_entry
  set prev_saved_entry=
  save_env prev_saved_entry
  set boot_once=true
fi

function savedefault {
  if [ -z "\${boot_once}" ]; then
    saved_entry="\${chosen}"
    save_env saved_entry
  fi
}

function load_video {
  if [ x$feature_all_video_module = xy ]; then
    insmod all_video
  else
    insmod efi_gop
    insmod efi_uga
    insmod ieee1275_fb
    insmod vbe
    insmod vga
    insmod video_bochs
    insmod video_cirrus
  fi
}

terminal_output ${vars.get('GRUB_TERMINAL_OUTPUT') ?? 'console'}
if [ x$feature_timeout_style = xy ] ; then
  set timeout_style=menu
  set timeout=${timeout}
# Fallback normal timeout code in case the timeout_style feature is
# unavailable.
else
  set timeout=${timeout}
fi
### END /etc/grub.d/00_header ###

### BEGIN /etc/grub.d/00_tuned ###
set tuned_params=""
set tuned_initrd=""
### END /etc/grub.d/00_tuned ###

### BEGIN /etc/grub.d/01_users ###
if [ -f \${prefix}/user.cfg ]; then
  source \${prefix}/user.cfg
  if [ -n "\${GRUB2_PASSWORD}" ]; then
    set superusers="root"
    export superusers
    password_pbkdf2 root \${GRUB2_PASSWORD}
  fi
fi
### END /etc/grub.d/01_users ###
`;
}

const EL_TAIL = `
### BEGIN /etc/grub.d/20_linux_xen ###
### END /etc/grub.d/20_linux_xen ###

### BEGIN /etc/grub.d/20_ppc_terminfo ###
### END /etc/grub.d/20_ppc_terminfo ###

### BEGIN /etc/grub.d/30_os-prober ###
### END /etc/grub.d/30_os-prober ###

### BEGIN /etc/grub.d/30_uefi-firmware ###
### END /etc/grub.d/30_uefi-firmware ###

### BEGIN /etc/grub.d/40_custom ###
# This file provides an easy way to add custom menu entries.  Simply type the
# menu entries you want to add after this comment.  Be careful not to change
# the 'exec tail' line above.
### END /etc/grub.d/40_custom ###

### BEGIN /etc/grub.d/41_custom ###
if [ -f  \${config_directory}/custom.cfg ]; then
  source \${config_directory}/custom.cfg
elif [ -z "\${config_directory}" -a -f  $prefix/custom.cfg ]; then
  source $prefix/custom.cfg;
fi
### END /etc/grub.d/41_custom ###
`;

function searchBlock(spec: HostSpec, fsUuid: string, indent: string): string {
  const part = bootPartition(spec);
  const base = spec.bootMode === 'uefi' ? 'ahci0,gpt2' : 'ahci0,msdos1';
  return `${indent}set root='${part}'
${indent}if [ x$feature_platform_search_hint = xy ]; then
${indent}  search --no-floppy --fs-uuid --set=root --hint-bios=${part} --hint-efi=${part} --hint-baremetal=${base} --hint='${part}'  ${fsUuid}
${indent}else
${indent}  search --no-floppy --fs-uuid --set=root ${fsUuid}
${indent}fi`;
}

/** grub2-mkconfig output on EL7 (menuentries with linux16 / linuxefi) */
export function renderEl7GrubCfg(spec: HostSpec, vars: Map<string, string>, kernels: string[]): string {
  const d = distroInfo(spec.distro);
  const mid = machineId(spec);
  const efi = spec.bootMode === 'uefi';
  const linux = efi ? 'linuxefi' : 'linux16';
  const initrd = efi ? 'initrdefi' : 'initrd16';
  const args = `${vars.get('GRUB_CMDLINE_LINUX') ?? ''} ${vars.get('GRUB_CMDLINE_LINUX_DEFAULT') ?? ''}`;
  const rootUuid = uuid(spec, 'root');
  const bootUuid = uuid(spec, 'boot');
  const entries = [...kernels, `0-rescue-${mid}`].map((k) => {
    const title = `${d.bootTitle} (${k}) ${d.versionTitle}`;
    return `menuentry '${title}' --class ${d.distro.split('-')[0]} --class gnu-linux --class gnu --class os --unrestricted $menuentry_id_option 'gnulinux-${k}-advanced-${rootUuid}' {
	load_video
	set gfxpayload=keep
	insmod gzio
	insmod part_${efi ? 'gpt' : 'msdos'}
	insmod xfs
${searchBlock(spec, bootUuid, '\t')}
	${linux} /vmlinuz-${k} root=${rootDevice(spec)} ro ${args}
	${initrd} /initramfs-${k}.img
}
`;
  });
  return `${header('grub2-mkconfig')}${elHeader(vars, false)}
### BEGIN /etc/grub.d/10_linux ###
${entries.join('')}### END /etc/grub.d/10_linux ###
${EL_TAIL}`;
}

/** grub2-mkconfig output on EL8/EL9 (BLS: the menu comes from /boot/loader/entries) */
export function renderBlsGrubCfg(spec: HostSpec, vars: Map<string, string>): string {
  const efi = spec.bootMode === 'uefi';
  const kernelopts = `root=${rootDevice(spec)} ro ${cmdlineArgs(vars)}`;
  return `${header('grub2-mkconfig')}${elHeader(vars, true)}
### BEGIN /etc/grub.d/08_fallback_counting ###
insmod increment
# Check if boot_counter exists and boot_success=0 to activate this behaviour.
if [ -n "\${boot_counter}" -a "\${boot_success}" = "0" ]; then
  # if countdown has ended, choose to boot rollback deployment,
  # i.e. default=1 on OSTree-based systems.
  if  [ "\${boot_counter}" = "0" -o "\${boot_counter}" = "-1" ]; then
    set default=1
    set boot_counter=-1
  # otherwise decrement boot_counter
  else
    decrement boot_counter
  fi
  save_env boot_counter
fi
### END /etc/grub.d/08_fallback_counting ###

### BEGIN /etc/grub.d/10_linux ###
insmod part_${efi ? 'gpt' : 'msdos'}
insmod xfs
${searchBlock(spec, uuid(spec, 'boot'), '')}
insmod part_${efi ? 'gpt' : 'msdos'}
insmod xfs
set boot='${bootPartition(spec)}'

# This section was generated by a script. Do not modify the generated file - all changes
# will be lost the next time file is regenerated. Instead edit the BootLoaderSpec files.
#
# The blscfg command parses the BootLoaderSpec files stored in /boot/loader/entries and
# populates the boot menu. Please refer to the Boot Loader Specification documentation
# for the files format: https://systemd.io/BOOT_LOADER_SPECIFICATION/.

# The kernelopts variable should be defined in the grubenv file. But to ensure that menu
# entries populated from BootLoaderSpec files that use this variable work correctly even
# without a grubenv file, define a fallback kernelopts variable if this has not been set.
#
# The kernelopts variable in the grubenv file can be modified using the grubby tool or by
# executing the grub2-mkconfig tool. For the latter, the values of the GRUB_CMDLINE_LINUX
# and GRUB_CMDLINE_LINUX_DEFAULT options from /etc/default/grub file are used to set both
# the kernelopts variable in the grubenv file and the fallback kernelopts variable.
if [ -z "\${kernelopts}" ]; then
  set kernelopts="${kernelopts}"
fi

insmod blscfg
blscfg
### END /etc/grub.d/10_linux ###
${EL_TAIL}`;
}

/** the EL9 UEFI stub (and Debian-family UEFI stub) that the firmware reads */
export function renderEfiStub(spec: HostSpec): string {
  const d = distroInfo(spec.distro);
  if (d.family === 'el') {
    return `search --no-floppy --root-dev-only --fs-uuid --set=dev ${uuid(spec, 'boot')}
set prefix=($dev)/grub2

export $prefix
configfile $prefix/grub.cfg
`;
  }
  return `search.fs_uuid ${uuid(spec, 'root')} root 
set prefix=($root)'/boot/grub'
configfile $prefix/grub.cfg
`;
}

/** update-grub / grub-mkconfig output on Debian and Ubuntu */
export function renderDebianGrubCfg(spec: HostSpec, vars: Map<string, string>, kernels: string[]): string {
  const d: DistroInfo = distroInfo(spec.distro);
  const ubuntu = d.distro.startsWith('ubuntu');
  const os = ubuntu ? 'Ubuntu' : 'Debian GNU/Linux';
  const cls = ubuntu ? 'ubuntu' : 'debian';
  const root = uuid(spec, 'root');
  const efi = spec.bootMode === 'uefi';
  const part = efi ? 'part_gpt' : 'part_msdos';
  const lin = vars.get('GRUB_CMDLINE_LINUX') ?? '';
  const def = vars.get('GRUB_CMDLINE_LINUX_DEFAULT') ?? '';
  const vt = ubuntu ? ' $vt_handoff' : '';
  const timeout = vars.get('GRUB_TIMEOUT') ?? '5';
  const style = vars.get('GRUB_TIMEOUT_STYLE') ?? 'menu';
  const entryBody = (k: string, args: string, indent: string, echo: boolean): string =>
    [
      ...(ubuntu ? ['recordfail'] : []),
      'load_video',
      ...(ubuntu ? ['gfxmode $linux_gfx_mode'] : []),
      'insmod gzio',
      'if [ x$grub_platform = xxen ]; then insmod xzio; insmod lzopio; fi',
      `insmod ${part}`,
      'insmod ext2',
      `search --no-floppy --fs-uuid --set=root ${root}`,
      ...(echo ? [`echo\t'Loading Linux ${k} ...'`] : []),
      `linux\t/boot/vmlinuz-${k} root=UUID=${root} ro ${args}`,
      ...(echo ? [`echo\t'Loading initial ramdisk ...'`] : []),
      `initrd\t/boot/initrd.img-${k}`,
    ]
      .map((l) => `${indent}${l}`)
      .join('\n');
  const newest = kernels[0] ?? '';
  let menu = `menuentry '${os}' --class ${cls} --class gnu-linux --class gnu --class os $menuentry_id_option 'gnulinux-simple-${root}' {
${entryBody(newest, `${lin} ${def}${vt}`, '\t', false)}
}
submenu 'Advanced options for ${os}' $menuentry_id_option 'gnulinux-advanced-${root}' {
`;
  for (const k of kernels) {
    menu += `\tmenuentry '${os}, with Linux ${k}' --class ${cls} --class gnu-linux --class gnu --class os $menuentry_id_option 'gnulinux-${k}-advanced-${root}' {
${entryBody(k, `${lin} ${def}${vt}`, '\t\t', true)}
\t}
\tmenuentry '${os}, with Linux ${k} (recovery mode)' --class ${cls} --class gnu-linux --class gnu --class os $menuentry_id_option 'gnulinux-${k}-recovery-${root}' {
${entryBody(k, `single ${lin}`.replace('single', ubuntu ? 'recovery nomodeset dis_ucode_ldr' : 'single'), '\t\t', true)}
\t}
`;
  }
  menu += '}\n';
  const uefiFw = efi
    ? `menuentry 'UEFI Firmware Settings' $menuentry_id_option 'uefi-firmware' {
	fwsetup
}
`
    : '';
  return `${header('grub-mkconfig')}
### BEGIN /etc/grub.d/00_header ###
if [ -s $prefix/grubenv ]; then
  set have_grubenv=true
  load_env
fi
if [ "\${next_entry}" ] ; then
   set default="\${next_entry}"
   set next_entry=
   save_env next_entry
   set boot_once=true
else
   set default="${vars.get('GRUB_DEFAULT') ?? '0'}"
fi

if [ x"\${feature_menuentry_id}" = xy ]; then
  menuentry_id_option="--id"
else
  menuentry_id_option=""
fi

export menuentry_id_option

if [ "\${prev_saved_entry}" ]; then
  set saved_entry="\${prev_saved_entry}"
  save_env saved_entry
  set prev_saved_entry=
  save_env prev_saved_entry
  set boot_once=true
fi

function savedefault {
  if [ -z "\${boot_once}" ]; then
    saved_entry="\${chosen}"
    save_env saved_entry
  fi
}
${
  ubuntu
    ? `function initrdfail {
    if [ -n "\${have_grubenv}" ]; then if [ -n "\${partuuid}" ]; then
      if [ -z "\${initrdfail}" ]; then
        set initrdfail=1
        if [ -n "\${boot_once}" ]; then
          set prev_entry="\${default}"
          save_env prev_entry
        fi
      fi
      save_env initrdfail
    fi; fi
}
function recordfail {
  set recordfail=1
  if [ -n "\${have_grubenv}" ]; then if [ -z "\${boot_once}" ]; then save_env recordfail; fi; fi
}
`
    : ''
}function load_video {
  if [ x$feature_all_video_module = xy ]; then
    insmod all_video
  else
    insmod efi_gop
    insmod efi_uga
    insmod ieee1275_fb
    insmod vbe
    insmod vga
    insmod video_bochs
    insmod video_cirrus
  fi
}

if [ x$feature_default_font_path = xy ] ; then
   font=unicode
else
insmod ${part}
insmod ext2
search --no-floppy --fs-uuid --set=root ${root}
    font="/usr/share/grub/unicode.pf2"
fi

if loadfont $font ; then
  set gfxmode=auto
  load_video
  insmod gfxterm
  set locale_dir=$prefix/locale
  set lang=en_US
  insmod gettext
fi
terminal_output gfxterm
if [ x$feature_timeout_style = xy ] ; then
  set timeout_style=${style}
  set timeout=${timeout}
# Fallback normal timeout code in case the timeout_style feature is
# unavailable.
else
  set timeout=${timeout}
fi
### END /etc/grub.d/00_header ###

### BEGIN /etc/grub.d/05_debian_theme ###
set menu_color_normal=white/black
set menu_color_highlight=black/light-gray
### END /etc/grub.d/05_debian_theme ###

### BEGIN /etc/grub.d/10_linux ###
${
  ubuntu
    ? `function gfxmode {
	set gfxpayload="\${1}"
	if [ "\${1}" = "keep" ]; then
		set vt_handoff=vt.handoff=7
	else
		set vt_handoff=
	fi
}
if [ "\${recordfail}" != 1 ]; then
  if [ -e \${prefix}/gfxblacklist.txt ]; then
    if [ \${grub_platform} != pc ]; then
      set linux_gfx_mode=keep
    elif hwmatch \${prefix}/gfxblacklist.txt 3; then
      if [ \${match} = 0 ]; then
        set linux_gfx_mode=keep
      else
        set linux_gfx_mode=text
      fi
    else
      set linux_gfx_mode=text
    fi
  else
    set linux_gfx_mode=keep
  fi
else
  set linux_gfx_mode=text
fi
export linux_gfx_mode
`
    : ''
}${menu}
### END /etc/grub.d/10_linux ###

### BEGIN /etc/grub.d/20_linux_xen ###

### END /etc/grub.d/20_linux_xen ###

### BEGIN /etc/grub.d/30_os-prober ###
### END /etc/grub.d/30_os-prober ###

### BEGIN /etc/grub.d/30_uefi-firmware ###
${uefiFw}### END /etc/grub.d/30_uefi-firmware ###

### BEGIN /etc/grub.d/40_custom ###
# This file provides an easy way to add custom menu entries.  Simply type the
# menu entries you want to add after this comment.  Be careful not to change
# the 'exec tail' line above.
### END /etc/grub.d/40_custom ###

### BEGIN /etc/grub.d/41_custom ###
if [ -f  \${config_directory}/custom.cfg ]; then
  source \${config_directory}/custom.cfg
elif [ -z "\${config_directory}" -a -f  $prefix/custom.cfg ]; then
  source $prefix/custom.cfg
fi
### END /etc/grub.d/41_custom ###
`;
}

// ---------------------------------------------------------------- reading a grub.cfg as GRUB does

export interface MenuEntry {
  title: string;
  image: string;
  args: string[];
}

/** top-level menuentries of a grub.cfg (submenus are skipped, as GRUB_DEFAULT=0 picks the first top-level entry) */
export function menuEntries(cfg: string): MenuEntry[] {
  const out: MenuEntry[] = [];
  const lines = cfg.split('\n');
  let depth = 0;
  let current: { title: string; image?: string; args?: string[] } | undefined;
  for (const line of lines) {
    const t = line.trim();
    if (t.startsWith('#')) continue;
    const me = /^menuentry\s+'([^']*)'.*\{\s*$/.exec(t);
    const sub = /^submenu\s+.*\{\s*$/.test(t);
    if (me) {
      if (depth === 0) current = { title: me[1] as string };
      depth++;
      continue;
    }
    if (sub) {
      depth++;
      continue;
    }
    if (t === '}') {
      depth = Math.max(0, depth - 1);
      if (depth === 0 && current) {
        if (current.image) out.push({ title: current.title, image: current.image, args: current.args ?? [] });
        current = undefined;
      }
      continue;
    }
    const lm = /^(linux16|linuxefi|linux)\s+(\S+)\s*(.*)$/.exec(t);
    if (lm && current && depth === 1) {
      current.image = lm[2] as string;
      current.args = (lm[3] as string).split(/\s+/).filter(Boolean);
    }
  }
  return out;
}

/** `set kernelopts="..."` fallback of an EL8/EL9 grub.cfg */
export function fallbackKernelopts(cfg: string | undefined): string | undefined {
  const m = /^\s*set kernelopts="([^"]*)"/m.exec(cfg ?? '');
  return m ? m[1] : undefined;
}

export { words as normalizeWords };
