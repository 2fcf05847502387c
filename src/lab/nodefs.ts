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
      let text: string;
      try {
        text = nfs.readFileSync(file, 'utf8');
      } catch {
        continue;
      }
      for (const line of text.split('\n')) {
        const f = line.split(':');
        if (f[0] === name && f[2] !== undefined) return Number(f[2]);
      }
    }
    return undefined;
  }
}
