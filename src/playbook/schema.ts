// The keys of plays and steps, and zod schemas for their values. The loader
// (load.ts) checks the keys itself (to say "did you mean" and to find the
// action key) and uses these schemas for the values.

import { z } from 'zod';
import { IDENTIFIER } from './vars-file.ts';

const m = (error: string) => ({ error });

const bool = z.boolean(m('must be true or false'));
const text = z.string(m('must be a string')).min(1, m('must not be empty'));
const stringList = z.union([z.string(), z.array(z.string(m('must be a string')))], m('must be a string or a list of strings'));
const conditionItem = z.union([z.string(), z.boolean()], m('must be an expression (a string) or true/false'));
const condition = z.union([conditionItem, z.array(conditionItem)], m('must be an expression, or a list of expressions that must all hold'));

const serialItem = z.union(
  [
    z.number(m('must be a number of hosts or a percentage like "25%"')).int(m('must be a whole number of hosts')).min(0, m('must be 0 or more hosts')),
    z.string().regex(/^\s*\d+\s*%?\s*$/, m('must be a number of hosts or a percentage like "25%"')),
  ],
  m('must be a number of hosts, a percentage like "25%", or a list of those'),
);

export const playSchema = z.object({
  name: text.optional(),
  hosts: z.union([text, z.array(text).min(1)], m('must be a host pattern, e.g. "compute" or "controller:compute"')),
  serial: z.union([serialItem, z.array(serialItem)], m('must be a number of hosts, a percentage like "25%", or a list of those')).optional(),
  max_fail_percentage: z
    .number(m('must be a number from 0 to 100'))
    .min(0, m('must be a number from 0 to 100'))
    .max(100, m('must be a number from 0 to 100'))
    .optional(),
  any_errors_fatal: bool.optional(),
  become: bool.optional(),
  become_user: text.optional(),
  gather_facts: bool.optional(),
  tags: stringList.optional(),
  vars_files: z.union([text, z.array(text)], m('must be a file path or a list of file paths')).optional(),
  steps: z.array(z.unknown(), m('must be a list of steps (each one starting with "- name:")')).optional(),
  handlers: z.array(z.unknown(), m('must be a list of handlers (each one starting with "- name:")')).optional(),
});
export type PlayInput = z.infer<typeof playSchema>;

export const stepSchema = z.object({
  when: condition.optional(),
  register: z.string(m('must be a variable name')).regex(IDENTIFIER, m('must be a variable name: letters, digits and _, not starting with a digit')).optional(),
  notify: stringList.optional(),
  tags: stringList.optional(),
  become: bool.optional(),
  become_user: text.optional(),
  timeout: z.number(m('must be a number of seconds')).positive(m('must be more than 0 seconds')).optional(),
  retries: z.number(m('must be a whole number, 0 or more')).int(m('must be a whole number, 0 or more')).min(0, m('must be a whole number, 0 or more')).optional(),
  delay: z.number(m('must be a number of seconds')).min(0, m('must be 0 seconds or more')).optional(),
  until: condition.optional(),
  ignore_errors: bool.optional(),
  run_once: bool.optional(),
  changed_when: condition.optional(),
  failed_when: condition.optional(),
  listen: stringList.optional(),
});
export type StepInput = z.infer<typeof stepSchema>;

export const PLAY_KEYS: readonly string[] = ['name', 'hosts', 'vars', ...Object.keys(playSchema.shape).filter((k) => k !== 'name' && k !== 'hosts')];
export const STEP_KEYS: readonly string[] = ['name', ...Object.keys(stepSchema.shape).filter((k) => k !== 'listen')];
export const HANDLER_KEYS: readonly string[] = [...STEP_KEYS, 'listen'];

/** Ansible play keys passthru does not take, with what to do instead. */
export const ANSIBLE_PLAY_KEYS: Readonly<Record<string, string>> = {
  tasks: 'passthru calls them steps: rename "tasks:" to "steps:"',
  pre_tasks: 'put these steps at the start of "steps:"',
  post_tasks: 'put these steps at the end of "steps:"',
  roles: 'roles are not supported: write the steps in the play',
  import_playbook: 'not supported: put the plays in one playbook',
  include: 'not supported: put the plays in one playbook',
  remote_user: 'set ansible_user in the inventory, or User in ~/.ssh/config',
  connection: 'passthru always connects over SSH',
  become_method: 'passthru always becomes root with sudo',
  strategy: 'passthru runs each step on all hosts of a batch in parallel (like the linear strategy)',
  environment: 'not supported',
  vars_prompt: 'not supported: pass values with -e',
  collections: 'not supported',
  module_defaults: 'not supported',
  order: 'hosts run in inventory order',
  gather_subset: 'passthru reads only the facts its steps need',
  check_mode: 'use --check on the command line',
  diff: 'passthru always shows diffs in check mode',
  no_log: 'secret-looking values are masked anyway',
  force_handlers: 'not supported',
  ignore_unreachable: 'not supported',
  throttle: 'not supported',
  port: 'set ansible_port in the inventory',
};

/** Ansible task keys passthru does not take, with what to do instead. */
export const ANSIBLE_STEP_KEYS: Readonly<Record<string, string>> = {
  loop: 'loops are not supported: write one step per item, or give the step kind a list',
  loop_control: 'loops are not supported',
  block: 'blocks are not supported: put the steps in the play, with when: on each',
  rescue: 'blocks are not supported',
  always: 'blocks are not supported',
  include_tasks: 'not supported: put the steps in the play',
  import_tasks: 'not supported: put the steps in the play',
  include_role: 'roles are not supported',
  import_role: 'roles are not supported',
  delegate_to: 'not supported: use a play with hosts: set to that host',
  local_action: 'not supported',
  vars: 'step vars are not supported: set them in the play\'s vars or with -e',
  environment: 'not supported',
  args: 'write the arguments under the step kind\'s key',
  action: 'write the step kind as the key, e.g. "ini: {...}"',
  async: 'not supported',
  poll: 'not supported',
  check_mode: 'use --check on the command line',
  diff: 'passthru always shows diffs in check mode',
  no_log: 'secret-looking values are masked anyway',
  throttle: 'not supported',
  become_method: 'passthru always becomes root with sudo',
  any_errors_fatal: 'set any_errors_fatal on the play',
  debugger: 'not supported',
  module_defaults: 'not supported',
};
