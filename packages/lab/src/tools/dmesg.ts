// dmesg (util-linux): prints the kernel ring buffer of this boot. Where the
// distribution restricts it (kernel.dmesg_restrict=1: Debian, Ubuntu), a
// non-root caller gets util-linux's "read kernel buffer failed" error.

import type { Tool, ToolResult } from '../types.ts';
import { DMESG } from '../boot.ts';
import { fail, getopt, isRoot, ok } from './util.ts';

const LONGS: Record<string, boolean> = {
  kernel: false,
  notime: false,
  clear: false,
  'read-clear': false,
  color: true,
  nopager: false,
  help: false,
  raw: false,
  level: true,
  ctime: false,
  human: false,
  follow: false,
  decode: false,
  userspace: false,
  version: false,
};

const HELP = `
Usage:
 dmesg [options]

Display or control the kernel ring buffer.

Options:
 -C, --clear                 clear the kernel ring buffer
 -c, --read-clear            read and clear all messages
 -k, --kernel                display kernel messages
 -L, --color[=<when>]        colorize messages (auto, always or never)
 -P, --nopager               do not pipe output into a pager
 -t, --notime                don't show any timestamp with messages
 -h, --help                  display this help

For more details see dmesg(1).
`;

export const dmesg: Tool = (inv): ToolResult => {
  const p = getopt(inv.argv.slice(1), 'CckLPthrTHwxuVl:', LONGS);
  if (p.error) {
    const what = p.error.kind === 'invalid' ? `invalid option -- '${p.error.option}'` : p.error.kind === 'missing' ? `option '--${p.error.option}' requires an argument` : `unrecognized option '${p.error.option}'`;
    return fail(1, `dmesg: ${what}\nTry 'dmesg --help' for more information.\n`);
  }
  let notime = false;
  let clear = false;
  let readClear = false;
  for (const [o] of p.opts) {
    if (o === 'h' || o === 'help') return ok(HELP);
    if (o === 't' || o === 'notime') notime = true;
    else if (o === 'C' || o === 'clear') clear = true;
    else if (o === 'c' || o === 'read-clear') readClear = true;
    else if (['T', 'ctime', 'H', 'human', 'w', 'follow', 'x', 'decode', 'u', 'userspace', 'r', 'raw', 'l', 'level', 'V', 'version'].includes(o)) {
      return fail(1, `dmesg: option ${o.length === 1 ? `-${o}` : `--${o}`} is not modelled by the passthru lab (supported: -k -t -c -C -L -P)\n`);
    }
  }
  const restrict = (inv.fs.readFile('/proc/sys/kernel/dmesg_restrict') ?? '0').trim() === '1';
  if ((clear || readClear) && !isRoot(inv)) return fail(1, 'dmesg: klogctl failed: Operation not permitted\n');
  if (restrict && !isRoot(inv)) return fail(1, 'dmesg: read kernel buffer failed: Operation not permitted\n');
  const text = inv.fs.readFile(DMESG) ?? '';
  if (clear || readClear) inv.fs.writeFile(DMESG, '');
  if (clear) return ok();
  return ok(notime ? text.replace(/^\[[ \d.]+\] /gm, '') : text);
};
