// Start a real-sshd lab and keep it up until stdin closes (for profiling by hand):
//   node --import tsx test/bench/lab-up.ts --cluster reboot --computes 12 --base 127.0.71
// prints the inventory path, the identity and known_hosts files.
import { parseArgs } from 'node:util';
import { benchCluster, rebootCluster } from '@passthru/lab/specs.ts';
import { startRealLab } from '@passthru/lab/real/lab.ts';

const { values } = parseArgs({ options: { cluster: { type: 'string', default: 'reboot' }, computes: { type: 'string', default: '12' }, base: { type: 'string', default: '127.0.71' }, 'reboot-seconds': { type: 'string', default: '3' } } });
const n = Number(values.computes);
const lab = await startRealLab(values.cluster === 'mixed' ? benchCluster(n) : rebootCluster(n), { base: values.base, rebootSeconds: Number(values['reboot-seconds']) });
process.stdout.write(`${JSON.stringify({ inventory: lab.inventoryPath, identity: lab.identityFile, knownHosts: lab.knownHostsPath, hosts: lab.hosts.map((h) => [h.name, h.address, h.port]) })}\n`);
process.stdin.resume();
process.stdin.on('end', () => void lab.stop().then(() => process.exit(0)));
