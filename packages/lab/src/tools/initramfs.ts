// update-initramfs (Debian/Ubuntu) and dracut (EL): pack a new initramfs for
// the installed kernels (see ../initramfs.ts for what the lab keeps of it).

import type { Tool, ToolResult } from '../types.ts';
import { installedKernels } from '../grub.ts';
import { writeInitramfs } from '../initramfs.ts';
import { fail, isRoot, ok } from './util.ts';

export const updateInitramfs: Tool = (inv): ToolResult => {
  if (!isRoot(inv)) return fail(1, 'update-initramfs: must be run as root\n');
  const args = inv.argv.slice(1);
  if (!args.includes('-u') && !args.includes('-c')) return fail(1, 'Usage: update-initramfs {-c|-d|-u} [-k version] [-v] [-b directory]\n');
  const k = args[args.indexOf('-k') + 1];
  const kernels = args.includes('-k') && k !== 'all' ? [k ?? ''] : installedKernels(inv.fs);
  let out = '';
  for (const kernel of kernels) out += `update-initramfs: Generating ${writeInitramfs(inv.fs, inv.host.spec, kernel)}\n`;
  return ok(out);
};

export const dracut: Tool = (inv): ToolResult => {
  if (!isRoot(inv)) return fail(1, 'dracut: Cannot write to /boot: Permission denied\n');
  const args = inv.argv.slice(1);
  if (!args.includes('-f') && !args.includes('--force')) return fail(1, 'dracut: Will not override existing initramfs without --force\n');
  const kernels = args.includes('--regenerate-all') ? installedKernels(inv.fs) : [installedKernels(inv.fs)[0] ?? ''];
  for (const kernel of kernels) writeInitramfs(inv.fs, inv.host.spec, kernel);
  return ok();
};
