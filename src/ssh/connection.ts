// One SSH connection per host, reused by every command as a channel (at
// most 10 at once: OpenSSH's MaxSessions). Keepalives detect a peer that
// went away without closing; a dropped connection fails the commands that
// were running with ConnectionLostError; reconnect() polls with capped
// backoff, every attempt bounded, so a rebooted host is back in use within
// a fraction of a second of its sshd answering.

import type { Client as ClientType } from 'ssh2';
import { AuthError, BecomeError, ConnectionLostError, HostError, HostKeyError, UnreachableError } from '../errors.ts';
import { secrets } from '../util/secrets.ts';
import { BecomePasswordRequired } from './become.ts';
import { ChannelLimit, abortReason } from './channel-limit.ts';
import { KEEPALIVE_COUNT_MAX, dial } from './dial.ts';
import type { JumpLease, JumpPool } from './jump-pool.ts';
import { killCommand, runOnChannel } from './exec.ts';
import type { Sig } from './exec.ts';
import type { AskSecret } from './keys.ts';
import type { ConnectTarget, ExecOptions, ExecResult, ReconnectOptions, RemoteHost } from './types.ts';

export const MAX_CHANNELS = 10;
const BACKOFF_START_MS = 100;
// a host that refuses the connection (booting: its sshd is not up yet) is asked again
// within a tenth of a second: a refused TCP connection costs nothing to either side
const BACKOFF_CAP_MS = 100;
const DEFAULT_RECONNECT_TIMEOUT_MS = 10 * 60 * 1000;

export interface ConnectOptions {
  /** asks the user for a key passphrase or the sudo password (each once per run) */
  askSecret?: (prompt: string) => Promise<string>;
  /** where jump host connections are shared (default: the process's pool) */
  jumpPool?: JumpPool;
}

/** Open the connection to `target` (one attempt, bounded by target.connectTimeoutMs). */
export async function connect(target: ConnectTarget, opts: ConnectOptions = {}): Promise<RemoteHost> {
  const host = new SshHost(target, opts);
  await host.open();
  return host;
}

interface Conn {
  client: ClientType;
  jumps: JumpLease[];
  limit: ChannelLimit;
  alive: boolean;
  /** reject functions of the commands running on this connection */
  running: Set<(e: unknown) => void>;
  lastError?: Error & { level?: string };
  /** what commands on this connection fail with, once it is gone */
  lostError?: ConnectionLostError;
}

const sudoPasswords = new WeakMap<AskSecret, Map<string, Promise<string>>>();

export class SshHost implements RemoteHost {
  readonly name: string;
  private conn: Conn | undefined;
  private closed = false;
  private reconnecting: Promise<void> | undefined;
  /** become passwords sudo rejected on this host: fail fast instead of trying again */
  private readonly rejected = new Set<string>();

  constructor(
    readonly target: ConnectTarget,
    private readonly opts: ConnectOptions = {},
  ) {
    this.name = target.name;
    secrets.add(target.becomePassword);
  }

  get connected(): boolean {
    return this.conn?.alive === true;
  }

  /** channels open right now on the current connection */
  get channelsInUse(): number {
    return this.conn?.limit.inUse ?? 0;
  }

  /** One connection attempt. */
  async open(attemptTimeoutMs = this.target.connectTimeoutMs, signal?: AbortSignal): Promise<void> {
    const { client, jumps } = await dial(this.target, { askSecret: this.opts.askSecret, attemptTimeoutMs, signal, jumpPool: this.opts.jumpPool });
    if (this.closed) {
      client.destroy();
      for (const j of jumps) j.release();
      throw new ConnectionLostError(this.name, 'connection closed');
    }
    const conn: Conn = { client, jumps, limit: new ChannelLimit(MAX_CHANNELS), alive: true, running: new Set() };
    this.conn = conn;
    client.on('error', (err: Error & { level?: string }) => {
      conn.lastError = err;
      // a keepalive timeout destroys the socket: 'close' follows
    });
    client.on('close', () => this.lost(conn));
    client.on('end', () => this.lost(conn));
    for (const j of jumps) j.onClose(() => this.lost(conn));
  }

  private lost(conn: Conn): void {
    if (!conn.alive) return;
    conn.alive = false;
    const err = new ConnectionLostError(this.name, `connection lost (${this.lossReason(conn.lastError)})`, conn.lastError);
    conn.lostError = err;
    conn.limit.rejectWaiting(err);
    for (const r of [...conn.running]) r(err);
    conn.running.clear();
    conn.client.destroy();
    for (const j of conn.jumps) j.release();
    if (this.conn === conn) this.conn = undefined;
  }

  private lossReason(e: (Error & { level?: string }) | undefined): string {
    if (!e) return 'closed by the remote side';
    if (e.level === 'client-timeout' || /keepalive/i.test(e.message)) {
      const secs = (KEEPALIVE_COUNT_MAX * this.target.keepaliveIntervalMs) / 1000;
      return `no answer to ${KEEPALIVE_COUNT_MAX} keepalives in ${secs} s: the host is down or the network dropped`;
    }
    return e.message;
  }

  async exec(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    const become = opts.become ?? this.target.become;
    const user = opts.becomeUser ?? this.target.becomeUser ?? 'root';
    // logged in as the user to become already: no sudo needed (nor installed, maybe)
    if (!become || user === this.target.user) return this.run(command, opts, undefined);
    let password = this.target.becomePassword ?? (await this.cachedSudoPassword());
    const key = `${this.target.user}@${this.target.host}`;
    if (password !== undefined && this.rejected.has(password)) {
      throw new BecomeError(this.name, 'sudo password rejected (earlier in this run; not trying again)', {
        hint: 'Check ansible_become_password (or the password typed for --ask-become-pass).',
      });
    }
    try {
      return await this.run(command, opts, { user, password });
    } catch (e) {
      if (e instanceof BecomePasswordRequired && password === undefined && this.opts.askSecret) {
        password = await this.askSudoPassword(key);
        return this.run(command, opts, { user, password });
      }
      throw e;
    }
  }

  private async cachedSudoPassword(): Promise<string | undefined> {
    const ask = this.opts.askSecret;
    if (!ask) return undefined;
    const p = sudoPasswords.get(ask)?.get(`${this.target.user}@${this.target.host}`);
    return p ? await p : undefined;
  }

  private askSudoPassword(key: string): Promise<string> {
    const ask = this.opts.askSecret as AskSecret;
    let m = sudoPasswords.get(ask);
    if (!m) sudoPasswords.set(ask, (m = new Map()));
    let p = m.get(key);
    if (!p) {
      p = ask(`[sudo] password for ${key}: `).then((pw) => {
        secrets.add(pw);
        return pw;
      });
      m.set(key, p);
    }
    return p;
  }

  private async run(command: string, opts: ExecOptions, become: { user: string; password: string | undefined } | undefined): Promise<ExecResult> {
    const conn = this.current();
    const release = await conn.limit.acquire(opts.signal);
    if (!conn.alive) {
      release();
      throw conn.lostError ?? this.notConnected();
    }
    return runOnChannel({
      client: conn.client,
      host: this.name,
      command,
      opts,
      become,
      release,
      alive: () => conn.alive,
      lostError: () => conn.lostError,
      onLost: (fail) => {
        conn.running.add(fail);
        return () => conn.running.delete(fail);
      },
      killGroup: (pgid, sig) => this.killGroup(pgid, sig),
      passwordRejected: (pw) => this.rejected.add(pw),
    });
  }

  private readonly killBatch = new Map<Sig, Set<number>>();
  private killFlush: NodeJS.Timeout | undefined;

  /** Signal remote process groups; requests of the same moment go out as one command. */
  private killGroup(pgid: number, sig: Sig): void {
    let set = this.killBatch.get(sig);
    if (!set) this.killBatch.set(sig, (set = new Set()));
    set.add(pgid);
    this.killFlush ??= setTimeout(() => this.flushKills(), 10);
  }

  /** kill commands sent and not finished yet: close() waits for them (a stopped command must not outlive the run) */
  private readonly killsInFlight = new Set<Promise<unknown>>();

  private trackKill(p: Promise<unknown>): void {
    const settled = p.then(
      () => undefined,
      () => undefined,
    );
    this.killsInFlight.add(settled);
    void settled.then(() => this.killsInFlight.delete(settled));
  }

  private flushKills(): void {
    this.killFlush = undefined;
    const command = [...this.killBatch].map(([sig, pgids]) => killCommand(pgids, sig)).join('; ');
    this.killBatch.clear();
    const conn = this.conn;
    if (!conn?.alive || this.closed) return;
    const release = conn.limit.tryAcquire();
    if (release) {
      this.trackKill(runOnChannel({
        client: conn.client,
        host: this.name,
        command,
        opts: { timeoutMs: 10_000 },
        release,
        alive: () => conn.alive,
        onLost: () => () => {},
        killGroup: () => {},
      }));
      return;
    }
    // every channel is held by a stuck command: kill through a second, short-lived connection
    void dial(this.target, { askSecret: this.opts.askSecret, attemptTimeoutMs: this.target.connectTimeoutMs, jumpPool: this.opts.jumpPool })
      .then(({ client, jumps }) => {
        const done = () => {
          client.destroy();
          for (const j of jumps) j.release();
        };
        setTimeout(done, 10_000).unref();
        client.exec(command, (e, s) => {
          if (e) return done();
          s.resume();
          s.stderr.resume();
          s.on('close', () => {
            client.end();
            for (const j of jumps) j.release();
          });
          s.end();
        });
      })
      .catch(() => {});
  }

  private current(): Conn {
    if (this.conn?.alive) return this.conn;
    throw this.notConnected();
  }

  private notConnected(): ConnectionLostError {
    return new ConnectionLostError(this.name, this.closed ? 'connection closed' : 'not connected (the connection was lost; reconnect first)');
  }

  reconnect(opts: ReconnectOptions = {}): Promise<void> {
    if (this.closed) return Promise.reject(new ConnectionLostError(this.name, 'connection closed'));
    this.reconnecting ??= this.doReconnect(opts).finally(() => {
      this.reconnecting = undefined;
    });
    return this.reconnecting;
  }

  private async doReconnect(opts: ReconnectOptions): Promise<void> {
    // the old connection may hang rather than close: drop it without waiting
    if (this.conn) {
      this.conn.lastError ??= Object.assign(new Error('dropped for reconnect'), { level: 'reconnect' });
      this.lost(this.conn);
    }
    const timeoutMs = opts.timeoutMs ?? DEFAULT_RECONNECT_TIMEOUT_MS;
    const attemptMs = opts.attemptTimeoutMs ?? this.target.connectTimeoutMs;
    const end = Date.now() + timeoutMs;
    let delay = BACKOFF_START_MS;
    let last: unknown;
    let attempts = 0;
    for (;;) {
      if (opts.signal?.aborted) throw abortReason(opts.signal);
      const left = end - Date.now();
      if (left <= 0) break;
      attempts++;
      try {
        await this.open(Math.min(attemptMs, Math.max(left, 50)), opts.signal);
        return;
      } catch (e) {
        last = e;
        if (opts.signal?.aborted) throw abortReason(opts.signal);
        // a wrong key or a changed host key will not heal by waiting
        if (!(e instanceof UnreachableError) || isPermanent(e)) throw e;
      }
      const wait = Math.min(delay, end - Date.now());
      if (wait <= 0) break;
      await sleep(wait, opts.signal);
      delay = Math.min(delay * 2, BACKOFF_CAP_MS);
    }
    const lastMsg = last instanceof HostError ? last.message.slice(this.name.length + 2) : String(last);
    throw new UnreachableError(
      this.name,
      `did not come back within ${+(timeoutMs / 1000).toFixed(1)} s (${attempts} attempts; last: ${lastMsg})`,
      'Check the host console: it may be stuck in boot (GRUB, fsck, a kernel that does not start).',
      last,
    );
  }

  async close(): Promise<void> {
    // commands stopped a moment ago (Ctrl-C): send their kill now and let it run before hanging up,
    // or they would go on running on the host after passthru is gone
    if (this.killFlush) {
      clearTimeout(this.killFlush);
      this.flushKills();
    }
    if (this.killsInFlight.size > 0) {
      await Promise.race([Promise.all(this.killsInFlight), new Promise((r) => setTimeout(r, 3000).unref())]);
    }
    this.closed = true;
    const conn = this.conn;
    if (!conn) return;
    const closedEvent = new Promise<void>((r) => {
      conn.client.once('close', () => r());
      setTimeout(r, 1000).unref();
    });
    conn.lastError ??= Object.assign(new Error('closed by passthru'), { level: 'close' });
    try {
      conn.client.end();
    } catch {
      /* already gone */
    }
    if (conn.alive) await closedEvent;
    this.lost(conn);
  }
}

function isPermanent(e: UnreachableError): boolean {
  // AuthError and HostKeyError are UnreachableErrors too
  return e instanceof AuthError || e instanceof HostKeyError;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(abortReason(signal));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
