// -vv and -vvv: what passthru does on each host, as log lines. -vv: every
// remote command (its first line) and its exit code; -vvv: how the host is
// reached (user, address, port, keys, known_hosts, jump hosts, timeout),
// every command whole and its output. Each line goes through the secret
// registry before it is written.

import type { ConnectTarget, ExecOptions, ExecResult, RemoteHost } from '../ssh/types.ts';
import { errorText } from '../engine/step-runner.ts';

export type Log = (line: string) => void;

const MAX_OUTPUT_LINES = 40;

function firstLine(command: string): string {
  const lines = command.split('\n');
  const head = (lines[0] ?? '').length > 200 ? `${(lines[0] ?? '').slice(0, 200)}…` : (lines[0] ?? '');
  return lines.length > 1 ? `${head} … (+${lines.length - 1} lines)` : head;
}

function indented(label: string, text: string): string[] {
  if (text === '') return [];
  const lines = text.replace(/\n$/, '').split('\n');
  const shown = lines.slice(0, MAX_OUTPUT_LINES).map((l) => `      ${l}`);
  if (lines.length > MAX_OUTPUT_LINES) shown.push(`      … (${lines.length - MAX_OUTPUT_LINES} more lines)`);
  return [`    ${label}:`, ...shown];
}

/** -vvv: one line saying how a host is reached */
export function describeTarget(t: ConnectTarget): string {
  const via = t.jumps.length > 0 ? ` via ${t.jumps.map((j) => `${j.user}@${j.host}:${j.port}`).join(' -> ')}` : '';
  const keys = t.identityFiles.length > 0 ? t.identityFiles.join(', ') : 'none';
  const become = t.become ? `, sudo to ${t.becomeUser ?? 'root'}` : '';
  return `ssh ${t.user}@${t.host}:${t.port}${via}; keys: ${keys}${t.agent ? ' + ssh-agent' : ''}; known_hosts: ${t.knownHostsFiles.join(', ')} (StrictHostKeyChecking ${t.strictHostKeyChecking}); connect timeout ${t.connectTimeoutMs / 1000}s${become}`;
}

/** The host, with each command logged (level 2: first line and exit code; 3: all of it). */
export function tracedHost(host: RemoteHost, level: number, log: Log): RemoteHost {
  const tag = `[${host.name}]`;
  return {
    get name() {
      return host.name;
    },
    get connected() {
      return host.connected;
    },
    async exec(command: string, opts?: ExecOptions): Promise<ExecResult> {
      const sudo = opts?.become ? `sudo${opts.becomeUser ? ` -u ${opts.becomeUser}` : ''} ` : '';
      log(`${tag} $ ${sudo}${level >= 3 ? command : firstLine(command)}`);
      const t0 = Date.now();
      try {
        const r = await host.exec(command, opts);
        log(`${tag}   rc=${r.exitCode}${r.signal ? ` (${r.signal})` : ''} in ${Date.now() - t0} ms`);
        if (level >= 3) for (const l of [...indented('stdout', r.stdout), ...indented('stderr', r.stderr)]) log(l);
        return r;
      } catch (e) {
        log(`${tag}   error after ${Date.now() - t0} ms: ${errorText(e)}`);
        throw e;
      }
    },
    async reconnect(opts) {
      log(`${tag} reconnecting`);
      const t0 = Date.now();
      await host.reconnect(opts);
      log(`${tag} reconnected in ${Date.now() - t0} ms`);
    },
    close: () => host.close(),
  };
}
