// A step's `when` and arguments on one host, decided once: rendered and
// validated a single time per host and step, whether the first to ask is the
// fact prefetch or prepare() at the start of the play (ahead of the step's
// turn, and only when nothing the step reads can change before its turn) or
// the step itself at its turn.

import { ConfigError } from '../errors.ts';
import type { Vars } from '../inventory/types.ts';
import { renderArgs, type StepDef } from '../playbook/index.ts';
import { optionsProblem } from '../playbook/step-options.ts';
import type { StepKind } from '../steps/types.ts';
import { holds, readsThrough, type CompiledStep } from './compile.ts';

export type Decision = { runs: false; reason: string } | { runs: true; args: unknown };

type Memo<T> = { ok: true; value: T } | { ok: false; error: unknown };

function attempt<T>(f: () => T): Memo<T> {
  try {
    return { ok: true, value: f() };
  } catch (error) {
    return { ok: false, error };
  }
}

function unwrap<T>(m: Memo<T>): T {
  if (!m.ok) throw m.error;
  return m.value;
}

/** The step's rendered arguments, validated by its kind's schema; a ConfigError at the step's line. */
export function validateArgs(step: StepDef, kind: StepKind<unknown>, rendered: unknown): unknown {
  const parsed = kind.schema.safeParse(rendered);
  if (parsed.success) return parsed.data;
  const p = optionsProblem(kind, parsed.error.issues);
  throw new ConfigError(step.location, `step '${step.name}' (${kind.kind}): ${p.message}`, p.hint);
}

export class StepPrep {
  private readonly whenMemo = new Map<StepDef, Memo<string | undefined>>();
  private readonly argsMemo = new Map<StepDef, Memo<unknown>>();

  /** The first condition that does not hold (its text), or undefined: the step runs. */
  private when(step: CompiledStep, vars: Vars): Memo<string | undefined> {
    return attempt(() => step.when.find((c) => !holds(c, vars, step.def))?.src);
  }

  private args(step: CompiledStep, vars: Vars): Memo<unknown> {
    const kind = step.kind;
    return attempt(() => {
      if (!kind) throw new ConfigError(step.def.location, `unknown step kind '${step.def.kind}'`);
      return validateArgs(step.def, kind, renderArgs(step.def, vars));
    });
  }

  /** At the step's turn: its `when`, then its arguments (rendered and validated); throws what fails the step. */
  decide(step: CompiledStep, vars: Vars): Decision {
    const def = step.def;
    let w = this.whenMemo.get(def);
    if (!w) this.whenMemo.set(def, (w = this.when(step, vars)));
    const falseCondition = unwrap(w);
    if (falseCondition !== undefined) return { runs: false, reason: falseCondition };
    let a = this.argsMemo.get(def);
    if (!a) this.argsMemo.set(def, (a = this.args(step, vars)));
    return { runs: true, args: unwrap(a) };
  }

  /**
   * Ahead of the step's turn: whether it runs (undefined: not known yet) and
   * its arguments (undefined: not known yet, or the step will fail on them).
   * Known when nothing they read can change before the step's turn: no result
   * `volatile` names (registered later), no other host's (`hostvars`).
   */
  peek(step: CompiledStep, vars: Vars, volatile: ReadonlySet<string>): { runs: boolean | undefined; args: unknown } {
    const def = step.def;
    let w = this.whenMemo.get(def);
    if (!w && readsThrough(step.whenReads, vars, volatile).stoppedAt === undefined) this.whenMemo.set(def, (w = this.when(step, vars)));
    const runs = w === undefined || !w.ok ? undefined : w.value === undefined;
    if (runs === false) return { runs, args: undefined };
    let a = this.argsMemo.get(def);
    if (!a && readsThrough(step.argsReads, vars, volatile).stoppedAt === undefined) this.argsMemo.set(def, (a = this.args(step, vars)));
    return { runs, args: a?.ok ? a.value : undefined };
  }
}
