// Acceptance: `passthru run` against real OpenSSH hosts (the real-sshd lab,
// test/lab/real/), the CLI run as a child process, with small playbooks of
// generic steps (test/fixtures/playbooks/). What is asserted is what an
// operator notices: exit codes, the output (diffs, recap), the --json report,
// and the hosts themselves (file hashes, stat, unit states, boot_id).
//
// The tests share one lab of four computes and run in order: the dry run first
// (on untouched hosts), then the rollout, the second rollout, handlers, serial
// batches and Ctrl-C.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hostUnits } from '@passthru/lab/distro.ts';
import { LAB_SECRETS } from '@passthru/lab/secrets.ts';
import { mixedCluster } from '@passthru/lab/specs.ts';
import { ssh } from '@passthru/lab/real/client.ts';
import { realLabUnavailable, startRealLab, type RealLab } from '@passthru/lab/real/lab.ts';

const BIN = fileURLToPath(new URL('../../bin/passthru.js', import.meta.url));
const PLAYBOOKS = fileURLToPath(new URL('../fixtures/playbooks/', import.meta.url));
const NEW_PLACEMENT_PASSWORD = 'NewPlacementPw-5e8Kq1';
/** unit states (/run/lab/units), the journal, reboot requests */
const RUNTIME_PATHS = ['/run/lab', '/var/log/lab'];

const unavailable = realLabUnavailable();
if (unavailable) process.stderr.write(`\n*** SKIPPED test/commands/run.test.ts: ${unavailable} ***\n\n`);

interface Cli {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

interface Running {
  child: ReturnType<typeof spawn>;
  /** stdout so far */
  out(): string;
  done: Promise<Cli>;
}

/** `node bin/passthru.js ARGS` as a child (never spawnSync: the lab serves the hosts' tools and reboots from this process). */
function start(args: string[], timeoutMs = 90_000): Running {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise<Cli>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, out: () => stdout, done };
}

const passthru = (args: string[]): Promise<Cli> => start(args).done;
const show = (r: Cli): string => `exit ${r.code}${r.signal ? ` (${r.signal})` : ''}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

interface ReportStep {
  name: string;
  status: string;
  changed: boolean;
  diff?: string;
  error?: string;
}
interface Report {
  hosts: Record<string, { status: string; steps: ReportStep[]; last_step?: { play: string; step: string; done: boolean } }>;
  summary: { ok: number; changed: number; failed: number; unreachable: number; skipped: number; hosts: number };
  check: boolean;
  interrupted: boolean;
  failed_hosts: string[];
}
const readReport = (file: string): Report => JSON.parse(readFileSync(file, 'utf8')) as Report;

describe('passthru run on real sshd hosts', { skip: unavailable ? `SKIPPED: ${unavailable}` : false }, () => {
  let lab: RealLab;
  let work: string;
  let inventory: string;
  let names: string[];
  const playbook = (name: string): string => join(PLAYBOOKS, name);
  const novaEdit = (extra: string[]): string[] => ['run', playbook('nova-edit.yaml'), '-i', inventory, '-e', `placement_password=${NEW_PLACEMENT_PASSWORD}`, ...extra];

  /** everything a run could change on a host */
  const snapshot = (name: string): { files: Record<string, string>; runtime: Record<string, string>; bootId: string; boots: number } => ({
    files: lab.fileHashes(name),
    runtime: lab.fileHashes(name, RUNTIME_PATHS),
    bootId: lab.bootId(name),
    boots: lab.bootCount(name),
  });
  const changedFiles = (a: Record<string, string>, b: Record<string, string>): string[] =>
    [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => a[k] !== b[k]).sort();

  const assertNoSecrets = (text: string, where: string): void => {
    for (const s of [...LAB_SECRETS, NEW_PLACEMENT_PASSWORD]) assert.ok(!text.includes(s), `${where} shows the secret ${s}`);
  };

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'passthru-run-test-'));
    const specs = mixedCluster().filter((s) => ['el7-bios', 'ubuntu', 'amd', 'nogpu'].includes(s.name));
    // no fixed base: the lab claims a free address block (another test run on this machine may hold one)
    lab = await startRealLab(specs, { rebootSeconds: 0.5 });
    names = lab.hosts.map((h) => h.name);
    // the lab's inventory, each host with the name of its nova-compute unit (it differs by distribution)
    const unitOf = (name: string): string => {
      const unit = hostUnits(lab.host(name).spec).find((u) => u.nova === 'compute');
      assert.ok(unit, `${name} runs nova-compute`);
      return unit.name;
    };
    inventory = join(work, 'inventory.ini');
    writeFileSync(
      inventory,
      readFileSync(lab.inventoryPath, 'utf8').replace(/^(\S+) ansible_host=\S+ ansible_port=\d+$/gm, (line, name: string) => `${line} nova_unit=${unitOf(name)}`),
    );
  });
  after(async () => {
    await lab?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('--check changes nothing (files, units, journal, boot) and shows unified diffs without secrets', async () => {
    const before = new Map(names.map((n) => [n, snapshot(n)]));
    const json = join(work, 'check.json');
    const r = await passthru(novaEdit(['--check', '--json', json]));
    assert.equal(r.code, 0, show(r));
    for (const name of names) {
      const now = snapshot(name);
      const was = before.get(name)!;
      assert.deepEqual(changedFiles(was.files, now.files), [], `${name}: files changed by --check`);
      assert.deepEqual(changedFiles(was.runtime, now.runtime), [], `${name}: unit states or journal changed by --check (a restart?)`);
      assert.equal(now.bootId, was.bootId, `${name} rebooted during --check`);
      assert.equal(now.boots, was.boots);
    }
    // a unified diff of nova.conf: headers, a hunk, the added line
    assert.match(r.stdout, /^--- \/etc\/nova\/nova\.conf \(before\)\n\+\+\+ \/etc\/nova\/nova\.conf \(after\)\n@@ -\d+,\d+ \+\d+,\d+ @@$/m, show(r));
    assert.match(r.stdout, /^\+debug ?= ?true$/m);
    assert.match(r.stdout, /^\+options vfio-pci disable_vga=1$/m);
    // the password line being replaced is in the diff, masked on both sides
    assert.match(r.stdout, /^-password ?= ?\*+\n\+password ?= ?\*+$/m);
    assertNoSecrets(r.stdout + r.stderr, 'the --check output');
    const report = readReport(json);
    assert.equal(report.check, true);
    assert.equal(report.summary.changed, names.length, 'every host would change');
    for (const name of names) {
      const steps = report.hosts[name]?.steps ?? [];
      assert.ok(steps.some((s) => s.name === 'restart nova' && s.changed), `${name}: the handler would run`);
      assert.ok(steps.some((s) => s.name === 'reboot for the module options' && s.changed), `${name}: the reboot would run`);
      assert.ok(steps.find((s) => s.name === 'new placement password')?.diff?.includes('password'), `${name}: the report has the diff`);
    }
    assertNoSecrets(readFileSync(json, 'utf8'), 'the --check JSON report');
  });

  it('the rollout edits nova.conf keeping root:nova 0640, restarts nova, reboots, and never shows a secret', async () => {
    const before = new Map(names.map((n) => [n, snapshot(n)]));
    const json = join(work, 'apply.json');
    const r = await passthru(novaEdit(['--yes', '--diff', '--json', json]));
    assert.equal(r.code, 0, show(r));
    const report = readReport(json);
    assert.equal(report.summary.changed, names.length, show(r));
    for (const name of names) {
      const st = await ssh(lab, name, 'stat -c "%U %G %a" /etc/nova/nova.conf');
      assert.equal(st.stdout.trim(), 'root nova 640', `${name}: owner, group and mode of nova.conf`);
      const conf = lab.readFile(name, '/etc/nova/nova.conf');
      assert.match(conf, /^debug ?= ?true$/m, `${name}: the edit is in the file`);
      assert.match(conf, new RegExp(`^password ?= ?${NEW_PLACEMENT_PASSWORD}$`, 'm'), `${name}: the new password is in the file`);
      const now = snapshot(name);
      assert.notEqual(now.bootId, before.get(name)!.bootId, `${name} rebooted`);
      const steps = report.hosts[name]?.steps ?? [];
      assert.equal(steps.filter((s) => s.name === 'restart nova').length, 1, `${name}: nova restarted once`);
      assert.match(lab.readFile(name, `/run/lab/units/${hostUnits(lab.host(name).spec).find((u) => u.nova === 'compute')!.name}`), /^active/, `${name}: nova-compute runs`);
    }
    assert.match(r.stdout, /^\+debug ?= ?true$/m, '--diff shows the diffs while applying');
    assertNoSecrets(r.stdout + r.stderr, 'the rollout output');
    assertNoSecrets(readFileSync(json, 'utf8'), 'the JSON report');
  });

  it('a second rollout of the same playbook changes nothing and restarts nothing', async () => {
    const before = new Map(names.map((n) => [n, snapshot(n)]));
    const json = join(work, 'again.json');
    const r = await passthru(novaEdit(['--yes', '--json', json]));
    assert.equal(r.code, 0, show(r));
    const report = readReport(json);
    assert.equal(report.summary.changed, 0, show(r));
    for (const name of names) {
      const steps = report.hosts[name]?.steps ?? [];
      assert.ok(steps.length >= 6, `${name} ran the steps`);
      assert.deepEqual(steps.filter((s) => s.changed).map((s) => s.name), [], `${name}: steps that changed`);
      assert.equal(steps.some((s) => s.name === 'restart nova'), false, `${name}: the handler ran`);
      const now = snapshot(name);
      const was = before.get(name)!;
      assert.deepEqual(changedFiles(was.files, now.files), [], `${name}: files changed`);
      assert.deepEqual(changedFiles(was.runtime, now.runtime), [], `${name}: unit states or journal changed`);
      assert.equal(now.bootId, was.bootId, `${name} rebooted`);
    }
  });

  it('a notified handler runs once per host, also on the host where a later step failed', async () => {
    const runId = randomUUID();
    const failing = names[1]!;
    const json = join(work, 'handlers.json');
    const r = await passthru(['run', playbook('handler-fail.yaml'), '-i', inventory, '--yes', '--json', json, '-e', `run_id=${runId}`, '-e', `fail_host=${failing}`]);
    assert.equal(r.code, 2, show(r));
    const report = readReport(json);
    assert.deepEqual(report.failed_hosts, [failing]);
    for (const name of names) {
      const log = lab.readFile(name, '/root/passthru-handler.log').split('\n').filter((l) => l === runId);
      assert.equal(log.length, 1, `${name}: the handler ran ${log.length} times (two steps notified it)`);
      const steps = report.hosts[name]?.steps ?? [];
      assert.equal(steps.filter((s) => s.name === 'count restarts').length, 1, `${name}: handler steps in the report`);
    }
    const failed = report.hosts[failing]?.steps.map((s) => `${s.name}:${s.status}`);
    assert.deepEqual(failed, ['first file:changed', 'second file:changed', 'fail on one host:failed', 'count restarts:changed']);
    assert.match(r.stdout, new RegExp(`\\[${failing}\\] fail on one host: FAILED.*broken`));
  });

  it('serial: 2 with max_fail_percentage: 0: a failure in the first batch leaves the later batch untouched', async () => {
    const [first, second, ...later] = names as [string, string, ...string[]];
    assert.equal(later.length, 2);
    const before = new Map(later.map((n) => [n, snapshot(n)]));
    const json = join(work, 'serial.json');
    const r = await passthru(['run', playbook('serial-fail.yaml'), '-i', inventory, '--yes', '--json', json, '-e', `fail_host=${first}`]);
    assert.equal(r.code, 2, show(r));
    assert.match(r.stdout, /max_fail_percentage/, 'says why the rollout stopped');
    const report = readReport(json);
    for (const name of later) {
      const now = snapshot(name);
      assert.deepEqual(changedFiles(before.get(name)!.files, now.files), [], `${name} (later batch): files changed`);
      assert.deepEqual(changedFiles(before.get(name)!.runtime, now.runtime), [], `${name} (later batch): units changed`);
      assert.deepEqual(report.hosts[name]?.steps ?? [], [], `${name} (later batch) has steps in the report`);
      assert.equal(existsSync(join(lab.host(name).rootDir, 'etc/passthru-serial-stamp')), false);
    }
    // the first batch ran: the failing host stopped at its failure, its partner went through
    assert.equal(lab.readFile(first, '/etc/passthru-serial-stamp'), 'batch rollout\n');
    assert.equal(existsSync(join(lab.host(first).rootDir, 'etc/passthru-serial-after')), false);
    assert.equal(lab.readFile(second, '/etc/passthru-serial-after'), 'done\n');
    assert.deepEqual(report.failed_hosts, [first]);
  });

  it('Ctrl-C during a slow step: exit 130 without waiting for it, every file whole, where each host got to', async () => {
    const big = `# written by the interrupted rollout\n${'option = value of a realistic length\n'.repeat(20_000)}`;
    const vars = join(work, 'big.json');
    writeFileSync(vars, JSON.stringify({ big_content: big }));
    const json = join(work, 'interrupted.json');
    const run = start(['run', playbook('slow-rollout.yaml'), '-i', inventory, '--yes', '--json', json, '-e', `@${vars}`]);
    // interrupt as soon as the first host has written the big file: the others may be writing it
    await new Promise<void>((resolve, reject) => {
      const poll = setInterval(() => {
        if (/big file: changed/.test(run.out())) {
          clearInterval(poll);
          run.child.kill('SIGINT');
          resolve();
        }
      }, 20);
      run.done.then((r) => {
        clearInterval(poll);
        reject(new Error(`the run ended before it was interrupted\n${show(r)}`));
      }, reject);
    });
    const r = await run.done;
    assert.equal(r.code, 130, show(r));

    for (const name of names) {
      const etc = join(lab.host(name).rootDir, 'etc');
      const content = existsSync(join(etc, 'passthru-big.conf')) ? readFileSync(join(etc, 'passthru-big.conf'), 'utf8') : undefined;
      assert.ok(content === undefined || content === big, `${name}: /etc/passthru-big.conf is cut (${content?.length} of ${big.length} bytes)`);
      assert.deepEqual(readdirSync(etc).filter((f) => f.includes('.passthru-')), [], `${name}: temporary files left in /etc`);
      assert.equal(existsSync(join(etc, 'passthru-after-slow.conf')), false, `${name}: a step after the interrupt ran`);
      const left = await ssh(lab, name, "pgrep -fx 'sleep 30' || true");
      assert.equal(left.stdout.trim(), '', `${name}: the slow command still runs after the interrupt`);
    }

    // where each host got to: in the output and in the report
    assert.match(r.stdout, /INTERRUPTED/);
    const where = r.stdout.slice(r.stdout.lastIndexOf('where each host got to'));
    const report = readReport(json);
    assert.equal(report.interrupted, true);
    for (const name of names) {
      const last = report.hosts[name]?.last_step;
      if (!last) {
        // under load a host may still be connecting when the interrupt comes: then it ran nothing
        assert.equal(report.hosts[name]?.steps.filter((s) => s.name !== 'connect').length ?? 0, 0, `${name}: ran steps but the report does not say where it got to`);
        continue;
      }
      assert.match(where, new RegExp(`^\\s+${name}\\s+: slow rollout / ${last.step} \\((finished|running when interrupted)\\)`, 'm'), `${name} in:\n${where}`);
      if (last.step === 'slow step') {
        assert.equal(last.done, false, `${name}: the slow step did not finish, it was interrupted`);
        assert.match(where, new RegExp(`^\\s+${name}\\s+: slow rollout / slow step \\(running when interrupted\\)`, 'm'));
      }
    }
    assert.ok(names.some((n) => report.hosts[n]?.last_step?.step === 'slow step'), 'some host was in the slow step');
  });
});
