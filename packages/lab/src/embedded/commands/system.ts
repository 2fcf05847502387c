// Small system commands the simulated shell lacks: uname, hostname, sync,
// nproc, umask, trap (EXIT handlers run when the command line ends; signal
// traps are accepted and ignored: nothing interrupts an in-memory command).
import { defineCommand, latin1FromBytes, type Command } from 'just-bash';
import { quote } from '../../util/quote.ts';
import { fail, ok, type Proc } from './context.ts';
import { usage } from './input.ts';

export function unameCommand(proc: Proc): Command {
  return defineCommand('uname', async (args) => {
    const fields = { s: 'Linux', n: proc.host.name, r: proc.host.kernelRelease(), v: '#1 SMP PREEMPT_DYNAMIC', m: 'x86_64', p: 'x86_64', i: 'x86_64', o: 'GNU/Linux' };
    const long: Record<string, keyof typeof fields | 'a'> = {
      '--all': 'a',
      '--kernel-name': 's',
      '--nodename': 'n',
      '--kernel-release': 'r',
      '--kernel-version': 'v',
      '--machine': 'm',
      '--processor': 'p',
      '--hardware-platform': 'i',
      '--operating-system': 'o',
    };
    const wanted = new Set<string>();
    for (const arg of args) {
      const l = long[arg];
      if (l !== undefined) wanted.add(l);
      else if (arg.startsWith('-') && !arg.startsWith('--') && arg.length > 1) {
        for (const c of arg.slice(1)) {
          if (!'asnrvmpio'.includes(c)) return fail(`uname: invalid option -- '${c}'\nTry 'uname --help' for more information.`);
          wanted.add(c);
        }
      } else return fail(`uname: extra operand '${arg}'\nTry 'uname --help' for more information.`);
    }
    if (wanted.size === 0) wanted.add('s');
    const order = wanted.has('a') ? (['s', 'n', 'r', 'v', 'm', 'o'] as const) : (['s', 'n', 'r', 'v', 'm', 'p', 'i', 'o'] as const);
    return ok(`${order.filter((k) => wanted.has(k) || wanted.has('a')).map((k) => fields[k]).join(' ')}\n`);
  });
}

export function hostnameCommand(proc: Proc): Command {
  return defineCommand('hostname', async (args) => {
    const name = (proc.host.store.readFile('/etc/hostname') ?? proc.host.name).trim() || proc.host.name;
    const operands = args.filter((a) => !a.startsWith('-'));
    if (operands.length > 0) {
      if (proc.cred.uid !== 0) return fail('hostname: you must be root to change the host name');
      return ok();
    }
    if (args.includes('-I') || args.includes('--all-ip-addresses')) return ok('127.0.0.1 \n');
    if (args.includes('-i') || args.includes('--ip-address')) return ok('127.0.0.1\n');
    if (args.includes('-s') || args.includes('--short')) return ok(`${name.split('.')[0]}\n`);
    return ok(`${name}\n`);
  });
}

export function syncCommand(): Command {
  return defineCommand('sync', async () => ok());
}

export function nprocCommand(proc: Proc): Command {
  return defineCommand('nproc', async () => ok(`${proc.host.spec.cpu.cores}\n`));
}

export function umaskCommand(proc: Proc): Command {
  return defineCommand('umask', async (args) => {
    const symbolic = args.includes('-S');
    const value = args.find((a) => !a.startsWith('-'));
    if (value === undefined) {
      if (symbolic) {
        const perm = (bits: number) => `${bits & 4 ? '' : 'r'}${bits & 2 ? '' : 'w'}${bits & 1 ? '' : 'x'}`;
        const u = proc.umask;
        return ok(`u=${perm((u >> 6) & 7)},g=${perm((u >> 3) & 7)},o=${perm(u & 7)}\n`);
      }
      return ok(`${proc.umask.toString(8).padStart(4, '0')}\n`);
    }
    if (!/^[0-7]{1,4}$/.test(value)) return fail(`bash: umask: ${value}: octal number out of range`);
    proc.umask = parseInt(value, 8) & 0o777;
    return ok();
  });
}

const SIGNALS = ['HUP', 'INT', 'QUIT', 'ILL', 'TRAP', 'ABRT', 'BUS', 'FPE', 'KILL', 'USR1', 'SEGV', 'USR2', 'PIPE', 'ALRM', 'TERM'];

export function trapCommand(proc: Proc): Command {
  return defineCommand('trap', async (args, ctx) => {
    if (args[0] === '--') args = args.slice(1);
    if (args[0] === '-l') return ok(`${SIGNALS.map((s, i) => `${String(i + 1).padStart(2)}) SIG${s}`).join('\t')}\n`);
    if (args.length === 0 || args[0] === '-p') {
      const t = proc.exitTrap;
      return ok(t === undefined ? '' : `trap -- '${t.handler.replace(/'/g, `'\\''`)}' EXIT\n`);
    }
    let handler: string | undefined = args[0];
    let sigs = args.slice(1);
    if (sigs.length === 0) {
      // `trap SIG`: reset SIG
      sigs = [handler as string];
      handler = '-';
    }
    for (const sig of sigs) {
      const name = sig.toUpperCase().replace(/^SIG/, '');
      if (name === 'EXIT' || name === '0') {
        if (handler === '-' || handler === '') proc.exitTrap = undefined;
        else {
          const env: Record<string, string> = {};
          for (const [k, v] of ctx.env) if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) env[k] = v;
          proc.exitTrap = { handler: handler as string, env, cwd: ctx.cwd };
        }
      } else if (!SIGNALS.includes(name) && !/^\d+$/.test(name) && !['ERR', 'DEBUG', 'RETURN'].includes(name)) {
        return fail(`bash: trap: ${sig}: invalid signal specification`);
      }
    }
    return ok();
  });
}

/** nohup / setsid: run the rest of the line (nothing can hang up an in-memory command). */
export function passThroughCommand(name: string): Command {
  return defineCommand(name, async (args, ctx) => {
    const rest = args.filter((a, i) => !(i === 0 && a.startsWith('-')));
    if (rest.length === 0) return fail(`${name}: missing operand`);
    if (ctx.exec === undefined) return fail(`${name}: cannot run commands here`);
    return ctx.exec(quote(rest), { cwd: ctx.cwd, stdin: latin1FromBytes(ctx.stdin), stdinKind: 'bytes', ...(ctx.signal === undefined ? {} : { signal: ctx.signal }) });
  });
}

/**
 * sh / bash: the lab's shell runs them itself (interp.ts, runSh) once PATH
 * finds them here; a command that calls this one directly gets the same
 * through a new shell.
 */
export function shellCommand(name: 'sh' | 'bash'): Command {
  return defineCommand(name, async (args, ctx) => {
    if (ctx.exec === undefined) return fail(`${name}: cannot run commands here`);
    return ctx.exec(quote([name, ...args]), { cwd: ctx.cwd, stdin: latin1FromBytes(ctx.stdin), stdinKind: 'bytes', ...(ctx.signal === undefined ? {} : { signal: ctx.signal }) });
  });
}

/** sleep N[smhd]...: waits (the lab's clock is the real one); a kill ends it. */
export function sleepCommand(proc: Proc): Command {
  return defineCommand('sleep', async (args) => {
    if (args.length === 0) return usage('sleep', 'missing operand');
    let ms = 0;
    for (const a of args) {
      const m = /^(\d+(?:\.\d*)?|\.\d+)([smhd]?)$/.exec(a);
      if (m === null) return usage('sleep', `invalid time interval '${a}'`);
      ms += Number(m[1]) * ({ '': 1, s: 1, m: 60, h: 3600, d: 86400 } as Record<string, number>)[m[2] as string]! * 1000;
    }
    await new Promise<void>((resolve) => {
      const t = setTimeout(done, ms);
      function done(): void {
        clearTimeout(t);
        proc.signal.removeEventListener('abort', done);
        resolve();
      }
      proc.signal.addEventListener('abort', done, { once: true });
    });
    return ok();
  });
}

/** env: the environment, or `env [-i] [NAME=VALUE]... COMMAND ARGS` run with it. */
export function envCommand(): Command {
  return defineCommand('env', async (args, ctx) => {
    let i = 0;
    let clear = false;
    const set: Record<string, string> = {};
    const unset: string[] = [];
    for (; i < args.length; i++) {
      const a = args[i] as string;
      if (a === '-i' || a === '-' || a === '--ignore-environment') clear = true;
      else if (a === '-u') unset.push(args[++i] ?? '');
      else if (a === '--') {
        i++;
        break;
      } else if (/^[^=-][^=]*=/.test(a)) set[a.slice(0, a.indexOf('='))] = a.slice(a.indexOf('=') + 1);
      else break;
    }
    const base = clear ? {} : { ...ctx.exportedEnv };
    for (const u of unset) delete base[u];
    const env = { ...base, ...set };
    const rest = args.slice(i);
    if (rest.length === 0) return ok(Object.entries(env).map(([k, v]) => `${k}=${v}\n`).join(''));
    if (ctx.exec === undefined) return fail('env: cannot run commands here');
    return ctx.exec(quote(rest), { cwd: ctx.cwd, env, replaceEnv: true, stdin: latin1FromBytes(ctx.stdin), stdinKind: 'bytes', ...(ctx.signal === undefined ? {} : { signal: ctx.signal }) });
  });
}

/** printenv [NAME]...: exported variables. */
export function printenvCommand(): Command {
  return defineCommand('printenv', async (args, ctx) => {
    const env = ctx.exportedEnv ?? {};
    if (args.length === 0) return ok(Object.entries(env).map(([k, v]) => `${k}=${v}\n`).join(''));
    const found = args.filter((a) => env[a] !== undefined);
    return { stdout: found.map((a) => `${env[a]}\n`).join(''), stderr: '', exitCode: found.length === args.length ? 0 : 1 };
  });
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTH_NAMES = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** date [-u] [-d DATE] [+FORMAT]: the time in UTC (the lab's hosts run in UTC). */
export function dateCommand(): Command {
  return defineCommand('date', async (args) => {
    let when = new Date();
    let format = '%a %b %e %H:%M:%S UTC %Y';
    for (let i = 0; i < args.length; i++) {
      const a = args[i] as string;
      if (a === '-u' || a === '--utc' || a === '-R') continue;
      if (a === '-d' || a.startsWith('--date=') || (a.startsWith('-d') && a.length > 2)) {
        const v = a === '-d' ? args[++i] ?? '' : a.startsWith('--date=') ? a.slice(7) : a.slice(2);
        when = new Date(/^@\d+$/.test(v) ? Number(v.slice(1)) * 1000 : v);
        if (Number.isNaN(when.getTime())) return fail(`date: invalid date '${v}'`);
      } else if (a.startsWith('+')) format = a.slice(1);
      else return fail(`date: invalid option '${a}'`);
    }
    const p2 = (n: number) => String(n).padStart(2, '0');
    const fields: Record<string, () => string> = {
      Y: () => String(when.getUTCFullYear()),
      m: () => p2(when.getUTCMonth() + 1),
      d: () => p2(when.getUTCDate()),
      e: () => String(when.getUTCDate()).padStart(2, ' '),
      H: () => p2(when.getUTCHours()),
      M: () => p2(when.getUTCMinutes()),
      S: () => p2(when.getUTCSeconds()),
      s: () => String(Math.floor(when.getTime() / 1000)),
      N: () => String(when.getUTCMilliseconds() * 1e6).padStart(9, '0'),
      a: () => DAYS[when.getUTCDay()] as string,
      b: () => MONTH_NAMES[when.getUTCMonth()] as string,
      F: () => `${when.getUTCFullYear()}-${p2(when.getUTCMonth() + 1)}-${p2(when.getUTCDate())}`,
      T: () => `${p2(when.getUTCHours())}:${p2(when.getUTCMinutes())}:${p2(when.getUTCSeconds())}`,
      z: () => '+0000',
      Z: () => 'UTC',
      '%': () => '%',
      n: () => '\n',
    };
    const out = format.replace(/%(.)/g, (m, c: string) => fields[c]?.() ?? m);
    return ok(`${out}\n`);
  });
}
