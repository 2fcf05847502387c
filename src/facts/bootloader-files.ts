// What the boot loader setup of a host looks like: which generated configs
// and BLS entries exist, which tools are installed, the BLS `options`
// lines and EL8's grubenv kernelopts (what the next boot will really use).

import type { Fact } from './types.ts';

export type BootTool = 'update-grub' | 'grub2-mkconfig' | 'grub-mkconfig' | 'grubby';

export interface BootloaderFiles {
  /** existing files among /boot/grub/grub.cfg, /boot/grub2/grub.cfg, /boot/efi/EFI/*\/grub.cfg, /boot/loader/entries/*.conf, /etc/kernel/cmdline */
  files: string[];
  grubCfg: string[];
  efiGrubCfgs: string[];
  /** EFI grub.cfg files that are stubs loading the real grub.cfg (EL9) */
  efiStubs: string[];
  blsEntries: string[];
  /** BLS entry -> its options line (when readable) */
  blsOptions: Record<string, string>;
  /** EL8: kernelopts from /boot/grub2/grubenv */
  kernelopts?: string | undefined;
  kernelCmdlineFile: boolean;
  /** tool -> path */
  commands: Partial<Record<BootTool, string>>;
  /** generated grub.cfg -> the arguments of its `linux` lines (what its menu entries boot with) */
  cfgLinuxArgs: Record<string, string[]>;
}

// One grep for the `options` line of every BLS entry and one for the
// `linux` lines of every generated grub.cfg and grubenv's kernelopts (grep -H: `path:line`, after an
// @@bls / @@linux marker), and the tools found by walking $PATH with the
// shell's own tests (no `$(command -v)` subshell per tool).
export const BOOTLOADER_SCRIPT = [
  'for f in /boot/grub/grub.cfg /boot/grub2/grub.cfg /boot/efi/EFI/*/grub.cfg /boot/loader/entries/*.conf /etc/kernel/cmdline; do',
  '  [ -e "$f" ] && echo "file $f"',
  'done',
  'for f in /boot/efi/EFI/*/grub.cfg; do',
  '  [ -r "$f" ] || continue',
  '  if grep -q configfile "$f" && [ "$(wc -c < "$f")" -lt 4096 ]; then echo "efistub $f"; fi',
  'done',
  'o=$IFS; IFS=:; set -f; set -- $PATH; IFS=$o; set +f',
  'for c in update-grub grub2-mkconfig grub-mkconfig grubby; do',
  '  for d in "$@" /usr/sbin /sbin /usr/bin /bin; do',
  '    case "$d" in /*) ;; *) continue ;; esac',
  '    if [ -f "$d/$c" ] && [ -x "$d/$c" ]; then echo "cmd $c $d/$c"; break; fi',
  '  done',
  'done',
  'set --',
  'for f in /boot/loader/entries/*.conf; do [ -r "$f" ] && set -- "$@" "$f"; done',
  'echo "@@bls"',
  '[ $# -eq 0 ] || grep -H -m 1 \'^options\' "$@"',
  'set --',
  'for f in /boot/grub/grub.cfg /boot/grub2/grub.cfg /boot/efi/EFI/*/grub.cfg /boot/grub2/grubenv; do [ -r "$f" ] && set -- "$@" "$f"; done',
  'echo "@@linux"',
  // and EL8's kernelopts= line of grubenv, in the same grep
  '[ $# -eq 0 ] || grep -H -E \'^[[:space:]]*(linux|linux16|linuxefi)[[:space:]]|^kernelopts=\' "$@"',
  'true',
].join('\n');

export function parseBootloaderFiles(output: string): BootloaderFiles {
  const files: string[] = [];
  const efiStubs: string[] = [];
  const blsOptions: Record<string, string> = {};
  const commands: BootloaderFiles['commands'] = {};
  const cfgLinuxArgs: Record<string, string[]> = {};
  let kernelopts: string | undefined;
  // after @@bls / @@linux: grep -H lines, `path:line`
  let section = '';
  for (const raw of output.split('\n')) {
    const line = raw.trim();
    let m: RegExpExecArray | null;
    if (line === '@@bls' || line === '@@linux') {
      section = line.slice(2);
      continue;
    }
    if (section === 'linux' && (m = /^\/boot\/grub2\/grubenv:kernelopts=(.*)$/.exec(line))) kernelopts ??= m[1]!;
    else if (section === 'bls' && (m = /^(\/[^:]+):options\s*(.*)$/.exec(line))) blsOptions[m[1]!] = m[2]!;
    else if (section === 'linux' && (m = /^(\/[^:]+):\s*(?:linux|linux16|linuxefi)\s+\S+(.*)$/.exec(line))) (cfgLinuxArgs[m[1]!] ??= []).push(m[2]!);
    else if ((m = /^linux (\S+) \s*(?:linux|linux16|linuxefi)\s+\S+(.*)$/.exec(line))) (cfgLinuxArgs[m[1]!] ??= []).push(m[2]!);
    else if ((m = /^file (\S+)$/.exec(line))) files.push(m[1]!);
    else if ((m = /^efistub (\S+)$/.exec(line))) efiStubs.push(m[1]!);
    else if ((m = /^bls (\S+) options\s*(.*)$/.exec(line))) blsOptions[m[1]!] = m[2]!;
    else if ((m = /^grubenv kernelopts=(.*)$/.exec(line))) kernelopts = m[1]!;
    else if ((m = /^cmd (update-grub|grub2-mkconfig|grub-mkconfig|grubby) (\S+)$/.exec(line))) commands[m[1] as BootTool] = m[2]!;
  }
  return {
    files,
    grubCfg: files.filter((f) => f === '/boot/grub/grub.cfg' || f === '/boot/grub2/grub.cfg'),
    efiGrubCfgs: files.filter((f) => /^\/boot\/efi\/EFI\/[^/]+\/grub\.cfg$/.test(f)),
    efiStubs,
    blsEntries: files.filter((f) => f.startsWith('/boot/loader/entries/')),
    blsOptions,
    kernelopts,
    kernelCmdlineFile: files.includes('/etc/kernel/cmdline'),
    commands,
    cfgLinuxArgs,
  };
}

export const bootloaderFiles: Fact<BootloaderFiles> = {
  id: 'bootloader_files',
  script: BOOTLOADER_SCRIPT,
  become: true,
  parse: (output) => parseBootloaderFiles(output),
};
