// `passthru lab up` / `passthru lab down`: the embedded lab as a background
// process. up spawns src/lab/embedded/daemon.ts detached and waits until it
// wrote <dir>/lab.json; down stops the pid in <dir>/lab.pid and waits until
// it is gone.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LabInfo } from './daemon.ts';

export const DEFAULT_LAB_DIR = '.lab';
/** how long up waits for the daemon (1000 hosts start in a few seconds) */
export const UP_TIMEOUT_MS = 120_000;
/** how long down waits after SIGTERM before SIGKILL */
export const DOWN_GRACE_MS = 10_000;

export interface LabUpOptions {
  computes?: number | undefined;
  dir?: string | undefined;
  rebootSeconds?: number | undefined;
  out: NodeJS.WritableStream;
}

export interface LabDownOptions {
  dir?: string | undefined;
  out: NodeJS.WritableStream;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Is `pid` our daemon (and not some other process that got its pid)? Where /proc exists, its command line says. */
function isLabDaemon(pid: number): boolean {
  if (!alive(pid)) return false;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes('daemon.ts');
  } catch {
    return !existsSync('/proc/self');
  }
}

function readPid(dir: string): number | undefined {
  try {
    const n = Number(readFileSync(join(dir, 'lab.pid'), 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

function readInfo(dir: string): LabInfo | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, 'lab.json'), 'utf8')) as LabInfo;
  } catch {
    return undefined;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * V8 limits for the lab process: small young-generation semispaces and an
 * old-space ceiling that grows with the lab keep a 1000-host lab under
 * 300 MB RSS under load (without them V8 lets garbage pile up to 500 MB).
 */
export function daemonNodeFlags(hosts: number): string[] {
  const oldSpaceMb = Math.max(384, Math.ceil(150 + hosts * 0.25));
  return ['--max-semi-space-size=1', `--max-old-space-size=${oldSpaceMb}`];
}

/** The command line of the lab process (what `lab up` runs, detached). */
export function daemonCommand(opts: { dir: string; computes?: number | undefined; rebootSeconds?: number | undefined }): { command: string; args: string[] } {
  const daemon = fileURLToPath(new URL('./daemon.ts', import.meta.url));
  // the default lab (mixedCluster) is small; --computes N means N + 1 hosts
  const hosts = (opts.computes ?? 12) + 1;
  const args = [...daemonNodeFlags(hosts), '--import', tsxLoader(), daemon, '--dir', opts.dir];
  if (opts.computes !== undefined) args.push('--computes', String(opts.computes));
  if (opts.rebootSeconds !== undefined) args.push('--reboot-seconds', String(opts.rebootSeconds));
  return { command: process.execPath, args };
}

function tsxLoader(): string {
  try {
    return import.meta.resolve('tsx');
  } catch {
    return 'tsx';
  }
}

function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel !== '' && !rel.startsWith('..') ? rel : path;
}

function describe(info: LabInfo, out: NodeJS.WritableStream): void {
  const roles = new Map<string, number>();
  for (const h of info.hosts) for (const r of h.roles) roles.set(r, (roles.get(r) ?? 0) + 1);
  const summary = [...roles].map(([r, n]) => `${n} ${r}`).join(', ');
  out.write(`lab up: ${info.hosts.length} simulated hosts (${summary}) on 127.0.0.1, pid ${info.pid}\n`);
  out.write(`  inventory:    ${shown(info.inventoryPath)}\n`);
  out.write(`  known_hosts:  ${shown(info.knownHostsPath)}\n`);
  out.write(`  identity:     ${shown(info.identityFile)}\n`);
  const first = info.hosts[0];
  if (first !== undefined) out.write(`  try:          ssh -i ${shown(info.identityFile)} -o UserKnownHostsFile=${shown(info.knownHostsPath)} -p ${first.port} root@127.0.0.1\n`);
  out.write(`  stop it with: passthru lab down${info.dir === resolve(DEFAULT_LAB_DIR) ? '' : ` --dir ${shown(info.dir)}`}\n`);
}

export async function labUp(opts: LabUpOptions): Promise<number> {
  const dir = resolve(opts.dir ?? DEFAULT_LAB_DIR);
  const out = opts.out;
  mkdirSync(dir, { recursive: true });
  const running = readPid(dir);
  if (running !== undefined && isLabDaemon(running)) {
    const info = readInfo(dir);
    out.write(`a lab is already running in ${shown(dir)} (pid ${running})\n`);
    if (info !== undefined) describe(info, out);
    out.write('  stop it first with: passthru lab down\n');
    return 1;
  }
  for (const f of ['lab.pid', 'lab.json', 'lab.error']) rmSync(join(dir, f), { force: true });

  const { command, args } = daemonCommand({ dir, computes: opts.computes, rebootSeconds: opts.rebootSeconds });
  const logPath = join(dir, 'lab.log');
  const log = openSync(logPath, 'w');
  let exited: number | null | undefined;
  const child = spawn(command, args, { detached: true, stdio: ['ignore', log, log], cwd: process.cwd() });
  closeSync(log);
  child.on('exit', (code, signal) => {
    exited = code ?? (signal === null ? 1 : 128);
  });
  child.on('error', () => {
    exited = 1;
  });
  child.unref();

  const deadline = Date.now() + UP_TIMEOUT_MS;
  for (;;) {
    const info = readInfo(dir);
    if (info !== undefined) {
      describe(info, out);
      return 0;
    }
    if (exited !== undefined) {
      const why = existsSync(join(dir, 'lab.error')) ? readFileSync(join(dir, 'lab.error'), 'utf8').trim() : `the lab process exited (status ${exited})`;
      out.write(`lab up failed: ${why}\n  log: ${shown(logPath)}\n`);
      return 1;
    }
    if (Date.now() > deadline) {
      if (child.pid !== undefined) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {
          // gone already
        }
      }
      out.write(`lab up failed: the lab did not start within ${UP_TIMEOUT_MS / 1000} s\n  log: ${shown(logPath)}\n`);
      return 1;
    }
    await sleep(50);
  }
}

export async function labDown(opts: LabDownOptions): Promise<number> {
  const dir = resolve(opts.dir ?? DEFAULT_LAB_DIR);
  const out = opts.out;
  const pid = readPid(dir);
  const cleanup = () => {
    for (const f of ['lab.pid', 'lab.json']) rmSync(join(dir, f), { force: true });
  };
  if (pid === undefined) {
    out.write(`no lab is running in ${shown(dir)} (no lab.pid)\n`);
    return 0;
  }
  if (!isLabDaemon(pid)) {
    cleanup();
    out.write(`no lab is running in ${shown(dir)} (pid ${pid} is gone); removed its stale files\n`);
    return 0;
  }
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + DOWN_GRACE_MS;
  while (alive(pid) && Date.now() < deadline) await sleep(50);
  if (alive(pid)) {
    process.kill(pid, 'SIGKILL');
    while (alive(pid)) await sleep(20);
  }
  cleanup();
  out.write(`lab down: stopped pid ${pid}\n`);
  return 0;
}
