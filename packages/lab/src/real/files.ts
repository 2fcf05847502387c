// File plumbing of a real-lab host: where a host path lives on disk, writing
// the model's files with their owner and mode, the /proc and /sys bind list,
// and the sha256 of a host's files for "changed nothing" assertions.
import { createHash } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, posix } from 'node:path';

/**
 * Top-level dirs every host has of its own, as overlays over this machine's
 * (/usr too: nothing a host writes, through a symlink or not, reaches this machine).
 */
export const OVERLAY_TOPS = ['etc', 'var', 'usr'] as const;
/** Top-level dirs every host has of its own, fresh (nothing of this machine's). */
export const FRESH_TOPS = ['boot', 'root', 'home', 'run'] as const;
/** Runtime trees rebuilt at every boot. */
export const RUNTIME_TOPS = ['run', 'proc', 'sys', 'dev'] as const;
/** sysfs dirs always replaced by the host's own (empty when the model has nothing there). */
export const SYS_DIRS = ['/sys/firmware', '/sys/class/iommu', '/sys/kernel/iommu_groups', '/sys/bus/pci/devices'] as const;

export function topOf(path: string): string {
  return path.split('/')[1] ?? '';
}

/**
 * A host path with the machine's top-level symlinks resolved (merged /usr:
 * /lib -> usr/lib, /bin -> usr/bin, /sbin -> usr/sbin).
 */
export function canonicalPath(path: string): string {
  const p = posix.normalize(path);
  const top = topOf(p);
  try {
    if (top && lstatSync(`/${top}`).isSymbolicLink()) {
      const target = readlinkSync(`/${top}`);
      return posix.normalize(posix.join('/', target.startsWith('/') ? target : target, p.slice(top.length + 1)));
    }
  } catch {
    // no such top-level entry on this machine
  }
  return p;
}

export interface Ids {
  uid(name: string): number | undefined;
  gid(name: string): number | undefined;
}

export interface ModelFile {
  content: string;
  meta: { mode: number; owner: string; group: string };
}

/**
 * Write one model entry under `rootDir` with its mode and owner (names
 * resolved via the host's own accounts). A key ending in '/' is a directory.
 * A symlink in the way is replaced, never followed: this machine's
 * /etc/os-release is a link into /usr.
 */
export function writeModelFile(rootDir: string, path: string, file: ModelFile, ids: Ids): void {
  const isDir = path.endsWith('/');
  const full = join(rootDir, path);
  mkdirSync(dirname(full), { recursive: true, mode: 0o755 });
  try {
    const st = lstatSync(full);
    if (st.isSymbolicLink() || (isDir ? !st.isDirectory() : !st.isFile())) rmSync(full, { recursive: true, force: true });
  } catch {
    // new entry
  }
  if (isDir) mkdirSync(full, { recursive: true });
  else writeFileSync(full, file.content);
  chmodSync(full, file.meta.mode & 0o7777);
  chownSync(full, ids.uid(file.meta.owner) ?? 0, ids.gid(file.meta.group) ?? 0);
}

/** Device nodes of this machine every host gets (bound over files of its own /dev). */
export const DEV_NODES = ['null', 'zero', 'full', 'random', 'urandom', 'tty'] as const;

/**
 * The skeleton of a host's /dev (rebuilt at each boot): mount points for the
 * device nodes, pts and shm, and the usual symlinks. The model's entries
 * (/dev/kvm when the CPU can virtualise) are added by the caller.
 */
export function makeDevSkeleton(devDir: string): void {
  mkdirSync(devDir, { recursive: true, mode: 0o755 });
  for (const n of DEV_NODES) writeFileSync(join(devDir, n), '');
  for (const d of ['pts', 'shm']) mkdirSync(join(devDir, d), { recursive: true });
  const links: Array<[string, string]> = [
    ['fd', '/proc/self/fd'],
    ['stdin', '/proc/self/fd/0'],
    ['stdout', '/proc/self/fd/1'],
    ['stderr', '/proc/self/fd/2'],
    ['core', '/proc/kcore'],
    ['ptmx', 'pts/ptmx'],
  ];
  for (const [name, target] of links) symlinkSync(target, join(devDir, name));
}

/**
 * Every path (files and dirs, relative to `dir`, '/'-prefixed) under a
 * directory; below a dir `skip` says yes to, nothing (asked when the walk gets there).
 */
function walk(dir: string, prefix = '', skip?: (rel: string) => boolean): Array<{ rel: string; isDir: boolean }> {
  const out: Array<{ rel: string; isDir: boolean }> = [];
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries.sort()) {
    const full = join(dir, name);
    const rel = `${prefix}/${name}`;
    let st;
    try {
      st = lstatSync(full);
    } catch {
      continue;
    }
    out.push({ rel, isDir: st.isDirectory() });
    if (st.isDirectory() && !skip?.(rel)) out.push(...walk(full, rel, skip));
  }
  return out;
}

/**
 * Which paths of the host's /proc or /sys tree (at `hostTree`, e.g.
 * <root>/sys) to bind over the machine's (`top` = '/proc' or '/sys').
 *  - `forcedDirs` are always bound as whole dirs.
 *  - A file the machine also has is bound file over file.
 *  - A path the machine lacks (e.g. /sys/firmware/efi) makes its parent dir
 *    bound whole (sysfs cannot create entries); under /proc it is skipped.
 * Returned parents first, so mounting in order works.
 */
export function pseudoFsBinds(hostTree: string, top: '/proc' | '/sys', forcedDirs: readonly string[] = []): string[] {
  const binds = new Set<string>(forcedDirs);
  const covered = (p: string): boolean => [...binds].some((b) => p === b || p.startsWith(`${b}/`));
  // what is covered stays covered (a bind is only dropped for a parent of it),
  // so the walk does not descend into a covered dir
  for (const { rel, isDir } of walk(hostTree, '', (r) => covered(`${top}${r}`))) {
    const p = `${top}${rel}`;
    if (covered(p)) continue;
    if (existsSync(p)) {
      if (!isDir) binds.add(p);
      continue;
    }
    if (top === '/sys') {
      const parent = posix.dirname(p);
      if (parent !== top) {
        for (const b of [...binds]) if (b.startsWith(`${parent}/`)) binds.delete(b);
        binds.add(parent);
      }
    }
  }
  return [...binds].sort((a, b) => a.split('/').length - b.split('/').length || a.localeCompare(b));
}

export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

export interface HashView {
  /** where a host path is read (through the holder's namespace) */
  hostPath(path: string): string;
  /** the overlay upper file of a host path, when the path lies in an overlay top */
  upperPath(path: string): string | undefined;
  /** cache of this machine's file hashes (files the host has not touched) */
  lowerCache: Map<string, string>;
}

/**
 * sha256 of every regular file under `paths` of a host. Files the host never
 * changed come from this machine's tree; their hashes are cached per lab.
 */
export function hostFileHashes(view: HashView, paths: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const base of paths) {
    const start = view.hostPath(base);
    let st;
    try {
      st = lstatSync(start);
    } catch {
      continue;
    }
    const files = st.isDirectory()
      ? walk(start).filter((e) => !e.isDir).map((e) => posix.join(base, e.rel))
      : st.isFile()
        ? [base]
        : [];
    for (const path of files) {
      const full = view.hostPath(path);
      try {
        if (!lstatSync(full).isFile()) continue;
        const upper = view.upperPath(path);
        if (upper !== undefined && !existsSync(upper)) {
          let h = view.lowerCache.get(path);
          if (h === undefined) {
            h = sha256File(full);
            view.lowerCache.set(path, h);
          }
          out[path] = h;
        } else {
          out[path] = sha256File(full);
        }
      } catch {
        // vanished while walking
      }
    }
  }
  return out;
}
