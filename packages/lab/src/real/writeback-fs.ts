// A LabFs that holds the files written through it and writes each one once,
// at flush(): a boot rewrites the journal (read, append, write) for every
// unit it starts, and on a real disk each rewrite costs a truncate and an
// allocation. Reads see the held content; any other operation that touches a
// held file, a directory above it or one below it (exists, isDirectory,
// readdir, remove, mkdirp) writes the files concerned first, so the tree ends
// exactly as with every write done at once: same contents, and every write's
// mode and owner applied in order (repeats of the same meta once).
import type { FileMeta, LabFs } from '../types.ts';
import { normalizePath } from '../memfs.ts';

interface Held {
  content: string;
  /** the metas of the writes, in order, consecutive repeats dropped */
  metas: Array<Partial<FileMeta> | undefined>;
}

const sameMeta = (a: Partial<FileMeta> | undefined, b: Partial<FileMeta> | undefined): boolean =>
  a?.mode === b?.mode && a?.owner === b?.owner && a?.group === b?.group;

const under = (path: string, dir: string): boolean => path.startsWith(dir === '/' ? '/' : `${dir}/`);

export class WriteBackFs implements LabFs {
  private readonly held = new Map<string, Held>();

  constructor(private readonly inner: LabFs) {}

  readFile(path: string): string | undefined {
    const h = this.held.get(normalizePath(path));
    return h ? h.content : this.inner.readFile(path);
  }

  writeFile(path: string, content: string, meta?: Partial<FileMeta>): void {
    const p = normalizePath(path);
    const h = this.held.get(p);
    if (!h) {
      this.held.set(p, { content, metas: [meta] });
      return;
    }
    h.content = content;
    if (!sameMeta(h.metas[h.metas.length - 1], meta)) h.metas.push(meta);
  }

  exists(path: string): boolean {
    const p = normalizePath(path);
    if (this.held.has(p)) return true;
    this.flushRelated(p);
    return this.inner.exists(path);
  }

  isDirectory(path: string): boolean {
    this.flushRelated(normalizePath(path));
    return this.inner.isDirectory(path);
  }

  readdir(path: string): string[] {
    this.flushRelated(normalizePath(path));
    return this.inner.readdir(path);
  }

  remove(path: string): void {
    this.flushRelated(normalizePath(path));
    this.inner.remove(path);
  }

  mkdirp(path: string): void {
    this.flushRelated(normalizePath(path));
    this.inner.mkdirp(path);
  }

  /** write every held file */
  flush(): void {
    for (const p of [...this.held.keys()]) this.flushOne(p);
  }

  /** the held files at `p`, below it or above it */
  private flushRelated(p: string): void {
    for (const q of [...this.held.keys()]) if (q === p || under(q, p) || under(p, q)) this.flushOne(q);
  }

  private flushOne(p: string): void {
    const h = this.held.get(p);
    if (!h) return;
    this.held.delete(p);
    const [first, ...rest] = h.metas;
    this.inner.writeFile(p, h.content, first);
    for (const meta of rest) this.inner.writeFile(p, h.content, meta);
  }
}
