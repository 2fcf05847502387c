// Plays in order; in each play the hosts run in parallel (--forks), one
// batch at a time (serial); a batch finishes before the next starts, and
// when its failures exceed max_fail_percentage the run stops there: no later
// batch and no later play is touched. Hosts that failed leave the run.

import pLimit from 'p-limit';
import { ConfigError, PassthruError } from '../errors.ts';
import type { Inventory, Vars } from '../inventory/types.ts';
import { selectHosts } from '../inventory/index.ts';
import type { Play, Playbook, StepDef } from '../playbook/index.ts';
import { batches, maxFailExceeded } from '../playbook/serial.ts';
import { render } from '../playbook/template.ts';
import type { RemoteHost } from '../ssh/types.ts';
import type { StepKind } from '../steps/types.ts';
import type { SecretRegistry } from '../util/secrets.ts';
import { ConnectionPool, type Connector } from './connections.ts';
import type { EventBus } from './events.ts';
import { runHostPlay, type PlayContext } from './host-play.ts';
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
  /** asked once before the first reboot or restart; resolve false to stop without touching anything */
  confirm?: ((what: string) => Promise<boolean>) | undefined;
  onConnect?: ((host: RemoteHost) => Promise<void>) | undefined;
  /** called for each live connection at the end of the run (releasing the host lock) */
  onDisconnect?: ((host: RemoteHost) => Promise<void>) | undefined;
}

export interface RunResult {
  state: RunState;
  /** why the run stopped early, if it did */
  aborted: string | undefined;
  interrupted: boolean;
}

export async function runPlaybook(opts: RunOptions): Promise<RunResult> {
  const state = new RunState(opts.inventory, opts.extraVars);
  const pool = new ConnectionPool(opts.connector);
  const limitHosts = opts.limit ? new Set(selectHosts(opts.inventory, opts.limit)) : undefined;
  const selected = stepSelector(opts);
  const confirm = confirmOnce(opts.confirm);
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
  const playHostSets = playHostLists.map((l) => new Set(l));
  opts.bus.emit({ type: 'run-start', check: opts.check, plays: opts.playbook.plays.map((p) => p.name), hosts: allHosts, time: Date.now() });
  for (const message of warnings) opts.bus.emit({ type: 'warning', message, time: Date.now() });

  let aborted: string | undefined;
  try {
    for (const [index, play] of opts.playbook.plays.entries()) {
      if (opts.signal.aborted) break;
      const hosts = (playHostLists[index] ?? []).filter((h) => state.host(h).out === undefined);
      const serial = opts.serial ?? play.serial;
      const groups = batches(hosts, serial);
      opts.bus.emit({ type: 'play-start', play: play.name, index, hosts, batches: groups, time: Date.now() });
      const pc: PlayContext = {
        play,
        playHosts: hosts,
        state,
        pool,
        kinds: opts.kinds,
        bus: opts.bus,
        check: opts.check,
        secrets: opts.secrets,
        signal: opts.signal,
        selected,
        confirm,
        runOnce: new Map(),
        onConnect: opts.onConnect,
        laterSteps: (host) =>
          opts.playbook.plays.flatMap((later, j) =>
            j > index && playHostSets[j]?.has(host) === true
              ? [{ steps: [...later.steps.filter((s) => selected(s, later)), ...later.handlers], vars: later.vars }]
              : [],
          ),
      };
      const maxFail = opts.maxFailPercentage ?? play.maxFailPercentage;
      const limit = pLimit(Math.max(1, opts.forks));
      for (const [bi, batch] of groups.entries()) {
        if (opts.signal.aborted) break;
        opts.bus.emit({ type: 'batch-start', play: play.name, index: bi, hosts: batch, time: Date.now() });
        const statuses = await Promise.all(batch.map((h) => limit(() => runHostPlay(pc, h))));
        const failed = batch.filter((_, i) => statuses[i] === 'failed' || statuses[i] === 'unreachable');
        opts.bus.emit({ type: 'batch-end', play: play.name, index: bi, failed, time: Date.now() });
        if (failed.length > 0 && (play.anyErrorsFatal || maxFailExceeded(failed.length, batch.length, maxFail))) {
          aborted = play.anyErrorsFatal
            ? `any_errors_fatal: ${failed.join(', ')} failed; no later batch or play was run`
            : `max_fail_percentage ${maxFail ?? 0}% exceeded in batch ${bi + 1} (${failed.length}/${batch.length} failed); no later batch or play was run`;
          break;
        }
      }
      opts.bus.emit({ type: 'play-end', play: play.name, aborted, time: Date.now() });
      if (aborted) break;
    }
  } finally {
    opts.bus.emit({ type: 'run-end', interrupted: opts.signal.aborted, time: Date.now() });
    await pool.closeAll(opts.onDisconnect);
  }
  return { state, aborted, interrupted: opts.signal.aborted };
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

function confirmOnce(ask: RunOptions['confirm']): ((what: string) => Promise<void>) | undefined {
  if (!ask) return undefined;
  let answer: Promise<boolean> | undefined;
  return async (what) => {
    answer ??= ask(what);
    if (!(await answer)) {
      throw new PassthruError('not confirmed: nothing was rebooted or restarted', { exitCode: 1 });
    }
  };
}
