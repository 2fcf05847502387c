// Run one command line on a simulated host, the way sshd runs an exec
// request: as the login user, in their home, with a login-like environment,
// through the lab's shell (sh/interp.ts) over the host's files. Each exec is
// its own process (a pid, an identity that sudo changes).
//
// Streaming: the lab's shell returns a command's output when it ends and wants its
// stdin up front. What must reach the client earlier (the leading `echo`
// lines; sudo's prompt; the become handshake) is written to the channel
// directly. Then the line starts: at once when it reads no stdin
// (stdin-use.ts) or runs sudo (sudo reads the channel as it arrives), else
// once the client closed its stdin: with all of it, however late it came.
import { randomBytes } from 'node:crypto';
import { makeCommands } from './commands/index.ts';
import { hostCred, type Proc, type ProcIo, type ShellHost } from './commands/context.ts';
import { SECURE_PATH } from './commands/sudo.ts';
import { splitLeadingEchoes } from './leading.ts';
import { mayReadStdin } from './stdin-use.ts';
import { afterCommand } from './memory.ts';
import type { ChannelStdin } from './stdin.ts';
import { ShellFs } from './vfs.ts';
import { bytesToText } from './sh/bytes.ts';
import { labShellFor, SHELL_VARIABLES } from './sh/run.ts';
import { scriptTree } from './sh/supported.ts';

export interface ShellIo {
  stdin: ChannelStdin;
  stdout(data: string): void;
  stderr(data: string): void;
}

export interface ShellRequest {
  user: string;
  command: string;
  /** variables the client passed (already filtered by AcceptEnv) */
  env?: Record<string, string> | undefined;
  /** the whole stdin, when known up front (tests, direct use) */
  stdin?: Buffer | string | undefined;
  /** the channel: stdin as it arrives, and a way to send output early */
  io?: ShellIo | undefined;
  signal?: AbortSignal | undefined;
  /** SSH_CONNECTION value: "client-ip client-port server-ip server-port" */
  sshConnection?: string | undefined;
  /** called with the pid once the command line has one */
  onStart?: ((pid: number) => void) | undefined;
}

export interface ShellResult {
  stdout: string;
  stderr: string;
  exitCode: number;
  /** the signal that stopped the command line (TERM, KILL, ...) */
  signal?: string | undefined;
}

const USER_PATH = '/usr/local/bin:/usr/bin:/bin:/usr/games';
let nextPid = 2000;
/** what a client cannot guess in the channel marker (one per process: a random draw per command cost more than the rest of a small one) */
const MARKER_KEY = randomBytes(12).toString('hex');

function allocatePid(host: ShellHost): number {
  for (;;) {
    const pid = nextPid++;
    if (nextPid > 4_000_000) nextPid = 2000;
    if (!host.procs.has(pid)) return pid;
  }
}

export async function runShell(host: ShellHost, req: ShellRequest): Promise<ShellResult> {
  const cred = hostCred(host.store, req.user);
  if (cred === undefined) return { stdout: '', stderr: `${req.user}: no such user\n`, exitCode: 1 };

  const controller = new AbortController();
  let killedBy: string | undefined;
  const onOuterAbort = () => controller.abort();
  req.signal?.addEventListener('abort', onOuterAbort, { once: true });
  if (req.signal?.aborted) controller.abort();
  const signal = controller.signal;

  const pid = allocatePid(host);
  const marker = `\u0000passthru-lab-stdin-${MARKER_KEY}-${pid}\u0000`;
  const io: ProcIo | undefined = req.io === undefined ? undefined : { marker, stdin: req.io.stdin, stdout: req.io.stdout, stderr: req.io.stderr };
  const proc: Proc = { host, cred, umask: 0o022, pid, signal, io, heldLocks: [] };
  host.procs.set(pid, {
    pid,
    user: cred.user,
    kill(sig: string) {
      killedBy ??= sig;
      controller.abort();
    },
  });
  req.onStart?.(pid);

  const home = host.store.isDirectory(cred.home) ? cred.home : '/';
  const env: Record<string, string> = {
    HOME: cred.home,
    USER: cred.user,
    LOGNAME: cred.user,
    SHELL: cred.shell,
    PATH: cred.uid === 0 ? SECURE_PATH : USER_PATH,
    MAIL: `/var/mail/${cred.user}`,
    LANG: 'C.UTF-8',
    HOSTNAME: host.name,
    ...(req.sshConnection === undefined
      ? {}
      : { SSH_CONNECTION: req.sshConnection, SSH_CLIENT: req.sshConnection.split(' ').filter((_, i) => i !== 2).join(' ') }),
    ...req.env,
  };
  const fs = new ShellFs(host.store, proc);
  const shell = labShellFor(proc, fs, () => makeCommands(proc));
  /** One command line in a new shell of this process. */
  const run = async (script: string, o: { env: Record<string, string>; cwd: string; stdin: string }): Promise<ShellResult> => {
    const tree = scriptTree(script);
    if ('error' in tree) return { stdout: '', stderr: tree.error, exitCode: 2 };
    const r = await shell.run(tree.ast, { env: { ...SHELL_VARIABLES, ...o.env }, cwd: o.cwd, stdin: o.stdin });
    return { stdout: bytesToText(r.stdout), stderr: bytesToText(r.stderr), exitCode: r.exitCode };
  };

  let stdout = '';
  let stderr = '';
  let exitCode = 0;
  try {
    let script = req.command;
    let stdin: string;
    if (req.io !== undefined) {
      // lines that only print go out at once
      const { lead, rest } = splitLeadingEchoes(script);
      for (const line of lead) {
        const r = await run(line, { env, cwd: home, stdin: '' });
        if (r.stdout !== '') req.io.stdout(r.stdout);
        if (r.stderr !== '') req.io.stderr(r.stderr);
        exitCode = r.exitCode;
      }
      script = rest;
      // a line that runs sudo starts at once (sudo reads the channel as it comes), one that
      // reads no stdin too; any other waits for the client's EOF (no timeout: what was sent arrives)
      const channel = req.io.stdin;
      if (channel.isEnded || (!/\bsudo\b/.test(script) && mayReadStdin(script))) stdin = (await channel.readAll(signal)).toString('latin1');
      else if (/\bsudo\b/.test(script)) stdin = marker;
      else stdin = '';
    } else {
      stdin = req.stdin === undefined ? '' : Buffer.isBuffer(req.stdin) ? req.stdin.toString('latin1') : Buffer.from(req.stdin).toString('latin1');
    }
    if (script.trim() !== '' || req.io === undefined) {
      const r = await run(script, { env, cwd: home, stdin });
      stdout = r.stdout;
      stderr = r.stderr;
      exitCode = r.exitCode;
    }
  } catch (e) {
    if (!signal.aborted) {
      stderr += `bash: ${e instanceof Error ? e.message : String(e)}\n`;
      exitCode = 1;
    }
  }
  // the EXIT trap runs when the shell ends, with the variables it saw when set
  const trap = proc.exitTrap;
  if (trap !== undefined && !signal.aborted) {
    proc.exitTrap = undefined;
    try {
      const t = await run(trap.handler, { env: trap.env, cwd: trap.cwd, stdin: '' });
      stdout += t.stdout;
      stderr += t.stderr;
    } catch {
      // a failing trap does not change the exit status
    }
  }
  for (const key of proc.heldLocks) host.locks.release(key);
  host.procs.delete(pid);
  afterCommand();
  req.signal?.removeEventListener('abort', onOuterAbort);
  if (signal.aborted) {
    return { stdout, stderr, exitCode: 128 + 15, signal: killedBy ?? 'TERM' };
  }
  return { stdout, stderr, exitCode };
}
