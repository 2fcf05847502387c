// /proc/cmdline: the command line the running kernel was booted with.

import { splitCmdline } from '../boot/cmdline.ts';
import type { Fact } from './types.ts';

export interface KernelCmdline {
  raw: string;
  /** kernel arguments (before a `--`) */
  args: string[];
  /** arguments after `--`, passed to init */
  initArgs: string[];
}

export function parseKernelCmdline(output: string): KernelCmdline {
  const raw = output.replace(/\n+$/, '').trim();
  const all = splitCmdline(raw).map((w) => w.text);
  // the kernel's words end at the first `--` (kernelWords)
  const dd = all.indexOf('--');
  return { raw, args: dd < 0 ? all : all.slice(0, dd), initArgs: dd < 0 ? [] : all.slice(dd + 1) };
}

export const kernelCmdline: Fact<KernelCmdline> = {
  id: 'kernel_cmdline',
  // one line, read by the shell itself (no cat); a missing /proc/cmdline fails the redirection
  script: '{ IFS= read -r l || [ -n "$l" ]; } < /proc/cmdline && printf \'%s\\n\' "$l"',
  parse(output, exitCode) {
    if (exitCode !== 0) throw new Error(`cannot read /proc/cmdline: ${output.trim()}`);
    return parseKernelCmdline(output);
  },
};
