// A counting semaphore for the channels of one SSH connection. OpenSSH's
// sshd allows MaxSessions (default 10) sessions per connection; asking for
// more makes the server refuse the channel, so callers wait here instead.

export type Release = () => void;

export class ChannelLimit {
  readonly max: number;
  private active = 0;
  private peakActive = 0;
  private readonly waiting: Array<{ grant: (r: Release) => void; reject: (e: unknown) => void }> = [];

  constructor(max = 10) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`channel limit must be a positive integer, got ${max}`);
    this.max = max;
  }

  /** channels held right now */
  get inUse(): number {
    return this.active;
  }

  /** the most channels ever held at once */
  get peak(): number {
    return this.peakActive;
  }

  /** callers waiting for a free channel */
  get queued(): number {
    return this.waiting.length;
  }

  /** Wait for a free slot; the returned function gives it back (calling it twice is harmless). */
  acquire(signal?: AbortSignal): Promise<Release> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (this.active < this.max) return Promise.resolve(this.take());
    return new Promise<Release>((resolve, reject) => {
      const entry = {
        grant: (r: Release) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(r);
        },
        reject,
      };
      const onAbort = () => {
        const i = this.waiting.indexOf(entry);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(abortReason(signal));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(entry);
    });
  }

  /** A slot if one is free right now (waiters go first), else undefined. */
  tryAcquire(): Release | undefined {
    if (this.active < this.max && this.waiting.length === 0) return this.take();
    return undefined;
  }

  /** Reject every waiter (the connection is gone). */
  rejectWaiting(err: unknown): void {
    for (const w of this.waiting.splice(0)) w.reject(err);
  }

  private take(): Release {
    this.active++;
    if (this.active > this.peakActive) this.peakActive = this.active;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
      const next = this.waiting.shift();
      if (next) next.grant(this.take());
    };
  }
}

export function abortReason(signal: AbortSignal | undefined): unknown {
  const r: unknown = signal?.reason;
  if (r instanceof Error) return r;
  const e = new Error(typeof r === 'string' ? r : 'aborted');
  e.name = 'AbortError';
  return e;
}
