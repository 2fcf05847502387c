// The host model (src/lab/: rootfs, boot, tools), as one embedded host sees it.
import { bootHost } from '../boot.ts';
import { distroInfo } from '../distro.ts';
import { buildRootfs, rootfsDirs } from '../rootfs.ts';
import { tools as allTools, toolsFor as modelToolsFor } from '../tools/index.ts';
import type { FileMeta, HostSpec, Tool } from '../types.ts';
import type { HostModel } from './host.ts';
import type { HostStore, RootfsEntry } from './vfs.ts';

/** The model's tools this host has installed (grubby only on EL, openstack on controllers, ...). */
export function toolNamesFor(spec: HostSpec): string[] {
  return modelToolsFor(spec).filter((n) => allTools[n] !== undefined);
}

const toolSets = new Map<string, Readonly<Record<string, Tool>>>();

function toolsFor(spec: HostSpec): Readonly<Record<string, Tool>> {
  const names = toolNamesFor(spec);
  const key = names.join(' ');
  let set = toolSets.get(key);
  if (set === undefined) {
    const picked: Record<string, Tool> = {};
    for (const n of names) {
      const t = allTools[n];
      if (t !== undefined) picked[n] = t;
    }
    set = Object.freeze(picked);
    toolSets.set(key, set);
  }
  return set;
}

/** The kernel the host runs now: from the BOOT_IMAGE of its /proc/cmdline, else the newest installed. */
export function bootedKernel(fs: HostStore, spec: HostSpec): string {
  const release = fs.readFile('/proc/sys/kernel/osrelease')?.trim();
  if (release) return release;
  const image = /BOOT_IMAGE=\S*vmlinuz-(\S+)/.exec(fs.readFile('/proc/cmdline') ?? '')?.[1];
  return image ?? distroInfo(spec.distro).kernels[0] ?? 'unknown';
}

const dirCache = new Map<string, Map<string, FileMeta>>();

/** The directories of a host (with their owner/mode; some are empty): the same for hosts that differ only by name. */
function dirsOf(spec: HostSpec): Map<string, FileMeta> {
  const key = JSON.stringify({ ...spec, name: '' });
  let dirs = dirCache.get(key);
  if (dirs === undefined) {
    dirs = rootfsDirs(spec);
    if (dirCache.size > 256) dirCache.clear();
    dirCache.set(key, dirs);
  }
  return dirs;
}

/** Directories (as "path/" entries, the loader's convention) and files of a host. */
function* rootfsEntries(spec: HostSpec, cluster: HostSpec[]): Iterable<[string, RootfsEntry]> {
  for (const [path, meta] of dirsOf(spec)) yield [`${path}/`, { content: '', meta }];
  yield* buildRootfs(spec, cluster);
}

export function hostModel(spec: HostSpec, cluster: HostSpec[]): HostModel {
  return {
    rootfs: rootfsEntries(spec, cluster),
    boot: (fs, s, bootId) => {
      bootHost(fs, s, bootId);
    },
    kernelRelease: bootedKernel,
    tools: toolsFor(spec),
  };
}
