// chown, chgrp and chmod: owner, group and mode live in the host's store.
import { defineCommand, type Command, type ResolvedCommandContext } from 'just-bash';
import { gidOf, groupName, uidOf, userName } from '../users.ts';
import type { FsNode } from '../vfs.ts';
import { errnoText, fail, hostUsers, ok, type Proc } from './context.ts';
import { usage } from './input.ts';

interface Target {
  path: string;
  node: FsNode;
}

function lookup(proc: Proc, ctx: ResolvedCommandContext, operand: string, follow: boolean): Target | { error: string } {
  const store = proc.host.store;
  try {
    const resolved = store.resolve(ctx.fs.resolvePath(ctx.cwd, operand), follow);
    const node = store.get(resolved);
    if (node === undefined) return { error: 'No such file or directory' };
    return { path: resolved, node };
  } catch (e) {
    return { error: errnoText(e) };
  }
}

/** `path` and, when recursive, everything below it: the paths whose nodes a change touches. */
function targets(proc: Proc, t: Target, recursive: boolean): string[] {
  return [t.path, ...(recursive && t.node.type === 'dir' ? proc.host.store.descendants(t.path) : [])];
}

interface OwnerChange {
  owner?: string | undefined;
  group?: string | undefined;
}

/** May the caller make this owner/group change? Only root gives files away. */
function allowedOwner(proc: Proc, node: FsNode, change: OwnerChange): boolean {
  const cred = proc.cred;
  if (cred.uid === 0) return true;
  if (node.owner !== cred.user) return false;
  if (change.owner !== undefined && change.owner !== node.owner) return false;
  if (change.group !== undefined && change.group !== node.group && !cred.groups.includes(change.group)) return false;
  return true;
}

function applyOwner(proc: Proc, node: FsNode, change: OwnerChange): FsNode {
  if (change.owner !== undefined) node.owner = change.owner;
  if (change.group !== undefined) node.group = change.group;
  // like the kernel: a change of owner by non-root drops setuid/setgid
  if (proc.cred.uid !== 0 && node.type === 'file') node.mode &= ~0o6000;
  return node;
}

function ownerCommand(proc: Proc, name: 'chown' | 'chgrp'): Command {
  return defineCommand(name, async (args, ctx) => {
    const db = hostUsers(proc.host.store);
    let recursive = false;
    let noDeref = false;
    let verbose = false;
    let changes = false;
    let quiet = false;
    let reference: string | undefined;
    const operands: string[] = [];
    let endOfOptions = false;
    for (let i = 0; i < args.length; i++) {
      const arg = args[i] as string;
      if (endOfOptions || !arg.startsWith('-') || arg === '-') {
        operands.push(arg);
        continue;
      }
      if (arg === '--') endOfOptions = true;
      else if (arg.startsWith('--reference=')) reference = arg.slice('--reference='.length);
      else if (arg === '--reference') reference = args[++i];
      else if (arg === '--recursive') recursive = true;
      else if (arg === '--no-dereference') noDeref = true;
      else if (arg === '--dereference') noDeref = false;
      else if (arg === '--verbose') verbose = true;
      else if (arg === '--changes') changes = true;
      else if (arg === '--silent' || arg === '--quiet') quiet = true;
      else if (arg.startsWith('--from=') || arg === '--preserve-root' || arg === '--no-preserve-root') continue;
      else if (arg.startsWith('--')) return fail(`${name}: unrecognized option '${arg}'\nTry '${name} --help' for more information.`);
      else {
        for (const c of arg.slice(1)) {
          if (c === 'R') recursive = true;
          else if (c === 'h') noDeref = true;
          else if (c === 'v') verbose = true;
          else if (c === 'c') changes = true;
          else if (c === 'f') quiet = true;
          else if (c === 'H' || c === 'L' || c === 'P') continue;
          else return fail(`${name}: invalid option -- '${c}'\nTry '${name} --help' for more information.`);
        }
      }
    }
    let change: OwnerChange = {};
    if (reference !== undefined) {
      const ref = lookup(proc, ctx, reference, true);
      if ('error' in ref) return fail(`${name}: failed to get attributes of '${reference}': ${ref.error}`);
      change = name === 'chown' ? { owner: ref.node.owner, group: ref.node.group } : { group: ref.node.group };
    } else {
      const spec = operands.shift();
      if (spec === undefined) return fail(`${name}: missing operand\nTry '${name} --help' for more information.`);
      if (name === 'chgrp') {
        const g = gidOf(db, spec);
        if (g === undefined) return fail(`chgrp: invalid group: '${spec}'`);
        change.group = /^\d+$/.test(spec) ? (groupName(db, g) ?? spec) : spec;
      } else {
        const sep = spec.includes(':') ? ':' : spec.includes('.') && !db.users.some((u) => u.name === spec) ? '.' : undefined;
        const user = sep === undefined ? spec : spec.slice(0, spec.indexOf(sep));
        const group = sep === undefined ? undefined : spec.slice(spec.indexOf(sep) + 1);
        if (user !== '') {
          const uid = uidOf(db, user);
          if (uid === undefined) return fail(`chown: invalid user: '${spec}'`);
          change.owner = /^\d+$/.test(user) ? (userName(db, uid) ?? user) : user;
          if (group === '') {
            const entry = db.users.find((u) => u.uid === uid);
            change.group = entry === undefined ? undefined : (groupName(db, entry.gid) ?? String(entry.gid));
          }
        }
        if (group !== undefined && group !== '') {
          const gid = gidOf(db, group);
          if (gid === undefined) return fail(`chown: invalid group: '${spec}'`);
          change.group = /^\d+$/.test(group) ? (groupName(db, gid) ?? group) : group;
        }
      }
    }
    if (operands.length === 0) return fail(`${name}: missing operand after '${reference ?? args[args.length - 1] ?? ''}'\nTry '${name} --help' for more information.`);
    let stdout = '';
    let stderr = '';
    let status = 0;
    for (const operand of operands) {
      const t = lookup(proc, ctx, operand, !noDeref);
      if ('error' in t) {
        if (!quiet) stderr += `${name}: cannot access '${operand}': ${t.error}\n`;
        status = 1;
        continue;
      }
      for (const path of targets(proc, t, recursive)) {
        const node = proc.host.store.get(path);
        if (node === undefined) continue;
        const before = `${node.owner}:${node.group}`;
        if (!allowedOwner(proc, node, change)) {
          if (!quiet) stderr += `${name}: changing ${name === 'chown' && change.owner !== undefined ? 'ownership' : 'group'} of '${operand}': Operation not permitted\n`;
          status = 1;
          continue;
        }
        const own = applyOwner(proc, proc.host.store.mutable(path) as FsNode, change);
        const after = `${own.owner}:${own.group}`;
        if (verbose || (changes && before !== after)) {
          stdout += before === after ? `ownership of '${operand}' retained as ${after}\n` : `changed ownership of '${operand}' from ${before} to ${after}\n`;
        }
      }
    }
    return { stdout, stderr, exitCode: status };
  });
}

export function chownCommand(proc: Proc): Command {
  return ownerCommand(proc, 'chown');
}

export function chgrpCommand(proc: Proc): Command {
  return ownerCommand(proc, 'chgrp');
}

/**
 * A mode after chmod's MODE: octal (`640`, `2755`) or symbolic
 * (`u+x,go-w`, `a=r`, `+X`, `g=u`), from the current mode; undefined when
 * MODE is not one.
 */
export function applyMode(spec: string, mode: number, isDir: boolean, umask: number): number | undefined {
  if (/^[0-7]{1,4}$/.test(spec)) {
    const v = parseInt(spec, 8);
    // like GNU: a directory keeps its setuid/setgid bits unless the digits name them
    return isDir && spec.length <= 3 ? (v & 0o777) | (mode & 0o6000) : v;
  }
  let m = mode & 0o7777;
  for (const clause of spec.split(',')) {
    const c = /^([ugoa]*)((?:[-+=][rwxXstugo]*)+)$/.exec(clause);
    if (c === null) return undefined;
    const who = c[1] === '' ? 'a' : (c[1] as string);
    const mask = (who.includes('u') || who.includes('a') ? 0o4700 : 0) | (who.includes('g') || who.includes('a') ? 0o2070 : 0) | (who.includes('o') || who.includes('a') ? 0o1007 : 0);
    for (const [, op, perms] of (c[2] as string).matchAll(/([-+=])([rwxXstugo]*)/g)) {
      let bits = 0;
      for (const p of perms as string) {
        if (p === 'r') bits |= 0o444;
        else if (p === 'w') bits |= 0o222;
        else if (p === 'x') bits |= 0o111;
        else if (p === 'X') bits |= isDir || (m & 0o111) !== 0 ? 0o111 : 0;
        else if (p === 's') bits |= 0o6000;
        else if (p === 't') bits |= 0o1000;
        else {
          const from = p === 'u' ? (m >> 6) & 7 : p === 'g' ? (m >> 3) & 7 : m & 7;
          bits |= from * 0o111;
        }
      }
      // without u/g/o/a, the umask limits what + and = give
      bits &= c[1] === '' ? mask & ~umask : mask;
      if (op === '+') m |= bits;
      else if (op === '-') m &= ~bits;
      else m = (m & ~mask) | bits;
    }
  }
  return m;
}

/** chmod [-R] MODE FILE... and chmod [-R] --reference=RFILE FILE...: the mode in the host's store; only the owner (or root) may. */
export function chmodCommand(proc: Proc): Command {
  return defineCommand('chmod', async (args, ctx) => {
    let recursive = false;
    let quiet = false;
    let reference: string | undefined;
    const rest: string[] = [];
    for (let i = 0; i < args.length; i++) {
      const a = args[i] as string;
      if (a === '--') {
        rest.push(...args.slice(i + 1));
        break;
      }
      if (a === '-R' || a === '--recursive') recursive = true;
      else if (a === '-f' || a === '--silent' || a === '--quiet') quiet = true;
      else if (a === '-v' || a === '-c' || a === '--verbose' || a === '--changes') continue;
      else if (a === '--reference') reference = args[++i];
      else if (a.startsWith('--reference=')) reference = a.slice('--reference='.length);
      else rest.push(a);
    }
    let ref: Target | undefined;
    if (reference !== undefined) {
      const r = lookup(proc, ctx, reference, true);
      if ('error' in r) return fail(`chmod: failed to get attributes of '${reference}': ${r.error}`);
      ref = r;
    } else if (args.some((a) => a === '--reference')) return fail("chmod: option '--reference' requires an argument");
    const spec = ref === undefined ? rest.shift() : undefined;
    if (ref === undefined && spec === undefined) return usage('chmod', 'missing operand');
    if (rest.length === 0) return usage('chmod', `missing operand after '${spec ?? reference}'`);
    let stderr = '';
    let status = 0;
    for (const operand of rest) {
      const t = lookup(proc, ctx, operand, true);
      if ('error' in t) {
        stderr += `chmod: cannot access '${operand}': ${t.error}\n`;
        status = 1;
        continue;
      }
      for (const path of targets(proc, t, recursive)) {
        const node = proc.host.store.get(path);
        if (node === undefined || node.type === 'symlink') continue;
        if (proc.cred.uid !== 0 && node.owner !== proc.cred.user) {
          if (!quiet) stderr += `chmod: changing permissions of '${operand}': Operation not permitted\n`;
          status = 1;
          continue;
        }
        const mode = ref !== undefined ? ref.node.mode & 0o7777 : applyMode(spec as string, node.mode, node.type === 'dir', proc.umask);
        if (mode === undefined) return usage('chmod', `invalid mode: '${spec}'`);
        (proc.host.store.mutable(path) as FsNode).mode = mode;
      }
    }
    return status === 0 ? ok() : { stdout: '', stderr, exitCode: status };
  });
}
