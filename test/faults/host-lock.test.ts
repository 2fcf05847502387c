// Two passthru runs against the same host at once: the second one refuses
// the host (the host lock, /var/lib/passthru/lock), so their edits never
// interleave; once the first run is over the lock is gone and the host can
// be run against again. The lock is taken at a run's first change: a run
// that changes nothing writes nothing on the host, and a run that another
// one overtook between its facts and its first change refuses the host.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { demoCluster } from '@passthru/lab/specs.ts';
import type { RealLab } from '@passthru/lab/real/lab.ts';
import { assertNoStack, cliEnv, hostFile, labUnavailable, readReport, runCli, scratch, startCli, startFaultLab, waitUntil } from './helpers.ts';

const unavailable = labUnavailable('test/faults/host-lock.test.ts');

const FIRST = `
- name: first run
  hosts: all
  steps:
    - name: slow edit
      # holds on until the test lets it go on (at most 60 s)
      shell: "echo first-start >> /root/journal; for i in $(seq 600); do test -e /root/go-on && break; sleep 0.1; done; echo first-end >> /root/journal"
`;

const READ_ONLY = `
- name: read-only run
  hosts: all
  steps:
    - name: look
      command: { argv: [cat, /root/journal], readonly: true }
`;

// reads (readonly), waits for the test, then edits: the facts are read before the wait
const SLOW_READER = `
- name: slow reader
  hosts: all
  steps:
    - name: wait
      shell:
        script: "echo reader-waits >> /tmp/reader; for i in $(seq 600); do test -e /root/reader-go && break; sleep 0.1; done"
        readonly: true
    - name: late edit
      shell: "echo late >> /root/journal"
`;

const SECOND = `
- name: second run
  hosts: all
  steps:
    - name: quick edit
      shell: "echo second >> /root/journal"
`;

describe('two runs against the same host at once', { skip: unavailable ? `SKIPPED: ${unavailable}` : false }, () => {
  let lab: RealLab;
  const tmp = scratch();
  const host = 'gpu-rtx';

  before(async () => {
    lab = await startFaultLab(demoCluster().filter((s) => s.name === host));
  });
  after(async () => {
    await lab?.stop();
    tmp.remove();
  });

  it('the second run refuses the host while the first holds it; the lock is gone after the first', async () => {
    const first = startCli(['run', tmp.file('first.yaml', FIRST), '-i', lab.inventoryPath, '--yes'], { env: cliEnv(tmp.dir) });
    await waitUntil(() => (hostFile(lab, host, '/root/journal') ?? '').includes('first-start'), 30_000, 'the first run to be in its step');
    const owner = hostFile(lab, host, '/var/lib/passthru/lock/owner') ?? '';
    assert.match(owner, new RegExp(`^${first.child.pid}-\\d+ \\S+@${hostname()} \\d{4}-`), 'the lock names the first run');

    const json = join(tmp.dir, 'second.json');
    const second = await runCli(['run', tmp.file('second.yaml', SECOND), '-i', lab.inventoryPath, '--yes', '--json', json], { env: cliEnv(tmp.dir) });
    const out2 = second.stdout + second.stderr;
    assertNoStack(out2);
    assert.equal(second.code, 2, out2);
    assert.match(out2, new RegExp(`\\[${host}\\] connect: FAILED: ${host}: another passthru run holds this host \\(\\S+@${hostname()} since \\d{4}-[^)]+\\); not touching it`));
    assert.match(out2, /hint: wait for that run to finish; if it is gone, remove \/var\/lib\/passthru\/lock on the host/);
    assert.deepEqual(readReport(json).hosts[host]?.steps.map((s) => s.name), ['connect']);
    // the second run's lock attempt did not take the lock from the first
    assert.equal(hostFile(lab, host, '/var/lib/passthru/lock/owner'), owner);

    writeFileSync(join(lab.host(host).rootDir, 'root/go-on'), '');
    const r1 = await first.result;
    assert.equal(r1.code, 0, r1.stdout + r1.stderr);
    // the edits did not interleave: the second run wrote nothing
    assert.equal(hostFile(lab, host, '/root/journal'), 'first-start\nfirst-end\n');
    // the first run released the lock...
    assert.equal(hostFile(lab, host, '/var/lib/passthru/lock/owner'), undefined);
    assert.equal(existsSync(join(lab.host(host).rootDir, 'var/lib/passthru/lock')), false);

    // ...so the same second run now goes through
    const again = await runCli(['run', tmp.file('second.yaml', SECOND), '-i', lab.inventoryPath, '--yes'], { env: cliEnv(tmp.dir) });
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.equal(hostFile(lab, host, '/root/journal'), 'first-start\nfirst-end\nsecond\n');
    assert.equal(hostFile(lab, host, '/var/lib/passthru/lock/owner'), undefined);
  });

  it('a run that changes nothing writes nothing on the host, and is refused all the same while another run holds it, as is a --check', async () => {
    const last = hostFile(lab, host, '/var/lib/passthru/last-lock');
    assert.match(last ?? '', new RegExp(`^\\d+-\\d+ \\S+@${hostname()} \\d{4}-`), 'the last run that took the lock left its line');
    const quiet = await runCli(['run', tmp.file('read-only.yaml', READ_ONLY), '-i', lab.inventoryPath, '--yes'], { env: cliEnv(tmp.dir) });
    assert.equal(quiet.code, 0, quiet.stdout + quiet.stderr);
    assert.match(quiet.stdout, /1 unchanged/);
    assert.equal(existsSync(join(lab.host(host).rootDir, 'var/lib/passthru/lock')), false, 'no lock taken');
    assert.equal(hostFile(lab, host, '/var/lib/passthru/last-lock'), last, 'nothing written');

    rmSync(join(lab.host(host).rootDir, 'root/go-on'));
    const first = startCli(['run', tmp.file('first.yaml', FIRST), '-i', lab.inventoryPath, '--yes'], { env: cliEnv(tmp.dir) });
    await waitUntil(() => (hostFile(lab, host, '/root/journal') ?? '').endsWith('first-start\n'), 30_000, 'the first run to be in its step');
    const refused = await runCli(['run', tmp.file('read-only.yaml', READ_ONLY), '-i', lab.inventoryPath, '--yes'], { env: cliEnv(tmp.dir) });
    assert.equal(refused.code, 2, refused.stdout + refused.stderr);
    assert.match(refused.stdout + refused.stderr, /connect: FAILED: gpu-rtx: another passthru run holds this host/);
    const dry = await runCli(['run', tmp.file('second.yaml', SECOND), '-i', lab.inventoryPath, '--check'], { env: cliEnv(tmp.dir) });
    assert.equal(dry.code, 2, dry.stdout + dry.stderr);
    assert.match(dry.stdout + dry.stderr, /connect: FAILED: gpu-rtx: another passthru run holds this host/, 'a --check does not plan a half-changed host');
    writeFileSync(join(lab.host(host).rootDir, 'root/go-on'), '');
    assert.equal((await first.result).code, 0);
  });

  it('a run overtaken by another between its facts and its first change refuses the host, untouched', async () => {
    const json = join(tmp.dir, 'reader.json');
    const reader = startCli(['run', tmp.file('reader.yaml', SLOW_READER), '-i', lab.inventoryPath, '--yes', '--json', json], { env: cliEnv(tmp.dir) });
    await waitUntil(() => (hostFile(lab, host, '/tmp/reader') ?? '') !== '', 30_000, 'the reader to have read the host');
    // meanwhile another run comes, edits and goes
    const other = await runCli(['run', tmp.file('second.yaml', SECOND), '-i', lab.inventoryPath, '--yes'], { env: cliEnv(tmp.dir) });
    assert.equal(other.code, 0, other.stdout + other.stderr);
    const before = hostFile(lab, host, '/root/journal');
    writeFileSync(join(lab.host(host).rootDir, 'root/reader-go'), '');
    const r = await reader.result;
    const out = r.stdout + r.stderr;
    assertNoStack(out);
    assert.equal(r.code, 2, out);
    assert.match(out, /late edit: FAILED: gpu-rtx: another passthru run \(\S+@\S+, \d{4}-[^)]+\) took this host after this run read it; its plan may be out of date: not touching it/);
    assert.match(out, /hint: run again: the new run plans from what the host is now/);
    assert.equal(hostFile(lab, host, '/root/journal'), before, 'the late edit was not made');
    assert.equal(existsSync(join(lab.host(host).rootDir, 'var/lib/passthru/lock')), false, 'the refused run left no lock');
    assert.equal(readReport(json).hosts[host]?.steps.at(-1)?.status, 'failed');
  });
});
