// The engine reports through this typed event stream and never draws.
// Renderers (src/ui/) and the JSON report subscribe to it.

import type { FileDiff, HostHold } from '../steps/types.ts';

/** `ignored`: the step failed and has `ignore_errors: true` (the host goes on; counted as ok and ignored, as in Ansible) */
export type StepStatus = 'ok' | 'changed' | 'failed' | 'ignored' | 'skipped' | 'unreachable';
export type HostStatus = 'ok' | 'changed' | 'failed' | 'unreachable' | 'skipped';

export interface StepOutcome {
  name: string;
  status: StepStatus;
  changed: boolean;
  /** descriptions of the changes planned (check) or made (apply) */
  changes: string[];
  diffs: FileDiff[];
  duration_ms: number;
  error?: string | undefined;
  hint?: string | undefined;
  /** check mode: depends on an earlier change */
  pending?: string | undefined;
  skipReason?: string | undefined;
  /** the run was interrupted (Ctrl-C) while the step ran: its command was stopped before it finished */
  interrupted?: boolean | undefined;
  notes: string[];
  /** the step's kind (`reboot`, `pci_discover`...): the report reads facts and the reboot span by it */
  kind?: string | undefined;
  /** the value the step registered (the report's facts summary reads the PCI steps' results) */
  result?: Record<string, unknown> | undefined;
}

export type EngineEvent =
  | { type: 'run-start'; check: boolean; plays: string[]; hosts: string[]; time: number }
  | { type: 'play-start'; play: string; index: number; hosts: string[]; batches: string[][]; time: number }
  | { type: 'batch-start'; play: string; index: number; hosts: string[]; time: number }
  | { type: 'host-start'; play: string; host: string; time: number }
  | { type: 'step-start'; play: string; host: string; step: string; kind?: string | undefined; time: number }
  /** the step starts changing the host (its plan is made; a reboot goes down now) */
  | { type: 'step-apply'; play: string; host: string; step: string; kind: string; time: number }
  /** before a host's first step in a play: connected (`start`: when dialing began), then its facts gathered (`start`: when connected) */
  | { type: 'host-phase'; play: string; host: string; phase: 'connect' | 'facts'; start: number; time: number }
  | { type: 'step-end'; play: string; host: string; step: string; outcome: StepOutcome; time: number }
  | { type: 'host-end'; play: string; host: string; status: HostStatus; time: number }
  | { type: 'batch-end'; play: string; index: number; failed: string[]; time: number }
  | { type: 'play-end'; play: string; aborted?: string | undefined; time: number }
  | { type: 'warning'; host?: string | undefined; message: string; time: number }
  /** a step put a hold on the host (or lifted it: hold undefined), see HostHold */
  | { type: 'host-hold'; host: string; key: string; hold: HostHold | undefined; time: number }
  | { type: 'run-end'; interrupted: boolean; time: number };

export type EventListener = (e: EngineEvent) => void;

export class EventBus {
  private readonly listeners: EventListener[] = [];

  on(l: EventListener): void {
    this.listeners.push(l);
  }

  emit(e: EngineEvent): void {
    for (const l of this.listeners) l(e);
  }
}
