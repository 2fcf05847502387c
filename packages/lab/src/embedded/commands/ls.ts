// ls over the host's files, one name a line (stdout is never a terminal
// here): -1 -a -A -d -l -n -R -r -t -F -p -h; long listings with the real
// mode, owner, group, size and time. Errors and status as GNU ls.
import { defineCommand, type Command } from 'just-bash';
import { contentSize, dirnameOf, mtimeToDate, ShellFs, type FsNode } from '../vfs.ts';
import { errnoText, type Proc } from './context.ts';
import { parseOptions } from './input.ts';
import { modeString } from './stat.ts';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

interface Entry {
  /** as shown */
  name: string;
  path: string;
  node: FsNode | undefined;
  isDir: boolean;
}

function timeText(ms: number): string {
  const d = mtimeToDate(ms);
  const recent = Math.abs(Date.now() - d.getTime()) < 182 * 24 * 3600 * 1000;
  const day = String(d.getUTCDate()).padStart(2, ' ');
  const tail = recent ? `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}` : ` ${d.getUTCFullYear()}`;
  return `${MONTHS[d.getUTCMonth()]} ${day} ${tail}`;
}

function humanSize(n: number): string {
  if (n < 1024) return String(n);
  const units = ['K', 'M', 'G', 'T'];
  let v = n;
  let u = -1;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v < 10 ? Math.ceil(v * 10) / 10 : Math.ceil(v)}${units[u]}`;
}

export function lsCommand(proc: Proc): Command {
  return defineCommand('ls', async (args, ctx) => {
    const o = parseOptions(args);
    const f = (short: string, long?: string) => o.flags.has(short) || (long !== undefined && o.flags.has(long));
    const long = f('l') || f('n') || f('g') || f('o');
    const numeric = f('n', 'numeric-uid-gid');
    const all = f('a', 'all');
    const almostAll = f('A', 'almost-all');
    const dirsAsFiles = f('d', 'directory');
    const recursive = f('R', 'recursive');
    const reverse = f('r', 'reverse');
    const byTime = f('t');
    const classify = f('F', 'classify');
    const slash = f('p');
    const human = f('h', 'human-readable');
    const store = proc.host.store;
    const fs = new ShellFs(proc.host.store, proc);
    let stderr = '';
    let status = 0;

    const nodeOf = (path: string, follow: boolean): FsNode | undefined => store.node(path, follow);
    const entryOf = (name: string, path: string): Entry => {
      const node = nodeOf(path, false);
      const target = node?.type === 'symlink' ? nodeOf(path, true) : node;
      return { name, path, node, isDir: target?.type === 'dir' };
    };
    const order = (entries: Entry[]): Entry[] => {
      const sorted = [...entries].sort((a, b) => {
        if (byTime) {
          const d = (b.node?.mtime ?? 0) - (a.node?.mtime ?? 0);
          if (d !== 0) return d;
        }
        return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
      });
      return reverse ? sorted.reverse() : sorted;
    };
    const suffix = (e: Entry): string => {
      if (!classify && !slash) return '';
      if (e.node?.type === 'dir') return '/';
      if (!classify) return '';
      if (e.node?.type === 'symlink') return '@';
      if (e.node?.type === 'file' && (e.node.mode & 0o111) !== 0) return '*';
      return '';
    };
    const line = (e: Entry): string => {
      if (!long) return `${e.name}${suffix(e)}\n`;
      const node = e.node;
      const kind = node === undefined ? 'char' : node.type === 'dir' ? 'dir' : node.type === 'symlink' ? 'symlink' : 'file';
      const mode = node?.mode ?? 0o666;
      const size = node === undefined ? 0 : node.type === 'file' ? contentSize(node.content) : node.type === 'symlink' ? node.target.length : 4096;
      const owner = numeric ? String(userId(node?.owner ?? 'root', 'passwd')) : node?.owner ?? 'root';
      const group = numeric ? String(userId(node?.group ?? 'root', 'group')) : node?.group ?? 'root';
      const who = f('g') ? group : f('o') ? owner : `${owner} ${group}`;
      const target = node?.type === 'symlink' ? ` -> ${node.target}` : '';
      return `${modeString(mode, kind)} 1 ${who} ${(human ? humanSize(size) : String(size)).padStart(5)} ${timeText(node?.mtime ?? 0)} ${e.name}${suffix(e)}${target}\n`;
    };
    const userId = (name: string, db: 'passwd' | 'group'): number => {
      const text = store.readFile(`/etc/${db}`) ?? '';
      const row = text.split('\n').find((l) => l.split(':')[0] === name);
      return Number(row?.split(':')[2] ?? 0);
    };
    const listDir = async (path: string, header: string | undefined, first: boolean): Promise<string> => {
      let names: string[];
      try {
        names = await fs.readdir(path);
      } catch (e) {
        stderr += `ls: cannot open directory '${header ?? path}': ${errnoText(e)}\n`;
        status = 2;
        return '';
      }
      const shown = names.filter((n) => all || almostAll || !n.startsWith('.'));
      const entries = shown.map((n) => entryOf(n, path === '/' ? `/${n}` : `${path}/${n}`));
      if (all) entries.unshift(entryOf('.', path), entryOf('..', dirnameOf(path)));
      const sorted = order(entries);
      let out = header === undefined ? '' : `${first ? '' : '\n'}${header}:\n`;
      if (long) out += `total ${sorted.length * 4}\n`;
      out += sorted.map(line).join('');
      if (recursive) {
        for (const e of sorted) {
          if (e.name === '.' || e.name === '..' || e.node?.type !== 'dir') continue;
          out += await listDir(e.path, `${header ?? path}/${e.name}`.replace(/^\.\//, './').replace(/\/\/+/g, '/'), false);
        }
      }
      return out;
    };

    const operands = o.operands.length === 0 ? ['.'] : o.operands;
    const files: Entry[] = [];
    const dirs: Entry[] = [];
    for (const op of operands) {
      const path = fs.resolvePath(ctx.cwd, op);
      try {
        await fs.lstat(path);
      } catch (e) {
        stderr += `ls: cannot access '${op}': ${errnoText(e)}\n`;
        status = 2;
        continue;
      }
      const e = entryOf(op, path);
      // a symlink to a directory is listed as the directory, except in a long listing
      const asDir = e.isDir && !dirsAsFiles && !(long && e.node?.type === 'symlink' && !op.endsWith('/'));
      (asDir ? dirs : files).push(e);
    }
    let out = order(files).map(line).join('');
    const headers = operands.length > 1 || recursive;
    let first = files.length === 0;
    for (const d of order(dirs)) {
      out += await listDir(d.path, headers ? d.name : undefined, first);
      first = false;
    }
    return { stdout: out, stderr, exitCode: status };
  });
}
