// The lab's shell for the command lines of one process: the lab's commands
// (commands/), found by name, and the variables a bash starts with.
import type { Command } from 'just-bash';
import type { Proc } from '../commands/context.ts';
import type { ShellFs } from '../vfs.ts';
import { LabShell } from './interp.ts';

/** The variables bash starts with (besides the login environment). */
export const SHELL_VARIABLES: Readonly<Record<string, string>> = Object.freeze({
  BASHOPTS: 'globskipdots',
  HOSTTYPE: 'x86_64',
  IFS: ' \t\n',
  MACHTYPE: 'x86_64-pc-linux-gnu',
  OPTIND: '1',
  OSTYPE: 'linux-gnu',
  SHELLOPTS: 'braceexpand:hashall:interactive-comments',
});

/** The lab's shell for one process; its commands are made when the first one runs. */
export function labShellFor(proc: Proc, fs: ShellFs, labCommands: () => Command[]): LabShell {
  let own: Map<string, Command> | undefined;
  const mine = () => (own ??= new Map(labCommands().map((c) => [c.name, c])));
  return new LabShell({
    fs,
    proc,
    command: (name) => mine().get(name),
    commandNames: () => [...mine().keys()],
  });
}
