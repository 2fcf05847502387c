// Every command of the simulated hosts (besides the shell's builtins, in
// sh/interp.ts), for one process.
import type { Command } from 'just-bash';
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
import { lnCommand, mkdirCommand, mvCommand, readlinkCommand, rmCommand, rmdirCommand, touchCommand } from './files.ts';
import { echoCommand, printfCommand } from './printf.ts';
import {
  dateCommand,
  envCommand,
  hostnameCommand,
  nprocCommand,
  passThroughCommand,
  printenvCommand,
  shellCommand,
  sleepCommand,
  syncCommand,
  trapCommand,
  umaskCommand,
  unameCommand,
} from './system.ts';
import { basenameCommand, cutCommand, dirnameCommand, headCommand, sortCommand, tailCommand, teeCommand, trCommand, uniqCommand, wcCommand } from './text.ts';
import { toolCommand } from './tools.ts';

/** The name of every command makeCommands gives (its machine tools aside), for /usr/bin and /bin. */
export const LAB_COMMANDS = [
  'id', 'whoami', 'groups', 'chown', 'chgrp', 'chmod', 'stat', 'cp', 'cat', 'ls', 'sed', 'grep', 'sudo', 'trap', 'umask', 'mktemp', 'flock',
  'kill', 'sync', 'uname', 'hostname', 'nproc', 'nohup', 'setsid', 'sh', 'bash', 'echo', 'printf', 'head', 'tail', 'wc', 'tee', 'cut',
  'tr', 'sort', 'uniq', 'basename', 'dirname', 'mkdir', 'rmdir', 'rm', 'mv', 'touch', 'ln', 'readlink', 'sleep', 'env', 'printenv', 'date',
] as const;

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
    echoCommand(),
    printfCommand(),
    headCommand(proc),
    tailCommand(proc),
    wcCommand(proc),
    teeCommand(proc),
    cutCommand(proc),
    trCommand(proc),
    sortCommand(proc),
    uniqCommand(proc),
    basenameCommand(),
    dirnameCommand(),
    mkdirCommand(proc),
    rmdirCommand(proc),
    rmCommand(proc),
    mvCommand(proc),
    touchCommand(proc),
    lnCommand(proc),
    readlinkCommand(proc),
    sleepCommand(proc),
    envCommand(),
    printenvCommand(),
    dateCommand(),
  ];
  for (const [name, tool] of Object.entries(proc.host.tools)) cmds.push(toolCommand(proc, name, tool));
  return cmds;
}

const binSets = new Map<string, ReadonlySet<string>>();

/** Names shown as executables in /usr/bin and /bin of a host with these tools (one shared set per tool list). */
export function binNames(toolNames: readonly string[]): ReadonlySet<string> {
  const key = [...toolNames].sort().join(' ');
  const cached = binSets.get(key);
  if (cached !== undefined) return cached;
  // the shell finds a command only through a file in PATH, so even
  // builtins of real bash that are commands here (trap, umask) show up in /usr/bin
  const names = new Set<string>(LAB_COMMANDS);
  for (const n of toolNames) names.add(n);
  binSets.set(key, names);
  return names;
}
