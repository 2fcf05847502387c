// The stdin of an exec channel as it arrives: sudo -S reads the password
// line as soon as the client sends it, and the command's stdin only follows
// after the command announced itself (passthru's become handshake). Reads
// wait for data, or for EOF, without a timeout: whatever the client sent
// arrives, however loaded the machine is.

export class ChannelStdin {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private ended = false;
  private waiters: Array<() => void> = [];

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    this.wake();
  }

  end(): void {
    this.ended = true;
    this.wake();
  }

  get isEnded(): boolean {
    return this.ended;
  }

  get hasData(): boolean {
    return this.buffered > 0;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private wait(signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(new Error('aborted'));
      const onAbort = () => reject(new Error('aborted'));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  }

  private take(): Buffer {
    const all = Buffer.concat(this.chunks);
    this.chunks = [];
    this.buffered = 0;
    return all;
  }

  /** One line without its newline; null at EOF with nothing left. */
  async readLine(signal?: AbortSignal): Promise<string | null> {
    for (;;) {
      const all = this.take();
      const nl = all.indexOf(0x0a);
      if (nl !== -1) {
        if (nl + 1 < all.length) this.push(all.subarray(nl + 1));
        return all.subarray(0, nl).toString('latin1');
      }
      if (this.ended) return all.length > 0 ? all.toString('latin1') : null;
      if (all.length > 0) this.push(all);
      await this.wait(signal);
    }
  }

  /** Everything up to EOF. */
  async readAll(signal?: AbortSignal): Promise<Buffer> {
    while (!this.ended) await this.wait(signal);
    return this.take();
  }
}
