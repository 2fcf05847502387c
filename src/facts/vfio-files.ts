// The files vfio_pci edits (src/steps/pci/vfio.ts), byte for byte: its
// modprobe.d file, EL's dracut.conf.d file and Debian's initramfs-tools
// module list. A fact, so that the step plans from the host's one round trip
// of facts rather than reading them again.

import { catFilesScript, parseCatFiles } from './grub-files.ts';
import type { Fact } from './types.ts';

export const VFIO_MODPROBE = '/etc/modprobe.d/passthru-vfio.conf';
export const VFIO_DRACUT_CONF = '/etc/dracut.conf.d/passthru-vfio.conf';
export const INITRAMFS_MODULES = '/etc/initramfs-tools/modules';

/** path -> content, for the files that exist */
export type VfioFiles = Record<string, string>;

export const vfioFiles: Fact<VfioFiles> = {
  id: 'vfio_files',
  script: catFilesScript([VFIO_MODPROBE, VFIO_DRACUT_CONF, INITRAMFS_MODULES]),
  become: true,
  parse(output) {
    const { files, unreadable } = parseCatFiles(output);
    if (unreadable.length > 0) throw new Error(`cannot read ${unreadable.join(', ')}`);
    return Object.fromEntries(files.map((f) => [f.path, f.content]));
  },
};
