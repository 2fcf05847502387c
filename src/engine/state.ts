// What the run knows about every host: inventory vars, registered results,
// and how far the host got. Variables are layered as Ansible layers them:
// inventory < play vars < registered results < extra vars (-e).

import { StepError } from '../errors.ts';
import type { Inventory, Vars } from '../inventory/types.ts';
import { groupHosts, hostVars } from '../inventory/index.ts';
import type { StepDef } from '../playbook/index.ts';
import type { Producer, StepOutput } from '../steps/contract.ts';
import { RunServices } from '../steps/services.ts';
import type { BackupRecord } from '../steps/types.ts';
import type { HostStatus } from './events.ts';
import type { FactCache } from './fact-cache.ts';
import type { LockSeen } from './host-lock.ts';
import { StepPrep } from './step-prep.ts';

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
  /** what the first facts saw of the host lock (taken, with this, right before the first change) */
  lockSeen?: LockSeen | undefined;
  /** which step registered each variable of `registered` */
  producers: Map<string, Producer>;
  /** step kind -> the variable its latest step registered */
  lastByKind: Map<string, string>;
  /** check mode: registered variables whose step did not really run, and why */
  unknownInCheck: Map<string, string>;
  /** the steps' `when` and arguments on this host, decided once */
  prep: StepPrep;
  /** commands that steps' prepare() started on this host and that are still running */
  ahead?: Set<Promise<unknown>> | undefined;
}

/** A registered result already checked against a step output's schema (checked once, whatever the number of readers). */
const checked = new WeakMap<object, { output: StepOutput<unknown>; value: unknown }>();

export class RunState {
  readonly hosts = new Map<string, HostRunState>();
  /** run-wide objects steps share across hosts (StepContext.services) */
  readonly services = new RunServices();
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

  host(name: string): HostRunState {
    let h = this.hosts.get(name);
    if (!h) {
      h = {
        name,
        inventoryVars: hostVars(this.inventory, name),
        registered: {},
        status: undefined,
        out: undefined,
        lastStep: undefined,
        backups: [],
        pendingChanges: [],
        producers: new Map(),
        lastByKind: new Map(),
        unknownInCheck: new Map(),
        prep: new StepPrep(),
      };
      this.hosts.set(name, h);
    }
    return h;
  }

  /** Register a step's result on a host, remembering which step it came from. */
  register(name: string, step: StepDef, value: Vars): void {
    if (step.register === undefined) return;
    const h = this.host(name);
    h.registered[step.register] = value;
    h.producers.set(step.register, { step: step.name, kind: step.kind });
    h.lastByKind.set(step.kind, step.register);
    this.services.registrations.set(step.register, (this.services.registrations.get(step.register) ?? 0) + 1);
  }

  /**
   * What a step of kind `output.kind` registered on `host` (as `variable`, or
   * the latest such step's), checked against its schema; undefined when
   * there is none, or it was skipped or failed. `reader` is the step reading
   * it, on `readerHost`: errors name both steps.
   */
  readInput<T>(host: string, variable: string | undefined, output: StepOutput<T>, reader: { host: string; step: string; kind: string }): T | undefined {
    const h = this.host(host);
    const name = variable ?? h.lastByKind.get(output.kind);
    if (name === undefined || !Object.hasOwn(h.registered, name)) return undefined;
    const on = host === reader.host ? '' : ` on ${host}`;
    const producer = h.producers.get(name);
    if (producer?.kind !== output.kind) {
      const by = producer ? `step "${producer.step}" (${producer.kind}) registered it` : 'no step registered it';
      throw new StepError(reader.host, reader.step, `reads "${name}"${on} as the result of a ${output.kind} step, but ${by}`, `give the ${output.kind} step its own register name, and no other step the same one`);
    }
    const value = h.registered[name];
    if (value === null || typeof value !== 'object') throw new StepError(reader.host, reader.step, `"${name}"${on} is not a step result`);
    const r = value as { skipped?: unknown; failed?: unknown };
    if (r.skipped === true || r.failed === true) return undefined;
    const known = checked.get(value);
    if (known && known.output === output) return known.value as T;
    const parsed = output.schema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
      throw new StepError(
        reader.host,
        reader.step,
        `reads the result of step "${producer.step}" (${producer.kind}, registered as "${name}"${on}), which is not what ${output.kind} registers: ${where}${issue?.message ?? 'invalid'}`,
        `a step of kind ${reader.kind} reads what ${output.kind} registers; if "${producer.step}" is yours, check its result`,
      );
    }
    checked.set(value, { output: output as StepOutput<unknown>, value: parsed.data });
    return parsed.data;
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
