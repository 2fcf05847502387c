// The text of every nova config file under /etc/nova and kolla's
// /etc/kolla/nova-*/nova.conf (the files of
// nova-conf-files.ts, in the order a service reads them), so that planning
// nova.conf costs no round trip of its own. Read as root (nova.conf is
// usually root:nova 0640); the text holds passwords: the step that reads it
// registers them as secrets, and facts are never printed.

import type { Fact } from './types.ts';

export interface NovaConfText {
  /** path -> exact content */
  files: Record<string, string>;
  /** files that exist but could not be read (path -> why) */
  unreadable: Record<string, string>;
}

const BEGIN = '@@passthru-nova-file ';
const END = '@@passthru-nova-file-end';
const UNREADABLE = '@@passthru-nova-unreadable ';

export const NOVA_CONF_TEXT_SCRIPT = [
  'for f in /etc/nova/nova.conf /etc/nova/nova-compute.conf /etc/nova/nova.conf.d/*.conf /etc/kolla/nova-*/nova.conf; do',
  '  [ -e "$f" ] || continue',
  `  if [ -f "$f" ] && [ -r "$f" ]; then echo "${BEGIN}$f"; cat "$f"; echo; echo "${END}"; else echo "${UNREADABLE}$f"; fi`,
  'done',
  'true',
].join('\n');

export function parseNovaConfText(output: string): NovaConfText {
  const files: Record<string, string> = {};
  const unreadable: Record<string, string> = {};
  let at = 0;
  for (;;) {
    const lineEnd = output.indexOf('\n', at);
    if (lineEnd < 0) break;
    const line = output.slice(at, lineEnd);
    if (line.startsWith(UNREADABLE)) {
      unreadable[line.slice(UNREADABLE.length)] = 'not a readable regular file';
      at = lineEnd + 1;
      continue;
    }
    if (!line.startsWith(BEGIN)) {
      at = lineEnd + 1;
      continue;
    }
    const path = line.slice(BEGIN.length);
    const start = lineEnd + 1;
    // the `echo` after cat puts the end marker on a line of its own: drop that one newline
    const end = output.indexOf(`\n${END}\n`, start - 1);
    if (end < 0) throw new Error(`the text of ${path} is cut short`);
    files[path] = end < start ? '' : output.slice(start, end);
    at = end + END.length + 2;
  }
  return { files, unreadable };
}

export const novaConfText: Fact<NovaConfText> = {
  id: 'nova_conf_text',
  script: NOVA_CONF_TEXT_SCRIPT,
  become: true,
  parse: (output) => parseNovaConfText(output),
};
