// LabFs over real paths (the real-sshd lab: the tools run as executables
// inside the host's mount namespace). `root` prefixes every path (default
// '/'); owner and group names are resolved through <root>/etc/passwd and
// <root>/etc/group, falling back to this machine's files, and left alone when
// a name is unknown.

import * as nfs from 'node:fs';
import { posix } from 'node:path';
import type { FileMeta, LabFs } from './types.ts';
import { normalizePath } from './memfs.ts';

export class NodeFs implements LabFs {
  readonly root: string;

  constructor(root = '/') {
    this.root = root === '/' ? '' : root.replace(/\/+$/, '');
  }

  /** The real path of a lab path. */
  real(path: string): string {
    return `${this.root}${normalizePath(path)}`;
  }

  readFile(path: string): string | undefined {
    try {
      return nfs.readFileSync(this.real(path), 'utf8');
    } catch {
      return undefined;
    }
  }

  writeFile(path: string, content: string, meta?: Partial<FileMeta>): void {
    const real = this.real(path);
    nfs.mkdirSync(posix.dirname(real), { recursive: true });
    nfs.writeFileSync(real, content);
    if (meta?.mode !== undefined) nfs.chmodSync(real, meta.mode);
    if (meta?.owner !== undefined || meta?.group !== undefined) {
      const st = nfs.statSync(real);
      const uid = meta.owner !== undefined ? this.lookupId('passwd', meta.owner) : st.uid;
      const gid = meta.group !== undefined ? this.lookupId('group', meta.group) : st.gid;
      try {
        nfs.chownSync(real, uid ?? st.uid, gid ?? st.gid);
      } catch {
        // not permitted (not root): keep what we have
      }
    }
  }

  exists(path: string): boolean {
    return nfs.existsSync(this.real(path));
  }

  isDirectory(path: string): boolean {
    try {
      return nfs.statSync(this.real(path)).isDirectory();
    } catch {
      return false;
    }
  }

  readdir(path: string): string[] {
    try {
      return nfs.readdirSync(this.real(path)).sort();
    } catch {
      return [];
    }
  }

  remove(path: string): void {
    nfs.rmSync(this.real(path), { recursive: true, force: true });
  }

  mkdirp(path: string): void {
    nfs.mkdirSync(this.real(path), { recursive: true });
  }

  private lookupId(db: 'passwd' | 'group', name: string): number | undefined {
    if (/^\d+$/.test(name)) return Number(name);
    for (const file of [`${this.root}/etc/${db}`, `/etc/${db}`]) {
      const ids = idsOfFile(file);
      if (!ids) continue;
      const id = ids.get(name);
      if (id !== undefined) return id;
    }
    return undefined;
  }
}

/**
 * The ids by name of an account file (the first line of a name wins), parsed
 * once per version of the file: a boot or a `systemctl` writes several files
 * owned by names, and a stat is cheaper than reading and splitting the file
 * each time. A changed file (inode, size, mtime or ctime) is read again.
 */
const accountFiles = new Map<string, { version: string; ids: Map<string, number> }>();

function idsOfFile(file: string): Map<string, number> | undefined {
  let version: string;
  try {
    const st = nfs.statSync(file, { bigint: true });
    version = `${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
  } catch {
    return undefined;
  }
  const cached = accountFiles.get(file);
  if (cached?.version === version) return cached.ids;
  let text: string;
  try {
    text = nfs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const ids = new Map<string, number>();
  for (const line of text.split('\n')) {
    const f = line.split(':');
    const name = f[0] ?? '';
    if (f[2] !== undefined && !ids.has(name)) ids.set(name, Number(f[2]));
  }
  accountFiles.set(file, { version, ids });
  return ids;
}
