// The simulated cluster (`passthru demo`, `passthru lab`) lives in its own
// package, @passthru/lab (packages/lab in the repository), which the CLI does
// not depend on: it is loaded here, only by the commands that need it, and
// only this much of it is used.

import { UsageError } from '../errors.ts';

export interface LabHostInfo {
  name: string;
  port: number;
  spec: { roles: string[]; distro: string; bootMode: string; cpu: { vendor: string } };
}

export interface LabCluster {
  inventoryPath: string;
  hosts: LabHostInfo[];
  stop(): Promise<void>;
}

export interface LabModule {
  startEmbeddedCluster(specs: unknown[], o: { dir: string; rebootSeconds: number }): Promise<LabCluster>;
  demoCluster(): unknown[];
  LAB_SECRETS: string[];
  labUp(o: { computes?: number; dir?: string; out: NodeJS.WritableStream }): Promise<number>;
  labDown(o: { dir?: string; out: NodeJS.WritableStream }): Promise<number>;
}

const LAB = '@passthru/lab';

function missing(cause: unknown): UsageError {
  return new UsageError(`the simulated cluster (${LAB}) is not installed here`, {
    hint: 'it is a development package of the passthru repository: clone it, run `npm install`, then `npm start` or `npx passthru lab up` there',
    cause,
  });
}

/**
 * The lab is TypeScript run through tsx (a development tool of the
 * repository): a CLI started from its compiled build registers tsx first.
 */
export async function loadLab(): Promise<LabModule> {
  try {
    if (!import.meta.url.endsWith('.ts')) ((await import('tsx/esm/api')) as { register(): unknown }).register();
    return (await import(LAB)) as LabModule;
  } catch (e) {
    throw missing(e);
  }
}
