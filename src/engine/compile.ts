// Each step compiled once (per run, whatever the number of hosts): its step
// kind, its conditions parsed into syntax trees, and the variables its
// conditions and arguments read, taken from those trees.

import type { Vars } from '../inventory/types.ts';
import { parseExpression, variablesOf, type Expr } from '../playbook/expression.ts';
import type { StepDef } from '../playbook/index.ts';
import { evaluateParsed, templateVariables, truthy } from '../playbook/template.ts';
import type { StepKind } from '../steps/types.ts';

export interface Condition {
  /** as written (without {{ }}) */
  src: string;
  expr: Expr;
  /** the variables it reads */
  reads: ReadonlySet<string>;
}

export interface CompiledStep {
  def: StepDef;
  /** undefined: a kind the engine does not know (the loader refuses those; a test may not) */
  kind: StepKind<unknown> | undefined;
  when: Condition[];
  until: Condition | undefined;
  changedWhen: Condition | undefined;
  failedWhen: Condition | undefined;
  /** the variables `when` reads */
  whenReads: ReadonlySet<string>;
  /** the variables the arguments read */
  argsReads: ReadonlySet<string>;
  /** everything the step reads: when, arguments, until, changed_when, failed_when */
  reads: ReadonlySet<string>;
}

function condition(src: string): Condition {
  const expr = parseExpression(src);
  return { src, expr, reads: variablesOf(expr) };
}

function union(...sets: Array<ReadonlySet<string> | undefined>): Set<string> {
  const out = new Set<string>();
  for (const s of sets) for (const x of s ?? []) out.add(x);
  return out;
}

const compiled = new WeakMap<StepDef, { kinds: ReadonlyMap<string, StepKind<unknown>>; step: CompiledStep }>();

/** The step, compiled (once: later calls give the same object). The loader checked the syntax already. */
export function compileStep(def: StepDef, kinds: ReadonlyMap<string, StepKind<unknown>>): CompiledStep {
  const known = compiled.get(def);
  if (known && known.kinds === kinds) return known.step;
  const when = def.when.map(condition);
  const until = def.until !== undefined ? condition(def.until) : undefined;
  const changedWhen = def.changedWhen !== undefined ? condition(def.changedWhen) : undefined;
  const failedWhen = def.failedWhen !== undefined ? condition(def.failedWhen) : undefined;
  const whenReads = union(...when.map((c) => c.reads));
  const argsReads = templateVariables(def.args);
  const step: CompiledStep = {
    def,
    kind: kinds.get(def.kind),
    when,
    until,
    changedWhen,
    failedWhen,
    whenReads,
    argsReads,
    reads: union(whenReads, argsReads, until?.reads, changedWhen?.reads, failedWhen?.reads),
  };
  compiled.set(def, { kinds, step });
  return step;
}

/** The condition holds for these variables (an error names the step's line). */
export function holds(c: Condition, vars: Vars, step: StepDef): boolean {
  return truthy(evaluateParsed(c.expr, c.src, vars, step.location));
}

/**
 * Every variable `roots` read, also through the {{ }} in the values of the
 * variables they name (`x: "{{ gpu.has_gpu }}"` makes `x` read `gpu`).
 * Stops (returns `stop`'s name) at the first name `stop` holds: its value is
 * not looked into (`hostvars`).
 */
export function readsThrough(roots: Iterable<string>, vars: Vars, stop: ReadonlySet<string>): { reads: Set<string>; stoppedAt: string | undefined } {
  const reads = new Set<string>();
  const todo = [...roots];
  while (todo.length > 0) {
    const name = todo.pop() as string;
    if (reads.has(name)) continue;
    reads.add(name);
    if (stop.has(name)) return { reads, stoppedAt: name };
    if (Object.hasOwn(vars, name)) for (const n of templateVariables(vars[name])) todo.push(n);
  }
  return { reads, stoppedAt: undefined };
}
