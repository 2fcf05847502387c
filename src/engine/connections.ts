// One connection per host for the whole run, opened lazily and shared by
// every play. A host that could not be reached stays unreachable for the run
// (no retry storm).

import { isPassthruError } from '../errors.ts';
import type { RemoteHost } from '../ssh/types.ts';

/** how long the end of a run tries to reach a host whose connection dropped, to release its lock */
const RELEASE_RECONNECT_MS = 3000;

export type Connector = (hostName: string) => Promise<RemoteHost>;

export class ConnectionPool {
  private readonly open = new Map<string, Promise<RemoteHost>>();
  private readonly failures = new Map<string, Error>();

  constructor(private readonly connector: Connector) {}

  /** The host's connection; rejects with the first connection error, every time. */
  get(hostName: string): Promise<RemoteHost> {
    const failed = this.failures.get(hostName);
    if (failed) return Promise.reject(failed);
    let p = this.open.get(hostName);
    if (!p) {
      p = this.connector(hostName).catch((e: unknown) => {
        const err = e instanceof Error ? e : new Error(String(e));
        this.failures.set(hostName, err);
        this.open.delete(hostName);
        throw err;
      });
      this.open.set(hostName, p);
    }
    return p;
  }

  unreachable(hostName: string): Error | undefined {
    return this.failures.get(hostName);
  }

  /** Close every connection, running `before` on each live one first (releasing the host lock). */
  async closeAll(before?: (host: RemoteHost) => Promise<void>): Promise<void> {
    const all = [...this.open.values()];
    this.open.clear();
    await Promise.all(
      all.map(async (p) => {
        try {
          const host = await p;
          // a connection lost during the run: one short try to get back, so that the
          // host lock is not left behind for the next run to trip over
          if (before && !host.connected) await host.reconnect({ timeoutMs: RELEASE_RECONNECT_MS, attemptTimeoutMs: RELEASE_RECONNECT_MS }).catch(() => undefined);
          if (before && host.connected) await before(host).catch(() => undefined);
          await host.close();
        } catch (e) {
          if (!isPassthruError(e) && !(e instanceof Error)) throw e;
        }
      }),
    );
  }
}
