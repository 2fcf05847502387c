// One passthru run per host at a time: a lock directory on the host, made
// atomically with mkdir, holding who took it. A second run refuses the host
// instead of interleaving edits. The lock survives the host's reboot (it is
// not under /run) and is removed when the run ends, also after Ctrl-C.
//
// Its command goes along with the host's first facts (FactCache.prefetchWith):
// the same round trip, before the facts are read.

import { HostError } from '../errors.ts';
import type { RemoteHost } from '../ssh/types.ts';
import { quote } from '../util/shell.ts';
import { hostname, userInfo } from 'node:os';

export const LOCK_DIR = '/var/lib/passthru/lock';

/** The run's host lock: the command that takes it (as root), and the check of what it printed. */
export interface HostLock {
  /** POSIX sh, run as root: prints `acquired`, or `locked` and the holder's line */
  script: string;
  /** throws the HostError that refuses the host when the lock was not taken */
  accept(host: string, out: { stdout: string; stderr: string }): void;
}

export function hostLock(runId: string): HostLock {
  const owner = `${runId} ${safeUser()}@${hostname()} ${new Date().toISOString()}`;
  const script = [
    // no program started when the parent is there (every run after the first)
    `[ -d ${quote(['/var/lib/passthru'])} ] || mkdir -p ${quote(['/var/lib/passthru'])}`,
    `if mkdir ${quote([LOCK_DIR])} 2>/dev/null; then printf '%s\\n' ${quote([owner])} > ${quote([`${LOCK_DIR}/owner`])}; echo acquired;`,
    `else echo locked; cat ${quote([`${LOCK_DIR}/owner`])} 2>/dev/null; fi`,
  ].join('\n');
  return { script, accept: (host, out) => acceptLock(host, runId, out) };
}

function acceptLock(host: string, runId: string, r: { stdout: string; stderr: string }): void {
  const [state, holder] = r.stdout.split('\n');
  if (state === 'acquired') return;
  if (state === 'locked') {
    const [id, who, since] = (holder ?? '').split(' ');
    if (id === runId) return;
    throw new HostError(host, `another passthru run holds this host (${who ?? 'unknown'} since ${since ?? 'unknown'}); not touching it`, {
      hint: `wait for that run to finish; if it is gone, remove ${LOCK_DIR} on the host`,
    });
  }
  throw new HostError(host, `cannot take the host lock ${LOCK_DIR}: ${(r.stderr || r.stdout).trim()}`);
}

export async function releaseHostLock(host: RemoteHost, runId: string): Promise<void> {
  // the owner line read by the shell itself; the directory holds nothing but it: one rm
  const script = `l=; { read -r l < ${quote([`${LOCK_DIR}/owner`])}; } 2>/dev/null; case "$l" in ${quote([`${runId} `])}*) rm -rf ${quote([LOCK_DIR])} ;; esac`;
  await host.exec(script, { become: true, timeoutMs: 10_000 });
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
