// What a command of the simulated shell sees besides its context (just-bash's
// public CommandContext type):
// the host (files, locks, tools, users) and the process it runs in (who,
// umask, EXIT trap). One Proc per exec channel; sudo changes its cred for the
// duration of the command it runs.
import { latin1FromBytes, type ExecResult, type ResolvedCommandContext } from 'just-bash';
import type { ChannelStdin } from '../stdin.ts';
import type { HostSpec, LabHostControl, Tool } from '../../types.ts';
import type { LockTable } from './flock.ts';
import type { HostStore, ProcIdentity } from '../vfs.ts';
import { credFor, userDb, type Cred, type UserDb } from '../users.ts';

export interface SudoRule {
  /** user allowed to run sudo */
  user: string;
  /** NOPASSWD, or the password sudo -S must read */
  password?: string | undefined;
}

/** A command line running on a host: what `kill` can reach. */
export interface RunningProc {
  pid: number;
  user: string;
  kill(signal: string): void;
}

export interface ShellHost {
  readonly name: string;
  /** running command lines by pid (= process group: each exec is its own session) */
  readonly procs: Map<number, RunningProc>;
  readonly spec: HostSpec;
  readonly store: HostStore;
  readonly locks: LockTable;
  /** the model's machine-specific commands present on this host */
  readonly tools: Readonly<Record<string, Tool>>;
  readonly control: LabHostControl;
  readonly sudoers: readonly SudoRule[];
  /** current boot's kernel release, for uname -r */
  kernelRelease(): string;
}

export interface ExitTrap {
  handler: string;
  env: Record<string, string>;
  cwd: string;
}

/** The exec channel itself, for the command at the top of the line (sudo's prompts, the become handshake). */
export interface ProcIo {
  /** a command whose stdin is exactly this string reads the channel's stdin, as it arrives */
  marker: string;
  stdin: ChannelStdin;
  stdout(data: string): void;
  stderr(data: string): void;
}

export interface Proc extends ProcIdentity {
  host: ShellHost;
  pid: number;
  signal: AbortSignal;
  io?: ProcIo | undefined;
  exitTrap?: ExitTrap | undefined;
  /** locks taken by `flock FD`, released when the command line ends */
  heldLocks: string[];
}

export function ok(stdout = ''): ExecResult {
  return { stdout, stderr: '', exitCode: 0 };
}

export function fail(stderr: string, exitCode = 1, stdout = ''): ExecResult {
  return { stdout, stderr: stderr.endsWith('\n') || stderr === '' ? stderr : `${stderr}\n`, exitCode };
}

const dbCache = new WeakMap<HostStore, { generation: number; db: UserDb }>();

/** The host's users and groups (from its /etc/passwd and /etc/group), cached until those files change. */
export function hostUsers(store: HostStore): UserDb {
  const cached = dbCache.get(store);
  if (cached !== undefined && cached.generation === store.generation) return cached.db;
  const db = userDb((p) => store.readFile(p));
  dbCache.set(store, { generation: store.generation, db });
  return db;
}

export function hostCred(store: HostStore, user: string): Cred | undefined {
  return credFor(hostUsers(store), user);
}

/** Split GNU-style short option clusters and `--long=value` for simple parsers. */
export function isOption(arg: string): boolean {
  return arg.length > 1 && arg.startsWith('-');
}

/** Message of a file system error the way coreutils print it. */
export function errnoText(err: unknown): string {
  const code = (err as { code?: string }).code;
  switch (code) {
    case 'ENOENT':
      return 'No such file or directory';
    case 'EACCES':
      return 'Permission denied';
    case 'EPERM':
      return 'Operation not permitted';
    case 'EISDIR':
      return 'Is a directory';
    case 'ENOTDIR':
      return 'Not a directory';
    case 'EEXIST':
      return 'File exists';
    case 'ENOTEMPTY':
      return 'Directory not empty';
    case 'ELOOP':
      return 'Too many levels of symbolic links';
    default:
      return err instanceof Error ? err.message : String(err);
  }
}

/** The command's stdin as a latin1 byte string: the channel's, read to EOF, when the command inherited it unread. */
export async function readStdin(proc: Proc, ctx: ResolvedCommandContext): Promise<string> {
  const raw = latin1FromBytes(ctx.stdin);
  if (proc.io !== undefined && raw === proc.io.marker) return (await proc.io.stdin.readAll(proc.signal)).toString('latin1');
  return raw;
}

/** Does this command read the channel's stdin directly (it inherited it, unread)? */
export function inheritsChannelStdin(proc: Proc, ctx: ResolvedCommandContext): boolean {
  return proc.io !== undefined && latin1FromBytes(ctx.stdin) === proc.io.marker;
}
