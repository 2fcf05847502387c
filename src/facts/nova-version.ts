// The installed nova version: from the package metadata directory python
// reads (nova-26.2.2.egg-info, nova-27.1.0.dist-info under
// /usr/lib/python3*/{site,dist}-packages), else from the package manager
// (RDO: openstack-nova-common / python3-nova; Debian/Ubuntu: python3-nova,
// nova-common), asked only when there is no such directory or they name
// different versions (rpm and dpkg-query are the costliest programs of the
// facts script). Kolla hosts have nova only inside containers: no version.

import { releaseFromVersion, type NovaRelease } from '../nova/release.ts';
import type { Fact } from './types.ts';

export interface NovaVersion {
  /** e.g. 26.2.2; undefined when nova is not installed on the host */
  version?: string | undefined;
  release?: NovaRelease | undefined;
  /** where the version was read */
  source?: string | undefined;
  /** every version seen, with its source */
  candidates: Array<{ version: string; source: string }>;
}

export const NOVA_VERSION_SCRIPT = [
  'n=0',
  'one=1',
  'for d in /usr/lib/python3*/site-packages/nova-*-info /usr/lib/python3*/dist-packages/nova-*-info /usr/local/lib/python3*/site-packages/nova-*-info /usr/local/lib/python3*/dist-packages/nova-*-info /usr/lib/python2.7/site-packages/nova-*-info; do',
  '  [ -e "$d" ] || continue',
  '  echo "dir $d"',
  '  n=$((n+1))',
  // the version in the name, as parseNovaVersion reads it: nova-25.2.1-py3.6.egg-info -> 25.2.1
  '  v=${d##*/nova-}; v=${v%.*-info}; v=${v%-py[0-9]*}',
  '  [ "$n" -eq 1 ] && v1=$v',
  '  [ "$v" = "$v1" ] || one=',
  'done',
  // the package manager only to tell metadata directories of different versions apart, or when there is none
  'if [ "$n" -eq 0 ] || [ -z "$one" ]; then',
  "  if command -v rpm >/dev/null 2>&1; then rpm -q --qf 'rpm %{NAME} %{VERSION}-%{RELEASE}\\n' openstack-nova-common python3-nova 2>/dev/null | grep '^rpm '; fi",
  "  if command -v dpkg-query >/dev/null 2>&1; then dpkg-query -W -f='dpkg ${Package} ${Version} ${db:Status-Status}\\n' python3-nova nova-common 2>/dev/null | grep ' installed$'; fi",
  'fi',
  'true',
].join('\n');

function cmpVersion(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((x) => Number.parseInt(x, 10));
  const pb = b.split(/[.-]/).map((x) => Number.parseInt(x, 10));
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (!Number.isNaN(d) && d !== 0) return d;
  }
  return 0;
}

export function parseNovaVersion(output: string): NovaVersion {
  const dirs: Array<{ version: string; source: string }> = [];
  const pkgs: Array<{ version: string; source: string }> = [];
  for (const raw of output.split('\n')) {
    const line = raw.trim();
    let m: RegExpExecArray | null;
    if ((m = /^dir (\S*\/nova-(\d[^/]*?)\.(?:egg|dist)-info)$/.exec(line))) dirs.push({ version: m[2]!.replace(/-py\d[\d.]*$/, ''), source: m[1]! });
    else if ((m = /^rpm (\S+) (\d[^-\s]*)-(\S+)$/.exec(line))) pkgs.push({ version: m[2]!, source: `rpm ${m[1]}-${m[2]}-${m[3]}` });
    else if ((m = /^dpkg (\S+) (\S+) installed$/.exec(line))) {
      // [epoch:]upstream[-revision]; Ubuntu: 3:26.2.2-0ubuntu1, 2:25.0.0-0ubuntu1~cloud0
      const upstream = m[2]!.replace(/^\d+:/, '').replace(/-[^-]*$/, '').replace(/[~+].*$/, '');
      pkgs.push({ version: upstream, source: `dpkg ${m[1]} ${m[2]}` });
    }
  }
  const candidates = [...dirs, ...pkgs];
  // the metadata python reads wins; among several, the one a package confirms, else the newest
  const pick =
    dirs.find((d) => pkgs.some((p) => p.version === d.version)) ??
    [...dirs].sort((a, b) => cmpVersion(b.version, a.version))[0] ??
    pkgs[0];
  if (!pick) return { candidates };
  let release: NovaRelease | undefined;
  try {
    release = releaseFromVersion(pick.version);
  } catch {
    release = undefined;
  }
  return { version: pick.version, release, source: pick.source, candidates };
}

export const novaVersion: Fact<NovaVersion> = {
  id: 'nova_version',
  script: NOVA_VERSION_SCRIPT,
  parse: (output) => parseNovaVersion(output),
};
