// One host through one play: connect (once per run), gather the facts the
// play's steps declare in one round trip, run the steps in order, then the
// notified handlers (also when a later step failed), and report.

import type { Fact } from '../facts/types.ts';
import type { Vars } from '../inventory/types.ts';
import type { Play, StepDef } from '../playbook/index.ts';
import { renderArgs } from '../playbook/index.ts';
import { evaluate, truthy } from '../playbook/template.ts';
import type { RemoteHost } from '../ssh/types.ts';
import type { StepContext, StepKind } from '../steps/types.ts';
import type { SecretRegistry } from '../util/secrets.ts';
import type { ConnectionPool } from './connections.ts';
import type { EventBus, HostStatus, StepOutcome } from './events.ts';
import { FactCache } from './fact-cache.ts';
import type { RunState } from './state.ts';
import { worse } from './state.ts';
import { errorText, runStep, type StepRunResult } from './step-runner.ts';

export interface PlayContext {
  play: Play;
  playHosts: string[];
  state: RunState;
  pool: ConnectionPool;
  kinds: ReadonlyMap<string, StepKind<unknown>>;
  bus: EventBus;
  check: boolean;
  secrets: SecretRegistry;
  signal: AbortSignal;
  /** does this step run at all (tags, --start-at-step)? */
  selected: (step: StepDef, play: Play) => boolean;
  confirm: ((what: string) => Promise<void>) | undefined;
  /** run_once steps: the first host to reach one runs it; the others share its result */
  runOnce: Map<StepDef, Promise<{ host: string; result: StepRunResult }>>;
  /** called once per host after connecting, before any step (the host lock) */
  onConnect: ((host: RemoteHost) => Promise<void>) | undefined;
  /** the selected steps (and handlers) of the later plays this host is in, with their play's vars */
  laterSteps: (host: string) => Array<{ steps: StepDef[]; vars: Vars }>;
}

export async function runHostPlay(pc: PlayContext, hostName: string): Promise<HostStatus> {
  const { play, state, bus } = pc;
  const hs = state.host(hostName);
  const emitStep = (step: string, outcome: StepOutcome): void => {
    bus.emit({ type: 'step-end', play: play.name, host: hostName, step, outcome, time: Date.now() });
  };
  bus.emit({ type: 'host-start', play: play.name, host: hostName, time: Date.now() });

  let status: HostStatus | undefined;
  const end = (s: HostStatus): HostStatus => {
    hs.status = worse(hs.status, s);
    bus.emit({ type: 'host-end', play: play.name, host: hostName, status: s, time: Date.now() });
    return s;
  };
  const unreachableOrFailed = (e: unknown): HostStatus => {
    const unreachable = pc.pool.unreachable(hostName) !== undefined;
    emitStep('connect', outcomeOf(unreachable ? 'unreachable' : 'failed', 'connect', e));
    hs.out = unreachable ? 'unreachable' : 'failed';
    return end(unreachable ? 'unreachable' : 'failed');
  };

  let host: RemoteHost;
  const dialed = Date.now();
  try {
    host = await pc.pool.get(hostName);
  } catch (e) {
    return unreachableOrFailed(e);
  }
  const connected = Date.now();
  bus.emit({ type: 'host-phase', play: play.name, host: hostName, phase: 'connect', start: dialed, time: connected });

  const become = play.become ?? false;
  // one cache per host for the whole run: a play that follows one that changed nothing reads nothing again
  const facts = (hs.facts ??= new FactCache(host));
  // check mode: changes planned on this host earlier in the run (any play) and not made
  const pendingChanges = hs.pendingChanges;
  const notified = new Set<string>();
  const baseVars = (): Vars => state.varsFor(hostName, play.vars, pc.check, pc.playHosts);

  const steps = play.steps.filter((s) => pc.selected(s, play));
  const later = pc.laterSteps(hostName);
  // the steps still to run on this host from `position` on (the one running included)
  let position = 0;
  const notYetRegistered = (): Set<string> =>
    new Set([...steps.slice(position), ...play.handlers, ...later.flatMap((l) => l.steps)].flatMap((st) => (st.register ? [st.register] : [])));
  // when the host starts the play: what this play and the later ones will read (a run
  // that changes nothing reads each host once)
  const everything = (): Fact<unknown>[] => {
    const pending = notYetRegistered();
    const out = declaredFacts([...steps.slice(position), ...play.handlers], pc.kinds, baseVars(), pending);
    for (const l of later) out.push(...declaredFacts(l.steps, pc.kinds, state.varsFor(hostName, l.vars, pc.check, pc.playHosts), pending));
    return out;
  };
  // a fact missing after a change: read it with what the steps up to the next disruptive one
  // (a reboot, a restart: it changes what they would read) will read
  facts.lookAhead(() => declaredFacts(untilDisruptive([...steps.slice(position), ...play.handlers], pc.kinds), pc.kinds, baseVars(), notYetRegistered()));
  // read-only: it goes along with taking the host lock, and is simply not used when the lock is refused
  const prefetched = facts.prefetch(everything(), become).catch((e: unknown) => {
    // a fact that cannot be read fails the step that needs it, with its own message
    if (!(e instanceof Error)) throw e;
  });
  try {
    if (pc.onConnect && !hs.locked) {
      await pc.onConnect(host);
      hs.locked = true;
    }
  } catch (e) {
    await prefetched;
    return unreachableOrFailed(e);
  }
  await prefetched;
  bus.emit({ type: 'host-phase', play: play.name, host: hostName, phase: 'facts', start: connected, time: Date.now() });

  const makeCtx = (step: StepDef): StepContext => ({
    host,
    hostName,
    vars: baseVars(),
    check: pc.check,
    become: step.become ?? become,
    becomeUser: step.becomeUser ?? play.becomeUser,
    timeoutMs: step.timeoutMs,
    gather: (f) => facts.get(f, step.become ?? become),
    invalidateFacts: () => facts.invalidate(),
    shared: (key, create) => state.shared(key, create),
    hostvars: (n) => state.visibleVars(n),
    hostvar: (n, v) => state.visibleVar(n, v),
    groups: state.groups,
    backups: hs.backups,
    pendingChanges: [...pendingChanges],
    warn: (message) => bus.emit({ type: 'warning', host: hostName, message, time: Date.now() }),
    secrets: pc.secrets,
    signal: pc.signal,
    delegate: (name) => pc.pool.get(name),
    hold: (key, hold) => bus.emit({ type: 'host-hold', host: hostName, key, hold, time: Date.now() }),
  });

  const run = async (step: StepDef): Promise<StepRunResult> => {
    const kind = pc.kinds.get(step.kind);
    hs.lastStep = step.name;
    bus.emit({ type: 'step-start', play: play.name, host: hostName, step: step.name, kind: step.kind, time: Date.now() });
    if (!kind) {
      return { outcome: outcomeOf('failed', step.name, new Error(`unknown step kind '${step.kind}'`)), registered: {}, unreachable: false };
    }
    if (step.runOnce) {
      let shared = pc.runOnce.get(step);
      if (!shared) {
        const ctx = makeCtx(step);
        shared = runStep({ step, kind, ctx, vars: ctx.vars, confirm: pc.confirm }).then((result) => ({ host: hostName, result }));
        pc.runOnce.set(step, shared);
      }
      const { host: ranOn, result } = await shared;
      if (ranOn !== hostName) {
        return { outcome: { ...result.outcome, status: 'skipped', changed: false, skipReason: `run_once: ran on ${ranOn}`, duration_ms: 0 }, registered: result.registered, unreachable: false };
      }
      return result;
    }
    const ctx = makeCtx(step);
    return runStep({ step, kind, ctx, vars: ctx.vars, confirm: pc.confirm });
  };

  // expensive read-only work the steps can start early (checks of planned files on another host...)
  for (const step of steps) startPrepare(step, pc.kinds, makeCtx(step));

  for (const [index, step] of steps.entries()) {
    if (pc.signal.aborted) break;
    position = index;
    const r = await run(step);
    if (step.register) hs.registered[step.register] = r.registered;
    emitStep(step.name, r.outcome);
    status = worse(status, r.outcome.status === 'failed' && step.ignoreErrors ? 'ok' : r.outcome.status);
    if (r.outcome.changed) {
      for (const n of step.notify) notified.add(n);
      if (pc.check) pendingChanges.push(step.name);
    }
    if (r.unreachable || r.outcome.status === 'unreachable') {
      hs.out = 'unreachable';
      status = 'unreachable';
      break;
    }
    if (r.outcome.status === 'failed' && !step.ignoreErrors) {
      hs.out = 'failed';
      break;
    }
  }

  // Handlers run once per host at the end of the play, in the order they are
  // defined, and also when a later step failed (what changed still needs them).
  position = steps.length;
  if (hs.out !== 'unreachable' && !pc.signal.aborted) {
    for (const handler of play.handlers) {
      if (!notified.has(handler.name) && !handler.listen.some((l) => notified.has(l))) continue;
      const r = await run(handler);
      if (handler.register) hs.registered[handler.register] = r.registered;
      emitStep(handler.name, r.outcome);
      status = worse(status, r.outcome.status === 'failed' && handler.ignoreErrors ? 'ok' : r.outcome.status);
      if (r.outcome.status === 'failed' && !handler.ignoreErrors) hs.out = 'failed';
      if (r.outcome.status === 'unreachable') {
        hs.out = 'unreachable';
        break;
      }
    }
  }

  if (hs.out) status = hs.out;
  return end(status ?? 'skipped');
}

/**
 * The step's `when` as far as it can be told now: false, or true/unknown. A
 * condition naming a result not registered yet (`kernel.reboot_required`,
 * `gpu.has_gpu | default(false)` before the discovery ran) is unknown.
 */
function maybeRuns(step: StepDef, vars: Vars, notYetRegistered: ReadonlySet<string>): boolean {
  if (step.when.some((cond) => (cond.match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? []).some((name) => notYetRegistered.has(name)))) return true;
  try {
    return step.when.every((cond) => truthy(evaluate(cond, vars, step.location)));
  } catch {
    return true;
  }
}

/** The steps up to and with the first disruptive one: what runs before the host's state changes for sure. */
function untilDisruptive(steps: StepDef[], kinds: ReadonlyMap<string, StepKind<unknown>>): StepDef[] {
  const i = steps.findIndex((st) => kinds.get(st.kind)?.disruptive === true);
  return i < 0 ? steps : steps.slice(0, i + 1);
}

function declaredFacts(steps: StepDef[], kinds: ReadonlyMap<string, StepKind<unknown>>, vars: Vars, notYetRegistered: ReadonlySet<string>): Fact<unknown>[] {
  const out: Fact<unknown>[] = [];
  for (const step of steps) {
    const kind = kinds.get(step.kind);
    if (!kind?.facts || !maybeRuns(step, vars, notYetRegistered)) continue;
    try {
      const parsed = kind.schema.safeParse(renderArgs(step, vars));
      if (parsed.success) out.push(...kind.facts(parsed.data));
    } catch {
      // args that depend on registered values are templated at the step's turn
    }
  }
  return out;
}

/**
 * Let a step kind start its expensive read-only work now (`prepare`), for a
 * step whose condition already holds and whose arguments are known. Never
 * awaited, never fails the host: the step itself does the work again if the
 * preparation did not happen or did not fit.
 */
function startPrepare(step: StepDef, kinds: ReadonlyMap<string, StepKind<unknown>>, ctx: StepContext): void {
  const kind = kinds.get(step.kind);
  if (!kind?.prepare) return;
  try {
    if (!step.when.every((cond) => truthy(evaluate(cond, ctx.vars, step.location)))) return;
    const parsed = kind.schema.safeParse(renderArgs(step, ctx.vars));
    if (!parsed.success) return;
    void kind.prepare(ctx, parsed.data).catch(() => undefined);
  } catch {
    // a condition or an argument that depends on a later result: nothing to prepare
  }
}

function outcomeOf(status: StepOutcome['status'], name: string, e: unknown): StepOutcome {
  const hint = e instanceof Error && 'hint' in e && typeof e.hint === 'string' ? e.hint : undefined;
  return { name, status, changed: false, changes: [], diffs: [], duration_ms: 0, error: errorText(e), hint, notes: [] };
}
