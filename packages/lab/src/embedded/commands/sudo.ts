// sudo: -n, -S (password from stdin), -u USER, -p PROMPT, -E, -H, -i/-s,
// `--`. The policy is the lab's sudoers (root; ops with NOPASSWD unless the
// lab was started with a sudo password). The rest of the line runs as the
// target user: new files belong to them and their permissions apply.
import { defineCommand, latin1FromBytes, type Command } from 'just-bash';
import { quote } from '../../util/quote.ts';
import { credFor } from '../users.ts';
import { fail, hostUsers, inheritsChannelStdin, ok, type Proc } from './context.ts';
import { splitLeadingEchoes } from '../leading.ts';
import { mayReadStdin } from '../stdin-use.ts';

export const SECURE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/bin:/usr/sbin:/bin:/sbin';

export function sudoCommand(proc: Proc): Command {
  return defineCommand('sudo', async (args, ctx) => {
    let nonInteractive = false;
    let stdinPassword = false;
    let targetUser = 'root';
    let prompt: string | undefined;
    let preserveEnv = false;
    let list = false;
    let validate = false;
    let i = 0;
    for (; i < args.length; i++) {
      const arg = args[i] as string;
      if (arg === '--') {
        i++;
        break;
      }
      if (!arg.startsWith('-') || arg === '-') break;
      if (arg === '--non-interactive') nonInteractive = true;
      else if (arg === '--stdin') stdinPassword = true;
      else if (arg.startsWith('--user=')) targetUser = arg.slice(7);
      else if (arg === '--user') targetUser = args[++i] ?? '';
      else if (arg.startsWith('--prompt=')) prompt = arg.slice(9);
      else if (arg === '--prompt') prompt = args[++i] ?? '';
      else if (arg === '--preserve-env' || arg.startsWith('--preserve-env=')) preserveEnv = true;
      else if (arg === '--set-home' || arg === '--login' || arg === '--shell' || arg === '--reset-timestamp' || arg === '--remove-timestamp') continue;
      else if (arg === '--list') list = true;
      else if (arg === '--validate') validate = true;
      else if (arg === '--version') return ok('Sudo version 1.9.13p3\n');
      else if (arg.startsWith('--')) return fail(`sudo: unrecognized option '${arg}'\nusage: sudo [-AbEHknPSV] [-C num] [-D directory] [-g group] [-h host] [-p prompt] [-R directory] [-T timeout] [-u user] [VAR=value] [-i | -s] [command [arg ...]]`);
      else {
        const flags = arg.slice(1);
        for (let j = 0; j < flags.length; j++) {
          const c = flags[j] as string;
          if (c === 'n') nonInteractive = true;
          else if (c === 'S') stdinPassword = true;
          else if (c === 'E') preserveEnv = true;
          else if (c === 'l') list = true;
          else if (c === 'v') validate = true;
          else if (c === 'V') return ok('Sudo version 1.9.13p3\n');
          else if ('HkKisbAP'.includes(c)) continue;
          else if (c === 'u' || c === 'p' || c === 'g' || c === 'C' || c === 'D' || c === 'T' || c === 'h' || c === 'R') {
            const v = flags.slice(j + 1) || (args[++i] ?? '');
            if (c === 'u') targetUser = v;
            else if (c === 'p') prompt = v;
            break;
          } else return fail(`sudo: invalid option -- '${c}'\nusage: sudo -h | -K | -k | -V`);
        }
      }
    }
    const rest = args.slice(i);
    const invoker = proc.cred;
    const db = hostUsers(proc.host.store);
    // sudo at the top of an exec line reads the channel as it arrives and
    // writes its prompt straight to it, like the real one on fd 0 and 2
    const io = inheritsChannelStdin(proc, ctx) ? proc.io : undefined;
    let stdin = io === undefined ? latin1FromBytes(ctx.stdin) : '';
    const readLine = async (): Promise<string | null> => {
      if (io !== undefined) return io.stdin.readLine(proc.signal);
      if (stdin === '') return null;
      const nl = stdin.indexOf('\n');
      const line = nl === -1 ? stdin : stdin.slice(0, nl);
      stdin = nl === -1 ? '' : stdin.slice(nl + 1);
      return line;
    };
    // what sudo itself wrote to stderr (prompts), in front of the command's own stderr
    let noise = '';
    const say = (text: string) => {
      if (io !== undefined) io.stderr(text);
      else noise += text;
    };

    // authentication, the way sudo does it: root never needs a password
    if (invoker.uid !== 0) {
      const rule = proc.host.sudoers.find((r) => r.user === invoker.user);
      const needsPassword = rule === undefined || rule.password !== undefined;
      if (needsPassword) {
        if (nonInteractive) return fail('sudo: a password is required');
        if (!stdinPassword) return fail('sudo: a terminal is required to read the password; either use the -S option to read from standard input or configure an askpass helper\nsudo: a password is required');
        const shownPrompt = (prompt ?? '[sudo] password for %p: ').replace(/%p|%u/g, invoker.user).replace(/%H|%h/g, proc.host.name).replace(/%U/g, targetUser).replace(/%%/g, '%');
        let accepted = false;
        for (let attempt = 0; attempt < 3; attempt++) {
          say(shownPrompt);
          let line: string | null;
          try {
            line = await readLine();
          } catch {
            return { stdout: '', stderr: noise, exitCode: 1 };
          }
          if (line === null) {
            say('\nsudo: no password was provided\nsudo: a password is required\n');
            return { stdout: '', stderr: noise, exitCode: 1 };
          }
          if (rule !== undefined && Buffer.from(line, 'latin1').toString('utf8') === rule.password) {
            accepted = true;
            say('\n');
            break;
          }
          say('\nSorry, try again.\n');
        }
        if (!accepted) {
          say('sudo: 3 incorrect password attempts\n');
          return { stdout: '', stderr: noise, exitCode: 1 };
        }
        if (rule === undefined) {
          say(`${invoker.user} is not in the sudoers file.\n`);
          return { stdout: '', stderr: noise, exitCode: 1 };
        }
      }
    }
    if (list) return ok(`User ${invoker.user} may run the following commands on ${proc.host.name}:\n    (ALL : ALL) ${invoker.uid === 0 ? '' : 'NOPASSWD: '}ALL\n`);
    if (validate && rest.length === 0) return { stdout: '', stderr: noise, exitCode: 0 };
    if (rest.length === 0) return fail('usage: sudo -h | -K | -k | -V\nusage: sudo -v [-ABkNnS] [-g group] [-h host] [-p prompt] [-u user]\nusage: sudo [-ABbEHkNnPS] [-C num] [-D directory] [-g group] [-h host] [-p prompt] [-R directory] [-T timeout] [-u user] [VAR=value] [-i | -s] [command [arg ...]]');
    const target = /^#\d+$/.test(targetUser) ? db.users.find((u) => `#${u.uid}` === targetUser)?.name : targetUser;
    const targetCred = target === undefined ? undefined : credFor(db, target);
    if (targetCred === undefined) return fail(`sudo: unknown user ${targetUser}\nsudo: error initializing audit plugin sudoers_audit`);

    // VAR=value words before the command set variables in its environment
    const assignments: Record<string, string> = {};
    let k = 0;
    while (k < rest.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(rest[k] as string)) {
      const word = rest[k] as string;
      assignments[word.slice(0, word.indexOf('='))] = word.slice(word.indexOf('=') + 1);
      k++;
    }
    const argv = rest.slice(k);
    if (argv.length === 0) return fail('sudo: no command given');
    const exported = ctx.exportedEnv ?? Object.fromEntries(ctx.env);
    const env: Record<string, string> = {};
    if (preserveEnv) Object.assign(env, exported);
    else {
      for (const [key, value] of Object.entries(exported)) {
        if (key === 'TERM' || key === 'LANG' || key === 'LANGUAGE' || key.startsWith('LC_') || key === 'DISPLAY' || key === 'COLORTERM') env[key] = value;
      }
    }
    Object.assign(env, {
      PATH: SECURE_PATH,
      HOME: targetCred.home,
      USER: targetCred.user,
      LOGNAME: targetCred.user,
      SHELL: targetCred.shell,
      MAIL: `/var/mail/${targetCred.user}`,
      SUDO_USER: invoker.user,
      SUDO_UID: String(invoker.uid),
      SUDO_GID: String(invoker.gid),
      SUDO_COMMAND: argv.join(' '),
      ...assignments,
    });
    if (ctx.exec === undefined) return fail('sudo: cannot run commands here');
    const exec = ctx.exec;
    const previous = proc.cred;
    proc.cred = targetCred;
    try {
      const base = { cwd: ctx.cwd, env, replaceEnv: true, stdinKind: 'bytes' as const, ...(ctx.signal === undefined ? {} : { signal: ctx.signal }) };
      let line = quote(argv);
      let out = '';
      let err = noise;
      if (io !== undefined) {
        // `sh -c SCRIPT`: the lines of SCRIPT that only print go to the client
        // at once (it may hold its stdin back until it sees them)
        const shell = argv[0] === 'sh' || argv[0] === 'bash' || argv[0] === '/bin/sh' || argv[0] === '/bin/bash';
        if (shell && argv[1] === '-c' && argv[2] !== undefined && argv.length === 3) {
          const { lead, rest: script } = splitLeadingEchoes(argv[2]);
          for (const l of lead) {
            const r = await exec(l, { ...base, stdin: '' });
            if (r.stdout !== '') io.stdout(r.stdout);
            if (r.stderr !== '') io.stderr(r.stderr);
          }
          line = script;
        }
        try {
          // the command gets the channel's stdin to its EOF, if it may read it at all
          stdin = io.stdin.isEnded || mayReadStdin(line) ? (await io.stdin.readAll(proc.signal)).toString('latin1') : '';
        } catch {
          return { stdout: out, stderr: err, exitCode: 1 };
        }
      }
      const r = await exec(line, { ...base, stdin });
      out += r.stdout;
      err += r.stderr;
      return { ...r, stdout: out, stderr: err };
    } finally {
      proc.cred = previous;
    }
  });
}
