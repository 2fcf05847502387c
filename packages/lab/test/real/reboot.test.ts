// Many hosts rebooting at once, as a rollout's batch does: each comes back
// with a new boot (the boots' file work is done in boot workers while the
// hosts are down, never on the lab's main thread). How long they take is
// reported as a diagnostic, not asserted: speed belongs in the benchmark
// (npm run bench).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { benchCluster } from '../../src/specs.ts';
import { ssh } from '../../src/real/client.ts';
import { realLabUnavailable, startRealLab, type RealLab } from '../../src/real/lab.ts';

const unavailable = realLabUnavailable();
if (unavailable) process.stderr.write(`\n*** SKIPPED packages/lab/test/real/reboot.test.ts: ${unavailable} ***\n\n`);

const COMPUTES = 48;
const REBOOT_SECONDS = 2;

/** how late a 10 ms interval fires, at worst, while `work` runs */
async function worstLag<T>(work: () => Promise<T>): Promise<{ result: T; lagMs: number }> {
  let last = performance.now();
  let lagMs = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    lagMs = Math.max(lagMs, now - last - 10);
    last = now;
  }, 10);
  try {
    return { result: await work(), lagMs };
  } finally {
    clearInterval(timer);
  }
}

describe(`real lab: ${COMPUTES + 1} hosts rebooting together`, { skip: unavailable ? `SKIPPED: ${unavailable}` : false }, () => {
  let lab: RealLab;

  before(async () => {
    lab = await startRealLab(benchCluster(COMPUTES), { rebootSeconds: REBOOT_SECONDS });
  });
  after(async () => {
    await lab?.stop();
  });

  it('all reboot at once and each comes back with a new boot', async (t) => {
    const names = lab.hosts.map((h) => h.name);
    const oldIds = new Map(names.map((n) => [n, lab.bootId(n)]));
    const t0 = performance.now();
    const { result: took, lagMs } = await worstLag(() => Promise.all(names.map((n) => lab.reboot(n).then(() => performance.now() - t0))));
    const sorted = [...took].sort((a, b) => a - b);
    // before the boot workers, the hosts came back one after the other (60-170 ms of
    // main-thread file work each): watch these figures, and the benchmark's reboot phases
    t.diagnostic(`reboots took ${Math.round(sorted[0]!)}..${Math.round(sorted[sorted.length - 1]!)} ms (rebootSeconds ${REBOOT_SECONDS}); worst event-loop lag ${Math.round(lagMs)} ms`);
    // really rebooted: a new boot, as a client sees it
    for (const n of names) {
      assert.notEqual(lab.bootId(n), oldIds.get(n), n);
      assert.equal(lab.bootCount(n), 2, n);
    }
    const some = [names[0]!, names[names.length - 1]!];
    for (const n of some) {
      const r = await ssh(lab, n, 'cat /proc/sys/kernel/random/boot_id');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), lab.bootId(n));
    }
  });

  it("a host whose pid 1 dies by itself reboots: a new boot", async (t) => {
    const name = lab.hosts[1]!.name;
    const oldId = lab.bootId(name);
    const boots = lab.bootCount(name);
    // the host's pid 1 is its sshd's parent
    const out = execFileSync('ss', ['-H', '-ltnp', 'src', lab.host(name).address], { encoding: 'utf8' });
    const sshd = Number(/\("sshd",pid=(\d+)/.exec(out)?.[1]);
    const init = Number(readFileSync(`/proc/${sshd}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')[1]);
    assert.ok(init > 1, out);
    const t0 = performance.now();
    process.kill(init, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 300)); // (waitUp called in the very instant of the kill could still see the old sshd)
    await lab.waitUp(name);
    t.diagnostic(`back after ${Math.round(performance.now() - t0)} ms (rebootSeconds ${REBOOT_SECONDS})`);
    assert.notEqual(lab.bootId(name), oldId);
    assert.equal(lab.bootCount(name), boots + 1);
    const r = await ssh(lab, name, 'cat /proc/sys/kernel/random/boot_id');
    assert.equal(r.stdout.trim(), lab.bootId(name), r.stderr);
  });
});
