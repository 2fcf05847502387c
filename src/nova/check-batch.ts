// nova's own checks of option values, shared by the hosts of a run.
//
// What nova-api, nova-compute and nova-scheduler check at start depends only
// on the values of a few options (the alias list, the device_spec list, the
// filters) and on nova's code. Hosts with the same python and the same nova
// (the same `stack`) give the same answer for the same values, and importing
// nova costs about a second of CPU per python process. So a check is a
// "unit" (one option's values), answered once per stack for the whole run:
// the first host that needs units it does not know yet runs them, together
// with every unit other hosts asked for or announced (`hint`) meanwhile, in
// one python process; every host waiting for those units gets the answer.
// A host whose batch could not run (its connection dropped) checks its
// units itself. Only option values travel between hosts, never a file (the
// files hold passwords): each host loads its own files itself (check.py
// --values) and checks what oslo.config read there.

import type { NovaCheck } from './check.ts';
import type { NovaValues } from './values.ts';

export type NovaUnit =
  | { check: 'alias'; values: string[] }
  | { check: 'device_spec'; values: string[] }
  | { check: 'filters'; enabled: string[]; available: string[] };

export interface UnitAnswer {
  ok: boolean;
  check: NovaCheck;
  error?: string | undefined;
  details?: Record<string, unknown> | undefined;
}

/** Runs units with nova's code on one host: one python process, answers in order. */
export type UnitRunner = (units: NovaUnit[]) => Promise<UnitAnswer[]>;

/** The units of `checks` for option values. */
export function unitsOf(values: NovaValues, checks: readonly NovaCheck[]): NovaUnit[] {
  const out: NovaUnit[] = [];
  if (checks.includes('alias') && values.alias) out.push({ check: 'alias', values: values.alias });
  if (checks.includes('device_spec') && values.device_spec) out.push({ check: 'device_spec', values: values.device_spec });
  if (checks.includes('filters') && values.filters) out.push({ check: 'filters', enabled: values.filters.enabled, available: values.filters.available });
  return out;
}

export function unitKey(u: NovaUnit): string {
  return u.check === 'filters' ? JSON.stringify([u.check, u.enabled, u.available]) : JSON.stringify([u.check, u.values]);
}

interface Batch {
  runner: UnitRunner;
  units: Map<string, NovaUnit>;
  timer: NodeJS.Timeout;
}

interface Waiting {
  promise: Promise<UnitAnswer>;
  resolve(a: UnitAnswer): void;
  reject(e: unknown): void;
}

function waiting(): Waiting {
  let resolve: (a: UnitAnswer) => void = () => {};
  let reject: (e: unknown) => void = () => {};
  const promise = new Promise<UnitAnswer>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/** How long a batch waits for the other hosts' units before it runs. */
export const BATCH_WINDOW_MS = 30;

export class NovaCheckBatcher {
  /** stack + unit -> its answer (settled or on its way) */
  private readonly answers = new Map<string, Waiting>();
  /** units announced per stack that nobody asked for yet */
  private readonly hints = new Map<string, Map<string, NovaUnit>>();
  /** the batch collecting units per stack, not started yet */
  private readonly open = new Map<string, Batch>();
  /** python processes started (for tests and the run's notes) */
  batchesRun = 0;

  constructor(private readonly windowMs = BATCH_WINDOW_MS) {}

  /** Announce units a host will ask for soon: the next batch of that stack checks them too. */
  hint(stack: string, units: readonly NovaUnit[]): void {
    const open = this.open.get(stack);
    for (const u of units) {
      const key = unitKey(u);
      if (this.answers.has(`${stack}\n${key}`)) continue;
      if (open) {
        this.add(stack, open, key, u);
        continue;
      }
      let h = this.hints.get(stack);
      if (!h) this.hints.set(stack, (h = new Map()));
      h.set(key, u);
    }
  }

  /**
   * The answers for `units` (in order). Units nobody checked yet go into the
   * stack's next batch, run by `runner` (the first host to ask) a moment
   * later; if that batch fails, these units are run by `runner` alone.
   */
  async check(stack: string, units: readonly NovaUnit[], runner: UnitRunner): Promise<UnitAnswer[]> {
    const mine = units.map((u) => this.answerFor(stack, u, runner));
    try {
      return await Promise.all(mine.map((w) => w.promise));
    } catch {
      // the batch that held some of these units did not run: check them here
      const answers = await runner([...units]);
      if (answers.length !== units.length) throw new Error(`nova check gave ${answers.length} answers for ${units.length} checks`);
      units.forEach((u, i) => {
        const id = `${stack}\n${unitKey(u)}`;
        if (this.answers.has(id)) return;
        const w = waiting();
        w.resolve(answers[i]!);
        this.answers.set(id, w);
      });
      return answers;
    }
  }

  private answerFor(stack: string, u: NovaUnit, runner: UnitRunner): Waiting {
    const key = unitKey(u);
    const known = this.answers.get(`${stack}\n${key}`);
    if (known) return known;
    let batch = this.open.get(stack);
    if (!batch) {
      batch = { runner, units: new Map(), timer: setTimeout(() => void this.run(stack), this.windowMs) };
      this.open.set(stack, batch);
      for (const [k, hinted] of this.hints.get(stack) ?? []) this.add(stack, batch, k, hinted);
      this.hints.delete(stack);
    }
    return this.add(stack, batch, key, u);
  }

  private add(stack: string, batch: Batch, key: string, u: NovaUnit): Waiting {
    const id = `${stack}\n${key}`;
    let w = this.answers.get(id);
    if (!w) {
      w = waiting();
      this.answers.set(id, w);
      batch.units.set(key, u);
    }
    return w;
  }

  private async run(stack: string): Promise<void> {
    const batch = this.open.get(stack);
    if (!batch) return;
    this.open.delete(stack);
    const entries = [...batch.units];
    this.batchesRun++;
    try {
      const answers = await batch.runner(entries.map(([, u]) => u));
      if (answers.length !== entries.length) throw new Error(`nova check gave ${answers.length} answers for ${entries.length} checks`);
      entries.forEach(([key], i) => this.answers.get(`${stack}\n${key}`)?.resolve(answers[i]!));
    } catch (e) {
      // forget them: whoever asks again runs them anew
      for (const [key] of entries) {
        const id = `${stack}\n${key}`;
        this.answers.get(id)?.reject(e);
        this.answers.delete(id);
      }
    }
  }
}
