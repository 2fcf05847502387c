// Ansible's connection flags (-u, --private-key, -T, --ssh-common-args,
// --ssh-extra-args, --become-user) as the connection vars they stand for.
// As in Ansible, a command-line value is the lowest precedence of all: an
// ansible_user (or ansible_ssh_common_args...) set anywhere in the inventory
// beats it, host by host. Each value is checked here, before anything runs.

import { accessSync, constants } from 'node:fs';
import { homedir } from 'node:os';
import { UsageError } from '../errors.ts';
import { parseSshArgs, SshArgsError } from '../inventory/ssh-args.ts';
import type { Vars } from '../inventory/types.ts';
import type { Parsed } from './args.ts';

/** flag -> the connection var it sets where the inventory does not */
const VAR_OF = {
  user: 'ansible_user',
  'private-key': 'ansible_private_key_file',
  timeout: 'ansible_timeout',
  'ssh-common-args': 'ansible_ssh_common_args',
  'ssh-extra-args': 'ansible_ssh_extra_args',
  'become-user': 'ansible_become_user',
} as const;

function oneWord(flag: string, v: string): string {
  if (!/^\S+$/.test(v)) throw new UsageError(`--${flag} ${JSON.stringify(v)}: expected a user name (one word)`, { hint: `e.g. --${flag} ops` });
  return v;
}

function sshArgs(flag: string, v: string): string {
  try {
    parseSshArgs(v);
  } catch (e) {
    if (e instanceof SshArgsError) throw new UsageError(`--${flag}: ${e.message}`, { hint: e.hint });
    throw e;
  }
  return v;
}

function keyFile(v: string): string {
  const path = v === '~' || v.startsWith('~/') ? homedir() + v.slice(1) : v;
  try {
    accessSync(path, constants.R_OK);
  } catch {
    throw new UsageError(`--private-key ${v}: no readable file there`, { hint: 'give the path of your private key, e.g. --private-key ~/.ssh/id_ed25519' });
  }
  return v;
}

/** The connection vars the flags give, for connectionVars(..., defaults). */
export function connectionFlagVars(p: Parsed): Vars {
  const out: Vars = {};
  const user = p.str('user');
  if (user !== undefined) out[VAR_OF.user] = oneWord('user', user);
  const key = p.str('private-key');
  if (key !== undefined) out[VAR_OF['private-key']] = keyFile(key);
  const timeout = p.int('timeout', { min: 1, max: 86_400 });
  if (timeout !== undefined) out[VAR_OF.timeout] = timeout;
  for (const flag of ['ssh-common-args', 'ssh-extra-args'] as const) {
    const v = p.str(flag);
    if (v !== undefined) out[VAR_OF[flag]] = sshArgs(flag, v);
  }
  const becomeUser = p.str('become-user');
  if (becomeUser !== undefined) out[VAR_OF['become-user']] = oneWord('become-user', becomeUser);
  return out;
}
