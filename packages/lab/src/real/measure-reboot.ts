// Reboot cost of the real lab when many hosts reboot at once:
//   node --import tsx test/lab/real/measure-reboot.ts [computes=12] [--ssh] [--base 127.0.73] [--reboot-seconds 3] [--rounds 1] [--burn 0]
// starts benchCluster(computes) with rebootSeconds (default 3), asks every
// Intel compute to reboot at the same moment (the request file the hosts'
// `reboot` tool writes; with --ssh: `reboot` run over ssh on each host), and
// prints, per host, the time from the request to sshd accepting again, and
// the lab process's event-loop lag meanwhile (a 10 ms setInterval and
// perf_hooks' monitorEventLoopDelay). --burn N runs N busy loops meanwhile (a
// loaded machine, as during the benchmark). PASSTHRU_LAB_DEBUG=1 prints the phases.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { benchCluster } from '../specs.ts';
import { ssh } from './client.ts';
import { realLabUnavailable, startRealLab, type RealLab } from './lab.ts';

const why = realLabUnavailable();
if (why) {
  process.stderr.write(`real lab unavailable: ${why}\n`);
  process.exit(2);
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    ssh: { type: 'boolean', default: false },
    base: { type: 'string', default: '127.0.73' },
    'reboot-seconds': { type: 'string', default: '3' },
    rounds: { type: 'string', default: '1' },
    burn: { type: 'string', default: '0' },
  },
});
const computes = Number(positionals[0] ?? 12);
const rebootSeconds = Number(values['reboot-seconds']);

// The watcher runs in a worker thread: its timestamps do not depend on the
// lab's event loop (the thing measured). It reads the listening TCP sockets
// of /proc/net/tcp every 5 ms (the hosts share this machine's network
// namespace): one short read for every host, instead of a connect per host,
// so it costs the lab next to nothing. A listening socket accepts connections.
const WATCHER = `
const { parentPort } = require('node:worker_threads');
const { openSync, readSync, closeSync } = require('node:fs');
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const hex = (address, port) =>
  address.split('.').map(Number).reverse().map((n) => n.toString(16).padStart(2, '0')).join('').toUpperCase() +
  ':' + port.toString(16).padStart(4, '0').toUpperCase();
// the kernel lists the listening sockets first: read until the first other one
// (the whole file walks every connection hash bucket: milliseconds a read)
const chunk = Buffer.alloc(65536);
function listening() {
  const out = new Set();
  const fd = openSync('/proc/net/tcp', 'r');
  try {
    let text = '';
    let first = true;
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) return out;
      text += chunk.toString('latin1', 0, n);
      const lines = text.split('\\n');
      text = lines.pop();
      for (const line of lines) {
        if (first) { first = false; continue; }
        const f = line.trim().split(/\\s+/);
        if (f[3] !== '0A') return out;
        out.add(f[1]);
      }
    }
  } finally {
    closeSync(fd);
  }
}
parentPort.on('message', async ({ hosts, t0 }) => {
  const state = hosts.map((h) => ({ key: hex(h.address, h.port), down: NaN, up: NaN }));
  while (state.some((s) => Number.isNaN(s.up))) {
    const l = listening();
    const t = now() - t0;
    for (const s of state) {
      if (Number.isNaN(s.down)) { if (!l.has(s.key)) s.down = t; }
      else if (Number.isNaN(s.up) && l.has(s.key)) s.up = t;
    }
    await sleep(5);
  }
  parentPort.postMessage(state.map((s) => ({ down: s.down, up: s.up })));
});
`;
const watcher = new Worker(WATCHER, { eval: true });
watcher.unref();
const now = (): number => performance.timeOrigin + performance.now();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** per host: ms after `t0` its port was first seen closed, then open again */
function watch(hosts: Array<{ address: string; port: number }>, t0: number): Promise<Array<{ down: number; up: number }>> {
  return new Promise((resolve) => {
    watcher.once('message', resolve);
    watcher.postMessage({ hosts: hosts.map((h) => ({ address: h.address, port: h.port })), t0 });
  });
}

/** jiffies of the machine's CPUs: busy and total (/proc/stat) */
function machineCpu(): { busy: number; total: number } {
  const f = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  return { busy: total - idle, total };
}

function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number): number => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN;
  return `min ${Math.round(s[0] ?? NaN)} / median ${Math.round(q(0.5))} / max ${Math.round(s[s.length - 1] ?? NaN)} ms`;
}

async function round(lab: RealLab, names: string[]): Promise<void> {
  // event-loop lag: how late a 10 ms interval fires
  const hist = monitorEventLoopDelay({ resolution: 10 });
  let last = performance.now();
  let maxLate = 0;
  let lateSum = 0;
  const lag = setInterval(() => {
    const now = performance.now();
    const late = now - last - 10;
    if (late > maxLate) maxLate = late;
    if (late > 50) lateSum += late;
    last = now;
  }, 10);
  hist.enable();
  const cpu0 = machineCpu();
  const lab0 = process.cpuUsage();
  const t0 = now();
  const watches = watch(names.map((n) => lab.host(n)), t0);
  if (values.ssh) {
    await Promise.all(names.map((n) => ssh(lab, n, 'reboot', { timeoutMs: 10_000 })));
  } else {
    const stamp = `${new Date().toISOString()}\n`;
    for (const n of names) writeFileSync(join(lab.host(n).rootDir, 'run/lab/reboot-request'), stamp);
  }
  const results = await watches;
  const tEnd = now() - t0;
  const cpu1 = machineCpu();
  const labCpu = process.cpuUsage(lab0);
  const busy = (cpu1.busy - cpu0.busy) / (cpu1.total - cpu0.total);
  hist.disable();
  clearInterval(lag);
  for (const n of names) await lab.waitUp(n);
  const ups = results.map((r) => r.up);
  const downs = results.map((r) => r.up - r.down);
  console.log(
    `${names.length} hosts rebooting together (rebootSeconds ${rebootSeconds}, ${values.ssh ? 'reboot over ssh' : 'request file'}):\n` +
      `  request -> sshd accepting: ${stats(ups)}\n` +
      `  port closed -> open again: ${stats(downs)}\n` +
      `  last host up ${Math.round(tEnd)} ms after the requests\n` +
      `  event-loop lag: max ${Math.round(maxLate)} ms (10 ms interval), ${Math.round(lateSum)} ms in stalls > 50 ms;` +
      ` monitorEventLoopDelay p99 ${Math.round(hist.percentile(99) / 1e6)} ms, max ${Math.round(hist.max / 1e6)} ms\n` +
      `  CPU meanwhile: machine ${Math.round(busy * 100)}% busy (${cpus().length} cores), the lab's process ${((labCpu.user + labCpu.system) / 1e6).toFixed(2)} s`,
  );
  if (process.env['MEASURE_VERBOSE'] === '1') {
    names.forEach((n, i) => console.log(`    ${n}: closed ${Math.round(results[i]!.down)} ms, up ${Math.round(results[i]!.up)} ms`));
  }
}

// busy loops: a loaded machine (killed at the end)
const burners: ChildProcess[] = [];
const burn = (): void => {
  for (let i = 0; i < Number(values.burn); i++) burners.push(spawn('sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' }));
};
const unburn = (): void => {
  for (const b of burners.splice(0)) b.kill('SIGKILL');
};
process.on('exit', unburn);

const specs = benchCluster(computes);
const t0 = performance.now();
const lab = await startRealLab(specs, { base: values.base, rebootSeconds });
console.log(`${specs.length} hosts: started in ${Math.round(performance.now() - t0)} ms`);
try {
  const names = specs.filter((s) => s.roles.includes('compute') && s.cpu.vendor === 'intel').map((s) => s.name);
  burn();
  if (burners.length) await sleep(500);
  for (let i = 0; i < Number(values.rounds); i++) await round(lab, names);
} finally {
  unburn();
  await lab.stop();
}
