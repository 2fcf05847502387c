// ls: just-bash's own, with the real owner and group in long listings
// and mode in long listings (just-bash prints "user user" and a fixed
// -rw-r--r-- / drwxr-xr-x for every file).
import { defineCommand, type Command } from 'just-bash';
import { dirnameOf } from '../vfs.ts';
import type { Proc } from './context.ts';
import { modeString } from './stat.ts';

const LONG_LINE = /^([-dlcbps][-rwxsStT]{9}\S*) +(\d+) user user (.*)$/;
const REST = /^(\s*\S+ \w{3} [ \d]\d (?:\d\d:\d\d| \d{4})) (.*)$/;

export function lsCommand(proc: Proc): Command {
  return defineCommand('ls', async (args, ctx) => {
    if (ctx.origCommand === undefined) return { stdout: '', stderr: 'ls: not available\n', exitCode: 1 };
    const r = await ctx.origCommand(args);
    const long = args.some((a) => /^-[A-Za-z]*l/.test(a) && !a.startsWith('--'));
    if (!long || !r.stdout.includes(' user user ')) return r;
    const store = proc.host.store;
    const abs = (p: string) => ctx.fs.resolvePath(ctx.cwd, p);
    const operands = args.filter((a) => !a.startsWith('-') || a === '-');
    const dirOperands = operands.filter((o) => store.isDirectory(abs(o)));
    const listsDirs = !args.some((a) => /^-[A-Za-z]*d/.test(a));
    // a lone directory operand (or none: the cwd) is listed without a header
    let context: string | undefined = listsDirs && operands.length <= 1 ? abs(operands[0] ?? '.') : undefined;
    const lines = r.stdout.split('\n').map((line) => {
      if (line.endsWith(':') && !line.includes(' ')) {
        const dir = line.slice(0, -1);
        if (dirOperands.includes(dir)) context = abs(dir);
        return line;
      }
      const m = LONG_LINE.exec(line);
      if (m === null) return line;
      const rest = REST.exec(m[3] as string);
      if (rest === null) return line;
      const name = (rest[2] as string).replace(/ -> .*$/, '').replace(/\/$/, '');
      let path: string;
      if (context !== undefined && !operands.includes(name)) {
        path = name === '.' ? context : name === '..' ? dirnameOf(context) : `${context}/${name}`;
      } else path = abs(name);
      const node = store.node(path, false);
      if (node === undefined) return line;
      const kind = node.type === 'dir' ? 'dir' : node.type === 'symlink' ? 'symlink' : 'file';
      return `${modeString(node.mode, kind)} ${m[2]} ${node.owner} ${node.group} ${m[3]}`;
    });
    return { ...r, stdout: lines.join('\n') };
  });
}
