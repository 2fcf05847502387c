// How to reach one host, from its merged vars, the way Ansible's ssh
// connection builds its command line: ansible_ssh_args, then
// host_key_checking, ansible_port, the key file, ansible_user and the
// timeout, then ansible_ssh_common_args and ansible_ssh_extra_args. ssh
// takes the first value it sees for an option, so an explicit
// ansible_port beats `-o Port=` in the args; key files add up.
// Where Ansible lists aliases (ansible_host, ansible_ssh_host) the last one
// set wins, as in its config manager.

import { homedir } from 'node:os';
import { ConfigError } from '../errors.ts';
import type { Origin } from './adjacent.ts';
import { checkConnectionVar } from './schema.ts';
import { parseSshArgs, SshArgsError, type SshSetting } from './ssh-args.ts';
import type { HostConnectionVars, Inventory, Vars } from './types.ts';
import { mergedVars } from './vars.ts';

function expandHome(p: string): string {
  if (p === '~') return homedir();
  if (p.startsWith('~/')) return homedir() + p.slice(1);
  return p;
}

/** `defaults`: values below every inventory var (the command line's -u, --private-key... as in Ansible) */
export function connectionVars(inv: Inventory, name: string, defaults: Vars = {}): HostConnectionVars {
  const origin = new Map<string, Origin>();
  const vars = { ...defaults, ...mergedVars(inv, name, undefined, origin) };
  // the value of the last of these keys that is set (not null), checked and coerced
  const pick = <T>(...keys: string[]): T | undefined => {
    let found: string | undefined;
    for (const k of keys) if (vars[k] !== undefined && vars[k] !== null) found = k;
    if (found === undefined) return undefined;
    return checkConnectionVar(inv, origin.get(found) ?? { kind: 'host', name }, found, vars[found]) as T;
  };

  const settings: SshSetting[] = [];
  const args = (key: string): void => {
    const text = pick<string>(key);
    if (text === undefined) return;
    try {
      settings.push(...parseSshArgs(text));
    } catch (e) {
      if (e instanceof SshArgsError) throw new ConfigError({ file: inv.source }, `${key} of host '${name}': ${e.message}`, e.hint);
      throw e;
    }
  };

  args('ansible_ssh_args');
  if (pick<boolean>('ansible_host_key_checking', 'ansible_ssh_host_key_checking') === false) {
    settings.push({ key: 'strictHostKeyChecking', value: 'no' });
  }
  const port = pick<number>('ansible_port', 'ansible_ssh_port');
  if (port !== undefined) settings.push({ key: 'port', value: port });
  const key = pick<string>('ansible_private_key_file', 'ansible_ssh_private_key_file');
  if (key !== undefined) settings.push({ key: 'identityFile', value: key });
  const user = pick<string>('ansible_user', 'ansible_ssh_user');
  if (user !== undefined) settings.push({ key: 'user', value: user });
  const timeout = pick<number>('ansible_ssh_timeout') ?? pick<number>('ansible_timeout');
  if (timeout !== undefined) settings.push({ key: 'connectTimeout', value: timeout });
  args('ansible_ssh_common_args');
  args('ansible_ssh_extra_args');

  const first = <K extends SshSetting['key']>(k: K): Extract<SshSetting, { key: K }> | undefined =>
    settings.find((s): s is Extract<SshSetting, { key: K }> => s.key === k);

  return {
    name,
    host: pick<string>('ansible_host', 'ansible_ssh_host') ?? name,
    port: first('port')?.value,
    user: first('user')?.value,
    identityFiles: [...new Set(settings.filter((s) => s.key === 'identityFile').map((s) => expandHome(String(s.value))))],
    become: pick<boolean>('ansible_become') ?? false,
    becomeUser: pick<string>('ansible_become_user', 'ansible_sudo_user'),
    becomePassword: pick<string>('ansible_become_password', 'ansible_become_pass', 'ansible_sudo_pass'),
    userKnownHostsFile: mapDefined(first('userKnownHostsFile')?.value, expandHome),
    strictHostKeyChecking: first('strictHostKeyChecking')?.value,
    proxyJump: first('proxyJump')?.value,
    connectTimeout: first('connectTimeout')?.value,
  };
}

function mapDefined<T, U>(v: T | undefined, f: (x: T) => U): U | undefined {
  return v === undefined ? undefined : f(v);
}

/** where a merged var came from: the host itself, else the group that set it last in precedence order */
