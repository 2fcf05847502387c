// One step on one host: when -> template args -> validate -> plan -> (apply)
// -> register, with retries/until, changed_when/failed_when, a timeout, and
// one retry after a dropped connection for steps that are safe to repeat.

import { ConfigError, ConnectionLostError, HostError, UnreachableError, formatLocation, isPassthruError } from '../errors.ts';
import type { Vars } from '../inventory/types.ts';
import type { StepDef } from '../playbook/index.ts';
import { evaluate, truthy } from '../playbook/template.ts';
import { renderArgs } from '../playbook/index.ts';
import type { StepContext, StepKind, StepPlan } from '../steps/types.ts';
import type { StepOutcome } from './events.ts';
import { sleep } from '../util/sleep.ts';

export interface StepRunInput {
  step: StepDef;
  kind: StepKind<unknown>;
  ctx: StepContext;
  vars: Vars;
  /** called before any apply; rejects a change that no approved plan showed (see engine/run.ts) */
  confirm: ((what: string) => Promise<void>) | undefined;
}

export interface StepRunResult {
  outcome: StepOutcome;
  /** the value to register (also set for skipped steps, as Ansible does) */
  registered: Vars;
  unreachable: boolean;
}

export async function runStep(input: StepRunInput): Promise<StepRunResult> {
  const { step, kind, ctx } = input;
  const started = Date.now();
  const base: StepOutcome = { name: step.name, status: 'ok', changed: false, changes: [], diffs: [], duration_ms: 0, notes: [], kind: kind.kind };
  const finish = (o: Partial<StepOutcome>, registered: Vars, unreachable = false): StepRunResult => ({
    outcome: { ...base, ...o, duration_ms: Date.now() - started, result: registered },
    registered,
    unreachable,
  });

  try {
    for (const cond of step.when) {
      if (!truthy(evaluate(cond, input.vars, step.location))) {
        return finish({ status: 'skipped', skipReason: `when: ${cond}` }, { changed: false, skipped: true, skip_reason: `condition is false: ${cond}` });
      }
    }

    const rendered = renderArgs(step, input.vars);
    const parsed = kind.schema.safeParse(rendered);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const path = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
      throw new ConfigError(step.location, `step '${step.name}' (${kind.kind}): ${path}${issue?.message ?? 'invalid arguments'}`, `see the '${kind.kind}' step in docs/playbook-format.md`);
    }
    const args = parsed.data;

    const attempts = step.until !== undefined ? Math.max(1, step.retries + 1) : 1;
    let last: StepRunResult | undefined;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      last = await attemptOnce(input, args, finish);
      if (step.until === undefined) break;
      if (last.outcome.status !== 'failed') {
        const vars = step.register ? { ...input.vars, [step.register]: last.registered } : { ...input.vars, ...last.registered };
        if (truthy(evaluate(step.until, vars, step.location))) break;
      }
      if (attempt === attempts) {
        if (last.outcome.status !== 'failed') {
          last = finish({ ...last.outcome, status: 'failed', error: `condition still false after ${attempts} attempts: ${step.until}` }, last.registered);
        }
        break;
      }
      if (input.ctx.signal.aborted) break;
      await sleep(step.delayMs, input.ctx.signal);
    }
    return last as StepRunResult;
  } catch (e) {
    // Ctrl-C stops the commands in flight: the step did not fail, it was cut short
    if (ctx.signal.aborted) return finish({ status: 'failed', error: STEP_INTERRUPTED }, { changed: false, failed: true, msg: STEP_INTERRUPTED });
    return finish(failureFields(e, step), { changed: false, failed: true, msg: errorText(e) }, e instanceof UnreachableError && !(e instanceof ConnectionLostError));
  }
}

/** The error of a step that was running when the run was interrupted (Ctrl-C): its command was stopped. */
export const STEP_INTERRUPTED = 'interrupted (Ctrl-C): stopped before it finished';

/** One attempt; a step that is safe to repeat is run once more after a dropped connection. */
async function attemptOnce(
  input: StepRunInput,
  args: unknown,
  finish: (o: Partial<StepOutcome>, registered: Vars, unreachable?: boolean) => StepRunResult,
): Promise<StepRunResult> {
  try {
    return await attemptStep(input, args, finish);
  } catch (e) {
    if (!(e instanceof ConnectionLostError) || !input.kind.repeatable || input.ctx.signal.aborted) throw e;
    input.ctx.warn(`connection lost during '${input.step.name}'; reconnecting and running it once more (it is safe to repeat)`);
    await input.ctx.host.reconnect({ signal: input.ctx.signal });
    input.ctx.invalidateFacts();
    const again = await attemptStep(input, args, finish);
    again.outcome.notes.push('ran again after the connection dropped');
    return again;
  }
}

async function attemptStep(
  input: StepRunInput,
  args: unknown,
  finish: (o: Partial<StepOutcome>, registered: Vars, unreachable?: boolean) => StepRunResult,
): Promise<StepRunResult> {
  const { step, kind, ctx } = input;
  let plan: StepPlan;
  try {
    plan = await withTimeout(kind.plan(ctx, args), step.timeoutMs, ctx.hostName, step.name);
  } catch (e) {
    if (ctx.check && ctx.pendingChanges.length > 0 && !(e instanceof UnreachableError)) {
      return pendingResult(ctx, e, finish);
    } else throw e;
  }

  const changes = plan.changes.map((c) => c.description);
  const diffs = plan.changes.flatMap((c) => (c.diff ? [c.diff] : []));
  const notes = [...(plan.notes ?? [])];
  if (plan.fail) {
    if (ctx.check && ctx.pendingChanges.length > 0) return pendingResult(ctx, new Error(plan.fail.message), finish);
    return finish({ status: 'failed', error: plan.fail.message, hint: plan.fail.hint, notes }, { changed: false, failed: true, msg: plan.fail.message, ...plan.result });
  }
  if (plan.skip !== undefined) {
    return finish({ status: 'skipped', skipReason: plan.skip, notes }, { changed: false, skipped: true, skip_reason: plan.skip, ...plan.result });
  }

  let result: Vars = { ...plan.result };
  let changed = plan.changes.length > 0;
  if (changed && !ctx.check) {
    if (!plan.apply) throw new HostError(ctx.hostName, `${step.name}: step planned changes but cannot apply them (bug in step kind '${kind.kind}')`);
    if (input.confirm) await input.confirm(`${step.name} (${kind.kind})`);
    let outcome;
    try {
      outcome = await withTimeout(plan.apply(ctx), step.timeoutMs, ctx.hostName, step.name);
    } finally {
      ctx.invalidateFacts();
    }
    if (outcome?.result) result = { ...result, ...outcome.result };
    if (outcome?.notes) notes.push(...outcome.notes);
  }

  let status: StepOutcome['status'] = changed ? 'changed' : 'ok';
  let error: string | undefined;
  const registered: Vars = { ...result, changed, failed: false };
  const condVars = step.register ? { ...input.vars, [step.register]: registered } : { ...input.vars, ...registered };
  if (step.changedWhen !== undefined) {
    changed = truthy(evaluate(step.changedWhen, condVars, step.location));
    registered['changed'] = changed;
    status = changed ? 'changed' : 'ok';
  }
  if (step.failedWhen !== undefined && truthy(evaluate(step.failedWhen, condVars, step.location))) {
    status = 'failed';
    error = `failed_when: ${step.failedWhen}`;
    registered['failed'] = true;
  }
  const pending = plan.pending;
  return finish({ status, changed, changes, diffs, notes, error, pending }, registered);
}

function pendingResult(
  ctx: StepContext,
  e: unknown,
  finish: (o: Partial<StepOutcome>, registered: Vars) => StepRunResult,
): StepRunResult {
  const why = `depends on earlier change(s) not made in check mode (${ctx.pendingChanges.join(', ')}): ${errorText(e)}`;
  return finish({ status: 'skipped', pending: why, skipReason: why }, { changed: false, skipped: true, skip_reason: why });
}

function failureFields(e: unknown, step: StepDef): Partial<StepOutcome> {
  if (e instanceof UnreachableError && !(e instanceof ConnectionLostError)) {
    return { status: 'unreachable', error: errorText(e), hint: e.hint };
  }
  if (isPassthruError(e)) return { status: 'failed', error: errorText(e), hint: e.hint };
  return { status: 'failed', error: `${formatLocation(step.location)}: ${errorText(e)}` };
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

