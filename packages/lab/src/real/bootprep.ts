// The file work of a real-lab host's boot: /run and /dev rebuilt empty, the
// model's runtime files, the kernel's view of the boot (bootHost: command
// line, boot_id, IOMMU sysfs, dmesg, unit states) and the host's fstab. Pure
// file work on a host that is down (its disk is final once every process of
// its namespace is gone), so it runs in a worker thread (bootworker.ts) while
// the host is down, never on the lab's main thread; `prepareBoot` is also
// what the lab runs in-process when its model has no boot worker.
import { chmodSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HostSpec, LabFs } from '../types.ts';
import { parseGroup, parsePasswd } from './accounts.ts';
import {
  DEV_NODES,
  FRESH_TOPS,
  RUNTIME_TOPS,
  SYS_DIRS,
  makeDevSkeleton,
  pseudoFsBinds,
  topOf,
  writeModelFile,
  type Ids,
  type ModelFile,
} from './files.ts';
import { fstabLine } from './namespace.ts';
import { WriteBackFs } from './writeback-fs.ts';

/** What the boot of one host needs to know (structured-clonable: it is posted to the boot workers). */
export interface BootHostData {
  name: string;
  spec: HostSpec;
  /** the host's state directory (fstab, machine-dev, root/...) */
  stateDir: string;
  /** the host's root as the lab process reads it (/proc/<holder>/root/<stateDir>/root) */
  rootDir: string;
  overlayTops: string[];
  /** the model's entries under /run, /proc, /sys and /dev */
  runtimeFiles: Array<[string, ModelFile]>;
  /** the host's account files as the lab wrote them (owner names of the model's files) */
  passwd: string;
  group: string;
  /** the lab's tools dir, bound read-only at `toolsDirInHost` (tools.ts's TOOLS_DIR_IN_HOST) */
  toolsDir: string;
  toolsDirInHost: string;
}

/** What the boot does with the host model (src/lab/boot.ts, src/lab/nodefs.ts). */
export interface BootModel {
  bootHost(fs: LabFs, spec: HostSpec, bootId: string): unknown;
  makeFs(rootDir: string): LabFs;
}

export interface BootRequest {
  bootId: string;
  /** the host's first boot since the lab started: the model's /proc and /sys files are written too */
  first: boolean;
}

/** where the time of one boot's file work went (ms) */
export interface BootTimings {
  reset: number;
  bootHost: number;
  fstab: number;
}

/** The ids of the host's own accounts by name (the first entry of a name wins, as in labAccounts). */
export function idsOf(passwd: string, group: string): Ids {
  const users = new Map<string, number>();
  for (const u of parsePasswd(passwd)) if (!users.has(u.name)) users.set(u.name, u.uid);
  const groups = new Map<string, number>();
  for (const g of parseGroup(group)) if (!groups.has(g.name)) groups.set(g.name, g.gid);
  return { uid: (name) => users.get(name), gid: (name) => groups.get(name) };
}

/**
 * /run and /dev start empty, as tmpfs/devtmpfs do; /proc and /sys keep the
 * last boot's files (bootHost rewrites what a kernel shows, and falls back to
 * the previous command line when it finds no boot entry). The model's /proc
 * and /sys files are written at the first boot (they stay); its /run and /dev
 * ones at every boot.
 */
export function resetRuntime(host: BootHostData, ids: Ids, first: boolean): void {
  const root = host.rootDir;
  // (tmpfs mount points: emptied, not removed)
  for (const top of ['run', 'dev']) {
    const d = join(root, top);
    mkdirSync(d, { recursive: true });
    for (const name of readdirSync(d)) rmSync(join(d, name), { recursive: true, force: true });
  }
  mkdirSync(join(root, 'run/sshd'), { recursive: true, mode: 0o755 });
  mkdirSync(join(root, 'run/lab'), { recursive: true, mode: 0o755 });
  mkdirSync(join(root, 'run/lock'), { recursive: true });
  chmodSync(join(root, 'run/lock'), 0o1777);
  writeFileSync(join(root, 'run/utmp'), '', { mode: 0o664 });
  for (const d of SYS_DIRS) mkdirSync(join(root, d), { recursive: true });
  mkdirSync(join(root, 'proc/sys/kernel/random'), { recursive: true });
  makeDevSkeleton(join(root, 'dev'));
  const tops: readonly string[] = first ? RUNTIME_TOPS : ['run', 'dev'];
  for (const [path, file] of host.runtimeFiles) {
    if (tops.includes(topOf(path))) writeModelFile(root, path, file, ids);
  }
}

/** The host's bind mounts, mounted by its pid 1 (see SUPERVISOR_SCRIPT). */
export function hostFstab(host: BootHostData, ttyGid: number): string {
  const R = join(host.stateDir, 'root');
  const lines: string[] = [];
  const bind = (src: string, target: string, ro = false): void => {
    lines.push(fstabLine(src, target, 'none', ro ? 'bind,ro' : 'bind'));
  };
  // /dev: the host's own dir, with this machine's device nodes, pts and a fresh shm
  const machineDev = join(host.stateDir, 'machine-dev');
  lines.push(fstabLine('/dev', machineDev, 'none', 'rbind'));
  bind(join(R, 'dev'), '/dev');
  for (const node of DEV_NODES) bind(join(machineDev, node), `/dev/${node}`);
  // a devpts of its own (ptys for sshd and sudo's use_pty); /dev/ptmx is a link to pts/ptmx
  lines.push(fstabLine(`lab-${host.name}-pts`, '/dev/pts', 'devpts', `newinstance,ptmxmode=0666,mode=0620,gid=${ttyGid}`));
  lines.push(fstabLine(`lab-${host.name}-shm`, '/dev/shm', 'tmpfs', 'mode=1777,nosuid,nodev'));
  for (const top of host.overlayTops) bind(join(R, top), `/${top}`);
  for (const top of FRESH_TOPS) bind(join(R, top), `/${top}`);
  bind(host.toolsDir, host.toolsDirInHost, true);
  // (the host's /proc and /sys trees as the holder has them: tmpfs there)
  for (const p of pseudoFsBinds(join(host.rootDir, 'proc'), '/proc')) bind(join(R, p), p, true);
  for (const p of pseudoFsBinds(join(host.rootDir, 'sys'), '/sys', SYS_DIRS)) bind(join(R, p), p, true);
  return lines.join('\n') + '\n';
}

/** where the host's pid 1 finds its fstab */
export function fstabPath(host: Pick<BootHostData, 'stateDir'>): string {
  return join(host.stateDir, 'fstab');
}

/** Everything a boot writes before the host's namespace starts. */
export function prepareBoot(model: BootModel, host: BootHostData, req: BootRequest, ids = idsOf(host.passwd, host.group)): BootTimings {
  const t0 = performance.now();
  resetRuntime(host, ids, req.first);
  const t1 = performance.now();
  // the boot's files written once each (the journal is rewritten for every unit started)
  const fs = new WriteBackFs(model.makeFs(host.rootDir));
  try {
    model.bootHost(fs, host.spec, req.bootId);
  } catch (e) {
    try {
      fs.flush(); // what a failing boot wrote until then
    } catch {
      // the boot's own error is the one to report
    }
    throw e;
  }
  fs.flush();
  const t2 = performance.now();
  writeFileSync(fstabPath(host), hostFstab(host, ids.gid('tty') ?? 5));
  const t3 = performance.now();
  return { reset: t1 - t0, bootHost: t2 - t1, fstab: t3 - t2 };
}
