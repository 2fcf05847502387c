// The JSON report of a run, built from the event stream. Every string in it
// has been through the secret registry. The schema is versioned (`schema`)
// and documented in README.md ("The JSON report"); in short:
//
// { "schema": 2, "passthru", "started_at", "ended_at", "duration_ms", "check", "interrupted",
//   "playbook", "inventory", "options",
//   "plays": [ { "name", "started_at", "duration_ms", "hosts", "aborted"? } ],
//   "summary": { "ok", "changed", "failed", "unreachable", "skipped", "ignored", "hosts" },
//   "failed_hosts", "unreachable_hosts", "limit_retry": "host1,host2",
//   "warnings": [ { "time", "host"?, "message" } ], "flavors": [ { "name", "alias" } ],
//   "hosts": { "<name>": { "status", "error"?, "groups", "facts"?,
//       "phases": [ { "play", "phase": "connect"|"facts", "started_at", "duration_ms" } ],
//       "steps": [ { "name", "play", "kind"?, "status", "changed", "started_at", "duration_ms",
//                    "changes", "notes", "skip_reason"?, "diff"?, "error"?, "hint"? } ],
//       "last_step"? } } }
//
// A host that a step left held back (a compute still disabled in the
// scheduler after a failed or interrupted drain) has `held`: what, and the
// command that undoes it.
//
// summary counts hosts by their final status. A host's status is the worst across
// plays (unreachable > failed > changed > ok); skipped when every step was skipped
// (or it ran none). `ignored` counts the steps that failed with ignore_errors
// (status "ignored"; their host goes on and is not failed for them, as in
// Ansible). `last_step` is there only when the run was interrupted: the
// last step the host started, and whether it finished.

import { rename, rm, writeFile } from 'node:fs/promises';
import type { EngineEvent, EventBus, HostStatus, StepStatus } from '../engine/events.ts';
import type { HostHold } from '../steps/types.ts';
import type { SecretRegistry } from '../util/secrets.ts';
import { renderDiffs } from './diff.ts';
import { FactsCollector, flavorOf, flavorsIn, type HostFacts } from './facts-summary.ts';

export const REPORT_SCHEMA = 2;

export interface ReportStep {
  name: string;
  play: string;
  /** the step kind (reboot, pci_discover, ini...) */
  kind?: string;
  status: StepStatus;
  changed: boolean;
  /** ISO 8601 */
  started_at: string;
  duration_ms: number;
  /** what changed (or would change, in check mode), one line each */
  changes: string[];
  notes: string[];
  skip_reason?: string;
  /** unified diff of the files the step changed (or would change), masked */
  diff?: string;
  error?: string;
  hint?: string;
}

export interface ReportPhase {
  play: string;
  phase: 'connect' | 'facts';
  started_at: string;
  duration_ms: number;
}

export interface ReportHost {
  status: HostStatus;
  error?: string;
  /** inventory groups the host is in */
  groups: string[];
  facts?: HostFacts;
  phases: ReportPhase[];
  steps: ReportStep[];
  /** only in an interrupted run: where the host got to */
  last_step?: { play: string; step: string; done: boolean };
  /** what passthru left held on the host at the end (e.g. nova-compute disabled), with the command that undoes it */
  held?: HostHold[];
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

export interface ReportPlay {
  name: string;
  started_at: string;
  duration_ms: number;
  hosts: number;
  aborted?: string;
}

export interface Report {
  schema: number;
  passthru: string;
  started_at: string;
  ended_at: string;
  duration_ms: number;
  check: boolean;
  interrupted: boolean;
  /** absolute paths, or null when the run did not come from files */
  playbook: string | null;
  inventory: string | null;
  /** the command line's options (extra vars with secret values masked) */
  options: Record<string, unknown>;
  plays: ReportPlay[];
  summary: ReportSummary;
  failed_hosts: string[];
  unreachable_hosts: string[];
  /** failed and unreachable hosts, comma-separated: `--limit @report.json` retries them */
  limit_retry: string;
  warnings: Array<{ time: string; host?: string; message: string }>;
  /** flavors made or checked for the GPUs, with their pci_passthrough:alias */
  flavors: Array<{ name: string; alias: string }>;
  hosts: Record<string, ReportHost>;
}

/** What the run knows beyond the events: written into the report as it is. */
export interface ReportMeta {
  version: string;
  playbook?: string | undefined;
  inventory?: string | undefined;
  options?: Record<string, unknown> | undefined;
  /** inventory groups of a host */
  groups?: ((host: string) => string[]) | undefined;
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
  phases: ReportPhase[];
  ends: HostStatus[];
  warnings: string[];
  facts: FactsCollector;
  /** step name -> when it started (the step running now) */
  starting: Map<string, number>;
  last?: { play: string; step: string; done: boolean };
  holds: Map<string, HostHold>;
}

interface PlayTrack {
  name: string;
  start: number;
  end?: number;
  hosts: number;
  aborted?: string;
}

const iso = (t: number): string => new Date(t).toISOString();

export class ReportBuilder {
  private readonly hostOrder: string[] = [];
  private readonly tracks = new Map<string, HostTrack>();
  private readonly plays: PlayTrack[] = [];
  private readonly warnings: Report['warnings'] = [];
  private readonly flavors = new Map<string, string>();
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
      t = { steps: [], phases: [], ends: [], warnings: [], facts: new FactsCollector(), starting: new Map(), holds: new Map() };
      this.tracks.set(host, t);
      this.hostOrder.push(host);
    }
    return t;
  }

  private mask = (s: string): string => this.secrets.mask(s);

  private onEvent(e: EngineEvent): void {
    switch (e.type) {
      case 'run-start':
        this.startTime = e.time;
        this.check = e.check;
        for (const h of e.hosts) this.track(h);
        return;
      case 'play-start':
        this.plays.push({ name: e.play, start: e.time, hosts: e.hosts.length });
        for (const h of e.hosts) this.track(h);
        return;
      case 'play-end': {
        const p = this.plays.findLast((x) => x.name === e.play && x.end === undefined);
        if (p) {
          p.end = e.time;
          if (e.aborted !== undefined) p.aborted = e.aborted;
        }
        return;
      }
      case 'host-phase':
        this.track(e.host).phases.push({ play: this.mask(e.play), phase: e.phase, started_at: iso(e.start), duration_ms: Math.max(0, e.time - e.start) });
        return;
      case 'step-start': {
        const t = this.track(e.host);
        t.last = { play: e.play, step: e.step, done: false };
        t.starting.set(e.step, e.time);
        return;
      }
      case 'step-end': {
        const t = this.track(e.host);
        const o = e.outcome;
        const started = t.starting.get(e.step) ?? e.time - o.duration_ms;
        t.starting.delete(e.step);
        const step: ReportStep = {
          name: this.mask(e.step),
          play: this.mask(e.play),
          ...(o.kind !== undefined ? { kind: o.kind } : {}),
          status: o.status,
          changed: o.changed,
          started_at: iso(started),
          duration_ms: Math.max(0, Math.round(o.duration_ms)),
          changes: o.changes.map(this.mask),
          notes: o.notes.map(this.mask),
        };
        if (o.skipReason !== undefined) step.skip_reason = this.mask(o.skipReason);
        const diff = renderDiffs(o.diffs, this.secrets, false);
        if (diff !== '') step.diff = this.mask(diff);
        if (o.error !== undefined && o.error !== '') step.error = this.mask(o.error);
        if (o.hint !== undefined && o.hint !== '') step.hint = this.mask(o.hint);
        t.steps.push(step);
        // a skipped step registered nothing worth reading
        if (o.status !== 'skipped' && o.status !== 'failed') t.facts.add(o.kind, o.result);
        for (const f of flavorsIn(o.kind, o.result)) this.flavors.set(f.name, f.alias);
        // a step cut short by Ctrl-C did not finish
        t.last = { play: e.play, step: e.step, done: o.interrupted !== true };
        return;
      }
      case 'host-end':
        this.track(e.host).ends.push(e.status);
        return;
      case 'warning':
        if (e.host !== undefined) this.track(e.host).warnings.push(e.message);
        this.warnings.push({ time: iso(e.time), ...(e.host !== undefined ? { host: e.host } : {}), message: this.mask(e.message) });
        return;
      case 'host-hold': {
        const holds = this.track(e.host).holds;
        if (e.hold) holds.set(e.key, { what: this.secrets.mask(e.hold.what), undo: this.secrets.mask(e.hold.undo) });
        else holds.delete(e.key);
        return;
      }
      case 'run-end':
        this.endTime = e.time;
        this.interrupted = e.interrupted;
        return;
      default:
        return;
    }
  }

  build(meta: ReportMeta = { version: 'unknown' }): Report {
    const hosts: Record<string, ReportHost> = {};
    const summary: ReportSummary = { ok: 0, changed: 0, failed: 0, unreachable: 0, skipped: 0, ignored: 0, hosts: 0 };
    const failed: string[] = [];
    const unreachable: string[] = [];
    const flavors = [...this.flavors].map(([name, alias]) => ({ name: this.mask(name), alias: this.mask(alias) }));
    for (const name of this.hostOrder) {
      const t = this.tracks.get(name);
      if (!t) continue;
      // the engine's word on the host (host-end) decides: a failed step with ignore_errors does not fail it;
      // the steps only count for a host that never got a host-end
      const status = t.ends.length > 0 ? worstStatus(t.ends) : worstStatus(t.steps.map((s) => s.status));
      const entry: ReportHost = { status, groups: meta.groups?.(name) ?? [], phases: t.phases, steps: t.steps };
      if (status === 'failed' || status === 'unreachable') {
        const failing = t.steps.find((s) => s.status === status && s.error !== undefined) ?? t.steps.find((s) => s.error !== undefined);
        const error = failing?.error ?? t.warnings.at(-1);
        if (error !== undefined) entry.error = this.mask(error);
        (status === 'failed' ? failed : unreachable).push(name);
      }
      const facts = t.facts.result();
      if (facts) {
        for (const g of facts.gpus) {
          const flavor = flavorOf(g, flavors);
          if (flavor !== undefined) g.flavor = flavor;
        }
        entry.facts = JSON.parse(this.mask(JSON.stringify(facts))) as HostFacts;
      }
      if (this.interrupted && t.last) {
        entry.last_step = { play: this.mask(t.last.play), step: this.mask(t.last.step), done: t.last.done };
      }
      if (t.holds.size > 0) entry.held = [...t.holds.values()];
      hosts[name] = orderHost(entry);
      summary[status]++;
      summary.ignored += t.steps.filter((st) => st.status === 'ignored').length;
      summary.hosts++;
    }
    const end = this.endTime ?? this.now();
    const start = this.startTime ?? end;
    return {
      schema: REPORT_SCHEMA,
      passthru: meta.version,
      started_at: iso(start),
      ended_at: iso(end),
      duration_ms: Math.max(0, Math.round(end - start)),
      check: this.check,
      interrupted: this.interrupted,
      playbook: meta.playbook ?? null,
      inventory: meta.inventory ?? null,
      options: JSON.parse(this.mask(JSON.stringify(meta.options ?? {}))) as Record<string, unknown>,
      plays: this.plays.map((p) => ({
        name: this.mask(p.name),
        started_at: iso(p.start),
        duration_ms: Math.max(0, (p.end ?? end) - p.start),
        hosts: p.hosts,
        ...(p.aborted !== undefined ? { aborted: this.mask(p.aborted) } : {}),
      })),
      summary,
      failed_hosts: failed,
      unreachable_hosts: unreachable,
      limit_retry: [...failed, ...unreachable].join(','),
      warnings: this.warnings,
      flavors,
      hosts,
    };
  }
}

/** The documented key order. */
function orderHost(h: ReportHost): ReportHost {
  return {
    status: h.status,
    ...(h.error !== undefined ? { error: h.error } : {}),
    groups: h.groups,
    ...(h.facts ? { facts: h.facts } : {}),
    phases: h.phases,
    steps: h.steps,
    ...(h.last_step ? { last_step: h.last_step } : {}),
    ...(h.held ? { held: h.held } : {}),
  };
}

/** Write a file whole: temp file beside it, then rename, so a reader never sees half of it. */
export async function writeWhole(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, text);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** Write the report as pretty JSON (whole or not at all). */
export async function writeReport(path: string, report: Report): Promise<void> {
  await writeWhole(path, `${JSON.stringify(report, null, 2)}\n`);
}
