// /proc/cmdline: the command line the running kernel was booted with.

import { kernelAndInitWords } from '../boot/cmdline.ts';
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
  const { kernel, init } = kernelAndInitWords(raw);
  return { raw, args: kernel.map((w) => w.text), initArgs: init.map((w) => w.text) };
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
