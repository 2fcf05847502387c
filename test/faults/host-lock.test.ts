// Two passthru runs against the same host at once: the second one refuses
// the host (the host lock, /var/lib/passthru/lock), so their edits never
// interleave; once the first run is over the lock is gone and the host can
// be run against again.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
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
});
