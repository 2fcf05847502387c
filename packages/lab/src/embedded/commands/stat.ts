// stat with real owners and groups: GNU coreutils format directives and
// default layout.
import { defineCommand, type Command } from 'just-bash';
import { gidOf, uidOf } from '../users.ts';
import { ShellFs, type FsStatLike } from '../vfs.ts';
import { errnoText, fail, hostUsers, type Proc } from './context.ts';

export function modeString(mode: number, kind: 'file' | 'dir' | 'symlink' | 'char'): string {
  const type = kind === 'dir' ? 'd' : kind === 'symlink' ? 'l' : kind === 'char' ? 'c' : '-';
  const rwx = (bits: number, special: boolean, specialChar: string) =>
    `${bits & 4 ? 'r' : '-'}${bits & 2 ? 'w' : '-'}${special ? (bits & 1 ? specialChar : specialChar.toUpperCase()) : bits & 1 ? 'x' : '-'}`;
  return (
    type +
    rwx((mode >> 6) & 7, (mode & 0o4000) !== 0, 's') +
    rwx((mode >> 3) & 7, (mode & 0o2000) !== 0, 's') +
    rwx(mode & 7, (mode & 0o1000) !== 0, 't')
  );
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** `2024-05-01 12:00:00.000000000 +0000` */
export function statTime(d: Date): string {
  return `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}.${String(d.getUTCMilliseconds()).padStart(3, '0')}000000 +0000`;
}

function unescape(fmt: string): string {
  return fmt.replace(/\\(n|t|\\|"|a|b|f|r|v|0[0-7]{0,3}|x[0-9a-fA-F]{1,2})/g, (_, e: string) => {
    switch (e[0]) {
      case 'n':
        return '\n';
      case 't':
        return '\t';
      case '\\':
        return '\\';
      case '"':
        return '"';
      case 'a':
        return '\x07';
      case 'b':
        return '\b';
      case 'f':
        return '\f';
      case 'r':
        return '\r';
      case 'v':
        return '\v';
      case 'x':
        return String.fromCharCode(parseInt(e.slice(1), 16));
      default:
        return String.fromCharCode(parseInt(e, 8));
    }
  });
}

interface Info {
  name: string;
  st: FsStatLike;
  kind: 'file' | 'dir' | 'symlink' | 'char';
  owner: string;
  group: string;
  uid: number;
  gid: number;
  target?: string | undefined;
}

function fileType(info: Info): string {
  if (info.kind === 'dir') return 'directory';
  if (info.kind === 'symlink') return 'symbolic link';
  if (info.kind === 'char') return 'character special file';
  return info.st.size === 0 ? 'regular empty file' : 'regular file';
}

function typeBits(kind: Info['kind']): number {
  return kind === 'dir' ? 0o040000 : kind === 'symlink' ? 0o120000 : kind === 'char' ? 0o020000 : 0o100000;
}

function directive(info: Info, c: string): string | undefined {
  const st = info.st;
  const secs = Math.floor(st.mtime.getTime() / 1000);
  switch (c) {
    case 'a':
      return (st.mode & 0o7777).toString(8);
    case 'A':
      return modeString(st.mode, info.kind);
    case 'b':
      return String(Math.ceil(st.size / 4096) * 8);
    case 'B':
      return '512';
    case 'd':
      return '2049';
    case 'D':
      return '801';
    case 'f':
      return (typeBits(info.kind) | (st.mode & 0o7777)).toString(16);
    case 'F':
      return fileType(info);
    case 'g':
      return String(info.gid);
    case 'G':
      return info.group;
    case 'h':
      return info.kind === 'dir' ? '2' : '1';
    case 'i':
      return String(st.ino);
    case 'm':
      return '/';
    case 'n':
      return info.name;
    case 'N':
      return info.target === undefined ? `'${info.name}'` : `'${info.name}' -> '${info.target}'`;
    case 'o':
      return '4096';
    case 's':
      return String(st.size);
    case 't':
    case 'T':
      return '0';
    case 'u':
      return String(info.uid);
    case 'U':
      return info.owner;
    case 'w':
      return '-';
    case 'W':
      return '0';
    case 'x':
    case 'y':
    case 'z':
      return statTime(st.mtime);
    case 'X':
    case 'Y':
    case 'Z':
      return String(secs);
    case '%':
      return '%';
    default:
      return undefined;
  }
}

export function formatStat(info: Info, fmt: string): string {
  return fmt.replace(/%([-#+ 0]*[0-9]*(?:\.[0-9]+)?)?([a-zA-Z%])/g, (whole, _flags: string | undefined, c: string) => directive(info, c) ?? whole);
}

function defaultFormat(info: Info): string {
  const st = info.st;
  const name = info.target === undefined ? info.name : `${info.name} -> ${info.target}`;
  const blocks = Math.ceil(st.size / 4096) * 8;
  return (
    `  File: ${name}\n` +
    `  Size: ${String(st.size).padEnd(10)}\tBlocks: ${String(blocks).padEnd(10)} IO Block: 4096   ${fileType(info)}\n` +
    `Device: 801h/2049d\tInode: ${String(st.ino).padEnd(11)} Links: ${info.kind === 'dir' ? 2 : 1}\n` +
    `Access: (${(st.mode & 0o7777).toString(8).padStart(4, '0')}/${modeString(st.mode, info.kind)})  Uid: (${String(info.uid).padStart(5)}/${info.owner.padStart(8)})   Gid: (${String(info.gid).padStart(5)}/${info.group.padStart(8)})\n` +
    `Access: ${statTime(st.mtime)}\n` +
    `Modify: ${statTime(st.mtime)}\n` +
    `Change: ${statTime(st.mtime)}\n` +
    ` Birth: -\n`
  );
}

export function statCommand(proc: Proc): Command {
  return defineCommand('stat', async (args, ctx) => {
    let format: string | undefined;
    let printf = false;
    let deref = false;
    let terse = false;
    const operands: string[] = [];
    let endOfOptions = false;
    for (let i = 0; i < args.length; i++) {
      const arg = args[i] as string;
      if (endOfOptions || !arg.startsWith('-') || arg === '-') operands.push(arg);
      else if (arg === '--') endOfOptions = true;
      else if (arg === '-c' || arg === '--format') format = args[++i];
      else if (arg.startsWith('--format=')) format = arg.slice(9);
      else if (arg.startsWith('-c')) format = arg.slice(2);
      else if (arg === '--printf') {
        format = args[++i];
        printf = true;
      } else if (arg.startsWith('--printf=')) {
        format = arg.slice(9);
        printf = true;
      } else if (arg === '-L' || arg === '--dereference') deref = true;
      else if (arg === '-t' || arg === '--terse') terse = true;
      else if (arg === '-f' || arg === '--file-system') return fail('stat: --file-system is not supported by the simulated host');
      else return fail(`stat: invalid option -- '${arg.replace(/^-+/, '')}'\nTry 'stat --help' for more information.`);
    }
    if (operands.length === 0) return fail("stat: missing operand\nTry 'stat --help' for more information.");
    const fs = new ShellFs(proc.host.store, proc);
    const db = hostUsers(proc.host.store);
    let stdout = '';
    let stderr = '';
    let status = 0;
    for (const name of operands) {
      const path = fs.resolvePath(ctx.cwd, name);
      try {
        const st = deref ? await fs.stat(path) : await fs.lstat(path);
        const resolved = proc.host.store.resolve(path, deref);
        const node = proc.host.store.get(resolved);
        const owner = node?.owner ?? 'root';
        const group = node?.group ?? 'root';
        const kind: Info['kind'] = st.isDirectory ? 'dir' : st.isSymbolicLink ? 'symlink' : node === undefined && resolved.startsWith('/dev/') ? 'char' : 'file';
        const info: Info = {
          name,
          st,
          kind,
          owner,
          group,
          uid: uidOf(db, owner) ?? 0,
          gid: gidOf(db, group) ?? 0,
          target: node?.type === 'symlink' ? node.target : undefined,
        };
        if (format !== undefined) stdout += printf ? formatStat(info, unescape(format)) : `${formatStat(info, format)}\n`;
        else if (terse) stdout += `${formatStat(info, '%n %s %b %f %u %g %D %i %h %t %T %X %Y %Z %W %o')}\n`;
        else stdout += defaultFormat(info);
      } catch (e) {
        stderr += `stat: cannot statx '${name}': ${errnoText(e)}\n`;
        status = 1;
      }
    }
    return { stdout, stderr, exitCode: status };
  });
}
