// The initramfs of a lab host, as far as binding devices to vfio-pci goes.
// update-initramfs (Debian/Ubuntu) and dracut (EL) pack the modules to load
// early (/etc/initramfs-tools/modules; dracut's force_drivers/add_drivers)
// and copy /etc/modprobe.d into the image; at boot, a module loaded from the
// initramfs sees the options of that copy, not of the files on disk. The lab
// writes what it packed as text into the image file, and the boot reads it
// back (bootHost): vfio-pci claims the devices of `options vfio-pci ids=`
// only when it is in the image.

import { posix } from 'node:path';
import type { HostSpec, LabFs } from './types.ts';
import { distroInfo } from './distro.ts';

const MAGIC = 'passthru-lab initramfs 1';

export interface InitramfsImage {
  modules: string[];
  /** the modprobe.d files packed, by path */
  modprobe: Record<string, string>;
}

/** Where the image of `kernel` lives. */
export function initramfsPath(spec: HostSpec, kernel: string): string {
  return distroInfo(spec.distro).family === 'el' ? `/boot/initramfs-${kernel}.img` : `/boot/initrd.img-${kernel}`;
}

const norm = (m: string): string => m.trim().replace(/-/g, '_');

/** The modules a new image loads early, from the distribution's configuration. */
export function earlyModules(fs: LabFs, spec: HostSpec): string[] {
  const out: string[] = [];
  if (distroInfo(spec.distro).family === 'el') {
    for (const name of fs.readdir('/etc/dracut.conf.d').filter((n) => n.endsWith('.conf')).sort()) {
      const text = fs.readFile(`/etc/dracut.conf.d/${name}`) ?? '';
      for (const m of text.matchAll(/^\s*(?:force_drivers|add_drivers)\+?=\s*"([^"]*)"/gm)) out.push(...(m[1] ?? '').split(/\s+/).filter(Boolean).map(norm));
    }
  } else {
    const text = fs.readFile('/etc/initramfs-tools/modules') ?? '';
    for (const line of text.split('\n')) {
      const w = line.trim().split(/\s+/)[0] ?? '';
      if (w !== '' && !w.startsWith('#')) out.push(norm(w));
    }
  }
  return [...new Set(out)];
}

/** Pack an image for `kernel` from what is on disk now. */
export function writeInitramfs(fs: LabFs, spec: HostSpec, kernel: string): string {
  const modprobe: Record<string, string> = {};
  for (const name of fs.readdir('/etc/modprobe.d').filter((n) => n.endsWith('.conf')).sort()) modprobe[`/etc/modprobe.d/${name}`] = fs.readFile(`/etc/modprobe.d/${name}`) ?? '';
  const image: InitramfsImage = { modules: earlyModules(fs, spec), modprobe };
  const path = initramfsPath(spec, kernel);
  fs.writeFile(path, `${MAGIC}\n${JSON.stringify(image)}\n`, { mode: 0o600 });
  return path;
}

export function readInitramfs(fs: LabFs, spec: HostSpec, kernel: string): InitramfsImage | undefined {
  const text = fs.readFile(initramfsPath(spec, kernel));
  if (!text?.startsWith(`${MAGIC}\n`)) return undefined;
  try {
    return JSON.parse(text.slice(MAGIC.length + 1)) as InitramfsImage;
  } catch {
    return undefined;
  }
}

/** vendor:device ids vfio-pci claims at boot: `vfio-pci.ids=` on the command line, or its modprobe options when it loads from the image. */
export function vfioIds(cmdline: string, image: InitramfsImage | undefined): Set<string> {
  const ids = new Set<string>();
  for (const w of cmdline.split(/\s+/)) if (w.startsWith('vfio-pci.ids=') || w.startsWith('vfio_pci.ids=')) for (const id of w.slice(13).split(',')) ids.add(id.toLowerCase());
  if (image?.modules.includes('vfio_pci')) {
    for (const text of Object.values(image.modprobe)) {
      for (const m of text.matchAll(/^\s*options\s+vfio[-_]pci\s+(.*)$/gm)) {
        const opt = /(?:^|\s)ids=(\S+)/.exec(m[1] ?? '');
        for (const id of (opt?.[1] ?? '').split(',')) if (id !== '') ids.add(id.toLowerCase());
      }
    }
  }
  return ids;
}

export const dirnameOf = posix.dirname;
