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

export const BOOTLOADER_SCRIPT = [
  'for f in /boot/grub/grub.cfg /boot/grub2/grub.cfg /boot/efi/EFI/*/grub.cfg /boot/loader/entries/*.conf /etc/kernel/cmdline; do',
  '  [ -e "$f" ] && echo "file $f"',
  'done',
  'for f in /boot/efi/EFI/*/grub.cfg; do',
  '  [ -r "$f" ] || continue',
  '  if grep -q configfile "$f" && [ "$(wc -c < "$f")" -lt 4096 ]; then echo "efistub $f"; fi',
  'done',
  'for f in /boot/loader/entries/*.conf; do',
  '  [ -r "$f" ] || continue',
  '  o=$(grep -m 1 \'^options\' "$f") && echo "bls $f $o"',
  'done',
  'for f in /boot/grub/grub.cfg /boot/grub2/grub.cfg /boot/efi/EFI/*/grub.cfg; do',
  '  [ -r "$f" ] || continue',
  '  grep -E \'^[[:space:]]*(linux|linux16|linuxefi)[[:space:]]\' "$f" | while IFS= read -r l; do echo "linux $f $l"; done',
  'done',
  'if [ -r /boot/grub2/grubenv ]; then k=$(grep \'^kernelopts=\' /boot/grub2/grubenv) && echo "grubenv $k"; fi',
  'for c in update-grub grub2-mkconfig grub-mkconfig grubby; do',
  '  p=$(command -v "$c" 2>/dev/null) || p=""',
  '  if [ -z "$p" ]; then for d in /usr/sbin /sbin /usr/bin /bin; do if [ -x "$d/$c" ]; then p="$d/$c"; break; fi; done; fi',
  '  [ -n "$p" ] && echo "cmd $c $p"',
  'done',
  'true',
].join('\n');

export function parseBootloaderFiles(output: string): BootloaderFiles {
  const files: string[] = [];
  const efiStubs: string[] = [];
  const blsOptions: Record<string, string> = {};
  const commands: BootloaderFiles['commands'] = {};
  const cfgLinuxArgs: Record<string, string[]> = {};
  let kernelopts: string | undefined;
  for (const raw of output.split('\n')) {
    const line = raw.trim();
    let m: RegExpExecArray | null;
    if ((m = /^linux (\S+) \s*(?:linux|linux16|linuxefi)\s+\S+(.*)$/.exec(line))) (cfgLinuxArgs[m[1]!] ??= []).push(m[2]!);
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
