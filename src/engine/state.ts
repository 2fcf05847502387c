// What the run knows about every host: inventory vars, registered results,
// and how far the host got. Variables are layered as Ansible layers them:
// inventory < play vars < registered results < extra vars (-e).

import type { Inventory, Vars } from '../inventory/types.ts';
import { groupHosts, hostVars } from '../inventory/index.ts';
import type { BackupRecord } from '../steps/types.ts';
import type { HostStatus } from './events.ts';
import type { FactCache } from './fact-cache.ts';

export interface HostRunState {
  name: string;
  inventoryVars: Vars;
  registered: Vars;
  /** worst status so far */
  status: HostStatus | undefined;
  /** set when the host failed or was unreachable: it takes no part in later plays */
  out: 'failed' | 'unreachable' | undefined;
  /** the step the host is in or last started, for the interrupt summary */
  lastStep: string | undefined;
  /** files replaced on the host during this run, for rollback */
  backups: BackupRecord[];
  /** check mode: steps that planned changes on this host (not made) */
  pendingChanges: string[];
  /** the host's facts, kept across plays until something changes on it */
  facts?: FactCache | undefined;
  /** the run's onConnect (the host lock) succeeded on this host */
  locked?: boolean | undefined;
}

export class RunState {
  readonly hosts = new Map<string, HostRunState>();
  /** run-wide objects steps share across hosts (see StepContext.shared) */
  private readonly sharedObjects = new Map<string, unknown>();
  readonly groups: Record<string, string[]>;
  private readonly hostvarsProxy: Record<string, Vars>;

  constructor(
    readonly inventory: Inventory,
    readonly extraVars: Vars,
  ) {
    this.groups = groupHosts(inventory);
    // hostvars[h] is computed on access: building it for every host on every
    // step would be quadratic on large clusters.
    this.hostvarsProxy = new Proxy({} as Record<string, Vars>, {
      get: (_t, prop) => (typeof prop === 'string' && this.inventory.hosts.has(prop) ? this.visibleVars(prop) : undefined),
      has: (_t, prop) => typeof prop === 'string' && this.inventory.hosts.has(prop),
      ownKeys: () => [...this.inventory.hosts.keys()],
      getOwnPropertyDescriptor: (_t, prop) =>
        typeof prop === 'string' && this.inventory.hosts.has(prop)
          ? { enumerable: true, configurable: true, value: this.visibleVars(prop) }
          : undefined,
    });
  }

  /** The run-wide object under `key`, made by `create` the first time it is asked for. */
  shared<T>(key: string, create: () => T): T {
    if (!this.sharedObjects.has(key)) this.sharedObjects.set(key, create());
    return this.sharedObjects.get(key) as T;
  }

  host(name: string): HostRunState {
    let h = this.hosts.get(name);
    if (!h) {
      h = { name, inventoryVars: hostVars(this.inventory, name), registered: {}, status: undefined, out: undefined, lastStep: undefined, backups: [], pendingChanges: [] };
      this.hosts.set(name, h);
    }
    return h;
  }

  /** Another host's vars as `hostvars[name]` shows them: inventory vars and registered results. */
  visibleVars(name: string): Vars {
    const h = this.host(name);
    return { ...h.inventoryVars, ...h.registered };
  }

  /** One of visibleVars(name), without building them all. */
  visibleVar(name: string, variable: string): unknown {
    const h = this.host(name);
    return Object.hasOwn(h.registered, variable) ? h.registered[variable] : h.inventoryVars[variable];
  }

  /** Every variable visible to a host during a play. */
  varsFor(name: string, playVars: Vars, check: boolean, playHosts: string[]): Vars {
    const h = this.host(name);
    return {
      ...h.inventoryVars,
      ...playVars,
      ...h.registered,
      ...this.extraVars,
      inventory_hostname: name,
      groups: this.groups,
      hostvars: this.hostvarsProxy,
      play_hosts: playHosts,
      check_mode: check,
    };
  }
}

const RANK: Record<HostStatus, number> = { skipped: 0, ok: 1, changed: 2, failed: 3, unreachable: 4 };

/** The worse of two statuses (unreachable > failed > changed > ok > skipped). */
export function worse(a: HostStatus | undefined, b: HostStatus): HostStatus {
  if (a === undefined) return b;
  return RANK[b] > RANK[a] ? b : a;
}
