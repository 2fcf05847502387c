// One connection attempt: TCP connect (or a channel through the previous
// jump host), banner, key exchange, host key check and authentication, all
// under one timer. A server that accepts TCP and then says nothing (a port
// forward to a rebooting guest) fails when the timer runs out, not after the
// kernel's TCP timeouts. The handshake proper (banner, key exchange,
// authentication: CPU on both ends) is paced once the TCP connection is up,
// and its timer stands still while it waits for its turn and while this
// process's event loop does (handshake-gate.ts).

import { connect as tcpConnect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import ssh2 from 'ssh2';
import type { Client as ClientType, ConnectConfig } from 'ssh2';
import { AuthError, HostError, HostKeyError, UnreachableError } from '../errors.ts';
import { abortReason } from './channel-limit.ts';
import { prepareAuth } from './auth.ts';
import type { AskSecret } from './keys.ts';
import { knownKeyTypes, preferredHostKeyAlgorithms, verifyHostKey } from './known-hosts.ts';
import type { ConnectTarget } from './types.ts';
import { chainKey, sharedJumps, type JumpLease, type JumpPool } from './jump-pool.ts';
import { handshakes, type HandshakeGate } from './handshake-gate.ts';

const { Client } = ssh2;

/** keepalive probes without an answer before the peer is declared dead (OpenSSH ServerAliveCountMax) */
export const KEEPALIVE_COUNT_MAX = 3;

export interface DialOptions {
  askSecret?: AskSecret | undefined;
  /** bound for each hop: TCP connect (or channel through the jump) + banner + key exchange + auth */
  attemptTimeoutMs: number;
  signal?: AbortSignal | undefined;
  /** where jump host connections are shared (default: the process's pool) */
  jumpPool?: JumpPool | undefined;
  /** paces the handshakes (default: the process's gate) */
  gate?: HandshakeGate | undefined;
}

export interface Dialed {
  client: ClientType;
  /** leases on the shared jump host connections, outermost first (release them when `client` is done) */
  jumps: JumpLease[];
}

/** Connect to `target`, through its jump hosts if any (shared with every other host behind the same chain). */
export async function dial(target: ConnectTarget, opts: DialOptions): Promise<Dialed> {
  const pool = opts.jumpPool ?? sharedJumps;
  const hops = [...target.jumps, target];
  const jumps: JumpLease[] = [];
  const hopOptions = (i: number, hop: ConnectTarget): HopOptions => {
    const prev = jumps[i - 1];
    return {
      errorHost: target.name,
      label: i === hops.length - 1 ? `${hop.host}:${hop.port}` : `jump host ${hop.name} (${hop.user}@${hop.host}:${hop.port})`,
      jump: i < hops.length - 1,
      via: prev?.client,
      viaLabel: prev ? `jump host ${(hops[i - 1] as ConnectTarget).name}` : undefined,
      timeoutMs: opts.attemptTimeoutMs,
      askSecret: opts.askSecret,
      signal: opts.signal,
      gate: opts.gate ?? handshakes,
    };
  };
  try {
    for (let i = 0; i < hops.length - 1; i++) {
      const hop = hops[i] as ConnectTarget;
      try {
        jumps.push(await pool.acquire(chainKey(hops.slice(0, i + 1)), () => connectHop(hop, hopOptions(i, hop))));
      } catch (e) {
        // a shared attempt failed for every host waiting on it: each one's error names itself
        throw forHost(e, target.name);
      }
    }
    const client = await connectHop(target, hopOptions(hops.length - 1, target));
    return { client, jumps };
  } catch (e) {
    for (const j of jumps.reverse()) j.release();
    throw e;
  }
}

/** The same failure, told for another host behind the same jump host. */
function forHost(e: unknown, name: string): unknown {
  if (!(e instanceof HostError) || e.host === name) return e;
  const copy = Object.create(Object.getPrototypeOf(e) as object) as HostError;
  Object.assign(copy, e, { host: name });
  Object.defineProperty(copy, 'message', { value: `${name}: ${e.message.slice(e.host.length + 2)}`, writable: true, configurable: true });
  Object.defineProperty(copy, 'cause', { value: e.cause, writable: true, configurable: true });
  return copy;
}

interface HopOptions {
  errorHost: string;
  label: string;
  /** this hop is a jump host on the way to errorHost */
  jump: boolean;
  /** open the TCP connection as a channel of this (jump host) connection */
  via?: ClientType | undefined;
  viaLabel?: string | undefined;
  timeoutMs: number;
  askSecret?: AskSecret | undefined;
  signal?: AbortSignal | undefined;
  gate: HandshakeGate;
}

type Stage = 'tcp' | 'banner' | 'kex' | 'auth';

/** Connect one hop; resolves once authenticated. */
function connectHop(hop: ConnectTarget, o: HopOptions): Promise<ClientType> {
  return new Promise<ClientType>((resolve, reject) => {
    const client = new Client();
    // ssh2 emits 'error' after the handshake too (keepalive timeout, ...): never let it crash the process
    client.on('error', () => {});
    let settled = false;
    let stage: Stage = 'tcp';
    let hostKeyError: HostKeyError | undefined;
    let timer: NodeJS.Timeout | undefined;
    let deadline = Date.now() + o.timeoutMs;
    let pausedAt: number | undefined;
    let release: (() => void) | undefined;
    /** the gate's stall clock when the handshake got its turn, plus the stalls already given back */
    let stallBase = 0;
    /** the TCP connection, before ssh2 has it */
    let tcp: Socket | undefined;

    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      cleanup();
      client.destroy();
      reject(err);
    };
    const cleanup = () => {
      if (timer) clearTimeout(timer);
      release?.();
      tcp?.destroy();
      o.signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = () => fail(abortReason(o.signal));
    const arm = () => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(onTimeout, Math.max(0, deadline - Date.now()));
    };
    const onTimeout = () => {
      // the time this process's event loop stood still was not the host's: it is given back
      const stalled = release ? o.gate.stalledMs() - stallBase : 0;
      if (stalled >= 1) {
        stallBase += stalled;
        deadline = Date.now() + stalled;
        return arm();
      }
      fail(timeoutError(hop, o, stage, client));
    };

    if (o.signal?.aborted) {
      reject(abortReason(o.signal));
      return;
    }
    o.signal?.addEventListener('abort', onAbort, { once: true });
    arm();

    // the attempt timer stands still while the user types a passphrase
    const paused = async <T>(p: Promise<T>): Promise<T> => {
      if (timer) clearTimeout(timer);
      pausedAt ??= Date.now();
      try {
        return await p;
      } finally {
        if (pausedAt !== undefined) deadline += Date.now() - pausedAt;
        pausedAt = undefined;
        if (!settled) arm();
      }
    };

    const start = async () => {
      const plan = await prepareAuth(
        { host: hop.host, port: hop.port, user: hop.user, identityFiles: hop.identityFiles, agent: hop.agent },
        { errorHost: o.errorHost, askSecret: o.askSecret, paused },
      );
      /** on a jump host's leg the message says so, and how to give the jump host credentials of its own */
      const refused = (serverMessage?: string): AuthError => {
        const e = plan.refused(serverMessage);
        if (!o.jump) return e;
        return new AuthError(
          o.errorHost,
          `${o.label}, on the way to this host: ${e.message.slice(o.errorHost.length + 2)}`,
          `The jump host logs you in with its own user and key: give it an IdentityFile (and User) in a "Host ${hop.name}" block of ~/.ssh/config, or load the key into ssh-agent (ssh-add KEY; SSH_AUTH_SOCK set), and check with: ssh -J ${hop.user}@${hop.host}:${hop.port} ${o.errorHost}`,
        );
      };
      let sock: Duplex;
      if (o.via) sock = await forward(o.via, hop, o);
      else sock = await openTcp(hop, o, (s) => (tcp = s));
      if (settled) {
        sock.destroy();
        return;
      }
      stage = 'banner';
      // the handshake proper waits for its turn, its timer standing still meanwhile
      const early = (err?: Error) => fail(err ? socketError(hop, o, err) : new UnreachableError(o.errorHost, `${o.label} closed the connection before the SSH handshake`, retryHint(hop)));
      const earlyError = (err: Error) => early(err);
      const earlyClose = () => early();
      sock.on('error', earlyError);
      sock.on('close', earlyClose);
      const turn = await paused(o.gate.acquire(o.signal));
      sock.off('error', earlyError);
      sock.off('close', earlyClose);
      if (settled) {
        turn();
        sock.destroy();
        return;
      }
      release = turn;
      stallBase = o.gate.stalledMs();
      tcp = undefined; // ssh2's from here on

      client.on('connect', () => {
        if (stage === 'tcp') stage = 'banner';
        // small request/response exchanges: Nagle's algorithm would add ~40 ms per command
        (client as unknown as { _sock?: { setNoDelay?: (on: boolean) => void } })._sock?.setNoDelay?.(true);
      });
      client.on('handshake', () => {
        stage = 'auth';
      });
      client.on('ready', () => {
        if (settled) return;
        settled = true;
        cleanup();
        resolve(client);
      });
      client.on('error', (err: Error & { level?: string; code?: string | number; description?: string }) => {
        if (settled) return;
        if (hostKeyError) return fail(hostKeyError);
        if (err.level === 'client-authentication') return fail(refused());
        if (stage === 'auth' && typeof err.code === 'number') return fail(refused(err.message));
        fail(socketError(hop, o, err));
      });
      client.on('close', () => {
        if (settled) return;
        if (hostKeyError) return fail(hostKeyError);
        fail(new UnreachableError(o.errorHost, `${o.label} closed the connection during the SSH ${stage === 'auth' ? 'authentication' : 'handshake'}`, retryHint(hop)));
      });

      const known = knownKeyTypes(hop.knownHostsFiles, hop.host, hop.port);
      const cfg: ConnectConfig = {
        host: hop.host,
        port: hop.port,
        username: hop.user,
        readyTimeout: 0, // our own timer bounds the whole attempt
        keepaliveInterval: hop.keepaliveIntervalMs,
        keepaliveCountMax: KEEPALIVE_COUNT_MAX,
        algorithms: { serverHostKey: preferredHostKeyAlgorithms(known) } as NonNullable<ConnectConfig['algorithms']>,
        hostVerifier: (key: Buffer): boolean => {
          stage = 'kex';
          try {
            verifyHostKey(
              {
                name: o.errorHost,
                host: hop.host,
                port: hop.port,
                knownHostsFiles: hop.knownHostsFiles,
                strictHostKeyChecking: hop.strictHostKeyChecking,
                label: o.label,
              },
              key,
            );
            return true;
          } catch (e) {
            if (e instanceof HostKeyError) hostKeyError = e;
            else hostKeyError = new HostKeyError(o.errorHost, `cannot check the host key of ${o.label}: ${String(e)}`, 'Check the known_hosts files named in ~/.ssh/config.');
            return false;
          }
        },
        authHandler: plan.handler,
      };
      cfg.sock = sock;
      client.connect(cfg);
    };
    start().catch((e: unknown) => fail(e));
  });
}

/** The TCP connection to `hop` (a failure told as connecting tells it: refused, unknown host...). */
function openTcp(hop: ConnectTarget, o: HopOptions, opened: (s: Socket) => void): Promise<Socket> {
  return new Promise<Socket>((resolve, reject) => {
    const s = tcpConnect({ host: hop.host, port: hop.port });
    opened(s);
    const onError = (err: Error & { code?: string | number }) => {
      s.destroy();
      reject(socketError(hop, o, err));
    };
    s.once('error', onError);
    s.once('connect', () => {
      s.off('error', onError);
      // small request/response exchanges: Nagle's algorithm would add ~40 ms per command
      s.setNoDelay(true);
      resolve(s);
    });
  });
}

/** A direct-tcpip channel from the jump host to the next hop, bounded by the hop's timer. */
function forward(via: ClientType, hop: ConnectTarget, o: HopOptions): Promise<Duplex> {
  return new Promise<Duplex>((resolve, reject) => {
    try {
      via.forwardOut('127.0.0.1', 0, hop.host, hop.port, (err, stream) => {
        if (err) {
          reject(
            new UnreachableError(
              o.errorHost,
              `${o.viaLabel ?? 'the jump host'} could not open a connection to ${hop.host}:${hop.port}: ${err.message}`,
              `Check that ${hop.host}:${hop.port} is reachable from the jump host and that its sshd allows TCP forwarding (AllowTcpForwarding).`,
              err,
            ),
          );
        } else resolve(stream);
      });
    } catch (e) {
      reject(new UnreachableError(o.errorHost, `${o.viaLabel ?? 'the jump host'} connection is gone`, undefined, e));
    }
  });
}

function timeoutError(hop: ConnectTarget, o: HopOptions, stage: Stage, client: ClientType): UnreachableError {
  const secs = `${+(o.timeoutMs / 1000).toFixed(1)} s`;
  const remoteVer = (client as unknown as { _remoteVer?: string })._remoteVer;
  if (stage === 'banner' && remoteVer !== undefined) stage = 'kex';
  const what: Record<Stage, string> = {
    tcp: `TCP connection to ${o.label} not established within ${secs}`,
    banner: `${o.label} accepted the TCP connection but sent no SSH banner within ${secs} (a port forward or load balancer in front of a host that is down or rebooting?)`,
    kex: `SSH key exchange with ${o.label} did not complete within ${secs}`,
    auth: `authentication at ${o.label} did not complete within ${secs}`,
  };
  return new UnreachableError(o.errorHost, what[stage], retryHint(hop));
}

function socketError(hop: ConnectTarget, o: HopOptions, err: Error & { code?: string | number }): UnreachableError {
  const code = typeof err.code === 'string' ? err.code : undefined;
  switch (code) {
    case 'ECONNREFUSED':
      return new UnreachableError(o.errorHost, `connection refused by ${o.label}`, `Is sshd running and listening on port ${hop.port}? (ansible_port / Port in ~/.ssh/config)`, err);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
      return new UnreachableError(o.errorHost, `cannot resolve host name "${hop.host}" (${code})`, 'Check ansible_host (or HostName in ~/.ssh/config) and DNS.', err);
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new UnreachableError(o.errorHost, `no route to ${o.label} (${code})`, retryHint(hop), err);
    case 'ETIMEDOUT':
      return new UnreachableError(o.errorHost, `TCP connection to ${o.label} timed out`, retryHint(hop), err);
    case 'ECONNRESET':
    case 'EPIPE':
      return new UnreachableError(o.errorHost, `${o.label} reset the connection during the SSH handshake`, retryHint(hop), err);
    default:
      break;
  }
  if (/before handshake/i.test(err.message)) {
    return new UnreachableError(o.errorHost, `${o.label} closed the connection before the SSH handshake (sshd MaxStartups, TCP wrappers or a firewall?)`, retryHint(hop), err);
  }
  return new UnreachableError(o.errorHost, `SSH connection to ${o.label} failed: ${err.message}`, retryHint(hop), err);
}

function retryHint(hop: ConnectTarget): string {
  return `Check that the host is up and that ssh -p ${hop.port} ${hop.user}@${hop.host} works from here.`;
}

