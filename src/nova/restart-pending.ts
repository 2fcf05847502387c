// Whether a nova unit runs on an older configuration than the one on disk:
// it became active before one of the files it loads last changed. Decided
// from the host (unit start times and file mtimes, src/facts/), so a restart
// owed by any earlier run (killed, refused, cut off between the write and
// the restart) is still made.
//
// Which files a service loads: /etc/nova/nova.conf and the default config
// dir /etc/nova/nova.conf.d/*.conf for every nova service; Ubuntu's
// nova-compute unit also gives --config-file=/etc/nova/nova-compute.conf.

import type { UnitStart } from '../facts/unit-start-times.ts';
import type { NovaService } from './services.ts';

const COMPUTE_ONLY = new Set(['/etc/nova/nova-compute.conf']);

/** The config files (of those on the host) that the service reads. */
export function filesLoadedBy(service: NovaService, files: readonly string[]): string[] {
  return files.filter((f) => !f.startsWith('/etc/kolla/') && (!COMPUTE_ONLY.has(f) || service === 'compute'));
}

export interface PendingRestart {
  unit: string;
  /** the newest of the unit's files, changed after the unit started */
  file: string;
  changedUs: number;
  startedUs: number;
  /** the unit's start as systemd printed it */
  startedText: string;
}

/**
 * The unit's pending restart, if it is active and one of `files` changed
 * after it became active. With a start time in whole seconds (systemd before
 * 248), a file changed within that same second does not count: the restart
 * that follows a write in the same second must not look owed forever.
 */
export function pendingRestart(unit: string, start: UnitStart | undefined, files: readonly string[], mtimes: Readonly<Record<string, number>>): PendingRestart | undefined {
  if (!start || start.state !== 'active' || start.activeEnterUs === undefined) return undefined;
  let newest: { file: string; us: number } | undefined;
  for (const f of files) {
    const us = mtimes[f];
    if (us !== undefined && (newest === undefined || us > newest.us)) newest = { file: f, us };
  }
  if (!newest) return undefined;
  const started = start.activeEnterUs;
  const after = start.precise ? newest.us > started : Math.floor(newest.us / 1e6) > Math.floor(started / 1e6);
  if (!after) return undefined;
  return { unit, file: newest.file, changedUs: newest.us, startedUs: started, startedText: start.text };
}

/** `2026-12-06 21:33:19 UTC` */
export function utcText(us: number): string {
  return `${new Date(Math.floor(us / 1000)).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

export function describePending(p: PendingRestart): string {
  return `restart pending: ${p.file} changed at ${utcText(p.changedUs)}, unit started at ${utcText(p.startedUs)}`;
}
