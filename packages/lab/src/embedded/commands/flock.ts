// flock(1) over an in-memory lock table per host: exclusive and shared
// locks on a path, -n (fail at once), -w SECS (wait at most), -E CODE.
// The lock is held while the given command runs and dropped afterwards
// (and on reboot).
import { defineCommand, latin1FromBytes, type Command } from 'just-bash';
import { quote } from '../../util/quote.ts';
import { ShellFs } from '../vfs.ts';
import { errnoText, fail, type Proc } from './context.ts';

interface Held {
  exclusive: boolean;
  count: number;
}

interface Waiter {
  exclusive: boolean;
  wake: () => void;
}

export class LockTable {
  private held = new Map<string, Held>();
  private waiters = new Map<string, Waiter[]>();

  tryAcquire(path: string, exclusive: boolean): boolean {
    const h = this.held.get(path);
    if (h === undefined) {
      this.held.set(path, { exclusive, count: 1 });
      return true;
    }
    if (!exclusive && !h.exclusive && (this.waiters.get(path)?.length ?? 0) === 0) {
      h.count++;
      return true;
    }
    return false;
  }

  /** Wait for the lock; resolves false on timeout or abort. `timeoutMs` undefined = forever. */
  acquire(path: string, exclusive: boolean, timeoutMs: number | undefined, signal?: AbortSignal): Promise<boolean> {
    if (this.tryAcquire(path, exclusive)) return Promise.resolve(true);
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const waiter: Waiter = {
        exclusive,
        wake: () => {
          cleanup();
          resolve(true);
        },
      };
      const list = this.waiters.get(path) ?? [];
      list.push(waiter);
      this.waiters.set(path, list);
      const cleanup = () => {
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const l = this.waiters.get(path);
        if (l !== undefined) {
          const i = l.indexOf(waiter);
          if (i !== -1) l.splice(i, 1);
          if (l.length === 0) this.waiters.delete(path);
        }
      };
      const onAbort = () => {
        cleanup();
        resolve(false);
      };
      if (timeoutMs !== undefined) timer = setTimeout(onAbort, timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  release(path: string): void {
    const h = this.held.get(path);
    if (h === undefined) return;
    if (--h.count > 0) return;
    this.held.delete(path);
    const list = this.waiters.get(path);
    const next = list?.[0];
    if (next === undefined) return;
    this.held.set(path, { exclusive: next.exclusive, count: 1 });
    next.wake();
    // shared waiters behind a shared one come along
    if (!next.exclusive) {
      for (const w of [...(this.waiters.get(path) ?? [])]) {
        if (w.exclusive) break;
        const cur = this.held.get(path);
        if (cur !== undefined) cur.count++;
        w.wake();
      }
    }
  }

  isHeld(path: string): boolean {
    return this.held.has(path);
  }

  /** Reboot: every process is gone, so is every lock. */
  clear(): void {
    this.held.clear();
    for (const list of this.waiters.values()) for (const w of [...list]) w.wake();
    this.waiters.clear();
  }
}

export function flockCommand(proc: Proc): Command {
  return defineCommand('flock', async (args, ctx) => {
    let exclusive = true;
    let nonblock = false;
    let unlock = false;
    let waitSecs: number | undefined;
    let conflictCode = 1;
    let shellCommand: string | undefined;
    let i = 0;
    for (; i < args.length; i++) {
      const arg = args[i] as string;
      if (!arg.startsWith('-') || arg === '-') break;
      if (arg === '--') {
        i++;
        break;
      }
      const takeValue = (inline: string): string | undefined => (inline !== '' ? inline : args[++i]);
      if (arg === '--shared') exclusive = false;
      else if (arg === '--exclusive') exclusive = true;
      else if (arg === '--unlock') unlock = true;
      else if (arg === '--nonblock' || arg === '--nb') nonblock = true;
      else if (arg === '--close' || arg === '--no-fork' || arg === '--verbose') continue;
      else if (arg.startsWith('--wait') || arg.startsWith('--timeout')) {
        const v = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : args[++i];
        waitSecs = Number(v);
      } else if (arg.startsWith('--conflict-exit-code')) {
        const v = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : args[++i];
        conflictCode = Number(v);
      } else if (arg.startsWith('--command')) {
        shellCommand = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : args[++i];
      } else if (arg.startsWith('--')) return fail(`flock: unrecognized option '${arg}'\nTry 'flock --help' for more information.`, 64);
      else {
        const flags = arg.slice(1);
        for (let j = 0; j < flags.length; j++) {
          const c = flags[j];
          if (c === 's') exclusive = false;
          else if (c === 'x' || c === 'e') exclusive = true;
          else if (c === 'u') unlock = true;
          else if (c === 'n') nonblock = true;
          else if (c === 'o' || c === 'F' || c === 'v') continue;
          else if (c === 'w' || c === 'E' || c === 'c') {
            const v = takeValue(flags.slice(j + 1));
            if (c === 'w') waitSecs = Number(v);
            else if (c === 'E') conflictCode = Number(v);
            else shellCommand = v;
            break;
          } else return fail(`flock: invalid option -- '${c}'\nTry 'flock --help' for more information.`, 64);
        }
      }
    }
    const target = args[i];
    if (target === undefined) return fail('flock: not enough arguments\nTry \'flock --help\' for more information.', 64);
    let rest = args.slice(i + 1);
    if (rest[0] === '-c' || rest[0] === '--command') {
      shellCommand = rest[1];
      rest = [];
    }
    const store = proc.host.store;
    let key: string;
    if (/^\d+$/.test(target) && rest.length === 0 && shellCommand === undefined) {
      // flock FD: the descriptor's file is not known to the simulated shell;
      // lock on the descriptor number, held until this command line ends.
      key = `fd:${target}`;
      if (unlock) {
        const at = proc.heldLocks.indexOf(key);
        if (at !== -1) {
          proc.heldLocks.splice(at, 1);
          proc.host.locks.release(key);
        }
        return { stdout: '', stderr: '', exitCode: 0 };
      }
      const got = nonblock ? proc.host.locks.tryAcquire(key, exclusive) : await proc.host.locks.acquire(key, exclusive, waitSecs === undefined ? undefined : waitSecs * 1000, proc.signal);
      if (!got) return { stdout: '', stderr: '', exitCode: conflictCode };
      proc.heldLocks.push(key);
      return { stdout: '', stderr: '', exitCode: 0 };
    }
    if (rest.length === 0 && shellCommand === undefined) return fail('flock: no command specified\nTry \'flock --help\' for more information.', 64);
    const fs = new ShellFs(store, proc);
    const path = fs.resolvePath(ctx.cwd, target);
    try {
      if (!(await fs.exists(path))) await fs.writeFile(path, '');
      key = store.resolve(path);
    } catch (e) {
      return fail(`flock: cannot open lock file ${target}: ${errnoText(e)}`, 66);
    }
    const got = nonblock || waitSecs === 0 ? proc.host.locks.tryAcquire(key, exclusive) : await proc.host.locks.acquire(key, exclusive, waitSecs === undefined ? undefined : waitSecs * 1000, proc.signal);
    if (!got) return { stdout: '', stderr: '', exitCode: conflictCode };
    try {
      if (ctx.exec === undefined) return fail('flock: cannot run commands here');
      const line = shellCommand ?? quote(rest);
      return await ctx.exec(line, { cwd: ctx.cwd, stdin: latin1FromBytes(ctx.stdin), stdinKind: 'bytes', ...(ctx.signal === undefined ? {} : { signal: ctx.signal }) });
    } finally {
      proc.host.locks.release(key);
    }
  });
}
