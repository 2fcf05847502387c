// When each nova config file was last changed (the files of
// nova-conf-files.ts), from `stat -c %y` (nanoseconds on GNU coreutils,
// printed in UTC with TZ=UTC). Consumed by src/nova/restart-pending.ts:
// a unit that started before one of its files changed runs on an old
// configuration. kolla hosts: /etc/kolla/nova-*/nova.conf, compared with
// each container's start.

import type { Fact } from './types.ts';

export interface NovaConfMtimes {
  /** path -> microseconds since the epoch */
  files: Record<string, number>;
}

export const NOVA_CONF_MTIMES_SCRIPT = [
  'set --',
  'for f in /etc/nova/nova.conf /etc/nova/nova-compute.conf /etc/nova/nova.conf.d/*.conf /etc/kolla/nova-*/nova.conf; do [ -e "$f" ] && set -- "$@" "$f"; done',
  // one stat for them all: `path<TAB>mtime` a line (a literal tab in the format)
  `[ $# -eq 0 ] || TZ=UTC stat -L -c '%n\t%y' "$@" 2>/dev/null`,
  'true',
].join('\n');

const STAT_TIME = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))? ([+-])(\d\d)(\d\d)$/;

/** `2026-12-06 21:33:19.312345678 +0000` -> microseconds since the epoch. */
export function parseStatTime(text: string): number | undefined {
  const m = STAT_TIME.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, sign, oh, om] = m;
  const offsetMin = (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om));
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)) - offsetMin * 60_000;
  if (Number.isNaN(ms)) return undefined;
  return ms * 1000 + (frac ? Number(frac.padEnd(9, '0').slice(0, 6)) : 0);
}

export function parseNovaConfMtimes(output: string): NovaConfMtimes {
  const files: Record<string, number> = {};
  for (const line of output.split('\n')) {
    const [path, time] = line.split('\t');
    if (!path?.startsWith('/') || time === undefined) continue;
    const us = parseStatTime(time);
    if (us !== undefined) files[path] = us;
  }
  return { files };
}

export const novaConfMtimes: Fact<NovaConfMtimes> = {
  id: 'nova_conf_mtimes',
  script: NOVA_CONF_MTIMES_SCRIPT,
  // /etc/nova is usually root:nova 0750
  become: true,
  parse: (output) => parseNovaConfMtimes(output),
};
