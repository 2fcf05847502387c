// Where kernel arguments go, and how the boot configuration is regenerated,
// by OS family, major version and boot mode. A TABLE, not branches: each row
// says what it is based on.

import { EXIT, PassthruError } from '../errors.ts';
import { quote } from '../util/shell.ts';

export type BootMode = 'bios' | 'uefi';
export type BootloaderKind = 'update-grub' | 'grub2-mkconfig' | 'grubby';

/** The parts of the osRelease fact this module needs. */
export interface BootOs {
  /** os-release ID, e.g. centos, rhel, rocky, ubuntu */
  id: string;
  family: 'debian' | 'el' | 'other';
  major: number | undefined;
}

/** The parts of the bootloaderFiles fact this module needs. */
export interface BootTools {
  /** which of update-grub, grub-mkconfig, grub2-mkconfig, grubby exist */
  commands: Partial<Record<'update-grub' | 'grub-mkconfig' | 'grub2-mkconfig' | 'grubby', string>>;
  /** existing /boot/efi/EFI/<vendor>/grub.cfg files */
  efiGrubCfgs: string[];
  /** /etc/kernel/cmdline exists (kernel-install reads it for new kernels) */
  kernelCmdlineFile?: boolean | undefined;
}

interface Row {
  family: 'debian' | 'el';
  /** undefined = every major */
  majors?: readonly number[];
  /** undefined = both */
  bootMode?: BootMode;
  kind: BootloaderKind;
  /** grub2-mkconfig output; `<vendor>` is the EFI directory of the distribution */
  output?: string;
  /** /etc/default/grub.d/*.cfg are sourced after /etc/default/grub */
  dropins: boolean;
  /** files that must never be overwritten on such a host */
  neverWrite: readonly string[];
  source: string;
}

export const BOOTLOADER_TABLE: readonly Row[] = [
  {
    family: 'debian',
    kind: 'update-grub',
    output: '/boot/grub/grub.cfg',
    dropins: true,
    neverWrite: [],
    // On UEFI /boot/efi/EFI/{debian,ubuntu}/grub.cfg is a stub that loads
    // /boot/grub/grub.cfg, so the same command serves both boot modes.
    source: 'update-grub(8) (Debian grub2-common: "a stub for running grub-mkconfig -o /boot/grub/grub.cfg"); Debian wiki "Grub"',
  },
  {
    family: 'el',
    majors: [7],
    bootMode: 'bios',
    kind: 'grub2-mkconfig',
    output: '/boot/grub2/grub.cfg',
    dropins: false,
    neverWrite: [],
    source: 'RHEL 7 System Administrator\'s Guide, 26.2 "Making Temporary/Persistent Changes to a GRUB 2 Menu": grub2-mkconfig -o /boot/grub2/grub.cfg on BIOS',
  },
  {
    family: 'el',
    majors: [7],
    bootMode: 'uefi',
    kind: 'grub2-mkconfig',
    output: '/boot/efi/EFI/<vendor>/grub.cfg',
    dropins: false,
    neverWrite: [],
    source: 'RHEL 7 System Administrator\'s Guide, 26.2: on UEFI grub2-mkconfig -o /boot/efi/EFI/redhat/grub.cfg (CentOS: /boot/efi/EFI/centos/grub.cfg)',
  },
  {
    family: 'el',
    majors: [8],
    kind: 'grubby',
    dropins: false,
    neverWrite: [],
    // BLS entries (/boot/loader/entries/*.conf) carry `options $kernelopts`;
    // grubby --update-kernel=ALL updates kernelopts in grubenv and the entries.
    source: 'RHEL 8 "Managing, monitoring and updating the kernel", 5.x "Changing kernel command-line parameters for all boot entries": grubby --update-kernel=ALL --args',
  },
  {
    family: 'el',
    majors: [9, 10],
    kind: 'grubby',
    dropins: false,
    // The UEFI grub.cfg is a stub that loads /boot/grub2/grub.cfg; running
    // grub2-mkconfig -o on it breaks booting. From RHEL 9.3 grub2-mkconfig
    // no longer rewrites BLS options lines (needs --update-bls-cmdline).
    neverWrite: ['/boot/efi/EFI/*/grub.cfg'],
    source: 'RHEL 9 "Managing, monitoring and updating the kernel", "Changing kernel command-line parameters for all boot entries"; RHEL 9 release notes (grub2-mkconfig and BLS, UEFI grub.cfg stub); RHEL 10 same procedure',
  },
];

/**
 * EFI directory per os-release ID on EL7 (/boot/efi/EFI/<dir>/grub.cfg).
 * Sources: RHEL 7 System Administrator's Guide 26.2 (redhat), CentOS wiki
 * "UEFI" (centos); Oracle Linux 7 and Scientific Linux 7 keep Red Hat's
 * shim and directory (redhat).
 */
export const EFI_VENDOR_DIR: Readonly<Record<string, string>> = {
  rhel: 'redhat',
  centos: 'centos',
  ol: 'redhat',
  scientific: 'redhat',
};

export interface BootloaderPlan {
  kind: BootloaderKind;
  /** GRUB_CMDLINE_LINUX in /etc/default/grub is always edited (future kernels, grub2-mkconfig runs) */
  honoursDropins: boolean;
  /** /etc/kernel/cmdline exists and must get the same arguments (kernel-install reads it for new kernels) */
  editKernelCmdlineFile: boolean;
  /** commands to run after editing the files, in order (argv each) */
  commands: string[][];
  /** the file the commands write, if any */
  output?: string | undefined;
  /** never overwrite these (globs) */
  neverWrite: string[];
  notes: string[];
  source: string;
}

export class BootloaderError extends PassthruError {
  constructor(message: string, hint?: string) {
    super(message, { exitCode: EXIT.hostFailed, hint });
  }
}

function matches(row: Row, os: BootOs, bootMode: BootMode): boolean {
  if (row.family !== os.family) return false;
  if (row.majors && (os.major === undefined || !row.majors.includes(os.major))) return false;
  if (row.bootMode && row.bootMode !== bootMode) return false;
  return true;
}

/** The table row for a host, or undefined. */
export function bootloaderRow(os: BootOs, bootMode: BootMode): Row | undefined {
  return BOOTLOADER_TABLE.find((r) => matches(r, os, bootMode));
}

/**
 * What to run on a host so that the kernel gets `add` and loses `remove` at
 * the next boot (after /etc/default/grub has been edited). `tools` (from the
 * bootloaderFiles fact) picks between alternatives and checks that the
 * target exists; without it the table's first choice is used.
 */
export function planBootloader(
  os: BootOs,
  bootMode: BootMode,
  args: { add: readonly string[]; remove: readonly string[] },
  tools?: BootTools,
): BootloaderPlan {
  const row = bootloaderRow(os, bootMode);
  if (!row) {
    throw new BootloaderError(
      `no known way to set kernel arguments on ${os.id} ${os.major ?? '(no version)'} (${bootMode})`,
      'supported: Debian/Ubuntu (GRUB), EL 7 (grub2-mkconfig), EL 8/9/10 (grubby); set the arguments by hand and reboot',
    );
  }
  const notes: string[] = [];
  const commands: string[][] = [];
  let output = row.output;

  switch (row.kind) {
    case 'update-grub': {
      if (!tools || tools.commands['update-grub']) commands.push(['update-grub']);
      else if (tools.commands['grub-mkconfig']) {
        commands.push(['grub-mkconfig', '-o', '/boot/grub/grub.cfg']);
        notes.push('update-grub is missing: running grub-mkconfig -o /boot/grub/grub.cfg (what update-grub does)');
      } else throw new BootloaderError('neither update-grub nor grub-mkconfig found', 'install grub2-common (Debian/Ubuntu)');
      break;
    }
    case 'grub2-mkconfig': {
      if (tools && !tools.commands['grub2-mkconfig']) throw new BootloaderError('grub2-mkconfig not found', 'install grub2-tools');
      if (output?.includes('<vendor>')) output = efiOutput(os, tools, notes);
      commands.push(['grub2-mkconfig', '-o', output!]);
      break;
    }
    case 'grubby': {
      if (tools && !tools.commands.grubby) throw new BootloaderError('grubby not found', 'install grubby');
      if (args.add.length > 0 || args.remove.length > 0) {
        const argv = ['grubby', '--update-kernel=ALL'];
        if (args.add.length > 0) argv.push(`--args=${args.add.join(' ')}`);
        if (args.remove.length > 0) argv.push(`--remove-args=${args.remove.join(' ')}`);
        commands.push(argv);
      }
      break;
    }
  }
  return {
    kind: row.kind,
    honoursDropins: row.dropins,
    editKernelCmdlineFile: tools?.kernelCmdlineFile === true,
    commands,
    output,
    neverWrite: [...row.neverWrite],
    notes,
    source: row.source,
  };
}

function efiOutput(os: BootOs, tools: BootTools | undefined, notes: string[]): string {
  const dir = EFI_VENDOR_DIR[os.id];
  const expected = dir ? `/boot/efi/EFI/${dir}/grub.cfg` : undefined;
  if (!tools) {
    if (expected) return expected;
    throw new BootloaderError(`unknown EFI directory for ${os.id} (UEFI)`, 'pass the grub.cfg path explicitly');
  }
  if (expected && tools.efiGrubCfgs.includes(expected)) return expected;
  if (tools.efiGrubCfgs.length === 1) {
    const only = tools.efiGrubCfgs[0]!;
    notes.push(`${expected ?? `the EFI directory for ${os.id}`} not found; using the only EFI grub.cfg present: ${only}`);
    return only;
  }
  throw new BootloaderError(
    `cannot tell which EFI grub.cfg this UEFI host boots from (expected ${expected ?? '?'}; found: ${tools.efiGrubCfgs.join(', ') || 'none'})`,
    'writing the wrong grub.cfg changes nothing at the next boot; check `efibootmgr -v` and run grub2-mkconfig -o <that file> by hand',
  );
}

/** One shell command line for the plan's commands (joined with &&). */
export function bootloaderCommandLine(plan: BootloaderPlan): string {
  return plan.commands.map((c) => quote(c)).join(' && ');
}

export { requiredKernelArgs } from './cmdline.ts';
