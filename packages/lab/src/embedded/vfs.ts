// One store of files per simulated host, with owner/group/mode on every
// entry. Two faces over the same store:
//  - HostStore itself implements LabFs (synchronous, unrestricted: what the
//    host model's tools and boot code use);
//  - ShellFs is the shell's and the commands' file system for one running command, as
//    the user that command runs as (permission checks for non-root users,
//    new files owned by that user, umask applied).
import type { FileMeta, LabFs } from '../types.ts';
import type { Cred } from './users.ts';

export type Content = string | Uint8Array;

interface NodeBase {
  mode: number;
  owner: string;
  group: string;
  /** seconds since 2020-01-01 (a small integer: V8 keeps it unboxed) */
  mtime: number;
  ino: number;
}

const EPOCH_S = 1577836800;

/** Now, in the unit of FsNode.mtime. */
export function nowMtime(): number {
  return Math.floor(Date.now() / 1000) - EPOCH_S;
}

export function mtimeToDate(mtime: number): Date {
  return new Date((mtime + EPOCH_S) * 1000);
}

export function dateToMtime(d: Date): number {
  return Math.floor(d.getTime() / 1000) - EPOCH_S;
}

/**
 * Nodes shared by several hosts (identical rootfs files): never changed in
 * place; HostStore.mutable() gives a host its own copy first.
 */
const SHARED = new WeakSet<object>();

/** Rootfs nodes of identical hosts, shared while a cluster is built. */
export class NodePool {
  private byPath = new Map<string, FsNode[]>();

  private find(path: string, same: (n: FsNode) => boolean, make: () => FsNode): FsNode {
    let list = this.byPath.get(path);
    if (list === undefined) {
      list = [];
      this.byPath.set(path, list);
    }
    const found = list.find(same);
    if (found !== undefined) return found;
    const n = make();
    SHARED.add(n);
    list.push(n);
    return n;
  }

  file(path: string, content: string, meta: FileMeta, mtime: number): FsNode {
    return this.find(
      path,
      (n) => n.type === 'file' && n.content === content && n.mode === meta.mode && n.owner === meta.owner && n.group === meta.group && n.mtime === mtime,
      () => ({ type: 'file', content, mode: meta.mode, owner: meta.owner, group: meta.group, mtime, ino: nextIno++ }),
    );
  }

  dir(path: string, meta: FileMeta, mtime: number): FsNode {
    return this.find(
      path,
      (n) => n.type === 'dir' && n.mode === meta.mode && n.owner === meta.owner && n.group === meta.group && n.mtime === mtime,
      () => ({ type: 'dir', mode: meta.mode, owner: meta.owner, group: meta.group, mtime, ino: nextIno++ }),
    );
  }
}

const ROOT_DIR_META: FileMeta = { mode: 0o755, owner: 'root', group: 'root' };
export interface FileNode extends NodeBase {
  type: 'file';
  content: Content;
}
export interface DirNode extends NodeBase {
  type: 'dir';
}
export interface LinkNode extends NodeBase {
  type: 'symlink';
  target: string;
}
export type FsNode = FileNode | DirNode | LinkNode;

const DESCRIPTIONS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EEXIST: 'file already exists',
  EISDIR: 'illegal operation on a directory',
  ENOTDIR: 'not a directory',
  ENOTEMPTY: 'directory not empty',
  ELOOP: 'too many levels of symbolic links',
  EINVAL: 'invalid argument',
};

/** Errors shaped like Node's (`ENOENT: no such file or directory, open '/x'`), with the code the commands report. */
export class FsError extends Error {
  readonly code: string;
  constructor(code: string, op: string, path: string) {
    super(`${code}: ${DESCRIPTIONS[code] ?? code}, ${op} '${path}'`);
    this.code = code;
  }
}

/** A FsError without a stack trace: they are thrown by the thousand (every failed lookup) and never shown. */
export function fsError(code: string, op: string, path: string): FsError {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new FsError(code, op, path);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

let nextIno = 2;

export function normalizePath(path: string): string {
  if (!path.startsWith('/')) path = `/${path}`;
  if (!path.includes('/.') && !path.includes('//') && !(path.endsWith('/') && path.length > 1)) return path;
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return `/${out.join('/')}`;
}

export function dirnameOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

export function basenameOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function joinPath(dir: string, name: string): string {
  return dir === '/' ? `/${name}` : `${dir}/${name}`;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

export function contentText(c: Content): string {
  return typeof c === 'string' ? c : Buffer.from(c.buffer, c.byteOffset, c.byteLength).toString('utf8');
}

export function contentBytes(c: Content): Uint8Array {
  return typeof c === 'string' ? encoder.encode(c) : c;
}

export function contentSize(c: Content): number {
  return typeof c === 'string' ? Buffer.byteLength(c, 'utf8') : c.byteLength;
}

/** Keep text as a JS string (what LabFs readers want), bytes that are not UTF-8 as bytes. */
export function toContent(data: string | Uint8Array, encoding?: string | null): Content {
  if (typeof data === 'string') {
    if (encoding === undefined || encoding === null || encoding === 'utf8' || encoding === 'utf-8') return data;
    if (encoding === 'binary' || encoding === 'latin1' || encoding === 'ascii') {
      // fast path: pure ASCII is the same in every encoding
      if (!/[^\x00-\x7f]/.test(data)) return data;
      return fromBytes(Buffer.from(data, 'latin1'));
    }
    return fromBytes(Buffer.from(data, encoding as BufferEncoding));
  }
  return fromBytes(data);
}

function fromBytes(bytes: Uint8Array): Content {
  try {
    return utf8.decode(bytes);
  } catch {
    return new Uint8Array(bytes);
  }
}

function concatContent(a: Content, b: Content): Content {
  if (typeof a === 'string' && typeof b === 'string') return a + b;
  const x = contentBytes(a);
  const y = contentBytes(b);
  const out = new Uint8Array(x.byteLength + y.byteLength);
  out.set(x, 0);
  out.set(y, x.byteLength);
  return fromBytes(out);
}

export interface RootfsEntry {
  content: string;
  meta: FileMeta;
}

export const DEVICES = new Set(['/dev/null', '/dev/zero', '/dev/stdin', '/dev/stdout', '/dev/stderr', '/dev/tty', '/dev/random', '/dev/urandom', '/dev/full']);
const BIN_DIRS = new Set(['/usr/bin', '/bin']);

/** The files of one host. Implements LabFs for the model's tools and boot code. */
export class HostStore implements LabFs {
  private nodes = new Map<string, FsNode>();
  /** symbolic links in the store (none: paths resolve without a walk) */
  private symlinks = 0;
  /** directory -> names in it (readdir without scanning every path) */
  private children = new Map<string, Set<string>>();
  /** commands the shell of this host knows; shown as executables in /usr/bin and /bin */
  binNames: ReadonlySet<string> = new Set();
  /** bumped on every change of /etc/passwd or /etc/group (user database cache) */
  generation = 0;
  /** while set (building a cluster), paths and contents are interned and rootfs nodes shared */
  sharing: { intern: (s: string) => string; pool: NodePool } | undefined;

  constructor(now: number = nowMtime()) {
    this.nodes.set('/', { type: 'dir', mode: 0o755, owner: 'root', group: 'root', mtime: now, ino: 1 });
  }

  /** The node at `resolved`, this host's own copy (a shared rootfs node is copied first). */
  mutable(resolved: string): FsNode | undefined {
    const node = this.nodes.get(resolved);
    if (node === undefined || !SHARED.has(node)) return node;
    const copy = { ...node };
    this.nodes.set(resolved, copy);
    return copy;
  }

  private put(path: string, node: FsNode): void {
    const intern = this.sharing?.intern;
    if (intern !== undefined) path = intern(path);
    const old = this.nodes.get(path);
    if (old?.type === 'symlink') this.symlinks--;
    if (node.type === 'symlink') this.symlinks++;
    if (old === undefined && path !== '/') {
      const dir = dirnameOf(path);
      let names = this.children.get(dir);
      if (names === undefined) {
        names = new Set();
        this.children.set(dir, names);
      }
      const name = path.slice(dir === '/' ? 1 : dir.length + 1);
      names.add(intern === undefined ? name : intern(name));
    }
    this.nodes.set(path, node);
  }

  private drop(path: string): void {
    const old = this.nodes.get(path);
    if (old === undefined) return;
    if (old.type === 'symlink') this.symlinks--;
    this.nodes.delete(path);
    const dir = dirnameOf(path);
    const names = this.children.get(dir);
    if (names !== undefined) {
      names.delete(path.slice(dir === '/' ? 1 : dir.length + 1));
      if (names.size === 0) this.children.delete(dir);
    }
  }

  /** Every path strictly below `dir`, parents before children. */
  descendants(dir: string): string[] {
    const out: string[] = [];
    const visit = (d: string) => {
      const names = this.children.get(d);
      if (names === undefined) return;
      for (const name of names) {
        const p = joinPath(d, name);
        out.push(p);
        if (this.nodes.get(p)?.type === 'dir') visit(p);
      }
    };
    visit(dir);
    return out;
  }

  /** Bulk load (rootfs). While `sharing` is set, identical hosts share paths, contents and nodes. */
  load(files: Iterable<[string, RootfsEntry]>, now: number = nowMtime()): void {
    const intern = this.sharing?.intern ?? ((x: string) => x);
    const pool = this.sharing?.pool;
    for (const [rawPath, entry] of files) {
      const path = intern(normalizePath(rawPath));
      this.mkdirpRaw(dirnameOf(path), now);
      const existing = this.nodes.get(path);
      if (rawPath.endsWith('/') && existing === undefined) {
        // "dir/" keys are directories (possibly empty)
        this.put(path, pool?.dir(path, entry.meta, now) ?? { type: 'dir', mode: entry.meta.mode, owner: entry.meta.owner, group: entry.meta.group, mtime: now, ino: nextIno++ });
        continue;
      }
      if (existing?.type === 'dir') {
        const own = this.mutable(path) as FsNode;
        own.mode = entry.meta.mode;
        own.owner = entry.meta.owner;
        own.group = entry.meta.group;
        continue;
      }
      const content = intern(entry.content);
      this.put(
        path,
        pool?.file(path, content, entry.meta, now) ?? { type: 'file', content, mode: entry.meta.mode, owner: entry.meta.owner, group: entry.meta.group, mtime: now, ino: nextIno++ },
      );
    }
  }

  // ---- resolution -------------------------------------------------------

  /**
   * Resolve symbolic links in `path` (every component, and the last one when
   * `followLast`). Components that do not exist are kept as they are.
   * `check` is called for each directory searched (permission checks).
   */
  resolve(path: string, followLast = true, check?: (dirPath: string, dir: FsNode) => void): string {
    if (this.symlinks === 0 && check === undefined) return normalizePath(path);
    let parts = normalizePath(path).split('/').filter((p) => p !== '');
    let cur = '/';
    let hops = 0;
    for (let i = 0; i < parts.length; i++) {
      const dir = this.nodes.get(cur);
      if (dir !== undefined && check !== undefined) check(cur, dir);
      const next = joinPath(cur, parts[i] as string);
      const node = this.nodes.get(next);
      const last = i === parts.length - 1;
      if (node?.type === 'symlink' && (!last || followLast)) {
        if (++hops > 40) throw fsError('ELOOP', 'open', path);
        const target = node.target.startsWith('/') ? node.target : joinPath(cur, node.target);
        const rest = parts.slice(i + 1);
        parts = [...normalizePath(target).split('/').filter((p) => p !== ''), ...rest];
        cur = '/';
        i = -1;
        continue;
      }
      cur = next;
    }
    return cur;
  }

  /** The node at an already resolved path. */
  get(resolved: string): FsNode | undefined {
    return this.nodes.get(resolved);
  }

  node(path: string, followLast = true): FsNode | undefined {
    try {
      return this.nodes.get(this.resolve(path, followLast));
    } catch {
      return undefined;
    }
  }

  set(resolved: string, node: FsNode): void {
    this.put(resolved, node);
    if (resolved === '/etc/passwd' || resolved === '/etc/group') this.generation++;
  }

  /** Delete a path and everything below it. */
  deleteTree(resolved: string): void {
    const node = this.nodes.get(resolved);
    if (node === undefined) return;
    if (node.type === 'dir') for (const p of this.descendants(resolved).reverse()) this.drop(p);
    if (resolved !== '/') this.drop(resolved);
    if (resolved === '/etc/passwd' || resolved === '/etc/group' || resolved === '/etc') this.generation++;
  }

  /** Move a path (and everything below it) to another path, keeping the nodes (metas, inode numbers). */
  moveTree(from: string, to: string): void {
    const node = this.nodes.get(from);
    if (node === undefined) return;
    this.deleteTree(to);
    const moves: Array<[string, FsNode]> = [[to, node]];
    const old = node.type === 'dir' ? this.descendants(from) : [];
    for (const p of old) moves.push([to + p.slice(from.length), this.nodes.get(p) as FsNode]);
    for (const p of old.reverse()) this.drop(p);
    this.drop(from);
    for (const [key, n] of moves) this.put(key, n);
    this.generation++;
  }

  /** Names in a directory (resolved path), sorted. */
  childNames(resolved: string): string[] {
    const names = this.children.get(resolved);
    return names === undefined ? [] : [...names].sort();
  }

  allPaths(): string[] {
    return [...this.nodes.keys()];
  }

  /** Virtual executables: the shell's commands in /usr/bin and /bin. */
  isVirtualBin(resolved: string): boolean {
    return BIN_DIRS.has(dirnameOf(resolved)) && this.binNames.has(basenameOf(resolved)) && !this.nodes.has(resolved);
  }

  private mkdirpRaw(resolved: string, now: number): void {
    if (this.nodes.has(resolved)) return;
    this.mkdirpRaw(dirnameOf(resolved), now);
    const pool = this.sharing?.pool;
    this.put(resolved, pool?.dir(resolved, ROOT_DIR_META, now) ?? { type: 'dir', mode: 0o755, owner: 'root', group: 'root', mtime: now, ino: nextIno++ });
  }

  newIno(): number {
    return nextIno++;
  }

  // ---- LabFs --------------------------------------------------------------

  readFile(path: string): string | undefined {
    const n = this.node(path);
    return n?.type === 'file' ? contentText(n.content) : undefined;
  }

  writeFile(path: string, content: string, meta?: Partial<FileMeta>): void {
    const resolved = this.resolve(path);
    const now = nowMtime();
    this.mkdirpRaw(dirnameOf(resolved), now);
    const existing = this.nodes.get(resolved)?.type === 'file' ? this.mutable(resolved) : this.nodes.get(resolved);
    if (existing?.type === 'file') {
      existing.content = this.sharing === undefined ? content : this.sharing.intern(content);
      existing.mtime = now;
      if (meta?.mode !== undefined) existing.mode = meta.mode;
      if (meta?.owner !== undefined) existing.owner = meta.owner;
      if (meta?.group !== undefined) existing.group = meta.group;
      if (resolved === '/etc/passwd' || resolved === '/etc/group') this.generation++;
      return;
    }
    if (existing?.type === 'dir') throw fsError('EISDIR', 'open', path);
    if (this.sharing !== undefined) {
      const full = { mode: meta?.mode ?? 0o644, owner: meta?.owner ?? 'root', group: meta?.group ?? 'root' };
      this.set(resolved, this.sharing.pool.file(this.sharing.intern(resolved), this.sharing.intern(content), full, now));
      return;
    }
    this.set(resolved, {
      type: 'file',
      content,
      mode: meta?.mode ?? 0o644,
      owner: meta?.owner ?? 'root',
      group: meta?.group ?? 'root',
      mtime: now,
      ino: nextIno++,
    });
  }

  exists(path: string): boolean {
    return this.node(path) !== undefined;
  }

  isDirectory(path: string): boolean {
    return this.node(path)?.type === 'dir';
  }

  readdir(path: string): string[] {
    let resolved: string;
    try {
      resolved = this.resolve(path);
    } catch {
      return [];
    }
    if (this.nodes.get(resolved)?.type !== 'dir') return [];
    return this.childNames(resolved);
  }

  remove(path: string): void {
    let resolved: string;
    try {
      resolved = this.resolve(path, false);
    } catch {
      return;
    }
    this.deleteTree(resolved);
  }

  mkdirp(path: string): void {
    const resolved = this.resolve(path);
    const n = this.nodes.get(resolved);
    if (n !== undefined && n.type !== 'dir') throw fsError('EEXIST', 'mkdir', path);
    this.mkdirpRaw(resolved, nowMtime());
  }

  // ---- metas ------------------------------------------------------------------

  meta(path: string): FileMeta | undefined {
    const n = this.node(path);
    return n === undefined ? undefined : { mode: n.mode, owner: n.owner, group: n.group };
  }

  setMeta(path: string, meta: Partial<FileMeta>): void {
    const n = this.mutable(this.resolve(path));
    if (n === undefined) throw fsError('ENOENT', 'chown', path);
    if (meta.mode !== undefined) n.mode = meta.mode;
    if (meta.owner !== undefined) n.owner = meta.owner;
    if (meta.group !== undefined) n.group = meta.group;
  }

  /** Number of entries (for measurements). */
  get size(): number {
    return this.nodes.size;
  }
}

// ---- the shell's view ------------------------------------------------------------

/** Who a command runs as, and its umask; shared (and changed by sudo) within one command. */
export interface ProcIdentity {
  cred: Cred;
  umask: number;
}

export interface FsStatLike {
  isFile: boolean;
  isDirectory: boolean;
  isSymbolicLink: boolean;
  mode: number;
  size: number;
  mtime: Date;
  ino: number;
  identity: string;
}

export interface DirentLike {
  name: string;
  isFile: boolean;
  isDirectory: boolean;
  isSymbolicLink: boolean;
}

const R = 4;
const W = 2;
const X = 1;

export function permits(node: { mode: number; owner: string; group: string }, cred: Cred, bits: number): boolean {
  if (cred.uid === 0) {
    // root may read and write anything; execute needs at least one x bit (or a directory)
    if ((bits & X) === 0) return true;
    return (node.mode & 0o111) !== 0;
  }
  let granted: number;
  if (node.owner === cred.user) granted = (node.mode >> 6) & 7;
  else if (cred.groups.includes(node.group)) granted = (node.mode >> 3) & 7;
  else granted = node.mode & 7;
  return (granted & bits) === bits;
}

const VIRTUAL_BIN_TEXT = '#!/bin/sh\n# a command of the simulated shell\n';

/**
 * The file system of one command line over a HostStore, as one user (the
 * shape of just-bash's public IFileSystem, which its command types name).
 */
export class ShellFs {
  constructor(
    readonly store: HostStore,
    readonly proc: ProcIdentity,
  ) {}

  private get cred(): Cred {
    return this.proc.cred;
  }

  /** Resolve with search (x) permission checks on every directory walked. */
  private walk(path: string, op: string, followLast = true): string {
    const cred = this.cred;
    const check =
      cred.uid === 0
        ? undefined
        : (_dir: string, node: FsNode) => {
            if (node.type === 'dir' && !permits(node, cred, X)) throw fsError('EACCES', op, path);
          };
    return this.store.resolve(path, followLast, check);
  }

  private requireParentWritable(resolved: string, op: string, path: string): void {
    if (this.cred.uid === 0) return;
    const parent = this.store.get(dirnameOf(resolved));
    if (parent !== undefined && !permits(parent, this.cred, W | X)) throw fsError('EACCES', op, path);
  }

  private fileNode(path: string, op: string, bits: number): FileNode {
    const resolved = this.walk(path, op);
    const node = this.store.get(resolved);
    if (node === undefined) {
      if (DEVICES.has(resolved)) return devNull();
      if (this.store.isVirtualBin(resolved)) return virtualBin();
      throw fsError('ENOENT', op, path);
    }
    if (node.type === 'dir') throw fsError('EISDIR', op === 'open' ? 'read' : op, path);
    if (node.type !== 'file') throw fsError('ENOENT', op, path);
    if (!permits(node, this.cred, bits)) throw fsError('EACCES', op, path);
    return node;
  }

  async readFile(path: string, options?: { encoding?: string | null } | string): Promise<string> {
    const node = this.fileNode(path, 'open', R);
    const encoding = typeof options === 'string' ? options : options?.encoding;
    if (encoding === 'binary' || encoding === 'latin1') return Buffer.from(contentBytes(node.content)).toString('latin1');
    return contentText(node.content);
  }

  async readFileBytes(path: string): Promise<never> {
    const node = this.fileNode(path, 'open', R);
    return Buffer.from(contentBytes(node.content)).toString('latin1') as never;
  }

  async readFileBuffer(path: string): Promise<Uint8Array> {
    const node = this.fileNode(path, 'open', R);
    return new Uint8Array(contentBytes(node.content));
  }

  private write(path: string, data: string | Uint8Array, options: { encoding?: string } | string | undefined, append: boolean): void {
    const encoding = typeof options === 'string' ? options : options?.encoding;
    const content = toContent(data, encoding);
    const resolved = this.walk(path, 'open');
    if (DEVICES.has(resolved) && this.store.get(resolved) === undefined) return;
    const existing = this.store.get(resolved);
    if (existing?.type === 'dir') throw fsError('EISDIR', 'open', path);
    if (existing?.type === 'file') {
      if (!permits(existing, this.cred, W)) throw fsError('EACCES', 'open', path);
      const own = this.store.mutable(resolved) as FileNode;
      own.content = append ? concatContent(own.content, content) : content;
      own.mtime = nowMtime();
      if (resolved === '/etc/passwd' || resolved === '/etc/group') this.store.generation++;
      return;
    }
    const parent = this.store.get(dirnameOf(resolved));
    if (parent === undefined) throw fsError('ENOENT', 'open', path);
    if (parent.type !== 'dir') throw fsError('ENOTDIR', 'open', path);
    this.requireParentWritable(resolved, 'open', path);
    this.store.set(resolved, {
      type: 'file',
      content,
      mode: 0o666 & ~this.proc.umask,
      owner: this.cred.user,
      group: this.cred.group,
      mtime: nowMtime(),
      ino: this.store.newIno(),
    });
  }

  async writeFile(path: string, content: string | Uint8Array, options?: { encoding?: string } | string): Promise<void> {
    this.write(path, content, options, false);
  }

  async appendFile(path: string, content: string | Uint8Array, options?: { encoding?: string } | string): Promise<void> {
    this.write(path, content, options, true);
  }

  async exists(path: string): Promise<boolean> {
    if (path.includes('\0')) return false;
    try {
      const resolved = this.walk(path, 'stat');
      return this.store.get(resolved) !== undefined || DEVICES.has(resolved) || this.store.isVirtualBin(resolved);
    } catch {
      return false;
    }
  }

  private statOf(resolved: string, path: string, op: string): FsStatLike {
    const node = this.store.get(resolved);
    if (node === undefined) {
      if (DEVICES.has(resolved)) return { isFile: true, isDirectory: false, isSymbolicLink: false, mode: 0o666, size: 0, mtime: new Date(0), ino: 5, identity: `dev:${resolved}` };
      if (this.store.isVirtualBin(resolved)) {
        return { isFile: true, isDirectory: false, isSymbolicLink: false, mode: 0o755, size: VIRTUAL_BIN_TEXT.length, mtime: new Date(0), ino: 7, identity: `bin:${basenameOf(resolved)}` };
      }
      throw fsError('ENOENT', op, path);
    }
    return {
      isFile: node.type === 'file',
      isDirectory: node.type === 'dir',
      isSymbolicLink: node.type === 'symlink',
      mode: node.mode,
      size: node.type === 'file' ? contentSize(node.content) : node.type === 'symlink' ? node.target.length : 4096,
      mtime: mtimeToDate(node.mtime),
      ino: node.ino,
      identity: `ino:${node.ino}`,
    };
  }

  async stat(path: string): Promise<FsStatLike> {
    return this.statOf(this.walk(path, 'stat'), path, 'stat');
  }

  async lstat(path: string): Promise<FsStatLike> {
    return this.statOf(this.walk(path, 'lstat', false), path, 'lstat');
  }

  async mkdir(path: string, options?: { recursive?: boolean }): Promise<void> {
    const resolved = this.walk(path, 'mkdir');
    const existing = this.store.get(resolved);
    if (existing !== undefined) {
      if (existing.type !== 'dir') throw fsError('EEXIST', 'mkdir', path);
      if (options?.recursive !== true) throw fsError('EEXIST', 'mkdir', path);
      return;
    }
    const parentPath = dirnameOf(resolved);
    const parent = this.store.get(parentPath);
    if (parent === undefined) {
      if (options?.recursive !== true) throw fsError('ENOENT', 'mkdir', path);
      await this.mkdir(parentPath, { recursive: true });
    } else if (parent.type !== 'dir') {
      throw fsError('ENOTDIR', 'mkdir', path);
    }
    this.requireParentWritable(resolved, 'mkdir', path);
    this.store.set(resolved, {
      type: 'dir',
      mode: 0o777 & ~this.proc.umask,
      owner: this.cred.user,
      group: this.cred.group,
      mtime: nowMtime(),
      ino: this.store.newIno(),
    });
  }

  async readdir(path: string): Promise<string[]> {
    return (await this.readdirWithFileTypes(path)).map((d) => d.name);
  }

  async readdirWithFileTypes(path: string): Promise<DirentLike[]> {
    const resolved = this.walk(path, 'scandir');
    const node = this.store.get(resolved);
    if (node === undefined) throw fsError('ENOENT', 'scandir', path);
    if (node.type !== 'dir') throw fsError('ENOTDIR', 'scandir', path);
    if (!permits(node, this.cred, R)) throw fsError('EACCES', 'scandir', path);
    const names = new Set(this.store.childNames(resolved));
    if (BIN_DIRS.has(resolved)) for (const b of this.store.binNames) names.add(b);
    if (resolved === '/dev') for (const d of DEVICES) names.add(basenameOf(d));
    return [...names].sort().map((name) => {
      const child = this.store.get(joinPath(resolved, name));
      return {
        name,
        isFile: child === undefined || child.type === 'file',
        isDirectory: child?.type === 'dir',
        isSymbolicLink: child?.type === 'symlink',
      };
    });
  }

  async rm(path: string, options?: { recursive?: boolean; force?: boolean }): Promise<void> {
    const resolved = this.walk(path, 'rm', false);
    const node = this.store.get(resolved);
    if (node === undefined) {
      if (options?.force === true) return;
      throw fsError('ENOENT', 'rm', path);
    }
    if (node.type === 'dir' && this.store.childNames(resolved).length > 0 && options?.recursive !== true) throw fsError('ENOTEMPTY', 'rm', path);
    this.requireParentWritable(resolved, 'rm', path);
    if (node.type === 'dir' && this.cred.uid !== 0) {
      for (const p of this.store.descendants(resolved)) {
        const n = this.store.get(p);
        if (n?.type === 'dir' && !permits(n, this.cred, W | X)) throw fsError('EACCES', 'rm', path);
      }
    }
    this.store.deleteTree(resolved);
  }

  async cp(src: string, dest: string, options?: { recursive?: boolean }): Promise<void> {
    const from = this.walk(src, 'cp');
    const node = this.store.get(from);
    if (node === undefined) {
      if (DEVICES.has(from) || this.store.isVirtualBin(from)) {
        await this.writeFile(dest, '');
        return;
      }
      throw fsError('ENOENT', 'cp', src);
    }
    if (node.type === 'dir') {
      if (options?.recursive !== true) throw fsError('EISDIR', 'cp', src);
      const to = this.walk(dest, 'cp');
      if (to === from || to.startsWith(`${from}/`)) throw fsError('EINVAL', 'cp', dest);
      if (this.store.get(to) === undefined) await this.mkdir(dest);
      for (const name of this.store.childNames(from)) await this.cp(joinPath(from, name), joinPath(to, name), options);
      return;
    }
    if (node.type === 'symlink') {
      await this.symlink(node.target, dest);
      return;
    }
    if (!permits(node, this.cred, R)) throw fsError('EACCES', 'cp', src);
    const to = this.walk(dest, 'cp');
    const existed = this.store.get(to) !== undefined;
    this.write(to, node.content, undefined, false);
    if (!existed) {
      const created = this.store.mutable(to);
      if (created !== undefined) created.mode = node.mode & 0o777 & ~this.proc.umask;
    }
  }

  async mv(src: string, dest: string): Promise<void> {
    const from = this.walk(src, 'mv', false);
    const to = this.walk(dest, 'mv', false);
    if (from === to) return;
    const node = this.store.get(from);
    if (node === undefined) throw fsError('ENOENT', 'mv', src);
    if (node.type === 'dir' && to.startsWith(`${from}/`)) throw fsError('EINVAL', 'mv', dest);
    const parent = this.store.get(dirnameOf(to));
    if (parent === undefined) throw fsError('ENOENT', 'mv', dest);
    const target = this.store.get(to);
    if (target?.type === 'dir' && node.type !== 'dir') throw fsError('EISDIR', 'mv', dest);
    if (target?.type === 'dir' && this.store.childNames(to).length > 0) throw fsError('ENOTEMPTY', 'mv', dest);
    this.requireParentWritable(from, 'mv', src);
    this.requireParentWritable(to, 'mv', dest);
    this.store.moveTree(from, to);
  }

  resolvePath(base: string, path: string): string {
    return normalizePath(path.startsWith('/') ? path : joinPath(base, path));
  }

  getAllPaths(): string[] {
    return this.store.allPaths();
  }

  async chmod(path: string, mode: number): Promise<void> {
    const resolved = this.walk(path, 'chmod');
    const node = this.store.get(resolved);
    if (node === undefined) throw fsError('ENOENT', 'chmod', path);
    if (this.cred.uid !== 0 && node.owner !== this.cred.user) throw fsError('EPERM', 'chmod', path);
    (this.store.mutable(resolved) as FsNode).mode = mode & 0o7777;
  }

  async symlink(target: string, linkPath: string): Promise<void> {
    const resolved = this.walk(linkPath, 'symlink', false);
    if (this.store.get(resolved) !== undefined) throw fsError('EEXIST', 'symlink', linkPath);
    if (this.store.get(dirnameOf(resolved)) === undefined) throw fsError('ENOENT', 'symlink', linkPath);
    this.requireParentWritable(resolved, 'symlink', linkPath);
    this.store.set(resolved, { type: 'symlink', target, mode: 0o777, owner: this.cred.user, group: this.cred.group, mtime: nowMtime(), ino: this.store.newIno() });
  }

  async link(existingPath: string, newPath: string): Promise<void> {
    const from = this.walk(existingPath, 'link');
    const node = this.store.get(from);
    if (node === undefined) throw fsError('ENOENT', 'link', existingPath);
    if (node.type !== 'file') throw fsError('EPERM', 'link', existingPath);
    const to = this.walk(newPath, 'link', false);
    if (this.store.get(to) !== undefined) throw fsError('EEXIST', 'link', newPath);
    this.requireParentWritable(to, 'link', newPath);
    // the same node under two names: a hard link
    this.store.set(to, node);
  }

  async readlink(path: string): Promise<string> {
    const resolved = this.walk(path, 'readlink', false);
    const node = this.store.get(resolved);
    if (node === undefined) throw fsError('ENOENT', 'readlink', path);
    if (node.type !== 'symlink') throw fsError('EINVAL', 'readlink', path);
    return node.target;
  }

  async realpath(path: string): Promise<string> {
    const resolved = this.walk(path, 'realpath');
    if (this.store.get(resolved) === undefined && !DEVICES.has(resolved) && !this.store.isVirtualBin(resolved)) throw fsError('ENOENT', 'realpath', path);
    return resolved;
  }

  async utimes(path: string, _atime: Date, mtime: Date): Promise<void> {
    const resolved = this.walk(path, 'utimes');
    const node = this.store.get(resolved);
    if (node === undefined) {
      if (DEVICES.has(resolved)) return;
      throw fsError('ENOENT', 'utimes', path);
    }
    if (this.cred.uid !== 0 && node.owner !== this.cred.user && !permits(node, this.cred, W)) throw fsError('EPERM', 'utimes', path);
    (this.store.mutable(resolved) as FsNode).mtime = dateToMtime(mtime);
  }
}

function devNull(): FileNode {
  return { type: 'file', content: '', mode: 0o666, owner: 'root', group: 'root', mtime: 0, ino: 5 };
}

function virtualBin(): FileNode {
  return { type: 'file', content: VIRTUAL_BIN_TEXT, mode: 0o755, owner: 'root', group: 'root', mtime: 0, ino: 7 };
}
