// The content of /etc/default/grub and /etc/default/grub.d/*.cfg (the files
// grub-mkconfig sources; see src/boot/grub-default.ts), byte for byte: the
// planner edits them and shows diffs.

import type { Fact } from './types.ts';

export interface TextFile {
  path: string;
  content: string;
}

export interface GrubDefaultFiles {
  /** /etc/default/grub, undefined when absent */
  main: TextFile | undefined;
  /** /etc/default/grub.d/*.cfg in glob order */
  dropins: TextFile[];
  /** files that exist but could not be read */
  unreadable: string[];
}

const BEGIN = '@@passthru-file ';
const END = '@@passthru-eof@@';
const UNREADABLE = '@@passthru-unreadable ';

/**
 * A snippet printing each readable file between markers, exactly (a missing
 * final newline survives: `read` leaves the unterminated last line in $l).
 * For small files (a few KB): the shell reads them itself, no cat per file,
 * but dash reads a byte per system call.
 */
export function catFilesScript(globs: readonly string[]): string {
  return [
    `for f in ${globs.join(' ')}; do`,
    '  [ -f "$f" ] || continue',
    `  if [ -r "$f" ]; then echo "${BEGIN}$f"; l=; while IFS= read -r l; do printf '%s\\n' "$l"; done < "$f"; printf '%s' "$l"; echo "${END}"; else echo "${UNREADABLE}$f"; fi`,
    'done',
    'true',
  ].join('\n');
}

export function parseCatFiles(output: string): { files: TextFile[]; unreadable: string[] } {
  const files: TextFile[] = [];
  const unreadable: string[] = [];
  let pos = 0;
  while (pos < output.length) {
    const nl = output.indexOf('\n', pos);
    const line = output.slice(pos, nl < 0 ? output.length : nl);
    if (line.startsWith(UNREADABLE)) {
      unreadable.push(line.slice(UNREADABLE.length));
      pos = nl < 0 ? output.length : nl + 1;
      continue;
    }
    if (!line.startsWith(BEGIN) || nl < 0) {
      pos = nl < 0 ? output.length : nl + 1;
      continue;
    }
    const path = line.slice(BEGIN.length);
    const start = nl + 1;
    const end = output.indexOf(`${END}\n`, start) >= 0 ? output.indexOf(`${END}\n`, start) : output.indexOf(END, start);
    if (end < 0) throw new Error(`truncated output for ${path}`);
    files.push({ path, content: output.slice(start, end) });
    pos = end + END.length + 1;
  }
  return { files, unreadable };
}

export const grubDefault: Fact<GrubDefaultFiles> = {
  id: 'grub_default',
  script: catFilesScript(['/etc/default/grub', '/etc/default/grub.d/*.cfg']),
  parse(output) {
    const { files, unreadable } = parseCatFiles(output);
    return {
      main: files.find((f) => f.path === '/etc/default/grub'),
      dropins: files.filter((f) => f.path !== '/etc/default/grub'),
      unreadable,
    };
  },
};
