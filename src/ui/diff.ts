// Unified diffs of the files a step edits, with every secret masked.

import { createRequire } from 'node:module';
import type { FileDiff } from '../steps/types.ts';
import { isSecretKey, MASK, type SecretRegistry } from '../util/secrets.ts';
import { painter } from './color.ts';

// The diff library is loaded on the first diff: a run that changes nothing
// (a rerun, most of --check) does not pay for its modules at start.
type DiffLib = typeof import('diff');
let diffLib: DiffLib | undefined;
function diffs(): DiffLib {
  diffLib ??= createRequire(import.meta.url)('diff') as DiffLib;
  return diffLib;
}

const KEY_VALUE = /^\s*(?:export\s+)?([A-Za-z0-9_.-]+)\s*[=:]\s*(.*?)\s*$/;
const URL_PASSWORD = /[a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:([^\s@/]+)@/gi;

function unquote(v: string): string {
  const m = /^(["'])(.*)\1$/.exec(v);
  return m ? (m[2] ?? '') : v;
}

/**
 * Secret values found in the file itself (values of secret-looking keys, URL
 * passwords). They are masked wherever they appear in this diff, even on a line
 * that does not look secret (a comment, another key), without being added to the
 * shared registry.
 */
export function secretsInFile(text: string): string[] {
  const found = new Set<string>();
  for (const line of text.split('\n')) {
    const kv = KEY_VALUE.exec(line);
    if (kv && isSecretKey(kv[1] ?? '')) {
      const v = unquote(kv[2] ?? '');
      if (v.length >= 4) found.add(v);
    }
    for (const m of line.matchAll(URL_PASSWORD)) {
      const v = m[1] ?? '';
      if (v.length >= 4) found.add(v);
    }
  }
  return [...found];
}

/**
 * `--- path (before)` / `+++ path (after)` unified diff with 3 lines of context.
 * Every line goes through secrets.mask(), and values of secret keys read from the
 * file are masked too. Returns '' when before and after are equal.
 */
export function renderDiff(d: FileDiff, secrets: SecretRegistry, color: boolean): string {
  if (d.before === d.after) return '';
  const { createTwoFilesPatch, FILE_HEADERS_ONLY } = diffs();
  const patch = createTwoFilesPatch(`${d.path} (before)`, `${d.path} (after)`, d.before, d.after, undefined, undefined, {
    context: 3,
    headerOptions: FILE_HEADERS_ONLY,
  });
  const local = [...secretsInFile(d.before), ...secretsInFile(d.after)].sort((a, b) => b.length - a.length);
  const paint = painter(color);
  const lines = patch.replace(/\n$/, '').split('\n');
  return lines
    .map((raw, i) => {
      const header = i < 2;
      let line = raw;
      // the headers hold the path (from the playbook), not file content
      if (!header) for (const v of local) line = line.split(v).join(MASK);
      line = secrets.mask(line);
      if (header) return paint('bold', line);
      if (line.startsWith('@@')) return paint('cyan', line);
      if (line.startsWith('+')) return paint('green', line);
      if (line.startsWith('-')) return paint('red', line);
      if (line.startsWith('\\')) return paint('dim', line);
      return line;
    })
    .join('\n');
}

/** All diffs of a step, one after the other (no trailing newline); '' when none. */
export function renderDiffs(diffs: readonly FileDiff[], secrets: SecretRegistry, color: boolean): string {
  return diffs
    .map((d) => renderDiff(d, secrets, color))
    .filter((t) => t !== '')
    .join('\n');
}
