// The process behind `passthru lab up`: starts the embedded cluster, writes
// <dir>/lab.pid and <dir>/lab.json (written last: its presence means "ready"),
// and stops the cluster on SIGTERM/SIGINT.
//
//   node --import tsx src/lab/embedded/daemon.ts --dir D [--computes N] [--reboot-seconds S]
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { benchCluster, mixedCluster } from '../specs.ts';
import { startEmbeddedCluster } from './cluster.ts';

export interface LabInfo {
  pid: number;
  dir: string;
  inventoryPath: string;
  knownHostsPath: string;
  identityFile: string;
  startedAt: string;
  startupMs: number;
  hosts: Array<{ name: string; address: string; port: number; roles: string[]; distro: string }>;
}

function writeAtomic(path: string, content: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, content);
  renameSync(tmp, path);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      dir: { type: 'string' },
      computes: { type: 'string' },
      'reboot-seconds': { type: 'string' },
    },
  });
  const dir = resolve(values.dir ?? '.lab');
  const errorFile = join(dir, 'lab.error');
  try {
    const computes = values.computes === undefined ? undefined : Number(values.computes);
    if (computes !== undefined && (!Number.isInteger(computes) || computes < 1)) throw new Error(`--computes must be a whole number >= 1, got ${values.computes}`);
    const rebootSeconds = values['reboot-seconds'] === undefined ? undefined : Number(values['reboot-seconds']);
    if (rebootSeconds !== undefined && !(rebootSeconds >= 0)) throw new Error(`--reboot-seconds must be >= 0, got ${values['reboot-seconds']}`);
    const specs = computes === undefined ? mixedCluster() : benchCluster(computes);
    const t0 = performance.now();
    const cluster = await startEmbeddedCluster(specs, { dir, rebootSeconds });
    const startupMs = Math.round(performance.now() - t0);

    let stopping = false;
    const stop = () => {
      if (stopping) return;
      stopping = true;
      void cluster.stop().finally(() => {
        rmSync(join(dir, 'lab.json'), { force: true });
        process.exit(0);
      });
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    process.on('SIGHUP', stop);
    // kill -USR2 <pid>: memory use into lab.log (for measurements)
    process.on('SIGUSR2', () => {
      (globalThis as { gc?: () => void }).gc?.();
      const m = process.memoryUsage();
      const mb = (n: number) => Math.round(n / 1e6);
      process.stdout.write(`memory: rss ${mb(m.rss)} MB, heap ${mb(m.heapUsed)}/${mb(m.heapTotal)} MB, external ${mb(m.external)} MB\n`);
    });

    const info: LabInfo = {
      pid: process.pid,
      dir,
      inventoryPath: cluster.inventoryPath,
      knownHostsPath: cluster.knownHostsPath,
      identityFile: cluster.identityFile,
      startedAt: new Date().toISOString(),
      startupMs,
      hosts: cluster.hosts.map((h) => ({ name: h.name, address: h.address, port: h.port, roles: h.spec.roles, distro: h.spec.distro })),
    };
    writeAtomic(join(dir, 'lab.pid'), `${process.pid}\n`);
    writeAtomic(join(dir, 'lab.json'), `${JSON.stringify(info, null, 2)}\n`);
    process.stdout.write(`lab up: ${info.hosts.length} hosts in ${startupMs} ms, rss ${Math.round(process.memoryUsage().rss / 1e6)} MB\n`);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    try {
      writeAtomic(errorFile, `${message}\n`);
    } catch {
      // nothing more to do
    }
    process.stderr.write(`lab daemon: ${e instanceof Error ? (e.stack ?? message) : message}\n`);
    process.exit(1);
  }
}

void main();
