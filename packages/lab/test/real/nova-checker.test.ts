// The real lab's nova check at unit start: one long-lived `python3
// nova_check.py --batch` owned by the lab's tool worker, warm once the lab is
// up, answering as nova's own code (the script's one-shot mode) does, replaced
// when it dies, gone when the lab stops.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mixedCluster } from '../../src/specs.ts';
import { hostUnits } from '../../src/distro.ts';
import { NodeFs } from '../../src/nodefs.ts';
import { novaConfigFiles } from '../../src/novacheck.ts';
import { runNovaCheckPy, SYSTEM_PYTHON } from '../../src/tools/novacheck-run.ts';
import type { HostSpec } from '../../src/types.ts';
import { ssh } from '../../src/real/client.ts';
import { realLabUnavailable, startRealLab, type RealLab } from '../../src/real/lab.ts';

const labUnavailable = realLabUnavailable();
const noNova = existsSync(SYSTEM_PYTHON) ? undefined : `${SYSTEM_PYTHON} is missing`;
const unavailable = labUnavailable ?? noNova;
if (unavailable) process.stderr.write(`\n*** SKIPPED packages/lab/test/real/nova-checker.test.ts: ${unavailable} ***\n\n`);

/** a unit start runs nova's check (a new checker imports nova: seconds of CPU): generous on a loaded machine */
const SLOW = { timeoutMs: 180_000 };

/** pids of the nova checkers of the lab in `dir` (python3 <dir>/tools/nova_check.py --batch) */
function checkerPids(dir: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      if (argv.includes(`${dir}/tools/nova_check.py`) && argv.includes('--batch')) out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** bytes the process has read so far (its requests, nova's modules and the config files) */
function bytesRead(pid: number): number {
  return Number(/^rchar: (\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))?.[1]);
}

function parentOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

/** every pid has exited (a zombie counts as gone unless `reaped`) */
async function gone(pids: number[], { timeoutMs = 5000, reaped = false } = {}): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (pids.every((p) => !existsSync(`/proc/${p}`) || (!reaped && /^State:\s+Z/m.test(readStatus(p))))) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

function readStatus(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return '';
  }
}

describe('real lab: nova checks at unit start', { skip: unavailable ? `SKIPPED: ${unavailable}` : false }, () => {
  let lab: RealLab;
  let compute: HostSpec;
  let unit: string;
  const badAlias = '\n[pci]\nalias = {"name":"a","vendor":"10de"}\n';

  before(async () => {
    const all = mixedCluster();
    const c = all.find((s) => s.roles.includes('compute') && s.distro === 'debian-12');
    if (!c) throw new Error('mixedCluster() has no Debian compute');
    compute = c;
    unit = hostUnits(compute).find((u) => u.nova === 'compute')?.name ?? '';
    lab = await startRealLab([compute], { rebootSeconds: 0.5 });
  });
  after(async () => {
    await lab?.stop();
  });

  it('the lab is up with its checker started: one python3 nova_check.py --batch, a child of this process', () => {
    const pids = checkerPids(lab.dir);
    assert.equal(pids.length, 1, 'one checker');
    assert.equal(parentOf(pids[0]!), process.pid);
  });

  it("a unit start fails with nova's exception and message, as the one-shot script says; a good config starts", async () => {
    const before0 = checkerPids(lab.dir);
    const add = await ssh(lab, compute.name, `cp -p /etc/nova/nova.conf /root/nova.conf.good && printf '%s' '${badAlias}' >> /etc/nova/nova.conf`);
    assert.equal(add.code, 0, add.stderr);

    // what nova's code says, one python3 for this one check, on the host's files
    const root = lab.host(compute.name).rootDir;
    const fs = new NodeFs(root);
    const files = novaConfigFiles(fs, compute, 'compute').filter((f) => fs.exists(f));
    const expected = await runNovaCheckPy(files.map((f) => fs.real(f)), compute.nova?.release ?? 'zed', 'compute');
    assert.ok(expected && expected !== 'unavailable', 'nova rejects the alias');
    assert.equal(expected.exception, 'nova.exception.PciInvalidAlias');
    const line = `${expected.exception}: ${expected.message.split(root).join('')}`;

    const read0 = bytesRead(before0[0]!);
    const r = await ssh(lab, compute.name, `systemctl restart ${unit}; systemctl is-active ${unit}; journalctl -u ${unit} -n 60 --no-pager`, SLOW);
    const [state] = r.stdout.split('\n');
    assert.equal(state, 'failed', r.stdout + r.stderr);
    assert.ok(r.stdout.includes(line), `the journal says ${line}:\n${r.stdout}`);
    assert.ok(bytesRead(before0[0]!) > read0, "the checker was asked (not the JS model)");

    const fixed = await ssh(lab, compute.name, `cp -p /root/nova.conf.good /etc/nova/nova.conf && systemctl restart ${unit} && systemctl is-active ${unit}`, SLOW);
    assert.equal(fixed.stdout, 'active\n', fixed.stderr);
    assert.deepEqual(checkerPids(lab.dir), before0, 'the same checker answered');
  });

  it('a checker killed mid-way is replaced', async () => {
    const [first] = checkerPids(lab.dir);
    assert.ok(first);
    process.kill(first, 'SIGKILL');
    assert.ok(await gone([first]));
    // a config not seen yet (not memoized): the new checker must answer
    const r = await ssh(lab, compute.name, `printf '%s' '${badAlias}' >> /etc/nova/nova.conf; printf '\\n# %s\\n' "$RANDOM" >> /etc/nova/nova.conf; systemctl restart ${unit}; systemctl is-active ${unit}; cp -p /root/nova.conf.good /etc/nova/nova.conf; systemctl restart ${unit}; systemctl is-active ${unit}`, SLOW);
    assert.equal(r.stdout, 'failed\nactive\n', r.stderr);
    const now = checkerPids(lab.dir);
    assert.equal(now.length, 1);
    assert.notEqual(now[0], first);
  });

  it('stop() leaves no checker behind', async () => {
    const pids = checkerPids(lab.dir);
    assert.equal(pids.length, 1);
    await lab.stop();
    assert.ok(await gone(pids, { reaped: true }), 'the checker is gone (and reaped)');
    assert.deepEqual(checkerPids(lab.dir), []);
  });
});
