// Every command the simulated shell adds to just-bash's own, for one process.
import { getCommandNames, type Command } from 'just-bash';
import type { Proc } from './context.ts';
import { catCommand } from './cat.ts';
import { cpCommand } from './cp.ts';
import { flockCommand } from './flock.ts';
import { groupsCommand, idCommand, whoamiCommand } from './identity.ts';
import { killCommand } from './kill.ts';
import { lsCommand } from './ls.ts';
import { mktempCommand } from './mktemp.ts';
import { sedCommand } from './sed.ts';
import { grepCommand } from './grep.ts';
import { chgrpCommand, chmodCommand, chownCommand } from './owner.ts';
import { statCommand } from './stat.ts';
import { sudoCommand } from './sudo.ts';
import { hostnameCommand, nprocCommand, passThroughCommand, shellCommand, syncCommand, trapCommand, umaskCommand, unameCommand } from './system.ts';
import { toolCommand } from './tools.ts';

export const LAB_COMMANDS = ['id', 'whoami', 'groups', 'chown', 'chgrp', 'chmod', 'stat', 'cp', 'cat', 'sudo', 'trap', 'umask', 'mktemp', 'flock', 'kill', 'sync', 'uname', 'hostname', 'nproc', 'nohup', 'setsid'] as const;

export function makeCommands(proc: Proc): Command[] {
  const cmds: Command[] = [
    idCommand(proc),
    whoamiCommand(proc),
    groupsCommand(proc),
    chownCommand(proc),
    chgrpCommand(proc),
    chmodCommand(proc),
    statCommand(proc),
    cpCommand(proc),
    catCommand(proc),
    lsCommand(proc),
    sedCommand(proc),
    grepCommand(proc),
    sudoCommand(proc),
    trapCommand(proc),
    umaskCommand(proc),
    mktempCommand(proc),
    flockCommand(proc),
    killCommand(proc),
    syncCommand(),
    unameCommand(proc),
    hostnameCommand(proc),
    nprocCommand(proc),
    passThroughCommand('nohup'),
    passThroughCommand('setsid'),
    shellCommand('sh'),
    shellCommand('bash'),
  ];
  for (const [name, tool] of Object.entries(proc.host.tools)) cmds.push(toolCommand(proc, name, tool));
  return cmds;
}

let builtinNames: string[] | undefined;
const binSets = new Map<string, ReadonlySet<string>>();

/** Names shown as executables in /usr/bin and /bin of a host with these tools (one shared set per tool list). */
export function binNames(toolNames: readonly string[]): ReadonlySet<string> {
  const key = [...toolNames].sort().join(' ');
  const cached = binSets.get(key);
  if (cached !== undefined) return cached;
  builtinNames ??= getCommandNames().filter((n) => n !== 'help');
  const names = new Set<string>(builtinNames);
  // just-bash finds a command only through a file in PATH, so even the
  // builtins of real bash it lacks (trap, umask) show up in /usr/bin
  for (const n of LAB_COMMANDS) names.add(n);
  for (const n of toolNames) names.add(n);
  binSets.set(key, names);
  return names;
}
