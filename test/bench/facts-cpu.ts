// What passthru's facts script costs each host: run the gather script of
// every fact (as root, as a rerun does) on each host of a running real-sshd
// lab (test/bench/lab-up.ts), N times in a row under one `sh`, and print per
// host the CPU (user+sys of every process the script started, from bash's
// `times`), the processes it forked and the programs it started (strace -f),
// and the parsed facts as JSON (to compare two versions of the script).
//   node --import tsx test/bench/facts-cpu.ts --inventory /tmp/passthru-lab-X/inventory.ini [--runs 20] [--json out.json]
// The lab's machine tools (systemctl, lspci, dmesg) are bash wrappers that
// ask the lab process: their own work is not on the host, each call is.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { ALL_FACTS } from '../../src/facts/index.ts';
import { buildGatherScript, parseGatherOutput } from '../../src/facts/gather.ts';

const { values } = parseArgs({ options: { inventory: { type: 'string' }, runs: { type: 'string', default: '20' }, json: { type: 'string' } } });
if (!values.inventory) throw new Error('--inventory PATH (a real-sshd lab, test/bench/lab-up.ts)');
const dir = dirname(values.inventory);
const runs = Number(values.runs);
const hosts = [...readFileSync(values.inventory, 'utf8').matchAll(/^(\S+) ansible_host=(\S+)/gm)].map((m) => ({ name: m[1]!, address: m[2]! }));

function ssh(address: string, command: string, input: string): string {
  const r = spawnSync('ssh', ['-i', join(dir, 'id_ed25519'), '-o', `UserKnownHostsFile=${join(dir, 'known_hosts')}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', `root@${address}`, command], { input, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${address}: exit ${r.status}: ${r.stderr}`);
  return r.stdout;
}

const nonce = 'benchnonce1';
const script = buildGatherScript(ALL_FACTS, nonce);
const remote = [
  'cat > /tmp/.passthru-facts.sh',
  `bash -c 'i=0; while [ $i -lt ${runs} ]; do sh /tmp/.passthru-facts.sh >/dev/null; i=$((i+1)); done; times' | tail -n 1`,
  'strace -f -qq -e trace=execve,clone,clone3,fork,vfork -o /tmp/.passthru-facts.st sh /tmp/.passthru-facts.sh >/dev/null',
  "echo forks $(grep -c -E 'clone\\(|clone3\\(|fork\\(' /tmp/.passthru-facts.st) execs $(grep -c 'execve(' /tmp/.passthru-facts.st)",
  "grep 'execve(' /tmp/.passthru-facts.st | sed 's/.*execve(\"\\([^\"]*\\)\".*/\\1/' | sort | uniq -c | sort -rn | tr '\\n' ' '; echo",
  'echo @@output',
  'sh /tmp/.passthru-facts.sh',
  'rm -f /tmp/.passthru-facts.sh /tmp/.passthru-facts.st',
].join('\n');

const all: Record<string, unknown> = {};
let sumMs = 0;
for (const h of hosts) {
  const out = ssh(h.address, remote, script);
  const [head = '', output = ''] = out.split('@@output\n');
  const lines = head.trim().split('\n');
  const t = [...(lines[0] ?? '').matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  const ms = ((t[0] ?? 0) + (t[1] ?? 0)) * 1000 / runs;
  sumMs += ms;
  console.log(`${h.name.padEnd(8)} ${ms.toFixed(1).padStart(6)} ms CPU/run  ${lines[1]}`);
  console.log(`         programs: ${lines[2]}`);
  const parsed = parseGatherOutput(output, ALL_FACTS, nonce);
  all[h.name] = Object.fromEntries([...parsed].filter(([id]) => id !== 'boot_id' && id !== 'iommu').map(([id, r]) => [id, r]));
  // dmesg grows; the rest of iommu stays
  const io = parsed.get('iommu')?.value as { dmesgSignals?: unknown } | undefined;
  if (io) (all[h.name] as Record<string, unknown>)['iommu'] = { ...io, dmesgSignals: undefined };
}
console.log(`sum over ${hosts.length} hosts: ${sumMs.toFixed(0)} ms CPU per gather`);
if (values.json) writeFileSync(values.json, JSON.stringify(all, null, 1));
