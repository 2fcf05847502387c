// Which nova check a unit start runs: nova's own code (nova_check.py under
// /usr/bin/python3) when the tools run over real files (NodeFs) and python3
// can import nova; otherwise the lab's JS model of the same checks.
//
// nova's code is asked through one long-lived checker per process (the real
// lab's tool worker thread, or a tool run as its own node process), started
// on the first check or earlier with warmNovaChecker(); answers are
// memoized by release, service and the path and exact bytes of every config
// file, in order, so the same files checked again (on the same host or on
// another one) cost nothing.

import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { HostSpec, LabFs } from '../types.ts';
import type { NovaService } from '../distro.ts';
import { checkNovaService, novaConfigFiles, type NovaCheckFailure } from '../novacheck.ts';
import { NodeFs } from '../nodefs.ts';
import { NovaChecker, type NovaCheckAnswer } from './nova-checker.ts';

/** nova_check.py beside this module (bundled elsewhere, e.g. the real lab's tool worker, set it with configureNovaChecker) */
export const NOVA_CHECK_PY = fileURLToPath(new URL('./nova_check.py', import.meta.url));
export const SYSTEM_PYTHON = '/usr/bin/python3';
const ENV = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8' };

/** One check with the script's one-shot mode (one python3 and one nova import per call): the reference the checker answers as. */
export function runNovaCheckPy(files: string[], release: string, service: NovaService, script = NOVA_CHECK_PY): Promise<NovaCheckAnswer> {
  const args = [script, '--release', release, '--service', service];
  for (const f of files) args.push('--config-file', f);
  return new Promise((resolve) => {
    execFile(SYSTEM_PYTHON, args, { timeout: 60_000, env: ENV }, (err, stdout) => {
      const line = stdout.trim().split('\n').pop() ?? '';
      try {
        const r = JSON.parse(line) as { ok: boolean; exception?: string; message?: string };
        if (r.ok) resolve(undefined);
        else resolve({ exception: r.exception ?? 'Exception', message: r.message ?? '' });
      } catch {
        void err;
        resolve('unavailable');
      }
    });
  });
}

// -- this process's checker ------------------------------------------------------

let settings: { python: string; script: string; onSpawn?: (pid: number) => void } = { python: SYSTEM_PYTHON, script: NOVA_CHECK_PY };
let checker: NovaChecker | undefined;

/** Where nova_check.py (and python3) are, and who hears of each checker process started; before the first check. */
export function configureNovaChecker(opts: { python?: string; script?: string; onSpawn?: (pid: number) => void }): void {
  settings = { ...settings, ...opts };
}

/** This process's checker (created, not started, on first use). */
export function novaChecker(): NovaChecker {
  checker ??= new NovaChecker({ python: settings.python, script: settings.script, ...(settings.onSpawn ? { onSpawn: settings.onSpawn } : {}) });
  return checker;
}

/**
 * Start the checker now (nova's import, ~1 s of CPU, then happens before the
 * first unit start rather than during it); resolves once it can answer:
 * false when nova's code will not be used (python3-nova missing, or
 * PASSTHRU_LAB_JS_NOVA_CHECK=1).
 */
export function warmNovaChecker(): Promise<boolean> {
  if (process.env.PASSTHRU_LAB_JS_NOVA_CHECK === '1') return Promise.resolve(false);
  return novaChecker().warm();
}

/** Kill the checker process (resolves once it is gone); later checks use the JS model. */
export function closeNovaChecker(): Promise<void> {
  return checker?.close() ?? Promise.resolve();
}

// -- memo ------------------------------------------------------------------------

const MEMO_MAX = 1000;
/** answers (paths as the host sees them) by release, service, and each file's path and bytes */
const memo = new Map<string, Promise<NovaCheckAnswer>>();

function memoKey(release: string, service: string, files: ReadonlyArray<{ path: string; bytes: Buffer }>): string {
  const h = createHash('sha256');
  h.update(JSON.stringify([release, service, files.length]));
  for (const f of files) {
    h.update(`\0${f.path}\0${f.bytes.length}\0`);
    h.update(f.bytes);
  }
  return h.digest('hex');
}

function readAll(fs: NodeFs, paths: readonly string[]): Buffer[] | undefined {
  const out: Buffer[] = [];
  for (const p of paths) {
    try {
      out.push(readFileSync(fs.real(p)));
    } catch {
      return undefined; // not a readable file: nova says what it says, uncached
    }
  }
  return out;
}

function sameBytes(a: readonly Buffer[] | undefined, b: readonly Buffer[]): boolean {
  return a !== undefined && a.length === b.length && a.every((x, i) => x.equals(b[i] ?? Buffer.alloc(0)));
}

/** Ask nova's code (through the memo); 'unavailable' when it cannot answer. */
function askNova(fs: NodeFs, release: string, service: NovaService, paths: string[]): Promise<NovaCheckAnswer> {
  const ask = (): Promise<NovaCheckAnswer> =>
    novaChecker()
      .check(release, service, paths.map((f) => fs.real(f)))
      .then((r) => (r === undefined || r === 'unavailable' ? r : { ...r, message: unprefix(r.message, fs) }));
  const bytes = readAll(fs, paths);
  if (!bytes) return ask();
  const key = memoKey(release, service, paths.map((path, i) => ({ path, bytes: bytes[i] ?? Buffer.alloc(0) })));
  const known = memo.get(key);
  if (known) return known;
  const p = ask();
  memo.set(key, p);
  if (memo.size > MEMO_MAX) memo.delete(memo.keys().next().value ?? key);
  void p.then((r) => {
    // not kept: no answer, or a file changed while nova read it
    if (r === 'unavailable' || !sameBytes(readAll(fs, paths), bytes)) memo.delete(key);
  });
  return p;
}

/** check a nova service's configuration as the service would at start */
export async function checkNova(fs: LabFs, spec: HostSpec, service: NovaService): Promise<NovaCheckFailure | undefined> {
  if (fs instanceof NodeFs && process.env.PASSTHRU_LAB_JS_NOVA_CHECK !== '1') {
    const files = novaConfigFiles(fs, spec, service).filter((f) => fs.exists(f));
    const r = await askNova(fs, spec.nova?.release ?? 'zed', service, files);
    if (r !== 'unavailable') return r === undefined ? undefined : { ...r };
  }
  return checkNovaService(fs, spec, service);
}

/** nova quotes the real file path; show the lab path */
function unprefix(message: string, fs: NodeFs): string {
  return fs.root ? message.split(fs.root).join('') : message;
}
