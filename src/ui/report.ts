// The JSON report of a run, built from the event stream. Every string in it
// has been through the secret registry. Shape:
//
// { "hosts": { "<name>": { "status", "error"?, "steps": [ { "name", "play", "status",
//     "changed", "diff"?, "duration_ms", "error"? } ], "last_step"? } },
//   "summary": { "ok", "changed", "failed", "unreachable", "skipped", "ignored", "hosts" },
//   "duration_ms", "check", "interrupted", "failed_hosts", "unreachable_hosts",
//   "limit_retry": "host1,host2" }
//
// summary counts hosts by their final status. A host's status is the worst across
// plays (unreachable > failed > changed > ok); skipped when every step was skipped
// (or it ran none). `ignored` counts the steps that failed with ignore_errors
// (status "ignored"; their host goes on and is not failed for them, as in
// Ansible). `last_step` is there only when the run was interrupted: the
// last step the host started, and whether it finished.

import { rename, rm, writeFile } from 'node:fs/promises';
import type { EngineEvent, EventBus, HostStatus, StepStatus } from '../engine/events.ts';
import type { SecretRegistry } from '../util/secrets.ts';
import { renderDiffs } from './diff.ts';

export interface ReportStep {
  name: string;
  play: string;
  status: StepStatus;
  changed: boolean;
  /** unified diff of the files the step changed (or would change), masked */
  diff?: string;
  duration_ms: number;
  error?: string;
}

export interface ReportHost {
  status: HostStatus;
  error?: string;
  steps: ReportStep[];
  /** only in an interrupted run: where the host got to */
  last_step?: { play: string; step: string; done: boolean };
}

export interface ReportSummary {
  ok: number;
  changed: number;
  failed: number;
  unreachable: number;
  skipped: number;
  /** steps that failed with ignore_errors: true (all hosts) */
  ignored: number;
  hosts: number;
}

export interface Report {
  hosts: Record<string, ReportHost>;
  summary: ReportSummary;
  duration_ms: number;
  check: boolean;
  interrupted: boolean;
  failed_hosts: string[];
  unreachable_hosts: string[];
  /** failed and unreachable hosts, comma-separated: `--limit @report.json` retries them */
  limit_retry: string;
}

const RANK: Record<HostStatus, number> = { skipped: 0, ok: 1, changed: 2, failed: 3, unreachable: 4 };

/** The worst of some statuses (unreachable > failed > changed > ok > skipped); skipped when none. An ignored failure counts as ok. */
export function worstStatus(statuses: Iterable<HostStatus | StepStatus>): HostStatus {
  let worst: HostStatus = 'skipped';
  for (const status of statuses) {
    const s = status === 'ignored' ? 'ok' : status;
    if (RANK[s] > RANK[worst]) worst = s;
  }
  return worst;
}

interface HostTrack {
  steps: ReportStep[];
  ends: HostStatus[];
  warnings: string[];
  last?: { play: string; step: string; done: boolean };
}

export class ReportBuilder {
  private readonly hostOrder: string[] = [];
  private readonly tracks = new Map<string, HostTrack>();
  private startTime: number | undefined;
  private endTime: number | undefined;
  private check = false;
  private interrupted = false;

  constructor(
    bus: EventBus,
    private readonly secrets: SecretRegistry,
    private readonly now: () => number = Date.now,
  ) {
    bus.on((e) => this.onEvent(e));
  }

  private track(host: string): HostTrack {
    let t = this.tracks.get(host);
    if (!t) {
      t = { steps: [], ends: [], warnings: [] };
      this.tracks.set(host, t);
      this.hostOrder.push(host);
    }
    return t;
  }

  private onEvent(e: EngineEvent): void {
    switch (e.type) {
      case 'run-start':
        this.startTime = e.time;
        this.check = e.check;
        for (const h of e.hosts) this.track(h);
        return;
      case 'play-start':
        for (const h of e.hosts) this.track(h);
        return;
      case 'step-start':
        this.track(e.host).last = { play: e.play, step: e.step, done: false };
        return;
      case 'step-end': {
        const t = this.track(e.host);
        const o = e.outcome;
        const step: ReportStep = {
          name: this.secrets.mask(e.step),
          play: this.secrets.mask(e.play),
          status: o.status,
          changed: o.changed,
          duration_ms: Math.max(0, Math.round(o.duration_ms)),
        };
        const diff = renderDiffs(o.diffs, this.secrets, false);
        if (diff !== '') step.diff = this.secrets.mask(diff);
        if (o.error !== undefined && o.error !== '') step.error = this.secrets.mask(o.error);
        // keep the documented key order: name, play, status, changed, diff, duration_ms, error
        t.steps.push(orderStep(step));
        // a step cut short by Ctrl-C did not finish
        t.last = { play: e.play, step: e.step, done: o.interrupted !== true };
        return;
      }
      case 'host-end':
        this.track(e.host).ends.push(e.status);
        return;
      case 'warning':
        if (e.host !== undefined) this.track(e.host).warnings.push(e.message);
        return;
      case 'run-end':
        this.endTime = e.time;
        this.interrupted = e.interrupted;
        return;
      default:
        return;
    }
  }

  build(): Report {
    const hosts: Record<string, ReportHost> = {};
    const summary: ReportSummary = { ok: 0, changed: 0, failed: 0, unreachable: 0, skipped: 0, ignored: 0, hosts: 0 };
    const failed: string[] = [];
    const unreachable: string[] = [];
    for (const name of this.hostOrder) {
      const t = this.tracks.get(name);
      if (!t) continue;
      // the engine's word on the host (host-end) decides: a failed step with ignore_errors does not fail it;
      // the steps only count for a host that never got a host-end
      const status = t.ends.length > 0 ? worstStatus(t.ends) : worstStatus(t.steps.map((s) => s.status));
      const entry: ReportHost = { status, steps: t.steps };
      if (status === 'failed' || status === 'unreachable') {
        const failing = t.steps.find((s) => s.status === status && s.error !== undefined) ?? t.steps.find((s) => s.error !== undefined);
        const error = failing?.error ?? t.warnings.at(-1);
        if (error !== undefined) entry.error = this.secrets.mask(error);
        (status === 'failed' ? failed : unreachable).push(name);
      }
      if (this.interrupted && t.last) {
        entry.last_step = { play: this.secrets.mask(t.last.play), step: this.secrets.mask(t.last.step), done: t.last.done };
      }
      hosts[name] = { status: entry.status, ...(entry.error !== undefined ? { error: entry.error } : {}), steps: entry.steps, ...(entry.last_step ? { last_step: entry.last_step } : {}) };
      summary[status]++;
      summary.ignored += t.steps.filter((st) => st.status === 'ignored').length;
      summary.hosts++;
    }
    const end = this.endTime ?? this.now();
    const start = this.startTime ?? end;
    return {
      hosts,
      summary,
      duration_ms: Math.max(0, Math.round(end - start)),
      check: this.check,
      interrupted: this.interrupted,
      failed_hosts: failed,
      unreachable_hosts: unreachable,
      limit_retry: [...failed, ...unreachable].join(','),
    };
  }
}

function orderStep(s: ReportStep): ReportStep {
  return {
    name: s.name,
    play: s.play,
    status: s.status,
    changed: s.changed,
    ...(s.diff !== undefined ? { diff: s.diff } : {}),
    duration_ms: s.duration_ms,
    ...(s.error !== undefined ? { error: s.error } : {}),
  };
}

/** Write the report as pretty JSON: temp file beside it, then rename, so a reader never sees half a report. */
export async function writeReport(path: string, report: Report): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, `${JSON.stringify(report, null, 2)}\n`);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
