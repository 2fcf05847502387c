// Small system commands the simulated shell lacks: uname, hostname, sync,
// nproc, umask, trap (EXIT handlers run when the command line ends; signal
// traps are accepted and ignored: nothing interrupts an in-memory command).
import { defineCommand, latin1FromBytes, type Command } from 'just-bash';
import { quote } from '../../util/quote.ts';
import { rewriteExec } from '../exec-rewrite.ts';
import { fail, ok, type Proc } from './context.ts';

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
      } else return fail(`uname: extra operand ‘${arg}’\nTry 'uname --help' for more information.`);
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

/** sh / bash: `-c SCRIPT` with `exec CMD` made final (see exec-rewrite.ts); the rest is just-bash's. */
export function shellCommand(name: 'sh' | 'bash'): Command {
  return defineCommand(name, async (args, ctx) => {
    if (ctx.origCommand === undefined) return fail(`${name}: not available`);
    const c = args.indexOf('-c');
    if (c === -1 || args[c + 1] === undefined || args.slice(0, c).some((a) => !a.startsWith('-'))) return ctx.origCommand(args);
    const rewritten = [...args];
    rewritten[c + 1] = rewriteExec(args[c + 1] as string);
    return ctx.origCommand(rewritten);
  });
}
