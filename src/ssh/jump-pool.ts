// Jump host connections shared by every host behind them. Without sharing,
// each of 100 hosts behind one bastion opens its own connection to it, and
// an OpenSSH bastion's default `MaxStartups 10:30:100` starts dropping
// unauthenticated connections beyond 10 at once. Shared, the bastion sees
// one connection per chain and each host is a direct-tcpip channel of it
// (channels are not sessions: MaxSessions does not count them).
//
// A lease is taken per host connection and released when that connection
// ends; the jump connection closes a moment after its last lease is gone
// (a host reconnecting after its reboot finds it still open), or at once
// when it drops (every host behind it then loses its connection, and the
// next attempt dials the jump host again).

import type { Client as ClientType } from 'ssh2';
import type { ConnectTarget } from './types.ts';

/** how long an unused jump connection stays open (ms) */
export const JUMP_LINGER_MS = 2_000;

export interface JumpLease {
  readonly client: ClientType;
  /** call `fn` when the jump connection closes; until release() */
  onClose(fn: () => void): void;
  /** this host no longer needs the jump connection (idempotent) */
  release(): void;
}

interface Entry {
  client: Promise<ClientType>;
  leases: number;
  linger?: NodeJS.Timeout | undefined;
  closed: boolean;
}

/** The identity of a chain of jump hops: the same user, address, port and credentials all the way. */
export function chainKey(hops: readonly ConnectTarget[]): string {
  return hops
    .map((h) => JSON.stringify([h.user, h.host, h.port, h.identityFiles, h.agent ?? '', h.knownHostsFiles, h.strictHostKeyChecking]))
    .join(' -> ');
}

export class JumpPool {
  private readonly entries = new Map<string, Entry>();

  /** connections open or opening now */
  get size(): number {
    return this.entries.size;
  }

  /**
   * A lease on the jump connection for `key`: the one already open or being
   * opened, else a new one from `connect`. A failed connect is not kept (the
   * next acquire dials again).
   */
  async acquire(key: string, connect: () => Promise<ClientType>): Promise<JumpLease> {
    let entry = this.entries.get(key);
    if (!entry || entry.closed) {
      const e: Entry = { client: connect(), leases: 0, closed: false };
      entry = e;
      this.entries.set(key, e);
      e.client.then(
        (client) => {
          client.setMaxListeners(0);
          const gone = (): void => {
            e.closed = true;
            if (this.entries.get(key) === e) this.entries.delete(key);
          };
          client.on('close', gone);
          client.on('end', gone);
        },
        () => {
          if (this.entries.get(key) === e) this.entries.delete(key);
        },
      );
    }
    const e = entry;
    e.leases++;
    if (e.linger) clearTimeout(e.linger);
    e.linger = undefined;
    let client: ClientType;
    try {
      client = await e.client;
    } catch (err) {
      e.leases--;
      throw err;
    }
    const listeners: Array<() => void> = [];
    let released = false;
    return {
      client,
      onClose: (fn) => {
        if (released) return;
        listeners.push(fn);
        client.on('close', fn);
      },
      release: () => {
        if (released) return;
        released = true;
        for (const fn of listeners) client.off('close', fn);
        e.leases--;
        if (e.leases > 0 || e.closed) return;
        e.linger = setTimeout(() => {
          if (e.leases > 0) return;
          e.closed = true;
          if (this.entries.get(key) === e) this.entries.delete(key);
          client.end();
        }, JUMP_LINGER_MS);
        e.linger.unref();
      },
    };
  }

  /** Close every jump connection now. */
  closeAll(): void {
    for (const [key, e] of this.entries) {
      this.entries.delete(key);
      e.closed = true;
      if (e.linger) clearTimeout(e.linger);
      e.client.then((c) => c.end(), () => {});
    }
  }
}

/** The process's pool: every host of a run shares its jump connections. */
export const sharedJumps = new JumpPool();
