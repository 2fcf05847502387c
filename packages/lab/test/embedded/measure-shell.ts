// The lab's shell under the product's scripts: N simulated hosts (benchCluster), each
// gathering every fact and reading/writing/restoring nova.conf through runShell (no SSH).
//   node --expose-gc --import tsx packages/lab/test/embedded/measure-shell.ts 1000
// A measurement (not a test): prints one JSON line (CPU and wall seconds, heap, peak RSS).
import ssh2 from 'ssh2';
import type { ParsedKey } from 'ssh2';
import { generateEd25519 } from '../../src/embedded/cluster.ts';
import { SimHost } from '../../src/embedded/host.ts';
import { hostModel } from '../../src/embedded/model.ts';
import { runShell } from '../../src/embedded/shell.ts';
import { benchCluster } from '../../src/specs.ts';
import type { RemoteHost } from '../../../../src/ssh/types.ts';
import { gatherFacts } from '../../../../src/facts/gather.ts';
import { ALL_FACTS } from '../../../../src/facts/index.ts';
import { readRemoteFile, restoreBackup, writeRemoteFile } from '../../../../src/ssh/files.ts';

const n = Number(process.argv[2] ?? '200');
const specs = benchCluster(n - 1);
const keys = generateEd25519();
const clientKey = ssh2.utils.parseKey(generateEd25519().public) as ParsedKey;
const hosts = specs.map((spec) => new SimHost({ spec, model: hostModel(spec, specs), hostKey: keys.private, clientKey, rebootSeconds: 0, loginUsers: ['root', 'ops'], sudoers: [{ user: 'ops' }], acceptEnv: [] }));
const remote = (h: SimHost): RemoteHost => ({ name: h.name, connected: true, exec: (command, opts = {}) => runShell(h, { user: 'root', command, stdin: opts.stdin }), reconnect: async () => undefined, close: async () => undefined });
let errors = 0;
async function one(h: SimHost): Promise<void> {
  const host = remote(h);
  const facts = await gatherFacts(host, ALL_FACTS);
  for (const [, r] of facts) if (r.error !== undefined) errors++;
  const f = await readRemoteFile(host, '/etc/nova/nova.conf');
  const w = await writeRemoteFile(host, '/etc/nova/nova.conf', `${f.content}[pci]\nalias = {}\n`, { backup: true });
  if (w.backupPath !== undefined) await restoreBackup(host, '/etc/nova/nova.conf', w.backupPath);
  await gatherFacts(host, ALL_FACTS);
}
const c0 = process.cpuUsage();
const t0 = performance.now();
let next = 0;
await Promise.all(Array.from({ length: 50 }, async () => { while (next < hosts.length) await one(hosts[next++]!); }));
const c = process.cpuUsage(c0);
global.gc?.();
console.log(JSON.stringify({ hosts: n, cpuS: +((c.user + c.system) / 1e6).toFixed(2), wallS: +((performance.now() - t0) / 1000).toFixed(2), cpuMsPerHost: +((c.user + c.system) / 1e3 / n).toFixed(2), heapMB: Math.round(process.memoryUsage().heapUsed / 1e6), rssMB: Math.round(process.memoryUsage().rss / 1e6), peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024), factErrors: errors }));
process.exit(0);
