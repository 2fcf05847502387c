// One step on one host: when -> args (both decided once per host and step,
// step-prep.ts) -> plan -> (apply) -> register, with retries/until,
// changed_when/failed_when, a timeout, and one retry after a dropped
// connection for steps that are safe to repeat.
//
// As in Ansible, changed_when, failed_when and until see the step's result
// whatever its outcome (a command's exit code included): changed_when and
// failed_when are decided first, then until; when until still does not hold
// after the last attempt, the step fails.

import { ConnectionLostError, HostError, UnreachableError, formatLocation, isPassthruError } from '../errors.ts';
import type { Vars } from '../inventory/types.ts';
import type { StepContext, StepPlan } from '../steps/types.ts';
import { holds, type CompiledStep, type Condition } from './compile.ts';
import type { StepOutcome } from './events.ts';
import { sleep } from '../util/sleep.ts';
import type { Decision } from './step-prep.ts';

export interface StepRunInput {
  step: CompiledStep;
  ctx: StepContext;
  vars: Vars;
  /** the step's `when` and arguments on this host (throws what fails the step) */
  decide: () => Decision;
  /**
   * check mode: why this step cannot be decided (it reads the result of a
   * step that did not run in check mode); undefined when it can
   */
  unknownInCheck?: string | undefined;
  /** called before any apply; rejects a change that no approved plan showed (see engine/run.ts) */
  confirm: ((what: string) => Promise<void>) | undefined;
  /** awaited before the step's first change, after the confirmation (the host lock); a throw fails the step, unchanged */
  beforeApply?: (() => Promise<void>) | undefined;
  /** called when the step starts changing the host (after its plan, before apply) */
  onApply?: (() => void) | undefined;
  /**
   * awaited right before a step that restarts the host (a reboot) applies:
   * the host's ahead-of-need work (prepare) finishes instead of being cut short
   */
  beforeRestart?: (() => Promise<void>) | undefined;
}

export interface StepRunResult {
  outcome: StepOutcome;
  /** the value to register (also set for skipped steps, as Ansible does) */
  registered: Vars;
  unreachable: boolean;
  /** check mode: the step did not run (a command that is not readonly), so its result holds no output */
  notRunInCheck?: boolean | undefined;
}

type Finish = (o: Partial<StepOutcome>, registered: Vars, unreachable?: boolean) => StepRunResult;

/** The error of a step that was running when the run was interrupted (Ctrl-C): its command was stopped. */
export const STEP_INTERRUPTED = 'interrupted (Ctrl-C): stopped before it finished';

export async function runStep(input: StepRunInput): Promise<StepRunResult> {
  const { step, ctx } = input;
  const def = step.def;
  const started = Date.now();
  const base: StepOutcome = { name: def.name, status: 'ok', changed: false, changes: [], diffs: [], duration_ms: 0, notes: [], kind: def.kind };
  const finish: Finish = (o, registered, unreachable = false) => ({
    outcome: { ...base, ...o, duration_ms: Date.now() - started, result: registered },
    registered,
    unreachable,
  });

  let decision: Decision;
  try {
    decision = input.decide();
  } catch (e) {
    if (ctx.check && input.unknownInCheck !== undefined) return pending(input.unknownInCheck, finish);
    return finish(failureFields(e, def.location), { changed: false, failed: true, msg: errorText(e) });
  }
  if (!decision.runs) {
    return finish({ status: 'skipped', skipReason: `when: ${decision.reason}` }, { changed: false, skipped: true, skip_reason: `condition is false: ${decision.reason}` });
  }
  const args = decision.args;

  try {
    const attempts = step.until !== undefined ? Math.max(1, def.retries + 1) : 1;
    let last: StepRunResult | undefined;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      last = await attemptOnce(input, args, finish, attempt);
      if (step.until === undefined || last.unreachable) break;
      if (last.notRunInCheck && readsResult(step.until, def.register)) {
        last.outcome.notes.push(checkModeNote('until', def.register));
        break;
      }
      if (holds(step.until, resultVars(input.vars, def.register, last.registered), def)) break;
      if (attempt === attempts) {
        last.registered['failed'] = true;
        last = finish(
          { ...last.outcome, status: 'failed', error: `until: condition still false after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${step.until.src}${last.outcome.error ? `\n${last.outcome.error}` : ''}` },
          last.registered,
        );
        break;
      }
      if (ctx.signal.aborted) break;
      await sleep(def.delayMs, ctx.signal);
    }
    return last as StepRunResult;
  } catch (e) {
    // Ctrl-C stops the commands in flight: the step did not fail, it was cut short
    if (ctx.signal.aborted) return finish({ status: 'failed', error: STEP_INTERRUPTED, interrupted: true }, { changed: false, failed: true, msg: STEP_INTERRUPTED });
    return finish(failureFields(e, def.location), { changed: false, failed: true, msg: errorText(e) }, e instanceof UnreachableError && !(e instanceof ConnectionLostError));
  }
}

/** The variables a step's own until/changed_when/failed_when see: its result under its `register` name (or at the top level without one). */
function resultVars(vars: Vars, register: string | undefined, result: Vars): Vars {
  return register ? { ...vars, [register]: result } : { ...vars, ...result };
}

/** Does this condition read the step's result? (Without `register`, the result's fields are top-level variables: assume it does.) */
function readsResult(c: Condition, register: string | undefined): boolean {
  return register === undefined || c.reads.has(register);
}

function checkModeNote(key: string, register: string | undefined): string {
  return `${key} not evaluated: in --check this step does not run, so ${register ? `"${register}"` : 'its result'} holds no output; if it only reads, give it \`readonly: true\` so it runs in --check too`;
}

function pending(why: string, finish: Finish): StepRunResult {
  return finish({ status: 'skipped', pending: why, skipReason: why }, { changed: false, skipped: true, skip_reason: why });
}

/** One attempt; a step that is safe to repeat is run once more after a dropped connection. */
async function attemptOnce(input: StepRunInput, args: unknown, finish: Finish, attempt: number): Promise<StepRunResult> {
  try {
    return await attemptStep(input, args, finish, attempt);
  } catch (e) {
    const kind = input.step.kind;
    if (!(e instanceof ConnectionLostError) || !kind?.repeatable || input.ctx.signal.aborted) throw e;
    input.ctx.warn(`connection lost during '${input.step.def.name}'; reconnecting and running it once more (it is safe to repeat)`);
    await input.ctx.host.reconnect({ signal: input.ctx.signal });
    input.ctx.invalidateFacts();
    const again = await attemptStep(input, args, finish, attempt);
    again.outcome.notes.push('ran again after the connection dropped');
    return again;
  }
}

async function attemptStep(input: StepRunInput, args: unknown, finish: Finish, attempt: number): Promise<StepRunResult> {
  const { step, ctx } = input;
  const def = step.def;
  const kind = step.kind;
  if (!kind) throw new HostError(ctx.hostName, `${def.name}: unknown step kind '${def.kind}'`);
  let plan: StepPlan;
  try {
    plan = await withTimeout(kind.plan(ctx, args), def.timeoutMs, ctx.hostName, def.name);
  } catch (e) {
    if (ctx.check && ctx.pendingChanges.length > 0 && !(e instanceof UnreachableError)) return pendingAfter(ctx, e, finish);
    throw e;
  }

  const changes = plan.changes.map((c) => c.description);
  const diffs = plan.changes.flatMap((c) => (c.diff ? [c.diff] : []));
  const notes = [...(plan.notes ?? [])];
  if (plan.skip !== undefined && plan.fail === undefined) {
    return finish({ status: 'skipped', skipReason: plan.skip, notes }, { changed: false, skipped: true, skip_reason: plan.skip, ...plan.result });
  }

  let result: Vars = { ...plan.result };
  let fail = plan.fail;
  let changed = plan.changes.length > 0 && fail === undefined;
  const notRunInCheck = ctx.check && changed && kind.skipsInCheck?.(args) === true;
  if (changed && !ctx.check) {
    if (!plan.apply) throw new HostError(ctx.hostName, `${def.name}: step planned changes but cannot apply them (bug in step kind '${kind.kind}')`);
    if (input.confirm) await input.confirm(`${def.name} (${kind.kind})`);
    await input.beforeApply?.();
    if (kind.restartsHost && input.beforeRestart) await input.beforeRestart();
    input.onApply?.();
    let outcome;
    try {
      outcome = await withTimeout(plan.apply(ctx), def.timeoutMs, ctx.hostName, def.name);
    } finally {
      // (an apply that read the host back after its last change says so: those facts stay)
      if (kind.changesHost !== false && outcome?.factsCurrent !== true) ctx.invalidateFacts();
    }
    if (outcome?.result) result = { ...result, ...outcome.result };
    if (outcome?.notes) notes.push(...outcome.notes);
    if (outcome?.fail) fail = outcome.fail;
  }

  const registered: Vars = { ...result, changed, failed: fail !== undefined };
  if (fail !== undefined) registered['msg'] = fail.message;
  if (step.until !== undefined) registered['attempts'] = attempt;
  const condVars = (): Vars => resultVars(input.vars, def.register, registered);
  // changed_when first, then failed_when (as Ansible decides them)
  if (step.changedWhen !== undefined) {
    if (notRunInCheck && readsResult(step.changedWhen, def.register)) notes.push(checkModeNote('changed_when', def.register));
    else registered['changed'] = changed = holds(step.changedWhen, condVars(), def);
  }
  if (step.failedWhen !== undefined) {
    if (notRunInCheck && readsResult(step.failedWhen, def.register)) notes.push(checkModeNote('failed_when', def.register));
    else {
      const failed = holds(step.failedWhen, condVars(), def);
      registered['failed'] = failed;
      registered['failed_when_result'] = failed;
      if (!failed && fail !== undefined) notes.push(`failed_when is false: not a failure (${fail.message.split('\n')[0] ?? ''})`);
      fail = failed ? (fail ?? { message: `failed_when: ${step.failedWhen.src}` }) : undefined;
    }
  }
  if (fail !== undefined && ctx.check && ctx.pendingChanges.length > 0) {
    return pendingAfter(ctx, new Error(fail.message), finish);
  }
  if (fail !== undefined) {
    return { ...finish({ status: 'failed', changed, changes, diffs, notes, error: fail.message, hint: fail.hint }, registered), notRunInCheck };
  }
  return { ...finish({ status: changed ? 'changed' : 'ok', changed, changes, diffs, notes, pending: plan.pending }, registered), notRunInCheck };
}

function pendingAfter(ctx: StepContext, e: unknown, finish: Finish): StepRunResult {
  return pending(`depends on earlier change(s) not made in check mode (${ctx.pendingChanges.join(', ')}): ${errorText(e)}`, finish);
}

function failureFields(e: unknown, location: CompiledStep['def']['location']): Partial<StepOutcome> {
  if (e instanceof UnreachableError && !(e instanceof ConnectionLostError)) {
    return { status: 'unreachable', error: errorText(e), hint: e.hint };
  }
  if (isPassthruError(e)) return { status: 'failed', error: errorText(e), hint: e.hint };
  return { status: 'failed', error: `${formatLocation(location)}: ${errorText(e)}` };
}

export function errorText(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

async function withTimeout<T>(p: Promise<T>, ms: number | undefined, host: string, step: string): Promise<T> {
  if (ms === undefined) return p;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HostError(host, `${step}: timed out after ${ms / 1000}s`, { hint: 'raise the step\'s `timeout:` if the host is just slow' })), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
