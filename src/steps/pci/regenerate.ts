// Regenerating what the next boot reads (the boot configuration after the
// kernel arguments, the initramfs after the vfio-pci files), in the round
// trip that also reads the host back: the commands run in order in one sh
// script, the first that fails stops it and says which; their output goes to
// stderr, stdout being for what is read back after them.

import { quote } from '../../util/shell.ts';

const MARKER = /^passthru-regenerate (\d+) \d+$/m;

/** The commands in one sh script (a read-back script may follow it). */
export function regenerateScript(commands: readonly string[][]): string {
  return commands.map((argv, i) => `${quote(argv)} >&2 || { rc=$?; echo "passthru-regenerate ${i} $rc"; exit "$rc"; }`).join('\n');
}

/**
 * What went wrong, for the step's error: the command that failed, its exit
 * status and the end of its output (masked); undefined when every one ran.
 */
export function regenerateFailure(commands: readonly string[][], r: { exitCode: number; stdout: string; stderr: string }, mask: (text: string) => string): string | undefined {
  if (r.exitCode === 0) return undefined;
  const which = commands[Number(MARKER.exec(r.stdout)?.[1] ?? 0)] ?? [];
  const stdout = r.stdout.split('\n').filter((l) => !MARKER.test(l)).join('\n');
  return `${quote(which)} exited ${r.exitCode}: ${mask((r.stderr || stdout).trim().split('\n').slice(-3).join('\n'))}`;
}
