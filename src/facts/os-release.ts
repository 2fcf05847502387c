// /etc/os-release (os-release(5)): which distribution, family and major version.

import type { Fact } from './types.ts';

export type OsFamily = 'debian' | 'el' | 'other';

export interface OsRelease {
  /** ID, e.g. ubuntu, debian, centos, rhel, rocky, almalinux */
  id: string;
  /** ID_LIKE words, e.g. ["rhel", "centos", "fedora"] */
  idLike: string[];
  /** VERSION_ID, e.g. "22.04", "9.3", "7"; '' when absent (Debian testing) */
  versionId: string;
  family: OsFamily;
  /** first number of VERSION_ID; undefined when absent */
  major: number | undefined;
  prettyName: string;
}

/** ID / ID_LIKE words per family (os-release files of Debian, Ubuntu, RHEL, CentOS, Rocky, AlmaLinux, Oracle Linux). */
const FAMILY_IDS: ReadonlyArray<[OsFamily, readonly string[]]> = [
  ['debian', ['debian', 'ubuntu']],
  ['el', ['rhel', 'centos', 'fedora']],
];

/** Parse os-release(5) text: KEY=value with shell-like quoting. */
export function parseOsReleaseText(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    if (!m) continue;
    let v = m[2] ?? '';
    if (v.length >= 2 && (v[0] === '"' || v[0] === "'") && v[v.length - 1] === v[0]) {
      const q = v[0];
      v = v.slice(1, -1);
      if (q === '"') v = v.replace(/\\([$"`\\])/g, '$1');
    }
    out[m[1]!] = v;
  }
  return out;
}

export const osRelease: Fact<OsRelease> = {
  id: 'os_release',
  // a few hundred bytes, read line by line by the shell itself (no cat); the last line may lack its newline
  script: 'f=/etc/os-release; [ -r "$f" ] || f=/usr/lib/os-release; while IFS= read -r l || [ -n "$l" ]; do printf \'%s\\n\' "$l"; done < "$f"',
  parse(output, exitCode) {
    const kv = parseOsReleaseText(output);
    const id = (kv.ID ?? '').toLowerCase();
    if (exitCode !== 0 || id === '') throw new Error(`no /etc/os-release: ${output.trim().split('\n')[0] ?? ''}`);
    const idLike = (kv.ID_LIKE ?? '').toLowerCase().split(/\s+/).filter(Boolean);
    const words = [id, ...idLike];
    const family = FAMILY_IDS.find(([, ids]) => words.some((w) => ids.includes(w)))?.[0] ?? 'other';
    const versionId = kv.VERSION_ID ?? '';
    const m = /^(\d+)/.exec(versionId);
    return { id, idLike, versionId, family, major: m ? Number(m[1]) : undefined, prettyName: kv.PRETTY_NAME ?? id };
  },
};
