// Plays in order; in each play the hosts run in parallel (--forks), one
// batch at a time (serial); a batch finishes before the next starts, and
// when its failures exceed max_fail_percentage the run stops there: no later
// batch and no later play is touched. Hosts that failed leave the run.
//
// An applying run that must be approved (`approve`: a terminal without
// --yes, or no terminal and no --yes) plans first: the plays run in check
// mode, every host and every batch, up to the first play that would change
// something; nothing is changed and no host is locked (a host another run
// holds is refused already). That plan goes to
// `approve` (nothing is asked when nothing would change); only then does the
// run start, and every step plans again right before it applies (the host
// may have changed while the question waited). A change that was not in an
// approved plan is not made: that host fails, untouched.

import pLimit from 'p-limit';
import { ConfigError, PassthruError } from '../errors.ts';
import type { Inventory, Vars } from '../inventory/types.ts';
import { selectHosts } from '../inventory/index.ts';
import type { Play, Playbook, StepDef } from '../playbook/index.ts';
import { batches, maxFailExceeded } from '../playbook/serial.ts';
import { render } from '../playbook/template.ts';
import type { RemoteHost } from '../ssh/types.ts';
import type { HostLock } from './host-lock.ts';
import type { StepKind } from '../steps/types.ts';
import type { SecretRegistry } from '../util/secrets.ts';
import { ConnectionPool, type Connector } from './connections.ts';
import { EventBus } from './events.ts';
import { runHostPlay, type PlayContext } from './host-play.ts';
import { PlanCollector, changingHosts, type RunPlan } from './plan.ts';
import { RunState } from './state.ts';

export interface RunOptions {
  playbook: Playbook;
  inventory: Inventory;
  extraVars: Vars;
  kinds: ReadonlyMap<string, StepKind<unknown>>;
  connector: Connector;
  bus: EventBus;
  secrets: SecretRegistry;
  check: boolean;
  /** host pattern that further restricts every play */
  limit?: string | undefined;
  tags?: string[] | undefined;
  skipTags?: string[] | undefined;
  startAtStep?: string | undefined;
  forks: number;
  serial?: Play['serial'] | undefined;
  maxFailPercentage?: number | undefined;
  signal: AbortSignal;
  /**
   * Asked once, before the first change of the run, with the plan of the play
   * about to change things; resolve false to stop with nothing changed. Not
   * called when nothing would change. Undefined (--yes): no planning pass.
   */
  approve?: ((plan: RunPlan) => Promise<boolean>) | undefined;
  /** called once the run really starts (after the question): before its first event */
  beforeStart?: (() => Promise<void>) | undefined;
  /** the host lock: looked at with each host's first facts, taken before its first change (never in --check); undefined: none */
  hostLock?: HostLock | undefined;
  /** called for each live connection at the end of the run (releasing the host lock) */
  onDisconnect?: ((host: RemoteHost) => Promise<void>) | undefined;
}

export interface RunResult {
  state: RunState;
  /** why the run stopped early, if it did */
  aborted: string | undefined;
  interrupted: boolean;
  /** the plan shown before the run (with approve), if there was one */
  plan?: RunPlan | undefined;
  /** approve said no: the run did not start, nothing was changed */
  refused?: boolean | undefined;
}

interface RunShared {
  opts: RunOptions;
  pool: ConnectionPool;
  selected: (step: StepDef, play: Play) => boolean;
  playHostLists: string[][];
  playHostSets: Set<string>[];
}

interface PlayRun {
  index: number;
  state: RunState;
  bus: EventBus;
  check: boolean;
  hostLock: RunOptions['hostLock'];
  confirm: PlayContext['confirm'];
  /** planning: every batch runs, whatever fails */
  planning: boolean;
}

/** One play over its hosts, batch by batch; why the run must stop after it, if it must. */
async function runPlay(sh: RunShared, r: PlayRun): Promise<string | undefined> {
  const { opts } = sh;
  const play = opts.playbook.plays[r.index]!;
  const hosts = (sh.playHostLists[r.index] ?? []).filter((h) => r.state.host(h).out === undefined);
  const serial = opts.serial ?? play.serial;
  const groups = batches(hosts, serial);
  r.bus.emit({ type: 'play-start', play: play.name, index: r.index, hosts, batches: groups, time: Date.now() });
  const pc: PlayContext = {
    play,
    playHosts: hosts,
    state: r.state,
    pool: sh.pool,
    kinds: opts.kinds,
    bus: r.bus,
    check: r.check,
    secrets: opts.secrets,
    signal: opts.signal,
    selected: sh.selected,
    confirm: r.confirm,
    runOnce: new Map(),
    hostLock: r.hostLock,
    laterSteps: (host) =>
      opts.playbook.plays.flatMap((later, j) =>
        j > r.index && sh.playHostSets[j]?.has(host) === true
          ? [{ steps: [...later.steps.filter((s) => sh.selected(s, later)), ...later.handlers], vars: later.vars }]
          : [],
      ),
  };
  const maxFail = opts.maxFailPercentage ?? play.maxFailPercentage;
  const limit = pLimit(Math.max(1, opts.forks));
  let aborted: string | undefined;
  for (const [bi, batch] of groups.entries()) {
    if (opts.signal.aborted) break;
    r.bus.emit({ type: 'batch-start', play: play.name, index: bi, hosts: batch, time: Date.now() });
    const statuses = await Promise.all(batch.map((h) => limit(() => runHostPlay(pc, h))));
    const failed = batch.filter((_, i) => statuses[i] === 'failed' || statuses[i] === 'unreachable');
    r.bus.emit({ type: 'batch-end', play: play.name, index: bi, failed, time: Date.now() });
    if (!r.planning && failed.length > 0 && (play.anyErrorsFatal || maxFailExceeded(failed.length, batch.length, maxFail))) {
      aborted = play.anyErrorsFatal
        ? `any_errors_fatal: ${failed.join(', ')} failed; no later batch or play was run`
        : `max_fail_percentage ${maxFail ?? 0}% exceeded in batch ${bi + 1} (${failed.length}/${batch.length} failed); no later batch or play was run`;
      break;
    }
  }
  r.bus.emit({ type: 'play-end', play: play.name, aborted, time: Date.now() });
  return aborted;
}

/**
 * The planning pass: the plays in check mode, on a state of their own and
 * events of their own, up to and with the first play that would change
 * something. No host is locked and nothing is written; the lock is only
 * looked at (a host another run holds is refused in the plan).
 */
async function planRun(sh: RunShared): Promise<{ plan: RunPlan; state: RunState }> {
  const { opts } = sh;
  const state = new RunState(opts.inventory, opts.extraVars);
  const bus = new EventBus();
  const collector = new PlanCollector(bus);
  let later: string[] = [];
  for (const [index, play] of opts.playbook.plays.entries()) {
    if (opts.signal.aborted) break;
    await runPlay(sh, { index, state, bus, check: true, hostLock: opts.hostLock, confirm: undefined, planning: true });
    if (collector.changes(play.name)) {
      later = opts.playbook.plays.slice(index + 1).filter((_, j) => (sh.playHostLists[index + 1 + j]?.length ?? 0) > 0).map((p) => p.name);
      break;
    }
  }
  return { plan: collector.plan(later), state };
}

/** A change the approved plan did not have (or, when nothing was asked, any change) is not made. */
function unapprovedChange(what: string): Promise<void> {
  return Promise.reject(
    new PassthruError(`'${what}' would change the host, and that change was not in the plan shown before the run: nothing was changed here`, {
      exitCode: 1,
      hint: 'the host changed while the run was planned; run again to see the new plan',
    }),
  );
}

export async function runPlaybook(opts: RunOptions): Promise<RunResult> {
  const pool = new ConnectionPool(opts.connector);
  const limitHosts = opts.limit ? new Set(selectHosts(opts.inventory, opts.limit)) : undefined;
  const selected = stepSelector(opts);
  // a play's `hosts:` may name its groups through variables (`{{ compute_group | default('compute') }}`)
  // Like Ansible, a play whose pattern matches nothing (an optional `guests` group) is skipped with a warning.
  const warnings: string[] = [];
  const playHostLists = opts.playbook.plays.map((p) => {
    const pattern = String(render(p.hosts, { ...p.vars, ...opts.extraVars }, p.location));
    try {
      return selectHosts(opts.inventory, pattern).filter((h) => !limitHosts || limitHosts.has(h));
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      warnings.push(`play '${p.name}': no host matches '${pattern}' in ${opts.inventory.source}; skipping the play`);
      return [];
    }
  });
  const allHosts = [...new Set(playHostLists.flat())];
  const sh: RunShared = { opts, pool, selected, playHostLists, playHostSets: playHostLists.map((l) => new Set(l)) };
  const state = new RunState(opts.inventory, opts.extraVars);

  // plan, ask, and only then change anything
  let plan: RunPlan | undefined;
  let confirm: PlayContext['confirm'];
  if (!opts.check && opts.approve) {
    try {
      const planned = await planRun(sh);
      plan = planned.plan;
      const go = !opts.signal.aborted && (changingHosts(plan).length === 0 || (await opts.approve(plan)));
      if (!go) {
        await pool.closeAll(undefined);
        return { state, aborted: undefined, interrupted: opts.signal.aborted, plan, refused: true };
      }
      if (changingHosts(plan).length === 0) {
        // nothing was asked: the run goes on at once, from the facts just read; a change now was never shown
        confirm = (what) => unapprovedChange(what);
        for (const [name, h] of planned.state.hosts) {
          if (!h.facts) continue;
          state.host(name).facts = h.facts;
          state.host(name).lockSeen = h.lockSeen;
        }
      }
    } catch (e) {
      await pool.closeAll(undefined);
      throw e;
    }
  }

  await opts.beforeStart?.();
  opts.bus.emit({ type: 'run-start', check: opts.check, plays: opts.playbook.plays.map((p) => p.name), hosts: allHosts, time: Date.now() });
  for (const message of warnings) opts.bus.emit({ type: 'warning', message, time: Date.now() });

  let aborted: string | undefined;
  try {
    for (const [index] of opts.playbook.plays.entries()) {
      if (opts.signal.aborted) break;
      aborted = await runPlay(sh, { index, state, bus: opts.bus, check: opts.check, hostLock: opts.hostLock, confirm, planning: false });
      if (aborted) break;
    }
  } finally {
    opts.bus.emit({ type: 'run-end', interrupted: opts.signal.aborted, time: Date.now() });
    await pool.closeAll(opts.onDisconnect);
  }
  return { state, aborted, interrupted: opts.signal.aborted, plan };
}

/** Tags and --start-at-step decide which steps run at all (also used by run --list-steps). */
export function stepSelector(opts: Pick<RunOptions, 'playbook' | 'tags' | 'skipTags' | 'startAtStep'>): (step: StepDef, play: Play) => boolean {
  const tags = opts.tags && opts.tags.length > 0 ? new Set(opts.tags) : undefined;
  const skip = new Set(opts.skipTags ?? []);
  let started = opts.startAtStep === undefined;
  const startAt = opts.startAtStep;
  // --start-at-step is decided once per step definition, in playbook order
  const startedAt = new Set<StepDef>();
  if (startAt !== undefined) {
    let on = false;
    for (const play of opts.playbook.plays) {
      for (const step of play.steps) {
        if (!on && step.name === startAt) on = true;
        if (on) startedAt.add(step);
      }
      for (const h of play.handlers) startedAt.add(h);
    }
    if (startedAt.size === 0 || ![...startedAt].some((s) => s.name === startAt)) {
      throw new PassthruError(`--start-at-step: no step is named '${startAt}'`, { hint: 'use the exact `name:` of a step in the playbook' });
    }
    started = false;
  }
  return (step, play) => {
    if (!started && !startedAt.has(step)) return false;
    const all = new Set([...play.tags, ...step.tags]);
    if ([...all].some((t) => skip.has(t))) return false;
    if (!tags) return true;
    if (all.has('always')) return true;
    return [...all].some((t) => tags.has(t)) || (tags.has('untagged') && all.size === 0);
  };
}
