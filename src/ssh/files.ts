// Remote files, in one round trip each, with POSIX sh and a few standard
// commands only: cat, test, stat (-c, -L), wc (-c), chown, chmod, cp (-p),
// mv (-f), rm (-f), printf, and the builtins trap, umask, set, exit.
// (Paths must be absolute, so no `--` is needed before them.)
//
// A write goes to a temp file beside the target (.<name>.passthru-<rand>.tmp),
// whose size is checked against what was sent, gets the old file's
// owner/group/mode (or the wanted ones), then is renamed over the target; the
// old file is copied (cp -p) to <path>.<YYYYmmddTHHMMSSZ>.bak first when
// asked. On any failure, and on HUP/INT/PIPE/TERM, the temp file is removed:
// the target is either the whole old file or the whole new one.

import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import { HostError } from '../errors.ts';
import { sh } from '../util/shell.ts';
import type { RemoteHost } from './types.ts';

export interface FileMeta {
  owner: string;
  group: string;
  /** permission bits, e.g. 0o640 */
  mode: number;
}

export interface RemoteFile {
  exists: boolean;
  /** '' when the file does not exist */
  content: string;
  meta?: FileMeta;
}

const ERR = 'passthru-error ';

function checkPath(host: RemoteHost, path: string): void {
  if (!path.startsWith('/') || path.includes('\0') || path.endsWith('/')) {
    throw new HostError(host.name, `remote path "${path}" must be an absolute file path`);
  }
}

/** Read a remote file and its owner/group/mode in one command. */
export async function readRemoteFile(host: RemoteHost, path: string, opts: { become?: boolean; signal?: AbortSignal } = {}): Promise<RemoteFile> {
  checkPath(host, path);
  const script =
    sh`p=${path}\n` +
    `if test -e "$p"; then\n` +
    `  test -f "$p" || { printf '${ERR}%s\\n' "not a regular file" >&2; exit 3; }\n` +
    `  m=$(stat -L -c '%U %G %a' "$p") || exit 4\n` +
    `  printf 'passthru-file %s\\n' "$m"\n` +
    `  cat "$p"; exit\n` +
    `fi\n` +
    `d=\${p%/*}\n` +
    `if test -n "$d" && test -d "$d" && ! test -x "$d"; then printf '${ERR}%s\\n' "permission denied (cannot search $d)" >&2; exit 5; fi\n` +
    `printf 'passthru-missing\\n'\n`;
  const r = await host.exec(script, execOpts(opts));
  const nl = r.stdout.indexOf('\n');
  const head = nl >= 0 ? r.stdout.slice(0, nl) : r.stdout;
  if (r.exitCode === 0 && head === 'passthru-missing') return { exists: false, content: '' };
  const m = /^passthru-file (\S+) (\S+) ([0-7]+)$/.exec(head);
  if (r.exitCode !== 0 || !m) {
    throw new HostError(host.name, `cannot read ${path}: ${remoteError(r.stderr, r.exitCode)}`, {
      hint: /permission denied/i.test(r.stderr) && !opts.become ? 'The file needs root: run the step with become.' : undefined,
    });
  }
  return {
    exists: true,
    content: r.stdout.slice(nl + 1),
    meta: { owner: m[1] as string, group: m[2] as string, mode: parseInt(m[3] as string, 8) },
  };
}

export interface WriteOptions {
  become?: boolean;
  /** keep the old content as <path>.<YYYYmmddTHHMMSSZ>.bak (cp -p) */
  backup?: boolean;
  /** permission bits; default: the old file's, or 0644 for a new file */
  mode?: number;
  /** default: the old file's owner (a new file: the writing user) */
  owner?: string;
  group?: string;
  signal?: AbortSignal;
  /** for tests: the moment used in the backup name */
  now?: Date;
  /** create the file's directory first (mkdir -p), in the same round trip */
  mkdir?: boolean;
  /**
   * a command run (same user) once the file is in place (written or already
   * so), in the same round trip: its exit status and output are returned, a
   * failure of it is not one of the write
   */
  then?: string;
  /** bound on the whole round trip (with `then`) */
  timeoutMs?: number;
}

export interface WriteResult {
  /** false when the file already had this content and owner/group/mode: nothing was touched */
  written: boolean;
  /** set when a backup was made */
  backupPath?: string;
  /** what `then` gave */
  then?: { exitCode: number; stdout: string; stderr: string };
}

const THEN = 'passthru-then';

/** `.<base>.passthru-<random>.tmp` beside `path` */
export function tempPathFor(path: string): string {
  return posix.join(posix.dirname(path), `.${posix.basename(path)}.passthru-${randomBytes(6).toString('hex')}.tmp`);
}

/** `<path>.<YYYYmmddTHHMMSSZ>.bak` */
export function backupPathFor(path: string, now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${path}.${stamp}.bak`;
}

const TRAPS =
  `trap 'rm -f "$t"' EXIT\n` +
  `trap 'rm -f "$t"; exit 129' HUP\n` +
  `trap 'rm -f "$t"; exit 130' INT\n` +
  `trap 'rm -f "$t"; exit 141' PIPE\n` +
  `trap 'rm -f "$t"; exit 143' TERM\n` +
  `fail() { rm -f "$t"; printf '${ERR}%s\\n' "$*" >&2; exit 1; }\n`;

/**
 * Write `content` to a remote file atomically (see the top of this file).
 * Unchanged content and metadata: nothing is written. Unchanged content but
 * other owner/group/mode wanted: those are fixed in place (written: true).
 */
export async function writeRemoteFile(host: RemoteHost, path: string, content: string | Buffer, opts: WriteOptions = {}): Promise<WriteResult> {
  checkPath(host, path);
  const data = Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8');
  if (opts.mode !== undefined && !(Number.isInteger(opts.mode) && opts.mode >= 0 && opts.mode <= 0o7777)) {
    throw new HostError(host.name, `bad file mode ${opts.mode} for ${path}`);
  }
  const want = {
    mode: opts.mode === undefined ? '' : opts.mode.toString(8),
    owner: opts.owner ?? '',
    group: opts.group ?? '',
  };
  const backup = opts.backup ? backupPathFor(path, opts.now) : '';
  // after the file is in place: the marker line, then the command's own output and exit status
  // (with the umask the session had, not the temp file's)
  const then = opts.then === undefined ? '' : `printf '${THEN}\\n'\n( umask "$u0"\n${opts.then}\n) </dev/null\nexit $?\n`;
  const script =
    sh`p=${path}; t=${tempPathFor(path)}; d=${posix.dirname(path)}; b=${backup}; n=${data.length}\n` +
    sh`wmode=${want.mode}; wowner=${want.owner}; wgroup=${want.group}\n` +
    'u0=$(umask)\n' +
    'umask 077\n' +
    TRAPS +
    (opts.mkdir ? `test -d "$d" || (umask "$u0"; mkdir -p "$d") || fail "cannot create the directory $d"\n` : '') +
    `test -L "$p" && fail "is a symbolic link (passthru does not replace links; give the real path)"\n` +
    `test -d "$d" || fail "directory $d does not exist"\n` +
    `old=\n` +
    `if test -e "$p"; then test -f "$p" || fail "exists and is not a regular file"; old=1; fi\n` +
    `cat > "$t" || fail "cannot write the temporary file $t"\n` +
    `s=$(wc -c < "$t") || fail "cannot measure the temporary file"\n` +
    `test "$s" -eq "$n" || fail "only $s of $n bytes arrived (disk full, or the transfer was cut)"\n` +
    // the old file's owner/group/mode, and whether the content is the same
    `same=\n` +
    `if test -n "$old"; then\n` +
    `  cur=$(stat -c '%U %G %a %u %g' "$p") || fail "cannot stat $p"\n` +
    `  set -- $cur; co=$1; cg=$2; cm=$3; cu=$4; cgi=$5\n` +
    `  os=$(wc -c < "$p") || fail "cannot read $p"\n` +
    `  if test "$os" -eq "$n" && test "$(cat "$t")" = "$(cat "$p")"; then same=1; fi\n` +
    `else co=; cg=; cm=644; cu=; cgi=; fi\n` +
    `mode=\${wmode:-$cm}\n` +
    // owner spec: wanted names, else the old file's numeric ids
    `if test -n "$wowner$wgroup"; then own="$wowner"; test -n "$wgroup" && own="$wowner:$wgroup"; ` +
    `else own=; test -n "$cu" && own="$cu:$cgi"; fi\n` +
    `if test -n "$same"; then\n` +
    `  rm -f "$t"\n` +
    `  ch=\n` +
    `  if test -n "$wmode" && test "$wmode" != "$cm"; then chmod "$wmode" "$p" || fail "cannot chmod $wmode $p"; ch=1; fi\n` +
    `  if test -n "$wowner" && test "$wowner" != "$co" && test "$wowner" != "$cu"; then chown "$wowner" "$p" || fail "cannot chown $wowner $p"; ch=1; fi\n` +
    `  if test -n "$wgroup" && test "$wgroup" != "$cg" && test "$wgroup" != "$cgi"; then chown ":$wgroup" "$p" || fail "cannot chgrp $wgroup $p"; ch=1; fi\n` +
    `  if test -n "$ch"; then printf 'passthru-meta\\n'; else printf 'passthru-unchanged\\n'; fi\n` +
    then +
    `  exit 0\n` +
    `fi\n` +
    `if test -n "$own"; then\n` +
    `  tcur=$(stat -c '%U:%G %u:%g %U %u' "$t") || fail "cannot stat $t"\n` +
    `  set -- $tcur\n` +
    `  case " $1 $2 $3 $4 " in *" $own "*) ;; *) chown "$own" "$t" || fail "cannot give the new file owner $own";; esac\n` +
    `fi\n` +
    `chmod "$mode" "$t" || fail "cannot chmod $mode the new file"\n` +
    `if test -n "$old" && test -n "$b"; then\n` +
    `  test -e "$b" && b="$b.$$"\n` +
    `  cp -p "$p" "$b" || fail "cannot create the backup $b"\n` +
    `fi\n` +
    `test -n "$old" || b=\n` +
    `mv -f "$t" "$p" || fail "cannot rename $t to $p"\n` +
    `printf 'passthru-written %s\\n' "$b"\n` +
    then;

  const r = await host.exec(script, { ...execOpts(opts), stdin: data, ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}) });
  const nl = r.stdout.indexOf('\n');
  const line = nl < 0 ? r.stdout : r.stdout.slice(0, nl);
  let thenOut: WriteResult['then'];
  let ok = r.exitCode === 0;
  if (opts.then !== undefined) {
    const rest = nl < 0 ? '' : r.stdout.slice(nl + 1);
    ok = rest.startsWith(`${THEN}\n`);
    if (ok) thenOut = { exitCode: r.exitCode, stdout: rest.slice(THEN.length + 1), stderr: r.stderr };
  }
  const withThen = (w: WriteResult): WriteResult => (thenOut ? { ...w, then: thenOut } : w);
  if (ok && line === 'passthru-unchanged') return withThen({ written: false });
  if (ok && line === 'passthru-meta') return withThen({ written: true });
  if (ok && line.startsWith('passthru-written')) {
    const b = line.slice('passthru-written '.length).trim();
    return withThen(b ? { written: true, backupPath: b } : { written: true });
  }
  throw new HostError(host.name, `cannot write ${path}: ${remoteError(r.stderr, r.exitCode)}; the old file is unchanged`, {
    hint: /permission denied|operation not permitted|read-only/i.test(r.stderr) && !opts.become ? 'The file needs root: run the step with become.' : undefined,
  });
}

/** Put a backup made by writeRemoteFile back in place (atomically, keeping the backup). */
export async function restoreBackup(host: RemoteHost, path: string, backupPath: string, opts: { become?: boolean; signal?: AbortSignal } = {}): Promise<void> {
  checkPath(host, path);
  checkPath(host, backupPath);
  const script =
    sh`p=${path}; t=${tempPathFor(path)}; b=${backupPath}\n` +
    'umask 077\n' +
    TRAPS +
    `test -f "$b" || fail "backup $b does not exist"\n` +
    `test -L "$p" && fail "$p is a symbolic link"\n` +
    `cp -p "$b" "$t" || fail "cannot copy $b"\n` +
    `mv -f "$t" "$p" || fail "cannot rename $t to $p"\n` +
    `printf 'passthru-restored\\n'\n`;
  const r = await host.exec(script, execOpts(opts));
  if (r.exitCode !== 0 || !r.stdout.includes('passthru-restored')) {
    throw new HostError(host.name, `cannot restore ${path} from ${backupPath}: ${remoteError(r.stderr, r.exitCode)}`);
  }
}

function execOpts(opts: { become?: boolean | undefined; signal?: AbortSignal | undefined }): { become?: boolean; signal?: AbortSignal } {
  const o: { become?: boolean; signal?: AbortSignal } = {};
  if (opts.become !== undefined) o.become = opts.become;
  if (opts.signal !== undefined) o.signal = opts.signal;
  return o;
}

/** The remote side's complaint: our `passthru-error` line first, then the shell's own messages. */
function remoteError(stderr: string, exitCode: number): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const ours = lines.filter((l) => l.startsWith(ERR)).map((l) => l.slice(ERR.length));
  const theirs = lines.filter((l) => !l.startsWith(ERR));
  const parts = [...ours, ...theirs];
  return parts.length ? parts.join('; ') : `exit status ${exitCode}`;
}
