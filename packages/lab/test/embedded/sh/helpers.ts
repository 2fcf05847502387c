// A simulated host without SSH, and its shell run as the lab runs it (the
// lab's shell) or as before it (just-bash alone, PASSTHRU_LAB_SHELL=just-bash).
import ssh2 from 'ssh2';
import type { ParsedKey } from 'ssh2';
import { generateEd25519 } from '../../../src/embedded/cluster.ts';
import { SimHost } from '../../../src/embedded/host.ts';
import { hostModel } from '../../../src/embedded/model.ts';
import { runShell, type ShellResult } from '../../../src/embedded/shell.ts';
import { shellStats } from '../../../src/embedded/sh/run.ts';
import { benchCluster } from '../../../src/specs.ts';

const specs = benchCluster(12);
const keys = generateEd25519();
const clientKey = ssh2.utils.parseKey(generateEd25519().public) as ParsedKey;

/** A fresh compute (Ubuntu 22.04, RTX 2080 Ti) or the named host of benchCluster(12). */
export function simHost(name = 'cmp001'): SimHost {
  const spec = specs.find((s) => s.name === name);
  if (spec === undefined) throw new Error(`no host ${name}`);
  return new SimHost({ spec, model: hostModel(spec, specs), hostKey: keys.private, clientKey, rebootSeconds: 0, loginUsers: ['root', 'ops'], sudoers: [{ user: 'ops' }], acceptEnv: [] });
}

export interface Run extends ShellResult {
  /** which shell ran the line */
  shell: 'lab' | 'just-bash';
}

/** Run a line; `justBash`: in just-bash alone (the lab's shell, grep and sed off). */
export async function sh(h: SimHost, command: string, opts: { user?: string; stdin?: string; justBash?: boolean } = {}): Promise<Run> {
  const before = shellStats.lab;
  const saved = process.env['PASSTHRU_LAB_SHELL'];
  if (opts.justBash === true) process.env['PASSTHRU_LAB_SHELL'] = 'just-bash';
  try {
    const r = await runShell(h, { user: opts.user ?? 'root', command, stdin: opts.stdin });
    return { ...r, shell: shellStats.lab > before ? 'lab' : 'just-bash' };
  } finally {
    if (saved === undefined) delete process.env['PASSTHRU_LAB_SHELL'];
    else process.env['PASSTHRU_LAB_SHELL'] = saved;
  }
}
