// Cost of nova unit restarts in the real lab (the lab-side nova check at unit
// start): `node --import tsx test/lab/real/measure-nova.ts [computes] [base] [rounds]`
// starts benchCluster(computes) (default 12, + 1 controller; address base
// default 127.0.72), then, `rounds` times (default 3: the first round checks
// configs the lab has not seen yet, the others the same files again),
// restarts the nova service of every host in parallel, one ssh each
// (nova-compute / openstack-nova-compute on the computes, the scheduler on
// the controller); then 13 restarts one after the other inside one ssh
// session on one compute. Prints wall times, the time systemctl took inside
// the hosts, and the CPU this process (the lab, its tool worker, the ssh
// clients) and the lab's nova checker used.
// PASSTHRU_LAB_JS_NOVA_CHECK=1 gives the JS model's figures.
import { readdirSync, readFileSync } from 'node:fs';
import { benchCluster } from '../specs.ts';
import { hostUnits } from '../distro.ts';
import { ssh } from './client.ts';
import { realLabUnavailable, startRealLab } from './lab.ts';

const why = realLabUnavailable();
if (why) {
  process.stderr.write(`real lab unavailable: ${why}\n`);
  process.exit(2);
}

const computes = Number(process.argv[2] ?? 12);
const base = process.argv[3] ?? '127.0.72';
const rounds = Number(process.argv[4] ?? 3);
const TICK = 100; // clock ticks per second (/proc/<pid>/stat)

/** CPU seconds of this process (every thread), of its reaped children, and of the lab's running nova checkers */
function cpu(labDir: string): { self: number; children: number; checker: number } {
  const fields = (pid: string): string[] => {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2).split(' ');
  };
  const me = fields('self');
  // after ')' : state(0) ... utime(11) stime(12) cutime(13) cstime(14)
  const self = (Number(me[11]) + Number(me[12])) / TICK;
  const children = (Number(me[13]) + Number(me[14])) / TICK;
  let checker = 0;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (!readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(`${labDir}/tools/nova_check.py`)) continue;
      const f = fields(name);
      checker += (Number(f[11]) + Number(f[12])) / TICK;
    } catch {
      // gone
    }
  }
  return { self, children, checker };
}

const fmt = (s: number): string => `${s.toFixed(2)} s`;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

const specs = benchCluster(computes);
const t0 = performance.now();
const lab = await startRealLab(specs, { base });
const t1 = performance.now();
const c0 = cpu(lab.dir);
console.log(`${specs.length} hosts: lab up in ${Math.round(t1 - t0)} ms (lab process CPU so far ${fmt(c0.self)}, nova checker ${fmt(c0.checker)})`);
try {
  const targets = lab.hosts.map((h) => {
    const svc = h.spec.roles.includes('compute') ? 'compute' : 'scheduler';
    const unit = hostUnits(h.spec).find((u) => u.nova === svc);
    if (!unit) throw new Error(`${h.name}: no nova-${svc} unit`);
    return { name: h.name, unit: unit.name };
  });
  // systemctl's own time, measured inside the host
  const timed = (unit: string): string =>
    `s=$(date +%s%N); systemctl restart ${unit}; e=$(date +%s%N); echo "$(( (e - s) / 1000000 )) $(systemctl is-active ${unit})"`;
  for (let round = 1; round <= rounds; round++) {
    const before = cpu(lab.dir);
    const r0 = performance.now();
    const results = await Promise.all(targets.map(async (t) => ({ ...t, r: await ssh(lab, t.name, timed(t.unit), { timeoutMs: 120_000 }) })));
    const wall = performance.now() - r0;
    const afterCpu = cpu(lab.dir);
    const inHost = results.map((x) => Number(x.r.stdout.trim().split(' ')[0]));
    const states = results.map((x) => x.r.stdout.trim().split(' ')[1]);
    const failed = results.filter((x) => x.r.code !== 0 || !/^\d+ (active|failed)$/.test(x.r.stdout.trim()));
    console.log(
      `round ${round}: ${targets.length} restarts in parallel: ${Math.round(wall)} ms wall; systemctl restart inside the hosts: ` +
        `median ${median(inHost)} ms, max ${Math.max(...inHost)} ms; ` +
        `CPU: lab process ${fmt(afterCpu.self - before.self)}, reaped children ${fmt(afterCpu.children - before.children)}, ` +
        `nova checker ${fmt(afterCpu.checker - before.checker)}; ${states.filter((s) => s === 'active').length} active` +
        `${failed.length ? `; FAILED: ${failed.map((f) => `${f.name} ${f.r.code} ${f.r.stdout.trim()} ${f.r.stderr.trim()}`).join('; ')}` : ''}`,
    );
  }
  // one after the other, in one session (no ssh handshake per restart)
  const one = targets.find((t) => t.name !== 'ctl') ?? targets[0]!;
  const before = cpu(lab.dir);
  const loop = await ssh(
    lab,
    one.name,
    `s=$(date +%s%N); for i in $(seq ${targets.length}); do systemctl restart ${one.unit}; done; e=$(date +%s%N); echo $(( (e - s) / 1000000 ))`,
    { timeoutMs: 300_000 },
  );
  const afterCpu = cpu(lab.dir);
  console.log(
    `${targets.length} restarts of ${one.unit} one after the other on ${one.name}: ${loop.stdout.trim()} ms ` +
      `(CPU: lab process ${fmt(afterCpu.self - before.self)}, reaped children ${fmt(afterCpu.children - before.children)}, nova checker ${fmt(afterCpu.checker - before.checker)})`,
  );
} finally {
  const s = performance.now();
  await lab.stop();
  console.log(`stop ${Math.round(performance.now() - s)} ms`);
}
