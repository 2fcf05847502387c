// Resume: `passthru run ... --limit @report.json` runs again on exactly the
// hosts that failed or were unreachable in the run that wrote the report,
// and on no other host.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { demoCluster } from '@passthru/lab/specs.ts';
import type { RealLab } from '@passthru/lab/real/lab.ts';
import { assertNoStack, cliEnv, hostFile, labUnavailable, readReport, runCli, scratch, startFaultLab } from './helpers.ts';

const unavailable = labUnavailable('test/faults/resume.test.ts');

const PLAYBOOK = `
- name: converge
  hosts: all
  steps:
    - name: count the runs
      shell: "echo run >> /root/runs"
    - name: healthy
      assert:
        shell: "test ! -e /root/broken"
        msg: "the host is broken"
`;

describe('resume with --limit @report.json', { skip: unavailable ? `SKIPPED: ${unavailable}` : false }, () => {
  let lab: RealLab;
  const tmp = scratch();
  const good = ['controller', 'gpu-t4'];
  const broken = 'gpu-rtx';
  const down = 'cpu-only';

  before(async () => {
    lab = await startFaultLab(demoCluster().filter((s) => [...good, broken, down].includes(s.name)));
    writeFileSync(join(lab.host(broken).rootDir, 'root/broken'), '');
    await lab.stopHost(down);
  });
  after(async () => {
    await lab?.stop();
    tmp.remove();
  });

  it('the second run touches only the failed and the unreachable host; a third has nothing to retry', async () => {
    const pb = tmp.file('converge.yaml', PLAYBOOK);
    const first = join(tmp.dir, 'first.json');
    const r1 = await runCli(['run', pb, '-i', lab.inventoryPath, '--yes', '--json', first], { env: cliEnv(tmp.dir) });
    assertNoStack(r1.stdout + r1.stderr);
    assert.equal(r1.code, 2, r1.stdout + r1.stderr);
    const report1 = readReport(first);
    assert.deepEqual(report1.failed_hosts, [broken]);
    assert.deepEqual(report1.unreachable_hosts, [down]);
    assert.match(r1.stdout, new RegExp(`retry them with --limit ${broken},${down}`));

    // the operator fixes both hosts, then resumes
    rmSync(join(lab.host(broken).rootDir, 'root/broken'));
    await lab.startHost(down);
    const second = join(tmp.dir, 'second.json');
    const r2 = await runCli(['run', pb, '-i', lab.inventoryPath, '--yes', '--json', second, '--limit', `@${first}`], { env: cliEnv(tmp.dir) });
    assertNoStack(r2.stdout + r2.stderr);
    assert.equal(r2.code, 0, r2.stdout + r2.stderr);
    const report2 = readReport(second);
    // which hosts ran: exactly the two of the first report
    assert.deepEqual(Object.keys(report2.hosts).sort(), [broken, down].sort());
    for (const h of [broken, down]) {
      assert.equal(report2.hosts[h]?.status, 'changed', h);
      assert.deepEqual(report2.hosts[h]?.steps.map((s) => s.name), ['count the runs', 'healthy'], h);
    }
    assert.match(r2.stdout, /passthru: 1 play on 2 hosts/);
    for (const h of good) assert.doesNotMatch(r2.stdout, new RegExp(`\\[${h}\\]`), `${h} ran again`);
    // and on the hosts themselves: the good ones ran once, the failed one twice, the one that was down once
    for (const h of good) assert.equal(hostFile(lab, h, '/root/runs'), 'run\n', h);
    assert.equal(hostFile(lab, broken, '/root/runs'), 'run\nrun\n');
    assert.equal(hostFile(lab, down, '/root/runs'), 'run\n');

    // nothing failed in the second run: nothing to retry, nothing run, exit 0
    const r3 = await runCli(['run', pb, '-i', lab.inventoryPath, '--yes', '--limit', `@${second}`], { env: cliEnv(tmp.dir) });
    assert.equal(r3.code, 0, r3.stdout + r3.stderr);
    assert.match(r3.stdout + r3.stderr, new RegExp(`no failed or unreachable host in ${second.replace(/[.]/g, '\\.')}: nothing to retry`));
    assert.equal(hostFile(lab, broken, '/root/runs'), 'run\nrun\n', 'nothing ran');
  });
});
