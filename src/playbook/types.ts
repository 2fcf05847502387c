// The playbook as passthru understands it, after loading and validating the
// YAML. See docs/playbook-format.md for the format a user writes.

import type { ErrorLocation } from '../errors.ts';
import type { Vars } from '../inventory/types.ts';
import type { KindOptions } from './step-options.ts';

export type { Vars };

/** One batch size: a host count, or a percentage of the play's hosts ("25%"). 0 = all remaining hosts. */
export type SerialValue = number | `${number}%`;
/** `serial:` as written: one size, or a list whose last item repeats. */
export type SerialSpec = SerialValue | readonly SerialValue[];

export interface StepDef {
  name: string;
  /** the action key, one of the step kinds given to the loader */
  kind: string;
  /** the action's value, raw (templated later, validated by the kind's schema); `{}` when empty */
  args: unknown;
  /** conditions, all must hold ("and"); expressions without {{ }} */
  when: string[];
  register?: string;
  /** handler names or `listen` topics of this play */
  notify: string[];
  tags: string[];
  become?: boolean;
  becomeUser?: string;
  timeoutMs?: number;
  /** extra attempts after the first (3 when `until` is set and `retries` is not) */
  retries: number;
  /** pause between attempts */
  delayMs: number;
  /** repeat until this holds (up to `retries` more times) */
  until?: string;
  ignoreErrors: boolean;
  runOnce: boolean;
  changedWhen?: string;
  failedWhen?: string;
  /** handlers only: topics this handler also answers to (besides its name) */
  listen: string[];
  /** file, line, column of the step (its first key) */
  location: ErrorLocation;
}

export interface Play {
  /** `name:`, or the hosts pattern when there is none */
  name: string;
  /** Ansible host pattern, e.g. "compute", "controller:compute", "compute:!rack2", "compute:&gpu" */
  hosts: string;
  /** play vars, raw (templated when used); vars_files are merged over `vars:` (they take precedence, as in Ansible) */
  vars: Vars;
  serial: SerialSpec | undefined;
  maxFailPercentage: number | undefined;
  anyErrorsFatal: boolean;
  become: boolean | undefined;
  becomeUser?: string;
  tags: string[];
  steps: StepDef[];
  handlers: StepDef[];
  location: ErrorLocation;
}

export interface Playbook {
  file: string;
  plays: Play[];
}

export interface LoadOptions {
  /**
   * the step kinds the engine knows (the action keys a step may use); given
   * with their schemas (the engine's map of kinds), every step's options are
   * checked too, before any host is contacted
   */
  kinds: ReadonlySet<string> | ReadonlyMap<string, KindOptions>;
}
