// Loopback addresses of real-lab hosts. The lab owns 127.0.10.1 - 127.0.60.254:
// a lab takes whole /24 blocks ("bases", e.g. 127.0.10), host i gets
// base.(i+1), spilling into the next block after 254 hosts. Without an
// explicit base, a free block is claimed by a lock file (pid inside), so labs
// started by parallel test processes never collide.
import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { isAlive } from './namespace.ts';

export const LAB_BLOCKS = { first: 10, last: 60 } as const;
const LOCK_DIR = '/tmp/passthru-lab-locks';

/**
 * The lock directory is shared by every user of the machine (the addresses
 * are): world-writable and sticky like /tmp, made so by whoever owns it.
 */
function lockDir(dir: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o1777 });
  const st = statSync(dir);
  if ((st.mode & 0o1777) !== 0o1777 && st.uid === process.getuid?.()) chmodSync(dir, 0o1777);
  return dir;
}

export function parseBase(base: string): [number, number, number] {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(base);
  const parts = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [];
  if (parts.length !== 3 || parts.some((n) => n > 255) || parts[0] !== 127) {
    throw new Error(`lab: base must be three octets of a loopback address, like 127.0.10 (got ${JSON.stringify(base)})`);
  }
  return parts as [number, number, number];
}

/** Address of host `index` (0-based) under `base`. */
export function hostAddress(base: string, index: number): string {
  const [a, b, c] = parseBase(base);
  const block = c + Math.floor(index / 254);
  if (block > 255) throw new Error(`lab: too many hosts for base ${base}`);
  return `${a}.${b}.${block}.${(index % 254) + 1}`;
}

export function blocksNeeded(hosts: number): number {
  return Math.max(1, Math.ceil(hosts / 254));
}

/** Third octets with a listening TCP socket on 127.0.x.* right now. */
function blocksInUse(): Set<number> {
  const used = new Set<number>();
  try {
    for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[3] !== '0A') continue; // LISTEN
      const hex = (f[1] ?? '').split(':')[0] ?? '';
      if (hex.length !== 8) continue;
      // little-endian: last byte pair is the first octet
      const o1 = parseInt(hex.slice(6, 8), 16);
      const o2 = parseInt(hex.slice(4, 6), 16);
      const o3 = parseInt(hex.slice(2, 4), 16);
      if (o1 === 127 && o2 === 0) used.add(o3);
    }
  } catch {
    // no /proc/net/tcp: rely on the locks
  }
  return used;
}

function tryLock(dir: string, block: number): boolean {
  const file = `${dir}/127.0.${block}`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number(readFileSync(file, 'utf8').trim());
      if (owner > 0 && isAlive(owner)) return false;
      rmSync(file, { force: true }); // stale: its process is gone
    }
  }
  return false;
}

export interface Allocation {
  base: string;
  release(): void;
}

/** Claim `count` consecutive free /24 blocks in the lab's range (`locks`: another lock directory, for a test). */
export function allocateBase(count = 1, locks = LOCK_DIR): Allocation {
  const dir = lockDir(locks);
  const inUse = blocksInUse();
  for (let first = LAB_BLOCKS.first; first + count - 1 <= LAB_BLOCKS.last; first++) {
    const blocks = Array.from({ length: count }, (_, i) => first + i);
    if (blocks.some((b) => inUse.has(b))) continue;
    const taken: number[] = [];
    for (const b of blocks) {
      if (!tryLock(dir, b)) break;
      taken.push(b);
    }
    if (taken.length === count) {
      return {
        base: `127.0.${first}`,
        release: () => {
          for (const b of taken) rmSync(`${dir}/127.0.${b}`, { force: true });
        },
      };
    }
    for (const b of taken) rmSync(`${dir}/127.0.${b}`, { force: true });
  }
  throw new Error(`lab: no free address block in 127.0.${LAB_BLOCKS.first}-${LAB_BLOCKS.last}.x (stale labs running?)`);
}
