// A simulated host without SSH, and its shell run as the lab runs it.
import ssh2 from 'ssh2';
import type { ParsedKey } from 'ssh2';
import { generateEd25519 } from '../../../src/embedded/cluster.ts';
import { SimHost } from '../../../src/embedded/host.ts';
import { hostModel } from '../../../src/embedded/model.ts';
import { runShell, type ShellResult } from '../../../src/embedded/shell.ts';
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

/** Run a line in the host's shell. */
export async function sh(h: SimHost, command: string, opts: { user?: string; stdin?: string } = {}): Promise<ShellResult> {
  return runShell(h, { user: opts.user ?? 'root', command, stdin: opts.stdin });
}
