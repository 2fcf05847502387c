// The machine-specific commands of a lab host, written once against LabFs
// and run by both labs: in-process by the embedded lab's shell, as
// executables (src/lab/tools/cli.ts) in the real-sshd lab.

import type { HostSpec, LabFs, LabHostControl, Tool, ToolResult } from '../types.ts';
import { cpuid } from './cpuid.ts';
import { dmesg } from './dmesg.ts';
import { docker } from './docker.ts';
import { grubby } from './grubby.ts';
import { dracut, updateInitramfs } from './initramfs.ts';
import { journalctl } from './journalctl.ts';
import { lspci } from './lspci.ts';
import { grub2Mkconfig, grubMkconfig, updateGrub } from './mkconfig.ts';
import { openstack } from './openstack.ts';
import { reboot, shutdown } from './reboot.ts';
import { systemctl } from './systemctl.ts';
import { toolsFor } from './util.ts';

export const tools: Record<string, Tool> = {
  lspci,
  dmesg,
  systemctl,
  journalctl,
  reboot,
  shutdown,
  'update-grub': updateGrub,
  'grub-mkconfig': grubMkconfig,
  'grub2-mkconfig': grub2Mkconfig,
  grubby,
  'update-initramfs': updateInitramfs,
  dracut,
  openstack,
  cpuid,
  docker,
  podman: docker,
};

export { toolsFor };

/**
 * Run one tool. `argv` holds the arguments after the command name
 * (runTool('lspci', ['-Dnn'], ...)). A command that does not exist on this
 * host (grubby on Ubuntu, openstack on a compute) answers as bash does.
 */
export async function runTool(
  name: string,
  argv: string[],
  stdin: string,
  env: Record<string, string>,
  fs: LabFs,
  host: LabHostControl,
): Promise<ToolResult> {
  const tool = tools[name];
  if (!tool || !toolsFor(host.spec).includes(name)) return { stdout: '', stderr: `bash: ${name}: command not found\n`, exitCode: 127 };
  try {
    return await tool({ argv: [name, ...argv], stdin, env, fs, host });
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    return { stdout: '', stderr: `${name}: ${msg}\n`, exitCode: 1 };
  }
}

export function hostToolNames(spec: HostSpec): string[] {
  return toolsFor(spec);
}
