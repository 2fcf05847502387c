// One command on one channel: output collected as bytes and decoded once,
// the caller's stdin written and closed, sudo handled by BecomeFilter,
// a timeout or an abort stops the remote command and closes the channel.
//
// Stopping a remote command: sshd honours the "signal" channel request only
// for non-root logins (for root it answers "session signalling requires
// privilege separation"), and closing the channel does not kill a command
// without a pty (sshd keeps the session, and so a MaxSessions slot, until the
// command ends). So every command first prints its shell's pid (= its process
// group: sshd runs it under setsid) to stderr, and a stop sends the signal
// request AND runs `kill -TERM -PGID` on another channel (or, when all 10 are
// taken by stuck commands, on a short-lived second connection), then KILL
// after a grace period.

import { randomBytes } from 'node:crypto';
import type { Client as ClientType, ClientChannel } from 'ssh2';
import { CommandTimeoutError, ConnectionLostError, HostError } from '../errors.ts';
import { secrets } from '../util/secrets.ts';
import { BecomeFilter, becomeCommand, becomeFailure } from './become.ts';
import { abortReason } from './channel-limit.ts';
import type { Release } from './channel-limit.ts';
import type { ExecOptions, ExecResult } from './types.ts';

/** after SIGTERM, how long a command gets before SIGKILL */
export const KILL_GRACE_MS = 1000;
/** attempts to open a channel that sshd refused with "open failed" (about 1.5 s in all) */
const OPEN_RETRIES = 20;

const PID_TAG = `passthru-pid-${randomBytes(6).toString('hex')}:`;
const PID_LINE = new RegExp(`${PID_TAG.replace(/[-:]/g, '\\$&')}(\\d+)\\n`);

export interface ChannelJob {
  client: ClientType;
  /** inventory name, for errors */
  host: string;
  command: string;
  opts: ExecOptions;
  become?: { user: string; password: string | undefined } | undefined;
  /** gives the channel slot back; called once the channel is closed (or never opened) */
  release: Release;
  /** is the connection still up (decides between HostError and ConnectionLostError) */
  alive: () => boolean;
  /** the error of the connection's loss, once lost */
  lostError?: (() => unknown) | undefined;
  /** register the function that fails this command when the connection drops; returns the unregister */
  onLost: (fail: (e: unknown) => void) => () => void;
  /** signal a remote process group (on another channel, or another connection when all are busy) */
  killGroup: (pgid: number, sig: Sig) => void;
  /** sudo rejected this password */
  passwordRejected?: ((password: string) => void) | undefined;
}

/** The line that runs `command` (through sudo when asked), announcing its pid on stderr first. */
export function wireCommand(command: string, become: ChannelJob['become']): string {
  const inner = become ? becomeCommand(command, become.user, become.password !== undefined) : command;
  return `echo ${PID_TAG}$$ >&2\n${inner}`;
}

export function runOnChannel(job: ChannelJob): Promise<ExecResult> {
  const { client, host, command, opts, become, release } = job;
  const filter = become ? new BecomeFilter(become.password !== undefined) : undefined;
  const stdin = opts.stdin === undefined ? undefined : Buffer.isBuffer(opts.stdin) ? opts.stdin : Buffer.from(opts.stdin);

  return new Promise<ExecResult>((resolve, reject) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let pidBuf = '';
    let pgid: number | undefined;
    let exitCode: number | undefined;
    let signal: string | undefined;
    let stream: ClientChannel | undefined;
    let settled = false;
    let stopping = false;
    let rejectedPassword = false;
    let timer: NodeJS.Timeout | undefined;
    let killTimer: NodeJS.Timeout | undefined;

    const settle = (e: unknown, r?: ExecResult) => {
      if (settled) return;
      settled = true;
      unregister();
      if (timer) clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (e !== undefined) reject(e);
      else resolve(r as ExecResult);
    };
    const unregister = job.onLost((e) => {
      if (killTimer) clearTimeout(killTimer);
      release();
      settle(e);
    });

    const stop = () => {
      if (stopping) return;
      stopping = true;
      const s = stream;
      if (!s) return; // the channel-open callback stops it
      kill(job, s, pgid, 'TERM');
      killTimer = setTimeout(() => {
        kill(job, s, pgid, 'KILL');
        s.close();
      }, KILL_GRACE_MS);
      killTimer.unref();
    };

    const onAbort = () => {
      stop();
      settle(abortReason(opts.signal));
    };
    if (opts.signal?.aborted) {
      release();
      settle(abortReason(opts.signal));
      return;
    }
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    if (opts.timeoutMs !== undefined && opts.timeoutMs > 0) {
      const ms = opts.timeoutMs;
      timer = setTimeout(() => {
        stop();
        settle(
          new CommandTimeoutError(host, `command timed out after ${+(ms / 1000).toFixed(1)} s and was stopped: ${brief(command)}`, {
            hint: 'Raise the step timeout if the command legitimately takes longer.',
          }),
        );
      }, ms);
    }

    const writeStdin = (s: ClientChannel) => {
      if (stdin && stdin.length > 0) s.write(stdin);
      s.end();
    };

    const openFailed = (e: unknown) => {
      release();
      const msg = e instanceof Error ? e.message : String(e);
      settle(
        job.alive()
          ? new HostError(host, `cannot open an SSH channel: ${msg}`, { cause: e })
          : (job.lostError?.() ?? new ConnectionLostError(host, 'connection lost', e)),
      );
    };

    const onStderr = (chunk: Buffer, s: ClientChannel) => {
      if (!filter) return void err.push(chunk);
      const { data, action } = filter.stderr(chunk);
      if (data.length) err.push(data);
      if (action === 'send-password') s.write(`${become?.password ?? ''}\n`);
      else if (action === 'rejected') {
        rejectedPassword = true;
        if (become?.password !== undefined) job.passwordRejected?.(become.password);
        s.close();
      }
    };

    // sshd frees a finished session lazily (after it read our CLOSE, in its next loop), so an open
    // right after a close can hit MaxSessions for a moment: "open failed" is retried briefly
    const open = (attempt: number): void => {
      try {
        client.exec(wireCommand(command, become), (e, s) => {
          if (e) {
            if (/open failed/i.test(e.message) && attempt < OPEN_RETRIES && job.alive() && !settled) {
              setTimeout(() => open(attempt + 1), Math.min(5 * 2 ** attempt, 100));
              return;
            }
            return openFailed(e);
          }
          stream = s;
          s.on('close', () => {
            if (killTimer) clearTimeout(killTimer);
            release();
            const stdout = Buffer.concat(out).toString('utf8');
            let stderr = Buffer.concat(err).toString('utf8');
            const code = exitCode ?? 255;
            if (filter && !filter.through) {
              settle(becomeFailure(host, become?.user ?? 'root', pidBuf + filter.sudoStderr(), code, rejectedPassword));
              return;
            }
            if (filter) stderr = filter.sudoStderr() + stderr;
            settle(undefined, { stdout, stderr: pidBuf + stderr, exitCode: code, signal });
          });
          s.on('exit', (code: number | null, sig?: string) => {
            if (typeof code === 'number') exitCode = code;
            if (sig) signal = sig;
          });
          s.on('data', (chunk: Buffer) => {
            if (!filter) return void out.push(chunk);
            const { data, opened } = filter.stdout(chunk);
            if (data.length) out.push(data);
            if (opened) writeStdin(s);
          });
          s.stderr.on('data', (chunk: Buffer) => {
            if (pgid !== undefined || pidBuf.length > 65536) return onStderr(chunk, s);
            // the announced pid comes first; anything before it (a noisy login shell) is kept
            pidBuf += chunk.toString('latin1');
            const m = PID_LINE.exec(pidBuf);
            if (!m) return;
            pgid = Number(m[1]);
            const rest = Buffer.from(pidBuf.slice(m.index + m[0].length), 'latin1');
            pidBuf = pidBuf.slice(0, m.index);
            if (stopping) kill(job, s, pgid, 'TERM');
            if (rest.length) onStderr(rest, s);
          });
          if (stopping || settled) {
            stopping = false;
            stop();
            return;
          }
          if (!filter) writeStdin(s);
        });
      } catch (e) {
        openFailed(e);
      }
    };
    open(0);
  });
}

/** SIGTERM/SIGKILL the remote command: the signal request, plus a kill of its process group. */
function kill(job: ChannelJob, stream: ClientChannel, pgid: number | undefined, sig: Sig): void {
  sendSignal(job.client, stream, sig);
  if (pgid !== undefined && pgid > 1) job.killGroup(pgid, sig);
}

export type Sig = 'TERM' | 'KILL';

/** The command that signals process groups (`kill -TERM -PGID`: dash's kill knows no `--`). */
export function killCommand(pgids: Iterable<number>, sig: Sig): string {
  return `kill -${sig} ${[...pgids].map((p) => `-${p}`).join(' ')} 2>/dev/null; true`;
}

/**
 * The "signal" channel request. ssh2's channel.signal() stays silent once
 * stdin was closed, so it goes through the protocol object directly.
 */
function sendSignal(client: ClientType, stream: ClientChannel, name: 'TERM' | 'KILL'): void {
  const ch = stream as unknown as { outgoing?: { id: number; state: string } };
  const proto = (client as unknown as { _protocol?: { signal(id: number, sig: string): void } })._protocol;
  try {
    if (ch.outgoing && (ch.outgoing.state === 'open' || ch.outgoing.state === 'eof') && proto) proto.signal(ch.outgoing.id, name);
  } catch {
    /* channel or connection already gone */
  }
}

function brief(command: string): string {
  const one = secrets.mask(command).replace(/\s+/g, ' ').trim();
  return one.length > 120 ? `${one.slice(0, 117)}...` : one;
}
