// Entry point of the real-sshd lab: startRealLab(specs) with the host model of
// src/lab/ (rootfs, boot, NodeFs, the machine tools). See test/lab/README.md.
import { fileURLToPath } from 'node:url';
import type { HostSpec } from '../types.ts';
import { bootHost } from '../boot.ts';
import { NodeFs } from '../nodefs.ts';
import { buildRootfs } from '../rootfs.ts';
import { hostToolNames, tools } from '../tools/index.ts';
import { startRealLabWith, type LabModel, type RealLab, type RealLabOptions } from './runner.ts';
import { TOOLS_ENTRY } from './tools.ts';

export { LAB_SUDO_PASSWORD, LAB_LOGIN_USERS } from './accounts.ts';
export type { RealLab, RealLabHost, RealLabOptions } from './runner.ts';
export { DEFAULT_FILE_HASH_PATHS } from './runner.ts';
export { realLabUnavailable } from './preflight.ts';

export const labModel: LabModel = {
  buildRootfs,
  bootHost,
  makeFs: (rootDir) => new NodeFs(rootDir),
  toolsEntry: TOOLS_ENTRY,
  toolNames: hostToolNames,
  allToolNames: Object.keys(tools),
  toolWorkerEntry: fileURLToPath(new URL('./toolworker.ts', import.meta.url)),
};

/**
 * Start one real OpenSSH sshd per spec, each in its own mount/pid/uts
 * namespace on 127.0.x.y; resolves when every sshd accepts connections.
 * Call stop() when done (also done on process exit).
 */
export function startRealLab(specs: HostSpec[], opts: RealLabOptions = {}): Promise<RealLab> {
  return startRealLabWith(labModel, specs, opts);
}
