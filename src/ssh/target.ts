// From inventory connection vars and ~/.ssh/config to a ConnectTarget.
//
// Inventory values win over ~/.ssh/config (they reach ssh as -o options in
// Ansible, and the first value ssh obtains is the one it uses); ssh config
// wins over passthru's defaults. HostName from the config applies to the
// destination (ansible_host, or the inventory name), as with ssh.

import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { homedir, hostname, userInfo } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';
import SSHConfig from 'ssh-config';
import { ConfigError } from '../errors.ts';
import type { HostConnectionVars } from '../inventory/types.ts';
import type { ConnectTarget } from './types.ts';

export type TargetDefaults = Partial<
  Pick<ConnectTarget, 'port' | 'user' | 'identityFiles' | 'knownHostsFiles' | 'strictHostKeyChecking' | 'connectTimeoutMs' | 'keepaliveIntervalMs'>
>;

export interface ResolveOptions {
  /** default ~/.ssh/config; a missing file is an empty config */
  sshConfigPath?: string | undefined;
  /** HOME, USER, SSH_AUTH_SOCK come from here (default process.env) */
  env?: NodeJS.ProcessEnv | undefined;
  defaults?: TargetDefaults | undefined;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_KEEPALIVE_INTERVAL_MS = 5_000;
const MAX_JUMP_DEPTH = 8;

type Computed = Record<string, string | string[]>;

interface Ctx {
  env: NodeJS.ProcessEnv;
  home: string;
  localUser: string;
  configPath: string;
  config: SSHConfig;
  defaults: TargetDefaults;
}

export function resolveTarget(vars: HostConnectionVars, opts: ResolveOptions = {}): ConnectTarget {
  const env = opts.env ?? process.env;
  const home = env.HOME ?? homedir();
  const localUser = env.USER ?? env.LOGNAME ?? safeUserName();
  const configPath = opts.sshConfigPath ?? join(home, '.ssh', 'config');
  const ctx: Ctx = { env, home, localUser, configPath, config: loadSshConfig(configPath, home), defaults: opts.defaults ?? {} };
  return resolve(vars, ctx, 0, true);
}

function resolve(vars: HostConnectionVars, ctx: Ctx, depth: number, withJumps: boolean): ConnectTarget {
  const computeOpts = { ignoreCase: true, matchExec: false };
  const c: Computed =
    vars.user !== undefined ? ctx.config.compute({ Host: vars.host, User: vars.user }, computeOpts) : ctx.config.compute(vars.host, computeOpts);
  const where = { file: ctx.configPath };
  const one = (k: string): string | undefined => {
    const v = c[k];
    return Array.isArray(v) ? v[0] : v;
  };
  const many = (k: string): string[] => {
    const v = c[k];
    return v === undefined ? [] : Array.isArray(v) ? v.flatMap((s) => s.split(/\s+/)).filter(Boolean) : v.split(/\s+/).filter(Boolean);
  };

  const origHost = vars.host;
  const hostNameRaw = one('hostname');
  const host = hostNameRaw ? hostNameRaw.replace(/%h/g, origHost).replace(/%%/g, '%') : origHost;
  const port = vars.port ?? parsePort(one('port'), where, vars.name) ?? ctx.defaults.port ?? 22;
  const user = vars.user ?? one('user') ?? ctx.defaults.user ?? ctx.localUser;
  const tokens = (s: string) => expandTokens(s, { ctx, host, origHost, port, user });
  const path = (s: string) => expandPath(tokens(s), ctx.home, ctx.env);

  // identity files: inventory ones are kept even if missing (connect says so);
  // ssh config and default ones only when they exist, as ssh does
  const fromInventory = vars.identityFiles.map(path);
  const fromConfig = many('identityfile').map(path).filter((f) => existsSync(f));
  let identityFiles = [...fromInventory, ...fromConfig];
  if (vars.identityFiles.length === 0 && many('identityfile').length === 0) {
    const defaults = ctx.defaults.identityFiles ?? ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((n) => join(ctx.home, '.ssh', n));
    identityFiles = defaults.map(path).filter((f) => existsSync(f));
  }
  identityFiles = [...new Set(identityFiles)];

  let agent: string | undefined = ctx.env.SSH_AUTH_SOCK || undefined;
  const identityAgent = one('identityagent');
  if (identityAgent !== undefined) {
    if (identityAgent.toLowerCase() === 'none') agent = undefined;
    else if (identityAgent !== 'SSH_AUTH_SOCK') agent = path(identityAgent.replace(/^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$/, (_m, n: string) => ctx.env[n] ?? ''));
  }

  let knownHostsFiles: string[];
  if (ctx.defaults.knownHostsFiles && vars.userKnownHostsFile === undefined && many('userknownhostsfile').length === 0) {
    knownHostsFiles = ctx.defaults.knownHostsFiles.map(path);
  } else {
    const userFiles = vars.userKnownHostsFile !== undefined ? [vars.userKnownHostsFile] : many('userknownhostsfile');
    const globalFiles = many('globalknownhostsfile');
    knownHostsFiles = [
      ...(userFiles.length ? userFiles : [join(ctx.home, '.ssh', 'known_hosts')]),
      ...(globalFiles.length ? globalFiles : ['/etc/ssh/ssh_known_hosts']),
    ].map(path);
  }

  const strictHostKeyChecking = vars.strictHostKeyChecking ?? parseStrict(one('stricthostkeychecking'), where, vars.name) ?? ctx.defaults.strictHostKeyChecking ?? 'yes';
  const connectTimeoutMs =
    vars.connectTimeout !== undefined
      ? vars.connectTimeout * 1000
      : (parseSeconds(one('connecttimeout'), 'ConnectTimeout', where, vars.name) ?? ctx.defaults.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS);
  const alive = parseSeconds(one('serveraliveinterval'), 'ServerAliveInterval', where, vars.name);
  const keepaliveIntervalMs = alive !== undefined && alive > 0 ? alive : (ctx.defaults.keepaliveIntervalMs ?? DEFAULT_KEEPALIVE_INTERVAL_MS);

  let jumps: ConnectTarget[] = [];
  if (withJumps) {
    const spec = vars.proxyJump ?? one('proxyjump');
    if (spec !== undefined && spec.toLowerCase() !== 'none') {
      jumps = resolveJumps(spec, vars, ctx, depth);
    } else {
      const pc = one('proxycommand');
      if (pc !== undefined && pc.toLowerCase() !== 'none') {
        throw new ConfigError(where, `ProxyCommand for host ${vars.host} is not supported by passthru (${pc})`, 'Use ProxyJump (ssh -J) instead, e.g. "ProxyJump user@bastion:22".');
      }
    }
  }

  const target: ConnectTarget = {
    name: vars.name,
    host,
    port,
    user,
    identityFiles,
    agent,
    knownHostsFiles,
    strictHostKeyChecking,
    jumps,
    connectTimeoutMs,
    keepaliveIntervalMs,
    become: vars.become,
    becomeUser: vars.becomeUser,
    becomePassword: vars.becomePassword,
  };
  if (target.agent === undefined) delete target.agent;
  if (target.becomeUser === undefined) delete target.becomeUser;
  if (target.becomePassword === undefined) delete target.becomePassword;
  return target;
}

export interface JumpSpec {
  user?: string | undefined;
  host: string;
  port?: number | undefined;
}

/** "user@host:port,host2" (or ssh://user@host:port) -> specs, outermost first. */
export function parseProxyJump(spec: string): JumpSpec[] {
  return spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((raw) => {
      let s = raw.replace(/^ssh:\/\//i, '');
      let user: string | undefined;
      const at = s.lastIndexOf('@');
      if (at >= 0) {
        user = s.slice(0, at);
        s = s.slice(at + 1);
      }
      let host = s;
      let port: number | undefined;
      const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(s) ?? (/^([^:]+):(\d+)$/.test(s) ? /^([^:]+):(\d+)$/.exec(s) : null);
      if (m) {
        host = m[1] ?? s;
        if (m[2] !== undefined) port = Number(m[2]);
      }
      if (host === '' || (port !== undefined && !(port > 0 && port < 65536))) throw new Error(`bad jump host "${raw}"`);
      return { user, host, port };
    });
}

function resolveJumps(spec: string, vars: HostConnectionVars, ctx: Ctx, depth: number): ConnectTarget[] {
  if (depth >= MAX_JUMP_DEPTH) {
    throw new ConfigError({ file: ctx.configPath }, `ProxyJump chain for ${vars.name} is deeper than ${MAX_JUMP_DEPTH} hops (a loop?)`, 'Check the ProxyJump lines of ~/.ssh/config.');
  }
  let specs: JumpSpec[];
  try {
    specs = parseProxyJump(spec);
  } catch (e) {
    throw new ConfigError({ file: ctx.configPath }, `host ${vars.name}: ${(e as Error).message} in ProxyJump "${spec}"`, 'Write ProxyJump as [user@]host[:port][,[user@]host[:port]...].');
  }
  const out: ConnectTarget[] = [];
  specs.forEach((j, i) => {
    const jv: HostConnectionVars = {
      name: j.host,
      host: j.host,
      port: j.port,
      user: j.user,
      identityFiles: [],
      become: false,
      // the host's own -o settings reach its jump hosts too, unless their ssh config says otherwise
      userKnownHostsFile: undefined,
      strictHostKeyChecking: undefined,
      connectTimeout: vars.connectTimeout,
    };
    // ssh reaches the first jump host with a plain "ssh jump": its own ProxyJump applies
    const t = resolve(jv, ctx, depth + 1, i === 0);
    if (!hasOwn(ctx, j.host, 'stricthostkeychecking') && vars.strictHostKeyChecking) t.strictHostKeyChecking = vars.strictHostKeyChecking;
    if (!hasOwn(ctx, j.host, 'userknownhostsfile') && vars.userKnownHostsFile !== undefined) {
      t.knownHostsFiles = [expandPath(vars.userKnownHostsFile, ctx.home, ctx.env), ...t.knownHostsFiles.slice(1)];
    }
    out.push(...t.jumps, { ...t, jumps: [] });
  });
  return out;
}

function hasOwn(ctx: Ctx, host: string, key: string): boolean {
  return ctx.config.compute(host, { ignoreCase: true, matchExec: false })[key] !== undefined;
}

function parsePort(v: string | undefined, where: { file: string }, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new ConfigError(where, `host ${name}: Port "${v}" is not a port number`, 'Use a number from 1 to 65535.');
  return n;
}

function parseSeconds(v: string | undefined, key: string, where: { file: string }, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new ConfigError(where, `host ${name}: ${key} "${v}" is not a number of seconds`, `Write ${key} as a whole number of seconds.`);
  return n * 1000;
}

function parseStrict(v: string | undefined, where: { file: string }, name: string): ConnectTarget['strictHostKeyChecking'] | undefined {
  if (v === undefined) return undefined;
  switch (v.toLowerCase()) {
    case 'yes':
    case 'ask':
    case 'true':
      return 'yes';
    case 'no':
    case 'off':
    case 'false':
      return 'no';
    case 'accept-new':
      return 'accept-new';
    default:
      throw new ConfigError(where, `host ${name}: StrictHostKeyChecking "${v}" is not one of yes, no, accept-new, ask`, 'Use yes (default), accept-new or no.');
  }
}

function expandTokens(s: string, t: { ctx: Ctx; host: string; origHost: string; port: number; user: string }): string {
  return s.replace(/%([%dhunpribClLk])/g, (_m, k: string) => {
    switch (k) {
      case '%':
        return '%';
      case 'd':
        return t.ctx.home;
      case 'h':
        return t.host;
      case 'n':
      case 'k':
        return t.origHost;
      case 'u':
        return t.ctx.localUser;
      case 'r':
        return t.user;
      case 'p':
        return String(t.port);
      case 'i':
        return String(process.getuid?.() ?? '');
      case 'L':
        return hostname().split('.')[0] ?? '';
      case 'l':
        return hostname();
      case 'C':
        return createHash('sha1').update(`${hostname()}${t.host}${t.port}${t.user}`).digest('hex');
      default:
        return `%${k}`;
    }
  });
}

function expandPath(p: string, home: string, env: NodeJS.ProcessEnv): string {
  let out = p;
  if (out === '~' || out.startsWith('~/')) out = home + out.slice(1);
  out = out.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, n: string) => env[n] ?? '');
  return out;
}

function safeUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return 'root';
  }
}

const configCache = new Map<string, { mtimeMs: number; config: SSHConfig }>();

/** Parse an ssh config file, with its Include files inlined (a missing file is an empty config). */
export function loadSshConfig(path: string, home: string): SSHConfig {
  let mtimeMs: number;
  try {
    mtimeMs = statSync(path).mtimeMs;
  } catch {
    return SSHConfig.parse('');
  }
  const hit = configCache.get(path);
  if (hit && hit.mtimeMs === mtimeMs) return hit.config;
  const config = SSHConfig.parse(inlineIncludes(readFileSync(path, 'utf8'), dirname(path), home, 0));
  configCache.set(path, { mtimeMs, config });
  return config;
}

function inlineIncludes(text: string, baseDir: string, home: string, depth: number): string {
  if (depth > 16) return text;
  return text
    .split('\n')
    .map((line) => {
      const m = /^\s*Include\s+(.+?)\s*$/i.exec(line);
      if (!m) return line;
      const parts = (m[1] ?? '').split(/\s+/);
      const files: string[] = [];
      for (let p of parts) {
        p = p.replace(/^"(.*)"$/, '$1');
        if (p === '~' || p.startsWith('~/')) p = home + p.slice(1);
        if (!isAbsolute(p)) p = join(baseDir, p);
        files.push(...globFiles(p));
      }
      return files.map((f) => inlineIncludes(readFileSync(f, 'utf8'), baseDir, home, depth + 1)).join('\n');
    })
    .join('\n');
}

function globFiles(pattern: string): string[] {
  const name = basename(pattern);
  const dir = dirname(pattern);
  if (!/[*?]/.test(name)) return existsSync(pattern) ? [pattern] : [];
  const re = new RegExp('^' + name.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$');
  try {
    return readdirSync(dir)
      .filter((f) => re.test(f))
      .sort()
      .map((f) => join(dir, f))
      .filter((f) => statSync(f).isFile());
  } catch {
    return [];
  }
}
