// The plan of an applying run, shown before its first change: what every
// host of the play about to change things would do (and of the read-only
// plays before it), collected from a check-mode pass over those plays.
// The engine never draws it; src/ui/plan.ts formats it.

import type { FileDiff } from '../steps/types.ts';
import type { EventBus, HostStatus, StepStatus } from './events.ts';
import { worse } from './state.ts';

export interface PlannedStep {
  play: string;
  step: string;
  status: StepStatus;
  /** one line per change the step would make */
  changes: string[];
  diffs: FileDiff[];
  /** depends on an earlier change that the plan could not make */
  pending?: string | undefined;
  error?: string | undefined;
  hint?: string | undefined;
}

export interface PlannedHost {
  host: string;
  /** changed: something would change; failed/unreachable: the host would stop there */
  status: HostStatus;
  /** the steps worth a line: changes, failures, steps waiting on an earlier change */
  steps: PlannedStep[];
}

export interface RunPlan {
  /** the plays planned, in order: read-only ones, then the first one that changes something */
  plays: string[];
  hosts: PlannedHost[];
  /** plays after the planned ones: they depend on its changes, and are planned when they start */
  later: string[];
}

/** Hosts with at least one change in the plan. */
export function changingHosts(plan: RunPlan): PlannedHost[] {
  return plan.hosts.filter((h) => h.steps.some((s) => s.changes.length > 0));
}

/** Listens to a planning pass's events and builds the plan. */
export class PlanCollector {
  private readonly hosts = new Map<string, PlannedHost>();
  readonly plays: string[] = [];

  constructor(bus: EventBus) {
    bus.on((e) => {
      switch (e.type) {
        case 'play-start':
          this.plays.push(e.play);
          for (const h of e.hosts) this.host(h);
          return;
        case 'step-end': {
          const o = e.outcome;
          const notable = o.changed || o.status === 'failed' || o.status === 'unreachable' || o.pending !== undefined;
          if (!notable) return;
          this.host(e.host).steps.push({ play: e.play, step: e.step, status: o.status, changes: o.changed ? o.changes : [], diffs: o.diffs, pending: o.pending, error: o.error, hint: o.hint });
          return;
        }
        case 'host-end': {
          const h = this.host(e.host);
          h.status = worse(h.status, e.status);
          return;
        }
        default:
          return;
      }
    });
  }

  private host(name: string): PlannedHost {
    let h = this.hosts.get(name);
    if (!h) {
      h = { host: name, status: 'skipped', steps: [] };
      this.hosts.set(name, h);
    }
    return h;
  }

  /** Does the play of this name plan a change on any host? */
  changes(play: string): boolean {
    for (const h of this.hosts.values()) if (h.steps.some((s) => s.play === play && s.changes.length > 0)) return true;
    return false;
  }

  plan(later: string[]): RunPlan {
    return { plays: [...this.plays], hosts: [...this.hosts.values()], later };
  }
}
