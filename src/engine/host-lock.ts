// One passthru run per host at a time: a lock directory on the host, made
// atomically with mkdir, holding who took it. A second run refuses the host
// instead of interleaving edits. The lock survives the host's reboot (it is
// not under /run) and is removed when the run ends, also after Ctrl-C.
//
// The lock is taken right before the run's first change on the host, so a
// run that changes nothing on a host (a rerun) writes nothing there. Its
// first facts carry a read-only look at the lock (`check`, a section of the
// same script, no program started): a host another run holds is refused
// before any step, as before. Between that look and the first change another
// run may have come and gone; to catch it, every run that takes the lock
// leaves its line in LAST_FILE, and the take goes through only when that line
// is still the one the facts saw. Otherwise the facts this run planned from
// may be stale: the host is refused, untouched.

import { HostError } from '../errors.ts';
import type { RemoteHost } from '../ssh/types.ts';
import { quote } from '../util/shell.ts';
import { hostname, userInfo } from 'node:os';

const BASE = '/var/lib/passthru';
export const LOCK_DIR = `${BASE}/lock`;
const OWNER_FILE = `${LOCK_DIR}/owner`;
/** the owner line of the last run that took the lock on this host */
export const LAST_FILE = `${BASE}/last-lock`;

/** What the facts saw of the lock: free, and the line of the last run that took it ('' for none). */
export interface LockSeen {
  last: string;
}

/** The run's host lock. */
export interface HostLock {
  /** POSIX sh, any user, read-only: prints `free` and LAST_FILE's line, or `locked` and the holder's line */
  check: string;
  /** what `check` printed -> what it saw; throws the HostError that refuses the host when another run holds it */
  inspect(host: string, out: { stdout: string; stderr: string }): LockSeen;
  /** takes the lock (as root) before the first change on `host`; throws the HostError that refuses the host */
  take(host: RemoteHost, seen: LockSeen): Promise<void>;
  /** removes the lock from `host` if this run took it there */
  release(host: RemoteHost): Promise<void>;
}

/** one line of a file, read by the shell itself (no program), '' when there is none */
function readLine(path: string): string {
  return `l=; { IFS= read -r l < ${quote([path])}; } 2>/dev/null`;
}

export function hostLock(runId: string): HostLock {
  const owner = `${runId} ${safeUser()}@${hostname()} ${new Date().toISOString()}`;
  const taken = new Set<string>();
  const check = `if [ -d ${quote([LOCK_DIR])} ]; then echo locked; ${readLine(OWNER_FILE)}; else echo free; ${readLine(LAST_FILE)}; fi; printf '%s\\n' "$l"`;
  return {
    check,
    inspect: (host, out) => inspectLock(host, runId, out),
    async take(host, seen) {
      if (taken.has(host.name)) return;
      const r = await host.exec(takeScript(owner, seen), { become: true, timeoutMs: 30_000 });
      acceptTake(host.name, runId, r);
      taken.add(host.name);
    },
    async release(host) {
      if (!taken.has(host.name)) return;
      // the owner line read by the shell itself; the directory holds nothing but it: one rm
      const script = `${readLine(OWNER_FILE)}; case "$l" in ${quote([`${runId} `])}*) rm -rf ${quote([LOCK_DIR])} ;; esac`;
      await host.exec(script, { become: true, timeoutMs: 10_000 });
      taken.delete(host.name);
    },
  };
}

function takeScript(owner: string, seen: LockSeen): string {
  return [
    'umask 022',
    // no program started when the parent is there (every run after the first)
    `[ -d ${quote([BASE])} ] || mkdir -p ${quote([BASE])}`,
    `if mkdir ${quote([LOCK_DIR])} 2>/dev/null; then`,
    `  ${readLine(LAST_FILE)}`,
    `  if [ "$l" = ${quote([seen.last])} ]; then`,
    `    printf '%s\\n' ${quote([owner])} > ${quote([OWNER_FILE])} && printf '%s\\n' ${quote([owner])} > ${quote([LAST_FILE])} && echo acquired`,
    `  else rm -rf ${quote([LOCK_DIR])}; echo moved; printf '%s\\n' "$l"; fi`,
    `else echo locked; ${readLine(OWNER_FILE)}; printf '%s\\n' "$l"; fi`,
  ].join('\n');
}

/** "RUNID USER@HOST SINCE" -> its parts */
function holder(line: string | undefined): { id: string | undefined; who: string; since: string } {
  const [id, who, since] = (line ?? '').split(' ');
  return { id, who: who || 'unknown', since: since || 'unknown' };
}

function heldByAnother(host: string, line: string | undefined): HostError {
  const h = holder(line);
  return new HostError(host, `another passthru run holds this host (${h.who} since ${h.since}); not touching it`, {
    hint: `wait for that run to finish; if it is gone, remove ${LOCK_DIR} on the host`,
  });
}

function inspectLock(host: string, runId: string, r: { stdout: string; stderr: string }): LockSeen {
  const [state, line] = r.stdout.split('\n');
  if (state === 'free') return { last: line ?? '' };
  if (state === 'locked') {
    // this run's own lock (facts read again after its first change)
    if (holder(line).id === runId) return { last: line ?? '' };
    throw heldByAnother(host, line);
  }
  throw new HostError(host, `cannot read the host lock ${LOCK_DIR}: ${(r.stderr || r.stdout).trim() || 'no output'}`);
}

function acceptTake(host: string, runId: string, r: { stdout: string; stderr: string; exitCode: number }): void {
  const [state, line] = r.stdout.split('\n');
  if (state === 'acquired') return;
  if (state === 'locked') {
    if (holder(line).id === runId) return;
    throw heldByAnother(host, line);
  }
  if (state === 'moved') {
    const h = holder(line);
    throw new HostError(host, `another passthru run (${h.who}, ${h.since}) took this host after this run read it; its plan may be out of date: not touching it`, {
      hint: 'run again: the new run plans from what the host is now',
    });
  }
  throw new HostError(host, `cannot take the host lock ${LOCK_DIR}: ${(r.stderr || r.stdout).trim() || `exit ${r.exitCode}`}`);
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
