// The ssh options passthru honours inside ansible_ssh_common_args,
// ansible_ssh_extra_args and ansible_ssh_args: -o Port= / -p, -o User= / -l,
// -i / -o IdentityFile=, -o ProxyJump= / -J (and a ProxyCommand of the
// `ssh -W %h:%p bastion` kind), -o StrictHostKeyChecking=,
// -o UserKnownHostsFile=, -o ConnectTimeout=. Other options are accepted
// and ignored. The string is split as Ansible splits it (shlex).

import { shlexSplit, ShlexError } from './shlex.ts';

export type SshSetting =
  | { key: 'port'; value: number }
  | { key: 'user'; value: string }
  | { key: 'identityFile'; value: string }
  | { key: 'proxyJump'; value: string | undefined }
  | { key: 'strictHostKeyChecking'; value: 'yes' | 'no' | 'accept-new' }
  | { key: 'userKnownHostsFile'; value: string }
  | { key: 'connectTimeout'; value: number };

export class SshArgsError extends Error {
  constructor(message: string, readonly hint: string) {
    super(message);
  }
}

// ssh(1) options that take an argument, and those that do not
const WITH_ARG = 'BbcDEeFIiJLlmOoPpQRSWw';
const NO_ARG = '46AaCfGgKkMNnqsTtVvXxYy';

/** ssh_config's StrictHostKeyChecking values (case-insensitive); "ask" cannot prompt here, so it is "yes" */
const STRICT: Record<string, 'yes' | 'no' | 'accept-new'> = {
  yes: 'yes',
  true: 'yes',
  ask: 'yes',
  no: 'no',
  false: 'no',
  off: 'no',
  'accept-new': 'accept-new',
};

export function parseStrictHostKeyChecking(value: string): 'yes' | 'no' | 'accept-new' {
  const v = STRICT[value.toLowerCase()];
  if (!v) throw new SshArgsError(`StrictHostKeyChecking=${value} is not valid`, 'use yes, no or accept-new');
  return v;
}

function parsePort(value: string, what: string): number {
  const n = /^[0-9]+$/.test(value) ? Number(value) : NaN;
  if (!(n >= 1 && n <= 65535)) throw new SshArgsError(`${what} '${value}' is not a port number`, 'give a number from 1 to 65535');
  return n;
}

function words(text: string): string[] {
  try {
    return shlexSplit(text).map((w) => w.trim()).filter((w) => w !== '');
  } catch (e) {
    const why = e instanceof ShlexError ? e.message : String(e);
    throw new SshArgsError(`cannot split the ssh arguments: ${why}`, 'close the quote, or escape it with a backslash');
  }
}

/** The settings in one ssh argument string, in order (ssh takes the first value of each option). */
export function parseSshArgs(text: string): SshSetting[] {
  const out: SshSetting[] = [];
  const argv = words(text);
  for (let i = 0; i < argv.length; i++) {
    const w = argv[i] as string;
    if (w === '--') break;
    if (!w.startsWith('-') || w === '-') continue; // not an option: ssh would take it as the destination; ignored
    for (let j = 1; j < w.length; j++) {
      const c = w[j] as string;
      if (NO_ARG.includes(c)) continue;
      if (!WITH_ARG.includes(c)) throw new SshArgsError(`unknown ssh option -${c} in '${w}'`, 'remove it; see man ssh for the options ssh takes');
      let value = w.slice(j + 1);
      if (value === '') {
        const next = argv[i + 1];
        if (next === undefined) throw new SshArgsError(`ssh option -${c} needs a value`, `write -${c} VALUE`);
        value = next;
        i++;
      }
      const s = flagSetting(c, value);
      if (s) out.push(s);
      break;
    }
  }
  return out;
}

function flagSetting(flag: string, value: string): SshSetting | undefined {
  switch (flag) {
    case 'p': return { key: 'port', value: parsePort(value, '-p') };
    case 'l': return { key: 'user', value };
    case 'i': return { key: 'identityFile', value };
    case 'J': return { key: 'proxyJump', value: value.toLowerCase() === 'none' ? undefined : value };
    case 'o': return optionSetting(value);
    default: return undefined;
  }
}

/** one `-o Keyword=value` (or `-o "Keyword value"`) */
function optionSetting(option: string): SshSetting | undefined {
  const m = /^\s*([A-Za-z0-9]+)\s*(?:=\s*|\s+)(.*?)\s*$/s.exec(option);
  if (!m) throw new SshArgsError(`ssh option '-o ${option}' has no value`, 'write -o Keyword=value');
  const keyword = (m[1] as string).toLowerCase();
  const raw = m[2] as string;
  if (keyword === 'proxycommand') return proxyCommand(raw);
  const value = words(raw).join(' ');
  switch (keyword) {
    case 'port': return { key: 'port', value: parsePort(value, 'Port') };
    case 'user': return { key: 'user', value };
    case 'identityfile': return { key: 'identityFile', value };
    case 'proxyjump': return { key: 'proxyJump', value: value.toLowerCase() === 'none' ? undefined : value };
    case 'stricthostkeychecking': return { key: 'strictHostKeyChecking', value: parseStrictHostKeyChecking(value) };
    case 'userknownhostsfile': return { key: 'userKnownHostsFile', value };
    case 'connecttimeout': {
      if (!/^[0-9]+$/.test(value)) throw new SshArgsError(`ConnectTimeout=${value} is not a number of seconds`, 'write -o ConnectTimeout=10');
      return { key: 'connectTimeout', value: Number(value) };
    }
    default:
      return undefined;
  }
}

/**
 * A ProxyCommand that only hops through a bastion (`ssh -W %h:%p [-p N] [-l u] [u@]bastion`
 * or `ssh [u@]bastion nc %h %p`) is a ProxyJump; any other command is refused.
 */
function proxyCommand(command: string): SshSetting {
  if (command.toLowerCase() === 'none') return { key: 'proxyJump', value: undefined };
  const unsupported = new SshArgsError(
    `ProxyCommand "${command}" is not supported`,
    'passthru connects through jump hosts itself: use -o ProxyJump=user@bastion (or -J user@bastion) instead',
  );
  const argv = words(command);
  if (!/(^|\/)ssh$/.test(argv[0] ?? '')) throw unsupported;
  let forward = false;
  let port: string | undefined;
  let user: string | undefined;
  let dest: string | undefined;
  let i = 1;
  for (; i < argv.length; i++) {
    const w = argv[i] as string;
    if (!w.startsWith('-')) {
      if (dest !== undefined) break;
      dest = w;
      continue;
    }
    const c = w[1] as string;
    if (NO_ARG.includes(c) && [...w.slice(1)].every((x) => NO_ARG.includes(x))) continue;
    if (!WITH_ARG.includes(c)) throw unsupported;
    const value = w.length > 2 ? w.slice(2) : argv[++i];
    if (value === undefined) throw unsupported;
    if (c === 'W') forward = value === '%h:%p';
    else if (c === 'p') port = value;
    else if (c === 'l') user = value;
    else if (c === 'o' || c === 'i' || c === 'F') continue;
    else throw unsupported;
  }
  const rest = argv.slice(i);
  const nc = rest.length >= 3 && rest[0] === 'nc' && rest.at(-2) === '%h' && rest.at(-1) === '%p';
  if (dest === undefined || (!forward && !nc) || (forward && rest.length > 0)) throw unsupported;
  let jump = dest;
  if (user !== undefined && !dest.includes('@')) jump = `${user}@${jump}`;
  if (port !== undefined) jump = `${jump}:${parsePort(port, 'ProxyCommand -p')}`;
  return { key: 'proxyJump', value: jump };
}
