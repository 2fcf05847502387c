// journalctl over the lab's journal (this boot only: the lab's journal is
// volatile). Supports -u UNIT (repeatable), -n N / --lines=N, -b, -e, -x,
// -q, --no-pager, -o short. A non-root caller outside adm/systemd-journal
// sees no system messages, as on a real host.

import type { Tool, ToolResult } from '../types.ts';
import { journalLines, normalizeUnit } from '../units.ts';
import { fail, getopt, isRoot, ok } from './util.ts';

const LONGS: Record<string, boolean> = {
  unit: true,
  lines: true,
  'no-pager': false,
  boot: false,
  'pager-end': false,
  catalog: false,
  quiet: false,
  output: true,
  help: false,
  since: true,
  until: true,
  follow: false,
  'no-hostname': false,
};

export const journalctl: Tool = (inv): ToolResult => {
  const p = getopt(inv.argv.slice(1), 'u:n:bexqo:hfS:U:', LONGS);
  if (p.error) {
    const what = p.error.kind === 'invalid' ? `invalid option -- '${p.error.option}'` : p.error.kind === 'missing' ? `option requires an argument -- '${p.error.option}'` : `unrecognized option '${p.error.option}'`;
    return fail(1, `journalctl: ${what}\n`);
  }
  const units: string[] = [];
  let n: number | undefined;
  let quiet = false;
  let noHostname = false;
  for (const [o, v] of p.opts) {
    if (o === 'u' || o === 'unit') units.push(normalizeUnit(v ?? ''));
    else if (o === 'n' || o === 'lines') {
      if (!/^\+?\d+$/.test(v ?? '') && v !== 'all') return fail(1, `Failed to parse lines '${v}'\n`);
      n = v === 'all' ? undefined : Number(v);
    } else if (o === 'e' || o === 'pager-end') n = n ?? 1000;
    else if (o === 'q' || o === 'quiet') quiet = true;
    else if (o === 'no-hostname') noHostname = true;
    else if (o === 'o' || o === 'output') {
      if (v !== 'short' && v !== 'cat') return fail(1, `journalctl: output mode ${v} is not modelled by the passthru lab (supported: short, cat)\n`);
    } else if (o === 'f' || o === 'follow' || o === 'S' || o === 'since' || o === 'U' || o === 'until') {
      return fail(1, `journalctl: option ${o.length === 1 ? `-${o}` : `--${o}`} is not modelled by the passthru lab\n`);
    } else if (o === 'h' || o === 'help') return ok('journalctl [OPTIONS...] [MATCHES...]\n\nQuery the journal.\n');
  }
  if (p.args.length) return fail(1, `journalctl: matches (${p.args.join(' ')}) are not modelled by the passthru lab; use -u UNIT\n`);
  const cat = p.opts.some(([o, v]) => (o === 'o' || o === 'output') && v === 'cat');
  if (!isRoot(inv)) {
    const hint = 'Hint: You are currently not seeing messages from other users and the system.\n      Users in groups \'adm\', \'systemd-journal\' can see all messages.\n      Pass -q to turn off this notice.\n';
    return { stdout: '-- No entries --\n', stderr: quiet ? '' : hint, exitCode: 0 };
  }
  let lines: string[] = [];
  if (units.length) {
    for (const u of units) lines.push(...journalLines(inv.fs, u));
    // entries of several units interleave by time; the journal file is in time order already
    if (units.length > 1) {
      const all = new Set(lines);
      lines = journalLines(inv.fs).filter((l) => all.has(l));
    }
  } else lines = journalLines(inv.fs);
  if (n !== undefined) lines = lines.slice(-n);
  if (!lines.length) return ok('-- No entries --\n');
  const fmt = (l: string): string => {
    if (cat) return l.replace(/^\S+ \d+ \d\d:\d\d:\d\d \S+ [^:]+: /, '');
    if (noHostname) return l.replace(/^(\S+ \d+ \d\d:\d\d:\d\d) \S+ /, '$1 ');
    return l;
  };
  return ok(`${lines.map(fmt).join('\n')}\n`);
};
