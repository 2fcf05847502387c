// The embedded lab for the benchmark, in a process of its own so that its
// memory and CPU are not counted as passthru's:
//
//   node --import tsx test/bench/embedded-lab.ts --computes 999 --dir D [--reboot-seconds 3]
//
// Starts benchCluster(N) (1 controller + N computes) with every reboot taking
// --reboot-seconds, writes D/bench-lab.json ({ inventoryPath, hosts, startupMs,
// rssMB }) when every host listens, and then reads commands from stdin:
//   `boot-ids PATH`  write { host: boot_id } to PATH, answer `ok` on stdout
//   `stats`          answer one line of JSON: the lab process's CPU seconds, RSS and
//                    peak RSS (MB), heap, and the worst event-loop delay (ms) since
//                    the previous `stats` (a lab too busy to answer keepalives shows here)
// It stops the lab and exits when stdin closes (the benchmark ended or died)
// or on SIGTERM/SIGINT.

import { writeFileSync, renameSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { benchCluster } from '@passthru/lab/specs.ts';
import { startEmbeddedCluster } from '@passthru/lab/embedded/cluster.ts';

const { values } = parseArgs({
  options: {
    computes: { type: 'string', default: '999' },
    dir: { type: 'string' },
    'reboot-seconds': { type: 'string', default: '3' },
  },
});
if (!values.dir) {
  process.stderr.write('embedded-lab: --dir D is required\n');
  process.exit(2);
}
const dir = resolve(values.dir);
const computes = Number(values.computes);
const rebootSeconds = Number(values['reboot-seconds']);
const specs = benchCluster(computes).map((s) => ({ ...s, rebootSeconds }));

const t0 = performance.now();
const cluster = await startEmbeddedCluster(specs, { dir, rebootSeconds });
const startupMs = Math.round(performance.now() - t0);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await cluster.stop();
  process.exit(0);
}
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());

function writeJson(path: string, value: unknown): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(tmp, path);
}

function bootIds(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of cluster.hosts) out[h.name] = (cluster.fs(h.name).readFile('/proc/sys/kernel/random/boot_id') ?? '').trim();
  return out;
}

const loopDelay = monitorEventLoopDelay({ resolution: 20 });
loopDelay.enable();

function stats(): Record<string, number> {
  const cpu = process.cpuUsage();
  const mem = process.memoryUsage();
  const mb = (n: number) => Math.round(n / 1e6);
  const out = {
    cpuS: Math.round((cpu.user + cpu.system) / 1e4) / 100,
    rssMB: mb(mem.rss),
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    heapUsedMB: mb(mem.heapUsed),
    maxLoopDelayMs: Math.round(loopDelay.max / 1e6),
    p99LoopDelayMs: Math.round(loopDelay.percentile(99) / 1e6),
  };
  loopDelay.reset();
  return out;
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const [cmd, arg] = line.trim().split(/\s+/, 2);
  if (cmd === 'boot-ids' && arg) {
    writeJson(arg, bootIds());
    process.stdout.write('ok\n');
  } else if (cmd === 'stats') {
    process.stdout.write(`${JSON.stringify(stats())}\n`);
  }
});
lines.on('close', () => void stop());

writeJson(join(dir, 'bench-lab.json'), {
  inventoryPath: cluster.inventoryPath,
  hosts: cluster.hosts.length,
  startupMs,
  rssMB: Math.round(process.memoryUsage().rss / 1e6),
});
