// No sshd outlives a test run: a process that started a lab and dies (by
// SIGTERM, or even SIGKILL) takes every host with it, and the lab's nova
// checker (python3 nova_check.py --batch, started by the tool worker).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { realLabUnavailable } from '../../src/real/preflight.ts';

const unavailable = realLabUnavailable();
if (unavailable) process.stderr.write(`\n*** SKIPPED packages/lab/test/real/cleanup.test.ts: ${unavailable} ***\n\n`);

const repo = fileURLToPath(new URL('../../', import.meta.url));
const CHILD = `
import { startRealLab } from './src/real/lab.ts';
import { mixedCluster } from './src/specs.ts';
const lab = await startRealLab(mixedCluster().filter((s) => s.distro === 'debian-12').slice(0, 1));
console.log(JSON.stringify({ dir: lab.dir, address: lab.hosts[0].address }));
setInterval(() => {}, 1000);
`;

/** pids of processes listening on the address */
function listeners(address: string): number[] {
  const out = execFileSync('ss', ['-H', '-ltnp', 'src', address], { encoding: 'utf8' });
  return [...out.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1]));
}

/** with python3-nova the lab runs a nova checker; without, the JS model answers and nothing runs */
const pythonNova = spawnSync('/usr/bin/python3', ['-c', 'import nova.pci.request'], { encoding: 'utf8' }).status === 0;

/** pids of the lab's nova checker (python3 <dir>/tools/nova_check.py --batch) */
function checkers(dir: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').includes(`${dir}/tools/nova_check.py`)) out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

async function startChild(): Promise<{ pid: number; dir: string; address: string; exited: Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD], { cwd: repo, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0] ?? '');
    });
    child.once('exit', (code) => reject(new Error(`lab child exited (${code}) before the lab was up`)));
  });
  const { dir, address } = JSON.parse(line) as { dir: string; address: string };
  return { pid: child.pid ?? 0, dir, address, exited };
}

async function gone(pids: number[], timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (pids.every((p) => !existsSync(`/proc/${p}`))) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

describe('real lab cleanup when the test process dies', { skip: unavailable ? `SKIPPED: ${unavailable}` : false }, () => {
  it('SIGTERM: every host process is killed and the lab dir removed', async (t) => {
    const c = await startChild();
    t.after(() => rmSync(c.dir, { recursive: true, force: true }));
    const sshd = listeners(c.address);
    assert.equal(sshd.length, 1);
    const nova = checkers(c.dir);
    assert.equal(nova.length, pythonNova ? 1 : 0, 'the nova checker runs');
    process.kill(c.pid, 'SIGTERM');
    await c.exited;
    assert.ok(await gone(sshd), 'sshd is gone');
    assert.ok(await gone(nova), 'the nova checker is gone');
    assert.deepEqual(listeners(c.address), []);
    assert.equal(existsSync(c.dir), false, 'the lab dir is removed');
  });

  it('SIGKILL: the namespaces die with the process (no exit handler runs)', async (t) => {
    const c = await startChild();
    t.after(() => rmSync(c.dir, { recursive: true, force: true }));
    const sshd = listeners(c.address);
    assert.equal(sshd.length, 1);
    const nova = checkers(c.dir);
    assert.equal(nova.length, pythonNova ? 1 : 0, 'the nova checker runs');
    process.kill(c.pid, 'SIGKILL');
    await c.exited;
    assert.ok(await gone(sshd), 'sshd is gone');
    assert.ok(await gone(nova), 'the nova checker is gone (it dies with the thread that started it)');
    assert.deepEqual(listeners(c.address), []);
    let left = '';
    try {
      left = execFileSync('pgrep', ['-a', '-f', c.dir], { encoding: 'utf8' });
    } catch {
      // exit 1: nothing left
    }
    assert.equal(left, '', 'no supervisor or unshare of the lab is left');
  });
});
