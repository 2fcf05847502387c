// Run one command as a child process and measure it: wall clock, CPU seconds
// (user + sys of the command and every descendant it waited for, from bash's
// `times` builtin, exact), peak RSS of the command's main process (VmHWM from
// /proc/<pid>/status, polled) and, optionally, the peak of the summed RSS of
// its whole process tree (polled less often: Ansible's forks and ssh clients).
// Output goes to a log file. No extra package: bash and /proc.

import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';

export interface MeasureOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** stdout and stderr of the command */
  logPath: string;
  /** kill the command (its process group) after this long */
  timeoutMs?: number;
  /** also sample the summed RSS of the process tree (every 250 ms) */
  treeRss?: boolean;
  /** VmHWM poll interval (default 50 ms) */
  pollMs?: number;
}

export interface Measurement {
  argv: string[];
  wallS: number;
  /** user + sys CPU seconds of the command and its waited-for descendants */
  cpuS: number;
  userS: number;
  sysS: number;
  /** peak resident set of the main process, MB (VmHWM) */
  peakRssMB: number | undefined;
  /** peak of the summed RSS of the process tree, MB (sampled) */
  treePeakRssMB: number | undefined;
  exitCode: number;
  timedOut: boolean;
  logPath: string;
}

/** bash runs the command, then prints its children's CPU times (`times`, second line) to fd 3. */
const WRAPPER = '"$@"; rc=$?; times >&3; exit $rc';

/** `0m1.234s 0m0.056s` -> [1.234, 0.056] */
export function parseTimes(out: string): { userS: number; sysS: number } | undefined {
  const lines = out.trim().split('\n');
  const children = lines[1] ?? lines[0];
  if (!children) return undefined;
  const parts = [...children.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  if (parts.length !== 2) return undefined;
  return { userS: parts[0] ?? 0, sysS: parts[1] ?? 0 };
}

/** `VmHWM:    123456 kB` and friends, in kB. */
export function statusField(status: string, field: 'VmHWM' | 'VmRSS'): number | undefined {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return m ? Number(m[1]) : undefined;
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function childrenOf(pid: number): number[] {
  const t = read(`/proc/${pid}/task/${pid}/children`);
  return t ? t.trim().split(/\s+/).filter(Boolean).map(Number) : [];
}

function treeOf(pid: number, out: number[] = []): number[] {
  out.push(pid);
  for (const c of childrenOf(pid)) treeOf(c, out);
  return out;
}

/** Running measurements, so that an interrupted benchmark can stop them. */
const running = new Set<number>();

export function killRunning(): void {
  for (const pid of running) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

export function measure(argv: string[], opts: MeasureOptions): Promise<Measurement> {
  const log = openSync(opts.logPath, 'w');
  const start = performance.now();
  const child = spawn('bash', ['-c', WRAPPER, 'bench', ...argv], {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: ['ignore', log, log, 'pipe'],
    detached: true, // own process group: a timeout kills the whole tree
  });
  closeSync(log);
  const pid = child.pid;
  if (pid !== undefined) running.add(pid);
  let times = '';
  const fd3 = child.stdio[3];
  fd3?.on('data', (d: Buffer) => (times += d.toString()));

  let hwmKb = 0;
  let treeKb = 0;
  let mainPid: number | undefined;
  const poll = setInterval(() => {
    if (pid === undefined) return;
    mainPid ??= childrenOf(pid)[0];
    if (mainPid === undefined) return;
    const hwm = statusField(read(`/proc/${mainPid}/status`) ?? '', 'VmHWM');
    if (hwm !== undefined && hwm > hwmKb) hwmKb = hwm;
  }, opts.pollMs ?? 50);
  const treePoll = opts.treeRss
    ? setInterval(() => {
        if (pid === undefined) return;
        let sum = 0;
        for (const p of treeOf(pid).slice(1)) sum += statusField(read(`/proc/${p}/status`) ?? '', 'VmRSS') ?? 0;
        if (sum > treeKb) treeKb = sum;
      }, 250)
    : undefined;
  let timedOut = false;
  const timer =
    opts.timeoutMs !== undefined
      ? setTimeout(() => {
          timedOut = true;
          if (pid !== undefined) {
            try {
              process.kill(-pid, 'SIGKILL');
            } catch {
              // gone
            }
          }
        }, opts.timeoutMs)
      : undefined;

  return new Promise((resolve, reject) => {
    child.on('error', (e) => {
      clearInterval(poll);
      if (treePoll) clearInterval(treePoll);
      if (timer) clearTimeout(timer);
      if (pid !== undefined) running.delete(pid);
      reject(e);
    });
    child.on('close', (code, signal) => {
      const wallS = (performance.now() - start) / 1000;
      clearInterval(poll);
      if (treePoll) clearInterval(treePoll);
      if (timer) clearTimeout(timer);
      if (pid !== undefined) running.delete(pid);
      const t = parseTimes(times) ?? { userS: Number.NaN, sysS: Number.NaN };
      resolve({
        argv,
        wallS,
        cpuS: t.userS + t.sysS,
        userS: t.userS,
        sysS: t.sysS,
        peakRssMB: hwmKb > 0 ? hwmKb / 1024 : undefined,
        treePeakRssMB: treeKb > 0 ? treeKb / 1024 : undefined,
        exitCode: code ?? (signal ? 128 : 1),
        timedOut,
        logPath: opts.logPath,
      });
    });
  });
}
