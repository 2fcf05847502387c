// Per-host fact cache: the facts every step of a play declares are gathered
// in one round trip when the host starts the play; a step asking for a fact
// nobody declared costs one more round trip. Any change on the host forgets
// the cache, so a plan is never made from facts older than the last change.

import { gatherFacts } from '../facts/gather.ts';
import type { Fact } from '../facts/types.ts';
import type { RemoteHost } from '../ssh/types.ts';
import { HostError } from '../errors.ts';

interface Entry {
  value?: unknown;
  error?: string | undefined;
}

export class FactCache {
  private entries = new Map<string, Entry>();

  constructor(
    private readonly host: RemoteHost,
    private readonly become: boolean,
  ) {}

  /** Gather every fact not cached yet, in one round trip. */
  async prefetch(facts: Fact<unknown>[]): Promise<void> {
    const missing = dedupe(facts).filter((f) => !this.entries.has(f.id));
    if (missing.length === 0) return;
    const become = this.become || missing.some((f) => f.become === true);
    const got = await gatherFacts(this.host, missing, { become });
    for (const f of missing) {
      const e = got.get(f.id);
      this.entries.set(f.id, e ?? { error: 'no output for this fact' });
    }
  }

  async get<T>(fact: Fact<T>): Promise<T> {
    if (!this.entries.has(fact.id)) await this.prefetch([fact as Fact<unknown>]);
    const e = this.entries.get(fact.id);
    if (!e || e.error !== undefined) {
      throw new HostError(this.host.name, `could not read fact '${fact.id}': ${e?.error ?? 'no output'}`);
    }
    return e.value as T;
  }

  invalidate(): void {
    this.entries = new Map();
  }
}

function dedupe(facts: Fact<unknown>[]): Fact<unknown>[] {
  const seen = new Map<string, Fact<unknown>>();
  for (const f of facts) if (!seen.has(f.id)) seen.set(f.id, f);
  return [...seen.values()];
}
