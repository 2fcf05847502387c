// id, whoami, groups: who the command runs as (changed by sudo).
import { defineCommand, type Command } from 'just-bash';
import { credFor, gidOf, type Cred } from '../users.ts';
import { fail, hostUsers, ok, type Proc } from './context.ts';

function idLine(cred: Cred, gidOfName: (g: string) => number | undefined): string {
  const groups = cred.groups.map((g) => `${gidOfName(g) ?? g}(${g})`).join(',');
  return `uid=${cred.uid}(${cred.user}) gid=${cred.gid}(${cred.group}) groups=${groups}\n`;
}

export function idCommand(proc: Proc): Command {
  return defineCommand('id', async (args) => {
    const db = hostUsers(proc.host.store);
    let what: 'all' | 'u' | 'g' | 'G' = 'all';
    let names = false;
    let real = false;
    const operands: string[] = [];
    for (const arg of args) {
      if (arg === '--') continue;
      if (arg === '--user') what = 'u';
      else if (arg === '--group') what = 'g';
      else if (arg === '--groups') what = 'G';
      else if (arg === '--name') names = true;
      else if (arg === '--real') real = true;
      else if (arg.startsWith('-') && arg.length > 1 && !arg.startsWith('--')) {
        for (const c of arg.slice(1)) {
          if (c === 'u' || c === 'g' || c === 'G') what = c;
          else if (c === 'n') names = true;
          else if (c === 'r') real = true;
          else return fail(`id: invalid option -- '${c}'\nTry 'id --help' for more information.`);
        }
      } else operands.push(arg);
    }
    void real;
    if (names && what === 'all') return fail('id: cannot print only names or real IDs in default format');
    let cred: Cred | undefined = proc.cred;
    if (operands.length > 0) {
      cred = credFor(db, operands[0] as string);
      if (cred === undefined) return fail(`id: ‘${operands[0]}’: no such user`);
    }
    const gid = (g: string) => gidOf(db, g);
    switch (what) {
      case 'u':
        return ok(`${names ? cred.user : cred.uid}\n`);
      case 'g':
        return ok(`${names ? cred.group : cred.gid}\n`);
      case 'G':
        return ok(`${cred.groups.map((g) => (names ? g : String(gid(g) ?? g))).join(' ')}\n`);
      default:
        return ok(idLine(cred, gid));
    }
  });
}

export function whoamiCommand(proc: Proc): Command {
  return defineCommand('whoami', async (args) => {
    if (args.length > 0) return fail(`whoami: extra operand ‘${args[0]}’\nTry 'whoami --help' for more information.`);
    return ok(`${proc.cred.user}\n`);
  });
}

export function groupsCommand(proc: Proc): Command {
  return defineCommand('groups', async (args) => {
    const db = hostUsers(proc.host.store);
    if (args.length === 0) return ok(`${proc.cred.groups.join(' ')}\n`);
    let out = '';
    let err = '';
    for (const name of args) {
      const c = credFor(db, name);
      if (c === undefined) err += `groups: ‘${name}’: no such user\n`;
      else out += `${name} : ${c.groups.join(' ')}\n`;
    }
    return { stdout: out, stderr: err, exitCode: err === '' ? 0 : 1 };
  });
}
