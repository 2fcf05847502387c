// kill: each exec channel's command line is one process (group) whose pid is
// its $$; signalling it stops the command and the channel reports the
// signal (exit-signal), as sshd does for a killed command.
import { defineCommand, type Command } from 'just-bash';
import { fail, ok, type Proc } from './context.ts';

const SIGNALS: Record<string, number> = { HUP: 1, INT: 2, QUIT: 3, KILL: 9, USR1: 10, USR2: 12, PIPE: 13, ALRM: 14, TERM: 15, CONT: 18, STOP: 19 };
const BY_NUMBER = new Map(Object.entries(SIGNALS).map(([k, v]) => [v, k]));

function signalName(spec: string): string | undefined {
  if (/^\d+$/.test(spec)) return Number(spec) === 0 ? '0' : BY_NUMBER.get(Number(spec));
  const name = spec.toUpperCase().replace(/^SIG/, '');
  return name in SIGNALS ? name : undefined;
}

export function killCommand(proc: Proc): Command {
  return defineCommand('kill', async (args) => {
    let sig = 'TERM';
    const targets: string[] = [];
    for (let i = 0; i < args.length; i++) {
      const arg = args[i] as string;
      if (arg === '-l' || arg === '-L') return ok(`${Object.keys(SIGNALS).join(' ')}\n`);
      if (arg === '-s' || arg === '-n') {
        const s = signalName(args[++i] ?? '');
        if (s === undefined) return fail(`bash: kill: ${args[i] ?? ''}: invalid signal specification`);
        sig = s;
      } else if (arg === '--') {
        targets.push(...args.slice(i + 1));
        break;
      } else if (/^-[A-Za-z0-9]+$/.test(arg) && targets.length === 0 && !/^-\d+$/.test(arg)) {
        const s = signalName(arg.slice(1));
        if (s === undefined) return fail(`bash: kill: ${arg.slice(1)}: invalid signal specification`);
        sig = s;
      } else if (/^-\d+$/.test(arg) && targets.length === 0 && i === 0 && args.length > 1) {
        // `kill -9 PID`: a number right after kill is a signal
        const s = signalName(arg.slice(1));
        if (s === undefined) return fail(`bash: kill: ${arg.slice(1)}: invalid signal specification`);
        sig = s;
      } else targets.push(arg);
    }
    if (targets.length === 0) return fail('kill: usage: kill [-s sigspec | -n signum | -sigspec] pid | jobspec ... or kill -l [sigspec]', 2);
    let stderr = '';
    let status = 0;
    for (const t of targets) {
      if (!/^-?\d+$/.test(t)) {
        stderr += `bash: kill: ${t}: arguments must be process or job IDs\n`;
        status = 1;
        continue;
      }
      const pid = Math.abs(Number(t));
      const target = proc.host.procs.get(pid);
      if (target === undefined) {
        stderr += `bash: kill: (${t}) - No such process\n`;
        status = 1;
        continue;
      }
      if (proc.cred.uid !== 0 && target.user !== proc.cred.user) {
        stderr += `bash: kill: (${t}) - Operation not permitted\n`;
        status = 1;
        continue;
      }
      if (sig !== '0' && sig !== 'CONT') target.kill(sig);
    }
    return { stdout: '', stderr, exitCode: status };
  });
}
