// The lab's long-lived nova checker: one `/usr/bin/python3 nova_check.py
// --batch` process that imports nova once (~1 s of CPU) and then answers each
// check in milliseconds, instead of one python3 (and one nova import) per
// unit start. Requests are written as they come (one JSON line each) and
// answered in order; a process that dies is replaced, and what it had not
// answered is asked again of the new one. The process dies with the thread
// that started it (PR_SET_PDEATHSIG in the script) and never keeps this
// process alive by itself (its handles are unref'd while nothing is asked).

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { NovaService } from '../distro.ts';
import type { NovaCheckFailure } from '../novacheck.ts';

/** a failure, undefined when the service starts, 'unavailable' when nova could not be asked */
export type NovaCheckAnswer = NovaCheckFailure | undefined | 'unavailable';

export interface NovaCheckerOptions {
  /** the python to run (default /usr/bin/python3) */
  python?: string;
  /** nova_check.py */
  script: string;
  /** longest a check (or the start, nova's import) may take before the process is replaced (default 60 s) */
  timeoutMs?: number;
  /** called with the pid of every process started (the lab kills it when it stops) */
  onSpawn?: (pid: number) => void;
}

interface Pending {
  id: number;
  line: string;
  ping: boolean;
  /** processes that died while this was the request being answered */
  deaths: number;
  resolve(answer: NovaCheckAnswer): void;
}

interface Answer {
  id?: number;
  ok?: boolean;
  exception?: string;
  message?: string;
  unavailable?: string;
}

const ENV = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8' };
/** a request whose process died this many times under it is answered 'unavailable' (the one-shot mode's answer to a crash) */
const MAX_DEATHS = 2;
/** processes dying before nova is imported, in a row, before python3-nova counts as missing */
const MAX_START_FAILURES = 3;

export class NovaChecker {
  private readonly python: string;
  private readonly script: string;
  private readonly timeoutMs: number;
  private readonly onSpawn: ((pid: number) => void) | undefined;
  private child: ChildProcessWithoutNullStreams | undefined;
  /** sent to the current process and not answered yet, in order (first: its ping, until nova is imported) */
  private pending: Pending[] = [];
  private nextId = 1;
  private out = '';
  private stderrTail = '';
  private timer: NodeJS.Timeout | undefined;
  private startFailures = 0;
  /** resolved once a process has imported nova (true) or nova proved missing (false) */
  private startup: { promise: Promise<boolean>; resolve(ok: boolean): void } | undefined;
  /** why nova cannot be asked (python3 or nova missing); then every check answers 'unavailable' */
  private disabled: string | undefined;
  private closed = false;
  private spawned = 0;
  private checks = 0;

  constructor(opts: NovaCheckerOptions) {
    this.python = opts.python ?? '/usr/bin/python3';
    this.script = opts.script;
    this.timeoutMs = opts.timeoutMs ?? 60_000;
    this.onSpawn = opts.onSpawn;
  }

  /** pid of the running process, if any */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** processes started so far */
  get spawns(): number {
    return this.spawned;
  }

  /** checks asked of nova's code so far (not those answered 'unavailable' at once) */
  get asked(): number {
    return this.checks;
  }

  /** why checks answer 'unavailable' (python3-nova missing, closed), if they do */
  get unavailableReason(): string | undefined {
    return this.closed ? 'closed' : this.disabled;
  }

  /**
   * Start the process now if none runs; resolves once nova is imported:
   * true when checks can be answered, false when python3-nova is missing.
   */
  warm(): Promise<boolean> {
    if (this.disabled !== undefined || this.closed) return Promise.resolve(false);
    if (!this.child) this.spawnChild();
    this.refresh();
    return this.startup?.promise ?? Promise.resolve(this.disabled === undefined && !this.closed);
  }

  /** Check `files` (real paths, in order) as nova's `service` of `release` does at start. */
  check(release: string, service: NovaService, files: readonly string[]): Promise<NovaCheckAnswer> {
    if (this.closed || this.disabled !== undefined) return Promise.resolve('unavailable');
    if (!this.child) this.spawnChild();
    if (this.disabled !== undefined) return Promise.resolve('unavailable');
    this.checks++;
    return new Promise((resolve) => {
      const id = this.nextId++;
      const req: Pending = { id, line: `${JSON.stringify({ release, service, files, id })}\n`, ping: false, deaths: 0, resolve };
      this.pending.push(req);
      this.child?.stdin.write(req.line);
      if (this.pending.length === 1) this.armTimer();
      this.refresh();
    });
  }

  /**
   * Kill the process; what is pending answers 'unavailable', and so does
   * every later check. Resolves once the process is gone (reaped).
   */
  close(): Promise<void> {
    this.closed = true;
    const child = this.child;
    child?.ref(); // its exit is waited for
    const gone = child ? exited(child) : Promise.resolve();
    this.stop();
    return gone;
  }

  private spawnChild(): void {
    let child: ChildProcessWithoutNullStreams;
    try {
      child = spawn(this.python, [this.script, '--batch'], {
        stdio: ['pipe', 'pipe', 'pipe'],
        env: { ...ENV, PASSTHRU_LAB_PARENT_PID: String(process.pid) },
      });
    } catch (e) {
      this.disable(`cannot start ${this.python}: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    this.child = child;
    this.spawned++;
    this.out = '';
    this.stderrTail = '';
    if (!this.startup) {
      let resolve: (ok: boolean) => void = () => {};
      const promise = new Promise<boolean>((r) => (resolve = r));
      this.startup = { promise, resolve };
    }
    // the first answer of every process says it imported nova
    const id = this.nextId++;
    const ping: Pending = { id, line: `${JSON.stringify({ ping: true, id })}\n`, ping: true, deaths: 0, resolve: () => {} };
    this.pending.unshift(ping);
    for (const p of this.pending) child.stdin.write(p.line);
    child.stdin.on('error', () => {}); // EPIPE once it died: 'close' handles that
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => this.onData(child, d));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      this.stderrTail = (this.stderrTail + d).slice(-2000);
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (child === this.child && (e.code === 'ENOENT' || e.code === 'EACCES')) this.disable(`cannot start ${this.python}: ${e.message}`);
    });
    // 'close', not 'exit': the answers it wrote before exiting are read first
    child.on('close', () => this.onClose(child));
    if (child.pid !== undefined) this.onSpawn?.(child.pid);
    this.armTimer();
  }

  private onData(child: ChildProcessWithoutNullStreams, d: string): void {
    if (child !== this.child) return;
    this.out += d;
    let nl: number;
    while ((nl = this.out.indexOf('\n')) >= 0) {
      const line = this.out.slice(0, nl);
      this.out = this.out.slice(nl + 1);
      let a: Answer;
      try {
        a = JSON.parse(line) as Answer;
      } catch {
        continue; // not an answer
      }
      const head = this.pending[0];
      if (!head || a.id !== head.id) continue;
      this.pending.shift();
      if (head.ping) {
        if (a.unavailable !== undefined) {
          this.disable(a.unavailable);
          return;
        }
        this.startFailures = 0;
        this.startup?.resolve(true);
        this.startup = undefined;
      } else {
        head.resolve(toAnswer(a));
      }
      this.armTimer();
    }
    this.refresh();
  }

  /** The current process is gone (it died, or was killed): replace it if anything waits for it. */
  private onClose(child: ChildProcessWithoutNullStreams): void {
    if (child !== this.child) return;
    this.child = undefined;
    this.clearTimer();
    const head = this.pending[0];
    if (head?.ping) {
      this.pending.shift();
      if (++this.startFailures >= MAX_START_FAILURES) {
        const why = this.stderrTail.trim().split('\n').pop() ?? '';
        this.disable(`${this.python} ${this.script} --batch exits before nova is imported${why ? `: ${why}` : ''}`);
        return;
      }
    } else if (head && ++head.deaths >= MAX_DEATHS) {
      this.pending.shift();
      head.resolve('unavailable');
    }
    if (!this.closed && this.disabled === undefined && (this.pending.length > 0 || this.startup)) {
      this.spawnChild();
      this.refresh();
    }
  }

  private armTimer(): void {
    this.clearTimer();
    const child = this.child;
    const head = this.pending[0];
    if (!child || !head) return;
    this.timer = setTimeout(() => {
      if (child !== this.child || this.pending[0] !== head) return;
      // too slow: that request answers 'unavailable' (as the one-shot mode's
      // timeout did), the others go to a new process
      this.pending.shift();
      if (head.ping) this.startFailures++;
      else head.resolve('unavailable');
      this.child = undefined;
      child.kill('SIGKILL');
      if (this.startFailures >= MAX_START_FAILURES) this.disable(`nova's import took over ${this.timeoutMs} ms`);
      else if (this.pending.length > 0 || this.startup) this.spawnChild();
      this.refresh();
    }, this.timeoutMs);
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The process keeps the event loop alive only while something is asked of it. */
  private refresh(): void {
    const child = this.child;
    if (!child) return;
    const busy = this.pending.length > 0;
    for (const h of [child, child.stdin, child.stdout, child.stderr] as Array<{ ref(): unknown; unref(): unknown }>) {
      if (busy) h.ref();
      else h.unref();
    }
    if (this.timer) {
      if (busy) this.timer.ref();
      else this.timer.unref();
    }
  }

  private disable(reason: string): void {
    if (this.disabled === undefined) this.disabled = reason;
    this.stop();
  }

  /** kill the process; everything pending answers 'unavailable' */
  private stop(): void {
    this.clearTimer();
    const child = this.child;
    this.child = undefined;
    child?.kill('SIGKILL');
    const pending = this.pending;
    this.pending = [];
    for (const p of pending) p.resolve('unavailable');
    this.startup?.resolve(false);
    this.startup = undefined;
  }
}

function exited(child: ChildProcessWithoutNullStreams): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

function toAnswer(a: Answer): NovaCheckAnswer {
  if (a.unavailable !== undefined) return 'unavailable';
  if (a.ok) return undefined;
  return { exception: a.exception ?? 'Exception', message: a.message ?? '' };
}
