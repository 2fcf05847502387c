// The host model (src/lab/: rootfs, boot, tools), as one embedded host sees it.
import { bootHost } from '../boot.ts';
import { distroInfo } from '../distro.ts';
import { buildRootfs } from '../rootfs.ts';
import { tools as allTools } from '../tools/index.ts';
import type { HostSpec, Tool } from '../types.ts';
import type { HostModel } from './host.ts';
import type { HostStore } from './vfs.ts';

/**
 * Which of the model's tools a host has installed: the boot loader tools of
 * its distribution family, the OpenStack client on controllers, the rest
 * everywhere (`command -v grubby` must fail on Ubuntu).
 */
export function toolNamesFor(spec: HostSpec): string[] {
  const d = distroInfo(spec.distro);
  const names: string[] = [];
  for (const name of Object.keys(allTools)) {
    if (name === 'update-grub' && d.family !== 'debian') continue;
    if ((name === 'grub2-mkconfig' || name === 'grubby') && d.family !== 'el') continue;
    if (name === 'openstack' && !spec.roles.includes('controller')) continue;
    names.push(name);
  }
  return names;
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

export function hostModel(spec: HostSpec, cluster: HostSpec[]): HostModel {
  return {
    rootfs: buildRootfs(spec, cluster),
    boot: (fs, s, bootId) => {
      bootHost(fs, s, bootId);
    },
    kernelRelease: bootedKernel,
    tools: toolsFor(spec),
  };
}
