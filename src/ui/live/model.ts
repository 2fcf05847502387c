// What the live view knows, updated from the engine's events: cheap and
// synchronous, so a thousand hosts reporting at once never wait on the
// terminal. The layout (layout.ts) draws frames from it.

import type { EngineEvent, HostStatus } from '../../engine/events.ts';
import { firstLine } from '../format.ts';

export type HostState = 'waiting' | 'running' | 'done';

export interface LiveHost {
  name: string;
  state: HostState;
  step?: string | undefined;
  stepStart?: number | undefined;
  hostStart?: number | undefined;
  /** set while the host is in a reboot step: when it started */
  rebootStart?: number | undefined;
  status?: HostStatus | undefined;
}

export interface LiveFailure {
  host: string;
  step: string;
  status: 'failed' | 'unreachable';
  /** one line */
  error: string;
}

export type Counts = Record<HostStatus, number>;

export interface LivePlay {
  name: string;
  state: 'pending' | 'running' | 'done' | 'not-run';
  total: number;
  counts: Counts;
  batches: number;
  batch: number;
  start?: number | undefined;
  end?: number | undefined;
  aborted?: string | undefined;
  /** hosts of the play, while it runs (emptied when it ends: a finished play is one line) */
  hosts: Map<string, LiveHost>;
  /** how long each finished host took, for the ETA */
  took: number[];
}

/** Step kinds during which the host is down (its time down is shown). */
const DOWN_KINDS = new Set(['reboot']);

export const emptyCounts = (): Counts => ({ ok: 0, changed: 0, failed: 0, unreachable: 0, skipped: 0 });

export class LiveModel {
  check = false;
  started: number | undefined;
  ended: number | undefined;
  interrupted = false;
  hostCount = 0;
  readonly plays: LivePlay[] = [];
  /** every host that failed so far, whichever play it failed in: they need attention until the end */
  readonly failures: LiveFailure[] = [];
  /** bumped on every change, so the screen knows when to draw */
  version = 0;

  running(): LivePlay | undefined {
    return this.plays.find((p) => p.state === 'running');
  }

  private play(name: string): LivePlay | undefined {
    return this.plays.find((p) => p.name === name && p.state === 'running');
  }

  private host(name: string, play: string): LiveHost | undefined {
    const p = this.play(play);
    if (!p) return undefined;
    let h = p.hosts.get(name);
    if (!h) {
      h = { name, state: 'waiting' };
      p.hosts.set(name, h);
      p.total = p.hosts.size;
    }
    return h;
  }

  apply(e: EngineEvent): void {
    this.version++;
    switch (e.type) {
      case 'run-start':
        this.check = e.check;
        this.started = e.time;
        this.hostCount = e.hosts.length;
        for (const name of e.plays) this.plays.push(newPlay(name));
        return;
      case 'play-start': {
        let p = this.plays.find((x) => x.name === e.play && x.state === 'pending');
        if (!p) {
          p = newPlay(e.play);
          this.plays.push(p);
        }
        p.state = 'running';
        p.start = e.time;
        p.batches = Math.max(1, e.batches.length);
        for (const h of e.hosts) p.hosts.set(h, { name: h, state: 'waiting' });
        p.total = p.hosts.size;
        return;
      }
      case 'batch-start': {
        const p = this.play(e.play);
        if (p) p.batch = e.index + 1;
        return;
      }
      case 'host-start': {
        const h = this.host(e.host, e.play);
        if (!h) return;
        h.state = 'running';
        h.hostStart = e.time;
        return;
      }
      case 'host-phase': {
        const h = this.host(e.host, e.play);
        if (h && h.state === 'waiting') h.state = 'running';
        return;
      }
      case 'step-start': {
        const h = this.host(e.host, e.play);
        if (!h) return;
        h.state = 'running';
        h.hostStart ??= e.time;
        h.step = e.step;
        h.stepStart = e.time;
        h.rebootStart = undefined;
        return;
      }
      case 'step-apply': {
        // down only once the reboot really starts (a skipped one never does)
        const h = this.host(e.host, e.play);
        if (h && DOWN_KINDS.has(e.kind)) h.rebootStart = e.time;
        return;
      }
      case 'step-end': {
        const p = this.play(e.play);
        const h = this.host(e.host, e.play);
        if (h) h.rebootStart = undefined;
        const o = e.outcome;
        if (p && (o.status === 'failed' || o.status === 'unreachable')) {
          this.failures.push({ host: e.host, step: e.step, status: o.status, error: firstLine(o.error ?? o.status) });
        }
        return;
      }
      case 'host-end': {
        const p = this.play(e.play);
        const h = this.host(e.host, e.play);
        if (!p || !h) return;
        h.state = 'done';
        h.status = e.status;
        h.rebootStart = undefined;
        p.counts[e.status]++;
        if (h.hostStart !== undefined) p.took.push(e.time - h.hostStart);
        if ((e.status === 'failed' || e.status === 'unreachable') && !this.failures.some((f) => f.host === e.host)) {
          this.failures.push({ host: e.host, step: h.step ?? 'connect', status: e.status, error: e.status });
        }
        return;
      }
      case 'play-end': {
        const p = this.play(e.play);
        if (!p) return;
        p.state = 'done';
        p.end = e.time;
        if (e.aborted !== undefined) p.aborted = e.aborted;
        p.hosts.clear();
        return;
      }
      case 'run-end':
        this.ended = e.time;
        this.interrupted = e.interrupted;
        for (const p of this.plays) {
          if (p.state === 'pending') p.state = 'not-run';
          if (p.state === 'running') {
            p.state = 'done';
            p.end = e.time;
          }
        }
        return;
      default:
        return;
    }
  }
}

function newPlay(name: string): LivePlay {
  return { name, state: 'pending', total: 0, counts: emptyCounts(), batches: 1, batch: 0, hosts: new Map(), took: [] };
}

/** Hosts done in a play (any final status). */
export function doneCount(p: LivePlay): number {
  const c = p.counts;
  return c.ok + c.changed + c.failed + c.unreachable + c.skipped;
}

/**
 * Seconds until the play is through, once enough hosts finished to say:
 * the hosts running need about the mean duration of the finished ones, and
 * the waiting ones go through as many at a time as run now.
 */
export function eta(p: LivePlay, now: number): number | undefined {
  const done = p.took.length;
  const enough = Math.min(p.total, Math.max(3, Math.ceil(p.total / 20)));
  if (done < enough || done === 0) return undefined;
  const mean = p.took.reduce((a, b) => a + b, 0) / done;
  let running = 0;
  let waiting = 0;
  let longest = 0;
  for (const h of p.hosts.values()) {
    if (h.state === 'running') {
      running++;
      longest = Math.max(longest, mean - (now - (h.hostStart ?? now)));
    } else if (h.state === 'waiting') waiting++;
  }
  const waves = waiting === 0 ? 0 : Math.ceil(waiting / Math.max(1, running));
  return Math.max(0, longest) + waves * mean;
}
