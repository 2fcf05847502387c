// Per-host fact cache for the whole run. The facts that the host's steps
// declare (this play's and the later plays') are gathered in one round trip
// when the host starts a play; a step asking for a fact that is not cached
// gathers it together with every fact the rest of the host's run declares,
// again in one round trip. Any change on the host forgets the cache, so a
// plan is never made from facts older than the last change; a run that
// changes nothing (a rerun, a dry run) reads each host once.
//
// The look at the host lock goes along with the first round trip
// (`prefetchWith`): the first section of the same script, so a rerun is a
// connection and one round trip per host.

import { buildGatherScript, gatherFacts, newNonce, parseGatherOutput } from '../facts/gather.ts';
import type { Fact } from '../facts/types.ts';
import type { RemoteHost } from '../ssh/types.ts';
import { HostError } from '../errors.ts';

interface Entry {
  value?: unknown;
  error?: string | undefined;
  /** gathered through sudo: also good for a step that does not need it */
  become: boolean;
}

/** What a command run along with the facts (the look at the host lock) printed. */
export interface LeadResult {
  stdout: string;
  stderr: string;
}

/** the section of the gather script that carries the lead command (no fact has this id) */
const LEAD_ID = 'passthru_lead';

export class FactCache {
  private entries = new Map<string, Entry>();
  /** facts being gathered right now: a second asker waits for that round trip */
  private inflight = new Map<string, Promise<void>>();
  /** facts the rest of the host's run will ask for: gathered along with any miss */
  private ahead: () => Fact<unknown>[] = () => [];

  constructor(private readonly host: RemoteHost) {}

  /** Say which facts the host's remaining steps declare (called as the host moves on). */
  lookAhead(facts: () => Fact<unknown>[]): void {
    this.ahead = facts;
  }

  private has(id: string, become: boolean): boolean {
    const e = this.entries.get(id);
    return e !== undefined && (e.become || !become);
  }

  /** Gather every fact not cached yet, in one round trip. */
  async prefetch(facts: Fact<unknown>[], become: boolean): Promise<void> {
    const { pending, missing } = this.split(facts, become);
    if (missing.length > 0) pending.push(this.round(missing, become || missing.some((f) => f.become === true)).then(() => undefined));
    await Promise.all(pending);
  }

  /**
   * The first round trip on a host: `lead` (a read-only POSIX sh command:
   * the look at the host lock) as the first section of the script that reads
   * every fact not cached yet, as the same user. Resolves with what `lead`
   * printed (empty, with the reason on stderr, when its section is missing or
   * cut short). A fact that could not be read is simply not cached (the step
   * that needs it fails with its own message).
   */
  async prefetchWith(lead: string, facts: Fact<unknown>[], become: boolean): Promise<LeadResult> {
    const { pending, missing } = this.split(facts, become);
    const asRoot = become || missing.some((f) => f.become === true);
    const leadFact: Fact<LeadResult> = { id: LEAD_ID, script: lead, parse: (output) => ({ stdout: output, stderr: '' }) };
    try {
      const got = await this.round(missing, asRoot, leadFact as Fact<unknown>);
      const r = got.get(LEAD_ID);
      if (!r || r.error !== undefined) return { stdout: '', stderr: r?.error ?? 'no output' };
      return r.value as LeadResult;
    } finally {
      await Promise.allSettled(pending);
    }
  }

  /** the facts still to read: those another round trip is reading (pending) and the others (missing) */
  private split(facts: Fact<unknown>[], become: boolean): { pending: Promise<void>[]; missing: Fact<unknown>[] } {
    const wanted = dedupe(facts).filter((f) => !this.has(f.id, become || f.become === true));
    const pending = wanted.flatMap((f) => {
      const p = this.inflight.get(f.id);
      return p ? [p] : [];
    });
    return { pending, missing: wanted.filter((f) => !this.inflight.has(f.id)) };
  }

  /** One round trip: `missing` (and `lead` first, when given), the facts cached as they come. */
  private round(missing: Fact<unknown>[], asRoot: boolean, lead?: Fact<unknown>): Promise<Map<string, { value?: unknown; error?: string | undefined }>> {
    const generation = this.entries;
    const got = gatherFacts(this.host, lead ? [lead, ...missing] : missing, { become: asRoot });
    const round = got.then((results) => {
      // an answer from before a change on the host is not kept
      if (this.entries !== generation) return;
      for (const f of missing) {
        const e = results.get(f.id);
        this.entries.set(f.id, { ...(e ?? { error: 'no output for this fact' }), become: asRoot });
      }
    });
    const done = round.finally(() => {
      for (const f of missing) if (this.inflight.get(f.id) === done) this.inflight.delete(f.id);
    });
    for (const f of missing) this.inflight.set(f.id, done);
    return done.then(() => got);
  }

  async get<T>(fact: Fact<T>, become: boolean): Promise<T> {
    const root = become || fact.become === true;
    // twice at most: an answer that arrived after a change on the host was dropped
    for (let attempt = 0; attempt < 2 && !this.has(fact.id, root); attempt++) {
      let ahead: Fact<unknown>[] = [];
      try {
        ahead = this.ahead();
      } catch {
        // looking ahead is an optimisation: the fact asked for is gathered all the same
      }
      await this.prefetch([fact as Fact<unknown>, ...ahead], become);
    }
    const e = this.entries.get(fact.id);
    if (!e || e.error !== undefined) {
      throw new HostError(this.host.name, `could not read fact '${fact.id}': ${e?.error ?? 'no output'}`);
    }
    return e.value as T;
  }

  /**
   * For a step that changes the host and reads it back in the same round
   * trip: one gather script for `wanted` and `next` (what the following steps
   * will read), run by the step right after its change; `accept` forgets
   * every fact read before and keeps what the script read (a fact it could
   * not read is read again when asked for). With `changed` (the facts the
   * change can alter; the step knows what it wrote), only those are forgotten
   * and read again: a fact the change cannot touch stays as it was read (the
   * one exception to "a change forgets the cache", named by the step).
   */
  readBack(wanted: Fact<unknown>[], next: Fact<unknown>[], asRoot: boolean, changed?: Fact<unknown>[]): { script: string; accept(stdout: string): void } {
    const stale = changed ? new Set(changed.map((f) => f.id)) : undefined;
    const list = dedupe([...wanted, ...next]).filter((f) => !stale || stale.has(f.id) || wanted.includes(f) || !this.has(f.id, asRoot || f.become === true));
    const nonce = newNonce();
    return {
      script: buildGatherScript(list, nonce),
      accept: (stdout) => {
        if (stale) this.forget(stale);
        else this.invalidate();
        const got = parseGatherOutput(stdout, list, nonce);
        for (const f of list) {
          const e = got.get(f.id);
          if (e && e.error === undefined) this.entries.set(f.id, { value: e.value, become: asRoot });
        }
      },
    };
  }

  /** Forget these facts only (and any read of them on its way). */
  private forget(ids: ReadonlySet<string>): void {
    const entries = new Map(this.entries);
    for (const id of ids) entries.delete(id);
    // a new generation: an answer on its way from before the change is not kept
    this.entries = entries;
    this.inflight = new Map([...this.inflight].filter(([id]) => !ids.has(id)));
  }

  invalidate(): void {
    this.entries = new Map();
    this.inflight = new Map();
  }
}

function dedupe(facts: Fact<unknown>[]): Fact<unknown>[] {
  const seen = new Map<string, Fact<unknown>>();
  for (const f of facts) if (!seen.has(f.id)) seen.set(f.id, f);
  return [...seen.values()];
}
