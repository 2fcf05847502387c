// The lab's shell for one command line of a host: which lines it takes,
// the commands it finds (the lab's first, then just-bash's own), and the
// switch back to just-bash alone (PASSTHRU_LAB_SHELL=just-bash) to compare.
import { Bash, type Command, type ExecResult } from 'just-bash';
import type { Proc, ShellHost } from '../commands/context.ts';
import type { ShellFs } from '../vfs.ts';
import type { Script } from './ast.ts';
import { LabShell } from './interp.ts';
import { parseCached } from './parse-cache.ts';
import { scriptOk } from './supported.ts';

/** The variables just-bash's shells start with (besides the login environment). */
export const SHELL_VARIABLES: Readonly<Record<string, string>> = Object.freeze({
  BASHOPTS: 'globskipdots',
  HOSTTYPE: 'x86_64',
  IFS: ' \t\n',
  MACHTYPE: 'x86_64-pc-linux-gnu',
  OPTIND: '1',
  OSTYPE: 'linux-gnu',
  SHELLOPTS: 'braceexpand:hashall:interactive-comments',
});

interface Bundled {
  commands: Map<string, Command>;
  limits: Record<string, number>;
}

let bundled: Bundled | null | undefined;

/** just-bash's own commands (one registry for the process: they keep no state), or null when they cannot be had. */
function bundledCommands(): Bundled | null {
  if (bundled !== undefined) return bundled;
  try {
    const template = new Bash({ defenseInDepth: false }) as unknown as { commands?: unknown; limits?: unknown };
    if (template.commands instanceof Map && typeof template.limits === 'object' && template.limits !== null) {
      bundled = { commands: template.commands as Map<string, Command>, limits: template.limits as Record<string, number> };
    } else bundled = null;
  } catch {
    bundled = null;
  }
  return bundled;
}

/** Is the lab's shell on (the default)? */
export function labShellEnabled(): boolean {
  return process.env['PASSTHRU_LAB_SHELL'] !== 'just-bash' && bundledCommands() !== null;
}

/** Command lines run so far by each shell (for measurements). */
export const shellStats = { lab: 0, justBash: 0 };

/** The tree of a line the lab's shell can run, or undefined (just-bash runs it). */
export function labShellTree(script: string): Script | undefined {
  let ast: Script | undefined;
  try {
    ast = parseCached(script);
  } catch {
    ast = undefined;
  }
  if (ast !== undefined && scriptOk(ast)) {
    shellStats.lab++;
    return ast;
  }
  shellStats.justBash++;
  return undefined;
}

/** The lab's shell for one command line, or undefined when it is off. */
export function labShellFor(
  _host: ShellHost,
  proc: Proc,
  fs: ShellFs,
  labCommands: () => Command[],
  foreign: (script: string, opts: { env: Record<string, string>; cwd: string; stdin: string }) => Promise<ExecResult>,
): LabShell | undefined {
  if (!labShellEnabled()) return undefined;
  const b = bundledCommands();
  if (b === null) return undefined;
  let own: Map<string, Command> | undefined;
  const mine = () => (own ??= new Map(labCommands().map((c) => [c.name, c])));
  return new LabShell({
    fs,
    proc,
    command: (name) => mine().get(name) ?? b.commands.get(name),
    bundled: (name) => b.commands.get(name),
    commandNames: () => [...new Set([...b.commands.keys(), ...mine().keys()])],
    limits: b.limits,
    foreign,
  });
}
