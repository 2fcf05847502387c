// SSH handshakes of one process: paced, and timed only while they wait on the
// network or the host, never while passthru itself is busy.
//
// Every handshake costs CPU on both ends (key exchange, signature, sshd's
// fork per connection). Started all at once (a run with -f 200 on 200 hosts),
// they compete for the same cores and for this process's event loop: the last
// ones could run out of their attempt timer although no host was slow. So at
// most MAX_HANDSHAKES are in flight at a time (the others wait for a slot,
// their timer not started yet), and the time this process's event loop stood
// still (`stalledMs`) is given back to every attempt that was under way then.

/** handshakes in flight at once (TCP connect to authenticated) */
export const MAX_HANDSHAKES = 24;

/** the event loop is sampled this often while a handshake is in flight */
const TICK_MS = 50;

export class HandshakeGate {
  private active = 0;
  private readonly queue: Array<() => void> = [];
  private stalled = 0;
  private ticker: NodeJS.Timeout | undefined;
  private lastTick = 0;

  constructor(private readonly limit = MAX_HANDSHAKES) {}

  /** Milliseconds this process's event loop stood still (beyond TICK_MS) while handshakes were in flight. */
  stalledMs(): number {
    this.sample();
    return this.stalled;
  }

  /**
   * Wait for a slot (resolves at once when one is free); call the returned
   * function when the handshake is over, whatever its outcome. An abort while
   * waiting rejects with the signal's reason.
   */
  acquire(signal?: AbortSignal): Promise<() => void> {
    return new Promise((resolve, reject) => {
      const grant = (): void => {
        signal?.removeEventListener('abort', onAbort);
        this.active++;
        this.startTicking();
        let released = false;
        resolve(() => {
          if (released) return;
          released = true;
          this.active--;
          this.queue.shift()?.();
          if (this.active === 0) this.stopTicking();
        });
      };
      const onAbort = (): void => {
        const i = this.queue.indexOf(grant);
        if (i >= 0) this.queue.splice(i, 1);
        reject(signal?.reason);
      };
      if (signal?.aborted) return reject(signal.reason);
      if (this.active < this.limit) return grant();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(grant);
    });
  }

  private sample(): void {
    if (this.ticker === undefined) return;
    const now = performance.now();
    const late = now - this.lastTick - TICK_MS;
    if (late > 0) this.stalled += late;
    this.lastTick = now;
  }

  private startTicking(): void {
    if (this.ticker !== undefined) return;
    this.lastTick = performance.now();
    this.ticker = setInterval(() => this.sample(), TICK_MS);
    this.ticker.unref();
  }

  private stopTicking(): void {
    this.sample();
    if (this.ticker !== undefined) clearInterval(this.ticker);
    this.ticker = undefined;
  }
}

/** the process's gate */
export const handshakes = new HandshakeGate();
