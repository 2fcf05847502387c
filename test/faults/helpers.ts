// Shared by the fault tests: a real-sshd lab on this area's own addresses
// (127.0.50.x or 127.0.51.x, claimed with a lock file so that two fault test
// files running at once never share one), the CLI run as a child process the
// way an operator runs it, and small probes of the hosts' files.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HostSpec } from '@passthru/lab/types.ts';
import { realLabUnavailable, startRealLab, type RealLab } from '@passthru/lab/real/lab.ts';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = join(REPO, 'bin/passthru.js');

/** The address blocks this area may use. */
const BASES = ['127.0.50', '127.0.51'] as const;
const LOCK_DIR = '/tmp/passthru-lab-locks';

/** Why the real lab cannot run here (and the loud line is printed), or undefined. */
export function labUnavailable(file: string): string | undefined {
  const why = realLabUnavailable();
  if (why) process.stderr.write(`\n*** SKIPPED ${file}: needs the real-sshd lab: ${why} ***\n\n`);
  return why;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function tryLock(base: string): boolean {
  const file = `${LOCK_DIR}/${base}`;
  for (let i = 0; i < 2; i++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = Number(readFileSync(file, 'utf8').trim());
      if (owner > 0 && alive(owner)) return false;
      rmSync(file, { force: true });
    }
  }
  return false;
}

/** Claim 127.0.50 or 127.0.51 (waiting for one to be free). */
async function claimBase(): Promise<{ base: string; release: () => void }> {
  mkdirSync(LOCK_DIR, { recursive: true });
  const deadline = Date.now() + 180_000;
  for (;;) {
    for (const base of BASES) {
      if (tryLock(base)) {
        let released = false;
        const release = (): void => {
          if (released) return;
          released = true;
          rmSync(`${LOCK_DIR}/${base}`, { force: true });
        };
        process.once('exit', release);
        return { base, release };
      }
    }
    if (Date.now() > deadline) throw new Error(`fault tests: ${BASES.join(' and ')} stayed taken for 3 minutes`);
    await sleep(200);
  }
}

/** A real lab of `specs` on this area's addresses; `stop()` also frees the addresses. */
export async function startFaultLab(specs: HostSpec[], opts: { rebootSeconds?: number } = {}): Promise<RealLab> {
  const { base, release } = await claimBase();
  let lab: RealLab;
  try {
    lab = await startRealLab(specs, { base, rebootSeconds: opts.rebootSeconds ?? 0.5 });
  } catch (e) {
    release();
    throw e;
  }
  const stop = lab.stop.bind(lab);
  lab.stop = async () => {
    try {
      await stop();
    } finally {
      release();
    }
  };
  return lab;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Poll `cond` every 20 ms until it holds; throws with `what` after `timeoutMs`. */
export async function waitUntil(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** wall time from spawn to exit */
  ms: number;
}

export interface RunningCli {
  child: ChildProcess;
  /** what the CLI printed so far */
  output(): string;
  /** resolves when stdout+stderr so far match `re` */
  waitFor(re: RegExp, timeoutMs?: number): Promise<void>;
  result: Promise<CliResult>;
}

/** The environment the CLI runs in: no agent, no colors, a HOME without an ssh config. */
export function cliEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, NO_COLOR: '1', ...extra };
  delete env['SSH_AUTH_SOCK'];
  delete env['NODE_TEST_CONTEXT'];
  delete env['NODE_OPTIONS'];
  return env;
}

/** CLI children still running: killed when the test process exits (a test that failed half-way) */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of running) c.kill('SIGKILL');
});

/** `node bin/passthru.js ARGS` as a child process (asynchronously: the lab lives in this process's event loop). */
export function startCli(args: string[], opts: { env: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number }): RunningCli {
  const started = Date.now();
  const child = spawn(process.execPath, [CLI, ...args], { cwd: opts.cwd ?? REPO, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const watchers = new Set<() => void>();
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
    for (const w of [...watchers]) w();
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
    for (const w of [...watchers]) w();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
  running.add(child);
  const result = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
  const output = (): string => stdout + stderr;
  return {
    child,
    output,
    result,
    waitFor: (re, timeoutMs = 60_000) =>
      new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (re.test(output())) {
            watchers.delete(check);
            clearTimeout(t);
            resolve();
          }
        };
        const t = setTimeout(() => {
          watchers.delete(check);
          reject(new Error(`CLI output did not match ${re} within ${timeoutMs} ms:\n${output()}`));
        }, timeoutMs);
        watchers.add(check);
        void result.then(() => {
          if (watchers.has(check)) {
            watchers.delete(check);
            clearTimeout(t);
            if (re.test(output())) resolve();
            else reject(new Error(`CLI exited before its output matched ${re}:\n${output()}`));
          }
        });
        check();
      }),
  };
}

export function runCli(args: string[], opts: { env: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number }): Promise<CliResult> {
  return startCli(args, opts).result;
}

/** A scratch directory (removed by the returned function). */
export function scratch(prefix = 'passthru-faults-'): { dir: string; file(name: string, text: string | Buffer): string; remove(): void } {
  const dir = mkdtempSync(join('/tmp', prefix));
  return {
    dir,
    file: (name, text) => {
      const p = join(dir, name);
      writeFileSync(p, text);
      return p;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A copy of the lab's inventory with extra lines appended (host vars, group vars). */
export function labInventory(lab: RealLab, extra = ''): string {
  return readFileSync(lab.inventoryPath, 'utf8') + (extra ? `\n${extra}\n` : '');
}

export function sha256(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Temp files of an atomic write (`.NAME.passthru-RANDOM.tmp`) left in a host's directory. */
export function leftoverTempFiles(lab: RealLab, host: string, dir: string): string[] {
  const local = join(lab.host(host).rootDir, dir);
  return readdirSync(local).filter((f) => /^\..*\.passthru-[0-9a-f]+\.tmp$/.test(f));
}

/** A host's file, or undefined when it does not exist. */
export function hostFile(lab: RealLab, host: string, path: string): string | undefined {
  try {
    return lab.readFile(host, path);
  } catch {
    return undefined;
  }
}

/** The JSON report the CLI wrote with --json. */
export interface JsonReport {
  hosts: Record<string, { status: string; error?: string; steps: { name: string; play: string; status: string; changed: boolean; diff?: string; duration_ms: number; error?: string }[]; last_step?: { play: string; step: string; done: boolean } }>;
  summary: Record<string, number>;
  interrupted: boolean;
  failed_hosts: string[];
  unreachable_hosts: string[];
  limit_retry: string;
}

export function readReport(path: string): JsonReport {
  return JSON.parse(readFileSync(path, 'utf8')) as JsonReport;
}

/** No stack trace: no "    at fn (file:line:col)" frames and no "internal error". */
export function assertNoStack(text: string): void {
  if (/^\s+at .+:\d+:\d+\)?$/m.test(text) || /internal error/.test(text)) {
    throw new Error(`output has a stack trace or an internal error:\n${text}`);
  }
}

/**
 * Lab hook: on `host`, the transfer of new content for files named `basename`
 * stalls after 4 KiB (a `cat` in /usr/local/bin that, when it copies stdin into
 * such a temp file, stops after 4 KiB, touches /root/write-started and sleeps
 * `seconds`). Every other use of cat is untouched.
 */
export function slowTransfer(lab: RealLab, host: string, basename: string, seconds: number): void {
  const path = join(lab.host(host).rootDir, 'usr/local/bin/cat');
  writeFileSync(
    path,
    '#!/bin/sh\n# fault test hook: a slow transfer\n' +
      'if [ $# -eq 0 ]; then\n' +
      '  case "$(readlink /proc/$$/fd/1)" in\n' +
      `    */.${basename}.passthru-*) head -c 4096; touch /root/write-started; sleep ${seconds}; exec /usr/bin/cat;;\n` +
      '  esac\n' +
      'fi\n' +
      'exec /usr/bin/cat "$@"\n',
  );
  chmodSync(path, 0o755);
}

/**
 * The GPU playbook as shipped, without nova's own parser run on the hosts
 * (the playbook tests cover it; here it would only cost minutes on a busy
 * machine): what is tested is which units restart, and when.
 */
export function playbookWithoutNovaCheck(dir: string): string {
  const text = readFileSync(join(REPO, 'playbooks/pci-passthrough.yaml'), 'utf8');
  const edited = text.replace(/^( +)nova_pci:\n/m, (m, indent: string) => `${m}${indent}  nova_check: false\n`);
  if (edited === text) throw new Error('playbooks/pci-passthrough.yaml has no nova_pci step');
  const path = join(dir, 'pci-passthrough.yaml');
  writeFileSync(path, edited);
  return path;
}
