// An in-memory LabFs: files with owner/group/mode, and directories (which may
// be empty, as /sys/class/iommu/dmar0 is). Paths are absolute; parents are
// created implicitly on write, as the lab's tools expect.

import { posix } from 'node:path';
import type { FileMeta, LabFs } from './types.ts';

export const DEFAULT_META: FileMeta = { mode: 0o644, owner: 'root', group: 'root' };
const DIR_META: FileMeta = { mode: 0o755, owner: 'root', group: 'root' };

export function normalizePath(path: string): string {
  const p = posix.normalize(path.startsWith('/') ? path : `/${path}`);
  return p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
}

interface Entry {
  content: string;
  meta: FileMeta;
}

export class MemFs implements LabFs {
  private readonly files = new Map<string, Entry>();
  private readonly dirs = new Map<string, FileMeta>([['/', DIR_META]]);

  readFile(path: string): string | undefined {
    return this.files.get(normalizePath(path))?.content;
  }

  writeFile(path: string, content: string, meta?: Partial<FileMeta>): void {
    const p = normalizePath(path);
    if (this.dirs.has(p)) throw new Error(`EISDIR: illegal operation on a directory, open '${p}'`);
    this.mkdirp(posix.dirname(p));
    const old = this.files.get(p);
    this.files.set(p, { content, meta: { ...(old?.meta ?? DEFAULT_META), ...definedOnly(meta) } });
  }

  exists(path: string): boolean {
    const p = normalizePath(path);
    return this.files.has(p) || this.dirs.has(p);
  }

  isDirectory(path: string): boolean {
    return this.dirs.has(normalizePath(path));
  }

  readdir(path: string): string[] {
    const p = normalizePath(path);
    if (!this.dirs.has(p)) return [];
    const prefix = p === '/' ? '/' : `${p}/`;
    const names = new Set<string>();
    for (const key of [...this.files.keys(), ...this.dirs.keys()]) {
      if (key !== p && key.startsWith(prefix)) {
        const rest = key.slice(prefix.length);
        const name = rest.split('/')[0];
        if (name) names.add(name);
      }
    }
    return [...names].sort();
  }

  remove(path: string): void {
    const p = normalizePath(path);
    if (p === '/') return;
    const prefix = `${p}/`;
    this.files.delete(p);
    this.dirs.delete(p);
    for (const key of [...this.files.keys()]) if (key.startsWith(prefix)) this.files.delete(key);
    for (const key of [...this.dirs.keys()]) if (key.startsWith(prefix)) this.dirs.delete(key);
  }

  mkdirp(path: string): void {
    let p = normalizePath(path);
    const missing: string[] = [];
    while (!this.dirs.has(p)) {
      if (this.files.has(p)) throw new Error(`ENOTDIR: not a directory, mkdir '${p}'`);
      missing.push(p);
      p = posix.dirname(p);
    }
    for (const d of missing) this.dirs.set(d, { ...DIR_META });
  }

  /** Owner, group and mode of a file or directory (not part of LabFs). */
  stat(path: string): (FileMeta & { isDirectory: boolean }) | undefined {
    const p = normalizePath(path);
    const f = this.files.get(p);
    if (f) return { ...f.meta, isDirectory: false };
    const d = this.dirs.get(p);
    return d ? { ...d, isDirectory: true } : undefined;
  }

  /** Every file path, sorted (not part of LabFs). */
  listFiles(): string[] {
    return [...this.files.keys()].sort();
  }
}

function definedOnly(meta: Partial<FileMeta> | undefined): Partial<FileMeta> {
  const out: Partial<FileMeta> = {};
  if (meta?.mode !== undefined) out.mode = meta.mode;
  if (meta?.owner !== undefined) out.owner = meta.owner;
  if (meta?.group !== undefined) out.group = meta.group;
  return out;
}

/** Write every file of a rootfs (from buildRootfs) into fs, with its meta. */
export function loadRootfs(fs: LabFs, files: Map<string, { content: string; meta: FileMeta }>): void {
  for (const [path, f] of files) fs.writeFile(path, f.content, f.meta);
}
