// A step kind: read what it needs (read-only), plan the changes with a diff,
// apply only when something differs. "No change" means "no commands".
//
// The engine calls plan() at the step's turn on each host, right before it
// would apply, so the plan is never stale. In check mode it prints the plan
// and never calls apply().

import type { z } from 'zod';
import type { Fact } from '../facts/types.ts';
import type { Vars } from '../inventory/types.ts';
import type { RemoteHost } from '../ssh/types.ts';
import type { SecretRegistry } from '../util/secrets.ts';
import type { StepOutput } from './contract.ts';
import type { RunServices } from './services.ts';

export interface FileDiff {
  path: string;
  /** '' when the file does not exist yet */
  before: string;
  after: string;
}

export interface Change {
  /** one line, e.g. "add intel_iommu=on to GRUB_CMDLINE_LINUX" */
  description: string;
  diff?: FileDiff | undefined;
}

export interface FactReadBack {
  script: string;
  accept(stdout: string): void;
}

export interface ApplyOutcome {
  /** registered value after apply (replaces the plan's result) */
  result?: Record<string, unknown> | undefined;
  notes?: string[] | undefined;
  /**
   * the change ran and did not succeed (a command's exit code): the step fails
   * unless its `failed_when` says otherwise; `result` is registered all the same
   */
  fail?: { message: string; hint?: string | undefined } | undefined;
  /**
   * the apply forgot the host's facts itself after its last change
   * (ctx.invalidateFacts) and what it read since is current: the engine keeps
   * it rather than forgetting everything again (the next steps plan from it)
   */
  factsCurrent?: boolean | undefined;
}

export interface StepPlan {
  /** what would change; empty = nothing to do */
  changes: Change[];
  /** makes the changes; called only when changes is non-empty and not in check mode */
  apply?: ((ctx: StepContext) => Promise<ApplyOutcome | void>) | undefined;
  /** value registered under `register:` */
  result?: Record<string, unknown> | undefined;
  /** check mode: the outcome depends on an earlier change that was not made; says which */
  pending?: string | undefined;
  /** the step cannot go on for this host (e.g. no VT-x): the host fails (unless `failed_when` says otherwise), nothing is touched */
  fail?: { message: string; hint?: string | undefined } | undefined;
  /** nothing to do here, with the reason (e.g. "no passthrough device on this host") */
  skip?: string | undefined;
  notes?: string[] | undefined;
}

/** A file replaced during this run on this host, and where its old content was kept. */
export interface BackupRecord {
  path: string;
  backupPath: string;
}

/**
 * Something a step left on a host for a later step to undo (a compute
 * disabled in the scheduler while it is drained). While a hold is on, the
 * recap and the JSON report say so, with the command that undoes it.
 */
export interface HostHold {
  /** what is held, e.g. "nova-compute disabled in the scheduler by passthru" */
  what: string;
  /** the command that undoes it by hand */
  undo: string;
}

export interface StepContext {
  host: RemoteHost;
  hostName: string;
  /** all variables visible to this host: inventory, play, extra (-e), registered, `groups`, `hostvars` */
  vars: Vars;
  check: boolean;
  /** run remote commands through sudo */
  become: boolean;
  becomeUser?: string | undefined;
  /** the step's timeout, if any */
  timeoutMs?: number | undefined;
  /** the value of a fact, from the per-host cache (filled in one round trip at play start); a miss costs one round trip */
  gather<T>(fact: Fact<T>): Promise<T>;
  /** forget cached facts for this host (the engine does this after any change) */
  invalidateFacts(): void;
  /**
   * Reading the host back after a change, in the change's own round trip: a
   * gather script (POSIX sh, run as the step's user) for `wanted` and what the
   * next steps will read; give `accept` its output once the change is done
   * (it replaces the host's cached facts), and say `factsCurrent` in the
   * apply's outcome. `changed`: the facts the change can alter (what the
   * step wrote): only those are forgotten and read again, the others stay.
   * Absent where the engine cannot (tests' contexts).
   */
  readBack?(wanted: Fact<unknown>[], opts?: { changed?: Fact<unknown>[] }): FactReadBack;
  /** registered values and vars of another host */
  hostvars(name: string): Vars;
  /** one variable of another host (`hostvars[name][variable]`, without building all of them) */
  hostvar(name: string, variable: string): unknown;
  /** group name -> host names */
  groups: Record<string, string[]>;
  /** files this run replaced on this host, in order (for rollback) */
  backups: BackupRecord[];
  /** check mode: earlier steps on this host that planned changes not made (their outcome may change what this step sees) */
  pendingChanges: string[];
  warn(message: string): void;
  secrets: SecretRegistry;
  signal: AbortSignal;
  /** run-wide objects shared by every host's steps (e.g. the batch of nova checks one host runs for the others) */
  services: RunServices;
  /**
   * The result an earlier step of kind `output.kind` registered on this host
   * (the latest one), checked against `output.schema`; undefined when no such
   * step ran here, or it was skipped or failed. A result of the wrong shape,
   * or one replaced by another step's, is an error naming both steps.
   */
  input<T>(output: StepOutput<T>): T | undefined;
  /**
   * What step kind `output.kind` registered as `variable` on another host
   * (`hostvars[host][variable]`), checked the same way; undefined when
   * nothing was registered there under that name, or it was skipped or failed.
   */
  inputFrom<T>(host: string, variable: string, output: StepOutput<T>): T | undefined;
  /**
   * The run's one connection to another inventory host (opened now if it is
   * not yet), for a step that acts on this host through that one: a compute
   * drained through the controller's openstack CLI. Rejects as connecting does.
   */
  delegate(hostName: string): Promise<RemoteHost>;
  /** put a hold on this host under `key`, or lift it (undefined) */
  hold(key: string, hold: HostHold | undefined): void;
}

export interface StepKind<A = unknown> {
  /** the key that names the kind in a playbook step, e.g. `ini`, `reboot` */
  kind: string;
  /** validates the step's arguments (after templating) */
  schema: z.ZodType<A>;
  /** what it registers, for the steps that read it (StepContext.input) */
  output?: StepOutput<unknown> | undefined;
  /** the outputs of earlier steps it reads (documentation of the contract; read with StepContext.input) */
  reads?: readonly StepOutput<unknown>[] | undefined;
  /** Ansible's names of some options (`regex` for `regexp`): a playbook using one is told the passthru name */
  aliases?: Readonly<Record<string, string>> | undefined;
  /**
   * the step does nothing in check mode (a command that is not `readonly`):
   * its registered result holds no output there
   */
  skipsInCheck?: ((args: A) => boolean) | undefined;
  /** facts this step will read, so the engine can gather them with the others in one round trip */
  facts?(args: A): Fact<unknown>[];
  plan(ctx: StepContext, args: A): Promise<StepPlan>;
  /**
   * Start expensive read-only work early: called (never awaited) when the host
   * starts the play, for a step whose condition already holds. It may only
   * read and warm what `ctx.services` holds; plan() must work the same without it.
   */
  prepare?(ctx: StepContext, args: A): Promise<void>;
  /** safe to run again after a dropped connection (read-only or idempotent) */
  repeatable?: boolean | undefined;
  /** applying it disrupts the host (reboot, service restart): what the host reads after it is not read ahead */
  disruptive?: boolean | undefined;
  /**
   * applying it restarts the host (a reboot): every command still running
   * there is cut short, so the commands the steps' prepare() started on the
   * host finish first
   */
  restartsHost?: boolean | undefined;
  /**
   * false: applying it changes nothing that a fact reads on this host (it
   * acts on the cloud through the openstack CLI): the host's facts stay
   * cached after it (by default any change forgets them)
   */
  changesHost?: boolean | undefined;
}
