// Acceptance: `passthru exec` against real OpenSSH hosts (the real-sshd lab,
// test/lab/real/), the CLI run as a child process the way an operator runs it.
// Every assertion is about what the operator sees: exit code, the output of
// each host, the --json file, and the hosts themselves.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mixedCluster } from '@passthru/lab/specs.ts';
import { LAB_SUDO_PASSWORD, realLabUnavailable, startRealLab, type RealLab } from '@passthru/lab/real/lab.ts';

const BIN = fileURLToPath(new URL('../../bin/passthru.js', import.meta.url));
const BOOT_ID = '/proc/sys/kernel/random/boot_id';
/** an address of the lab's block where nothing listens (its hosts are .1 to .4, its tool server .255) */
const unusedAddress = (lab: RealLab): string => (lab.hosts[0]?.address ?? '127.0.10.1').replace(/\.\d+$/, '.250');

const unavailable = realLabUnavailable();
if (unavailable) process.stderr.write(`\n*** SKIPPED test/commands/exec.test.ts: ${unavailable} ***\n\n`);

interface Cli {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** `node bin/passthru.js ARGS` as a child (never spawnSync: the lab serves the hosts' tools from this process). */
function passthru(args: string[], timeoutMs = 60_000): Promise<Cli> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - t0 });
    });
  });
}

const show = (r: Cli): string => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

/** `host | CHANGED | rc=0 >>` blocks of exec's output: host -> body */
function hostBlocks(stdout: string): Map<string, { head: string; body: string }> {
  const out = new Map<string, { head: string; body: string }>();
  const text = stdout.split('\nRECAP ')[0] ?? '';
  let current: { head: string; lines: string[] } | undefined;
  let name = '';
  for (const line of text.split('\n')) {
    const m = /^(\S+) \| (CHANGED \| rc=\d+ >>|FAILED \| rc=\d+ >>|UNREACHABLE! =>|FAILED! =>)(.*)$/.exec(line);
    if (m) {
      if (current) out.set(name, { head: current.head, body: current.lines.join('\n').trim() });
      name = m[1] ?? '';
      current = { head: `${m[2]}${m[3]}`, lines: [] };
    } else current?.lines.push(line);
  }
  if (current) out.set(name, { head: current.head, body: current.lines.join('\n').trim() });
  return out;
}

interface ExecJson {
  hosts: Record<string, { status: string; rc?: number; stdout?: string; stderr?: string; error?: string }>;
  summary: { hosts: number; ok: number; failed: number; unreachable: number };
  unreachable_hosts: string[];
  failed_hosts: string[];
  duration_ms: number;
}

describe('passthru exec on real sshd hosts', { skip: unavailable ? `SKIPPED: ${unavailable}` : false }, () => {
  let lab: RealLab;
  let work: string;
  let names: string[];
  /** the lab's inventory with the connection user (and sudo password) replaced */
  const inventoryAs = (file: string, user: string, extra = ''): string => {
    const text = readFileSync(lab.inventoryPath, 'utf8').replace(/^ansible_user=.*$/m, `ansible_user=${user}${extra ? `\n${extra}` : ''}`);
    const path = join(work, file);
    writeFileSync(path, text);
    return path;
  };
  const execJson = (file: string): ExecJson => JSON.parse(readFileSync(file, 'utf8')) as ExecJson;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'passthru-exec-test-'));
    const specs = mixedCluster().filter((s) => ['ctl1', 'ubuntu', 'amd', 'nogpu'].includes(s.name));
    // no fixed base: the lab claims a free address block (another test run on this machine may hold one)
    lab = await startRealLab(specs, { rebootSeconds: 0.5 });
    names = lab.hosts.map((h) => h.name);
  });
  after(async () => {
    await lab?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('answers from every host in parallel, each with its own boot_id', async () => {
    const json = join(work, 'boot-id.json');
    // a barrier: each host says it started, then waits until this test lets it go, which it does
    // only when every host has started; one host after the other would never get past the first
    const go = '/root/passthru-exec-go';
    const run = passthru(['exec', '-i', lab.inventoryPath, '--json', json, 'all', '--', `touch /root/passthru-exec-in; while [ ! -e ${go} ]; do sleep 0.05; done; cat ${BOOT_ID}`]);
    const started = (): boolean => names.every((n) => existsSync(join(lab.host(n).rootDir, 'root/passthru-exec-in')));
    const allStarted = await Promise.race([
      (async () => {
        while (!started()) await new Promise((res) => setTimeout(res, 50));
        return true;
      })(),
      run.then(() => false),
    ]);
    for (const n of names) writeFileSync(join(lab.host(n).rootDir, go.slice(1)), '');
    const r = await run;
    assert.ok(allStarted, `the hosts did not run at once: ${names.filter((n) => !existsSync(join(lab.host(n).rootDir, 'root/passthru-exec-in'))).join(', ')} never started\n${show(r)}`);
    assert.equal(r.code, 0, show(r));
    const blocks = hostBlocks(r.stdout);
    assert.deepEqual([...blocks.keys()].sort(), [...names].sort(), show(r));
    for (const name of names) {
      assert.equal(blocks.get(name)?.head, 'CHANGED | rc=0 >>', show(r));
      assert.equal(blocks.get(name)?.body, lab.bootId(name), `${name} answers with its own boot_id`);
    }
    assert.equal(new Set(names.map((n) => blocks.get(n)?.body)).size, names.length, 'every boot_id differs');
    const report = execJson(json);
    assert.deepEqual(report.summary, { hosts: 4, ok: 4, failed: 0, unreachable: 0 });
    for (const name of names) assert.equal(report.hosts[name]?.stdout?.trim(), lab.bootId(name));
  });

  it('an argv with a failing command: that host FAILED with its rc and stderr, exit 2', async () => {
    const r = await passthru(['exec', '-i', lab.inventoryPath, 'compute', '--', 'sh', '-c', 'test "$(hostname)" != nogpu || { echo "no GPU here" >&2; exit 3; }; hostname']);
    assert.equal(r.code, 2, show(r));
    const blocks = hostBlocks(r.stdout);
    assert.equal(blocks.get('nogpu')?.head, 'FAILED | rc=3 >>', show(r));
    assert.equal(blocks.get('nogpu')?.body, 'no GPU here');
    for (const name of ['ubuntu', 'amd']) assert.equal(blocks.get(name)?.body, name, show(r));
    assert.equal(blocks.has('ctl1'), false, 'the pattern selects the compute group only');
  });

  it('a non-root user with NOPASSWD sudo: --become runs as root', async () => {
    const inv = inventoryAs('ops.ini', 'ops');
    const plain = await passthru(['exec', '-i', inv, 'all', '--', 'id', '-un']);
    assert.equal(plain.code, 0, show(plain));
    for (const [name, b] of hostBlocks(plain.stdout)) assert.equal(b.body, 'ops', `${name}: without --become the command runs as ops`);
    const r = await passthru(['exec', '-i', inv, '--become', 'all', '--', 'id', '-u']);
    assert.equal(r.code, 0, show(r));
    const blocks = hostBlocks(r.stdout);
    assert.equal(blocks.size, names.length, show(r));
    for (const [name, b] of blocks) assert.equal(b.body, '0', `${name}: id -u under --become`);
  });

  it('a user whose sudo needs a password: ansible_become_password works and never shows', async () => {
    const inv = inventoryAs('opsp.ini', 'opsp', `ansible_become_password=${LAB_SUDO_PASSWORD}`);
    const json = join(work, 'opsp.json');
    // the command itself prints the password too: it must come out masked
    const r = await passthru(['exec', '-i', inv, '--become', '--json', json, 'all', '--', `id -u; id -un; echo "pw=${LAB_SUDO_PASSWORD}"`]);
    assert.equal(r.code, 0, show(r));
    const blocks = hostBlocks(r.stdout);
    assert.equal(blocks.size, names.length, show(r));
    for (const [name, b] of blocks) {
      const [uid, user, pw] = b.body.split('\n');
      assert.equal(uid, '0', `${name}: id -u under --become`);
      assert.equal(user, 'root', name);
      assert.match(pw ?? '', /^pw=\*+$/, `${name}: the password printed by the command is masked`);
    }
    const report = readFileSync(json, 'utf8');
    for (const [where, text] of [['stdout', r.stdout], ['stderr', r.stderr], ['--json', report]] as const) {
      assert.ok(!text.includes(LAB_SUDO_PASSWORD), `the sudo password appears in ${where}`);
    }
    assert.equal(execJson(json).summary.ok, names.length);
  });

  it('the same user without a password: each host says sudo wants one, exit 2, no prompt hangs', async () => {
    const inv = inventoryAs('opsp-nopw.ini', 'opsp');
    const r = await passthru(['exec', '-i', inv, '--become', 'compute', '--', 'id', '-u'], 30_000);
    assert.equal(r.code, 2, show(r));
    const blocks = hostBlocks(r.stdout);
    for (const name of ['ubuntu', 'amd', 'nogpu']) {
      const b = blocks.get(name);
      assert.ok(b?.head.startsWith('FAILED'), `${name}: ${show(r)}`);
      assert.match(b?.head ?? '', /sudo needs a password/i, `${name} says a sudo password is needed: ${show(r)}`);
      assert.match(b?.body ?? '', /^hint: .*ansible_become_password/m, `${name} says what to do: ${show(r)}`);
    }
  });

  it('an inventory host at an unused address is UNREACHABLE, the others answer, exit 4', async () => {
    const path = join(work, 'ghost.ini');
    const UNUSED_ADDRESS = unusedAddress(lab);
    writeFileSync(path, readFileSync(lab.inventoryPath, 'utf8').replace('[compute]\n', `[compute]\nghost ansible_host=${UNUSED_ADDRESS} ansible_port=22\n`));
    const json = join(work, 'ghost.json');
    const r = await passthru(['exec', '-i', path, '--json', json, 'all', '--', 'cat', BOOT_ID]);
    assert.equal(r.code, 4, show(r));
    const blocks = hostBlocks(r.stdout);
    assert.equal(blocks.get('ghost')?.head.startsWith('UNREACHABLE!'), true, show(r));
    assert.match(blocks.get('ghost')?.head ?? '', new RegExp(UNUSED_ADDRESS.replaceAll('.', '\\.')), 'names the address it tried');
    for (const name of names) assert.equal(blocks.get(name)?.body, lab.bootId(name), `${name} still answers`);
    const report = execJson(json);
    assert.deepEqual(report.unreachable_hosts, ['ghost']);
    assert.equal(report.summary.ok, names.length);
  });

  it('a powered-off host is UNREACHABLE, the others answer, exit 4', async () => {
    await lab.stopHost('nogpu');
    try {
      const r = await passthru(['exec', '-i', lab.inventoryPath, 'all', '--', 'cat', BOOT_ID]);
      assert.equal(r.code, 4, show(r));
      const blocks = hostBlocks(r.stdout);
      assert.equal(blocks.get('nogpu')?.head.startsWith('UNREACHABLE!'), true, show(r));
      for (const name of names.filter((n) => n !== 'nogpu')) assert.equal(blocks.get(name)?.body, lab.bootId(name), `${name} still answers`);
      assert.match(r.stdout, /^nogpu\s+: unreachable$/m, 'the recap lists it');
    } finally {
      await lab.startHost('nogpu');
    }
  });

  it('a host whose key changed is refused, naming the known_hosts file and line; the others answer; exit 4', async () => {
    const victim = lab.host('ubuntu');
    const known = readFileSync(lab.knownHostsPath, 'utf8').split('\n');
    const line = known.findIndex((l) => l.startsWith(`${victim.address} `) || l.startsWith(`[${victim.address}]:`)) + 1;
    assert.ok(line > 0, `known_hosts has a line for ${victim.address}`);
    await lab.rotateHostKey('ubuntu');
    const r = await passthru(['exec', '-i', lab.inventoryPath, 'all', '--', 'cat', BOOT_ID]);
    assert.equal(r.code, 4, show(r));
    const blocks = hostBlocks(r.stdout);
    const refused = blocks.get('ubuntu');
    assert.ok(refused, show(r));
    assert.ok(refused.head.startsWith('UNREACHABLE!'), show(r));
    assert.ok(refused.head.includes(lab.knownHostsPath), `names the known_hosts file: ${refused.head}`);
    assert.match(refused.head, new RegExp(`line ${line}\\b`), `names line ${line}: ${refused.head}`);
    assert.match(refused.head, /changed/i);
    for (const name of names.filter((n) => n !== 'ubuntu')) assert.equal(blocks.get(name)?.body, lab.bootId(name), `${name} still answers`);
  });
});
