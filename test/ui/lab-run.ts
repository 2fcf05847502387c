// The embedded lab for the UI tests: a demo-like or N-compute cluster in
// which one compute has VT-x off in its firmware (no vmx): it fails at
// preflight, untouched, and the others go on.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmbeddedCluster, type EmbeddedCluster } from '@passthru/lab/embedded/cluster.ts';
import { benchCluster, demoCluster } from '@passthru/lab/specs.ts';
import type { HostSpec } from '@passthru/lab/types.ts';

export const PLAYBOOK = fileURLToPath(new URL('../../playbooks/pci-passthrough.yaml', import.meta.url));
export const BIN = fileURLToPath(new URL('../../bin/passthru.js', import.meta.url));

/** The compute without vmx, and the start of the error it fails with. */
export const NO_VMX_ERROR = "CPU flag 'vmx' is missing from /proc/cpuinfo";

export interface UiLab {
  cluster: EmbeddedCluster;
  dir: string;
  /** the host that fails */
  failing: string;
  stop(): Promise<void>;
}

/** 5 hosts: the demo cluster (1 controller, 4 computes), its CPU-only compute without vmx. Any other number: benchCluster, cmp007 without vmx. */
export async function startUiLab(hosts: number): Promise<UiLab> {
  let specs: HostSpec[];
  let failing: string;
  if (hosts === 5) {
    specs = demoCluster();
    failing = 'cpu-only';
  } else {
    specs = benchCluster(hosts - 1);
    failing = 'cmp007';
  }
  specs = specs.map((s) => (s.name === failing ? { ...s, cpu: { ...s.cpu, virtualization: false } } : s));
  const dir = mkdtempSync(join(tmpdir(), 'passthru-ui-lab-'));
  const cluster = await startEmbeddedCluster(specs, { dir, rebootSeconds: 2 });
  return {
    cluster,
    dir,
    failing,
    async stop() {
      await cluster.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
