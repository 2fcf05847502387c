// One host through one play: connect (once per run), gather the facts the
// play's steps declare in one round trip, run the steps in order, then the
// notified handlers (also when a later step failed), and report.

import { HostError } from '../errors.ts';
import type { Fact } from '../facts/types.ts';
import type { Vars } from '../inventory/types.ts';
import type { Play, StepDef } from '../playbook/index.ts';
import type { RemoteHost } from '../ssh/types.ts';
import type { StepContext, StepKind } from '../steps/types.ts';
import type { SecretRegistry } from '../util/secrets.ts';
import { compileStep, readsThrough, type CompiledStep } from './compile.ts';
import type { ConnectionPool } from './connections.ts';
import type { EventBus, HostStatus, StepOutcome } from './events.ts';
import { FactCache } from './fact-cache.ts';
import type { HostLock } from './host-lock.ts';
import type { HostRunState, RunState } from './state.ts';
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
  /** looked at along with each host's first facts, taken right before its first change (undefined: none) */
  hostLock: HostLock | undefined;
  /** the selected steps (and handlers) of the later plays this host is in, with their play's vars */
  laterSteps: (host: string) => Array<{ steps: StepDef[]; vars: Vars }>;
}

/** Variables whose value can change under a step without a register of this host: other hosts' results. */
const ALWAYS_VOLATILE = ['hostvars', 'play_hosts'];
/** every host's variables: never walked to find what a step reads through them */
const NOT_LOOKED_INTO: ReadonlySet<string> = new Set(['hostvars']);

export async function runHostPlay(pc: PlayContext, hostName: string): Promise<HostStatus> {
  const { play, state, bus } = pc;
  const hs = state.host(hostName);
  const compile = (s: StepDef): CompiledStep => compileStep(s, pc.kinds);
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
  const remaining = (): StepDef[] => [...steps.slice(position), ...play.handlers, ...later.flatMap((l) => l.steps)];
  /** what may still change before a step's turn: results registered from here on, and other hosts' */
  const volatile = (): Set<string> => new Set([...ALWAYS_VOLATILE, ...remaining().flatMap((st) => (st.register ? [st.register] : []))]);
  // when the host starts the play: what this play and the later ones will read (a run
  // that changes nothing reads each host once)
  const everything = (): Fact<unknown>[] => {
    const v = volatile();
    const out = declaredFacts([...steps.slice(position), ...play.handlers].map(compile), hs, baseVars(), v);
    for (const l of later) out.push(...declaredFacts(l.steps.map(compile), hs, state.varsFor(hostName, l.vars, pc.check, pc.playHosts), v));
    return out;
  };
  // a fact missing after a change: read it with what the steps up to the next disruptive one
  // (a reboot, a restart: it changes what they would read) will read
  facts.lookAhead(() => declaredFacts(untilDisruptive([...steps.slice(position), ...play.handlers].map(compile)), hs, baseVars(), volatile()));
  // a look at the host lock (once per run) goes in the same round trip as the facts, before them;
  // the lock itself is taken right before the first change (take, below)
  const lock = pc.hostLock && hs.lockSeen === undefined ? pc.hostLock : undefined;
  if (lock) {
    try {
      hs.lockSeen = lock.inspect(hostName, await facts.prefetchWith(lock.check, everything(), become));
    } catch (e) {
      return unreachableOrFailed(e);
    }
  } else {
    await facts.prefetch(everything(), become).catch((e: unknown) => {
      // a fact that cannot be read fails the step that needs it, with its own message
      if (!(e instanceof Error)) throw e;
    });
  }
  bus.emit({ type: 'host-phase', play: play.name, host: hostName, phase: 'facts', start: connected, time: Date.now() });

  const makeCtx = (step: StepDef, vars: Vars = baseVars()): StepContext => {
    const reader = { host: hostName, step: step.name, kind: step.kind };
    return {
      host,
      hostName,
      vars,
      check: pc.check,
      become: step.become ?? become,
      becomeUser: step.becomeUser ?? play.becomeUser,
      timeoutMs: step.timeoutMs,
      gather: (f) => facts.get(f, step.become ?? become),
      invalidateFacts: () => facts.invalidate(),
      // what the steps after this one, up to the next disruptive one, will read
      readBack: (wanted, opts) =>
        facts.readBack(wanted, declaredFacts(untilDisruptive([...steps.slice(position + 1), ...play.handlers].map(compile)), hs, baseVars(), volatile()), step.become ?? become, opts?.changed),
      services: state.services,
      input: (output) => state.readInput(hostName, undefined, output, reader),
      inputFrom: (other, variable, output) => state.readInput(other, variable, output, reader),
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
    };
  };

  const runOne = (step: CompiledStep): Promise<StepRunResult> => {
    const ctx = makeCtx(step.def);
    return runStep({
      step,
      ctx,
      vars: ctx.vars,
      decide: () => hs.prep.decide(step, ctx.vars),
      unknownInCheck: pc.check ? unknownInCheck(step, hs, ctx.vars) : undefined,
      confirm: pc.confirm,
      onApply: () => bus.emit({ type: 'step-apply', play: play.name, host: hostName, step: step.def.name, kind: step.def.kind, time: Date.now() }),
      beforeRestart: () => aheadDone(hs, pc.signal),
      beforeApply: takeLockOf(pc.hostLock, host, hs),
    });
  };

  const run = async (def: StepDef): Promise<StepRunResult> => {
    const step = compile(def);
    hs.lastStep = def.name;
    bus.emit({ type: 'step-start', play: play.name, host: hostName, step: def.name, kind: def.kind, time: Date.now() });
    if (def.runOnce) {
      let shared = pc.runOnce.get(def);
      if (!shared) {
        shared = runOne(step).then((result) => ({ host: hostName, result }));
        pc.runOnce.set(def, shared);
      }
      const { host: ranOn, result } = await shared;
      if (ranOn !== hostName) {
        return { outcome: { ...result.outcome, status: 'skipped', changed: false, skipReason: `run_once: ran on ${ranOn}`, duration_ms: 0 }, registered: result.registered, unreachable: false };
      }
      return result;
    }
    return runOne(step);
  };

  /** Register, report and count a finished step; says whether the host goes on. */
  const record = (def: StepDef, r: StepRunResult): void => {
    state.register(hostName, def, r.registered);
    if (pc.check && def.register !== undefined) {
      if (r.notRunInCheck) hs.unknownInCheck.set(def.register, `step "${def.name}" does not run in --check (a command that is not readonly)`);
      else if (r.outcome.pending !== undefined && r.outcome.status === 'skipped') hs.unknownInCheck.set(def.register, `step "${def.name}" is pending in --check (it depends on changes not made)`);
      else hs.unknownInCheck.delete(def.register);
    }
    if (pc.check && r.notRunInCheck && def.register !== undefined) {
      const readers = remaining().filter((s) => s !== def && compile(s).reads.has(def.register as string));
      if (readers.length > 0) {
        r.outcome.notes.push(
          `in --check this step does not run, so "${def.register}" holds no rc or output: ${readers.map((s) => `"${s.name}"`).join(', ')} read${readers.length === 1 ? 's' : ''} it and cannot be decided; if it only reads, give it \`readonly: true\` so it runs in --check too`,
        );
      }
    }
    const ignored = r.outcome.status === 'failed' && def.ignoreErrors && !r.outcome.interrupted;
    const outcome: StepOutcome = ignored ? { ...r.outcome, status: 'ignored' } : r.outcome;
    emitStep(def.name, outcome);
    status = worse(status, ignored ? (outcome.changed ? 'changed' : 'ok') : outcome.status === 'ignored' ? 'ok' : outcome.status);
  };

  // expensive read-only work the steps can start early (checks of planned files on another host...)
  for (const def of steps) {
    const ctx = makeCtx(def);
    startPrepare(compile(def), hs, { ...ctx, host: trackAhead(ctx.host, hs) }, volatile());
  }

  for (const [index, def] of steps.entries()) {
    if (pc.signal.aborted) break;
    position = index;
    const r = await run(def);
    record(def, r);
    if (r.outcome.changed) {
      for (const n of def.notify) notified.add(n);
      if (pc.check) pendingChanges.push(def.name);
    }
    if (r.unreachable || r.outcome.status === 'unreachable') {
      hs.out = 'unreachable';
      status = 'unreachable';
      break;
    }
    if (r.outcome.status === 'failed' && (!def.ignoreErrors || r.outcome.interrupted)) {
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
      record(handler, r);
      if (r.outcome.status === 'failed' && (!handler.ignoreErrors || r.outcome.interrupted)) hs.out = 'failed';
      if (r.outcome.status === 'unreachable') {
        hs.out = 'unreachable';
        break;
      }
    }
  }

  // Through this play: what the later plays will read is read now, while the other hosts
  // finish this one (read-only; the next play finds it cached, or still on its way).
  if (!hs.out && !pc.signal.aborted && later.length > 0) {
    const v = volatile();
    const next = later.flatMap((l) => declaredFacts(l.steps.map(compile), hs, state.varsFor(hostName, l.vars, pc.check, pc.playHosts), v));
    if (next.length > 0) void facts.prefetch(next, become).catch(() => undefined);
  }

  if (hs.out) status = hs.out;
  return end(status ?? 'skipped');
}

/**
 * Check mode: why the step cannot be decided, when it reads (also through
 * other variables) a result registered by a step that did not really run.
 */
function unknownInCheck(step: CompiledStep, hs: HostRunState, vars: Vars): string | undefined {
  if (hs.unknownInCheck.size === 0) return undefined;
  const reads = readsThrough(step.reads, vars, NOT_LOOKED_INTO).reads;
  for (const [variable, why] of hs.unknownInCheck) {
    if (reads.has(variable)) {
      return `reads "${variable}", which is not known in --check: ${why}; if that step only reads, give it \`readonly: true\` so it runs in --check too`;
    }
  }
  return undefined;
}

/** The steps up to and with the first disruptive one: what runs before the host's state changes for sure. */
function untilDisruptive(steps: CompiledStep[]): CompiledStep[] {
  const i = steps.findIndex((st) => st.kind?.disruptive === true);
  return i < 0 ? steps : steps.slice(0, i + 1);
}

/**
 * The facts the steps will read: those of every step that may run (its `when`
 * does not say no yet) whose arguments are known now (those that depend on a
 * result registered later are decided at the step's turn).
 */
function declaredFacts(steps: CompiledStep[], hs: HostRunState, vars: Vars, volatile: ReadonlySet<string>): Fact<unknown>[] {
  const out: Fact<unknown>[] = [];
  for (const step of steps) {
    if (!step.kind?.facts) continue;
    const { runs, args } = hs.prep.peek(step, vars, volatile);
    if (runs === false || args === undefined) continue;
    out.push(...step.kind.facts(args));
  }
  return out;
}

/**
 * Let a step kind start its expensive read-only work now (`prepare`), for a
 * step whose condition already holds and whose arguments are known. Never
 * awaited, never fails the host: the step itself does the work again if the
 * preparation did not happen or did not fit.
 */
function startPrepare(step: CompiledStep, hs: HostRunState, ctx: StepContext, volatile: ReadonlySet<string>): void {
  if (!step.kind?.prepare) return;
  const { runs, args } = hs.prep.peek(step, ctx.vars, volatile);
  if (runs !== true || args === undefined) return;
  void step.kind.prepare(ctx, args).catch(() => undefined);
}

/** how long a disruptive step waits for the host's ahead-of-need commands */
export const AHEAD_WAIT_MS = 60_000;

/** The host, with every command run through it kept in `hs.ahead` until it ends. */
function trackAhead(host: RemoteHost, hs: HostRunState): RemoteHost {
  const ahead = (hs.ahead ??= new Set());
  return new Proxy(host, {
    get(target, prop) {
      if (prop === 'exec') {
        return (command: string, opts?: Parameters<RemoteHost['exec']>[1]) => {
          const p = target.exec(command, opts);
          const settled = p.then(
            () => undefined,
            () => undefined,
          );
          ahead.add(settled);
          void settled.then(() => ahead.delete(settled));
          return p;
        };
      }
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/**
 * Before a reboot: the commands that prepare() started on this
 * host finish first (bounded), instead of being cut short and run again
 * after it, on the host's way to the end (a nova check imports nova: a
 * second of CPU).
 */
async function aheadDone(hs: HostRunState, signal: AbortSignal): Promise<void> {
  const until = Date.now() + AHEAD_WAIT_MS;
  while (hs.ahead && hs.ahead.size > 0 && Date.now() < until && !signal.aborted) {
    let timer: NodeJS.Timeout | undefined;
    const onAbort = (): void => clearTimeout(timer);
    const bound = new Promise<void>((r) => {
      timer = setTimeout(r, Math.max(0, until - Date.now()));
      signal.addEventListener('abort', () => (onAbort(), r()), { once: true });
    });
    await Promise.race([Promise.all([...hs.ahead]), bound]);
    clearTimeout(timer);
  }
}

function outcomeOf(status: StepOutcome['status'], name: string, e: unknown): StepOutcome {
  const hint = e instanceof Error && 'hint' in e && typeof e.hint === 'string' ? e.hint : undefined;
  return { name, status, changed: false, changes: [], diffs: [], duration_ms: 0, error: errorText(e), hint, notes: [] };
}

/** Taking the host lock right before the host's first change, against what its first facts saw of it. */
function takeLockOf(lock: HostLock | undefined, host: RemoteHost, hs: HostRunState): (() => Promise<void>) | undefined {
  if (!lock) return undefined;
  return async () => {
    if (hs.lockSeen === undefined) throw new HostError(host.name, 'the host lock was not looked at before the first change: not touching the host (a bug in passthru)');
    await lock.take(host, hs.lockSeen);
  };
}
