// A host that is down when the run starts: it is reported unreachable, the
// other hosts converge all the same, and the exit code says so (4; 2 when
// another host also failed).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { demoCluster } from '@passthru/lab/specs.ts';
import type { RealLab } from '@passthru/lab/real/lab.ts';
import { assertNoStack, cliEnv, hostFile, labUnavailable, readReport, runCli, scratch, startFaultLab } from './helpers.ts';

const unavailable = labUnavailable('test/faults/unreachable.test.ts');

const PLAYBOOK = `
- name: converge
  hosts: all
  steps:
    - name: marker file
      copy:
        dest: /root/converged.txt
        content: "converged by passthru\\n"
    - name: only some hosts pass this check
      assert:
        shell: "test {{ inventory_hostname }} != {{ bad_host | default('none') }}"
        msg: "this host is the bad one"
`;

describe('a host unreachable at the start', { skip: unavailable ? `SKIPPED: ${unavailable}` : false }, () => {
  let lab: RealLab;
  const tmp = scratch();
  const down = 'gpu-t4';
  const up = ['controller', 'gpu-rtx', 'cpu-only'];

  before(async () => {
    const specs = demoCluster().filter((s) => s.name === down || up.includes(s.name));
    lab = await startFaultLab(specs);
    await lab.stopHost(down);
  });
  after(async () => {
    await lab?.stop();
    tmp.remove();
  });

  it('is reported unreachable, the others converge, exit 4', async () => {
    const pb = tmp.file('converge.yaml', PLAYBOOK);
    const json = `${tmp.dir}/unreachable.json`;
    const r = await runCli(['run', pb, '-i', lab.inventoryPath, '--yes', '--json', json], { env: cliEnv(tmp.dir) });
    const out = r.stdout + r.stderr;
    assert.equal(r.code, 4, out);
    assertNoStack(out);
    // one line names the host and why, and the verdict says what to do
    assert.match(out, new RegExp(`\\[${down}\\] connect: UNREACHABLE: ${down}: .*(refused|not answering|did not complete)`, 'i'));
    assert.match(out, new RegExp(`UNREACHABLE: 1 unreachable \\(${down}\\) of 4 hosts`));
    for (const h of up) assert.equal(hostFile(lab, h, '/root/converged.txt'), 'converged by passthru\n', `${h} converged`);
    const report = readReport(json);
    assert.deepEqual(report.unreachable_hosts, [down]);
    assert.deepEqual(report.failed_hosts, []);
    for (const h of up) assert.equal(report.hosts[h]?.status, 'changed', h);
  });

  it('exit 2 when another host also failed; both are named', async () => {
    const pb = tmp.file('converge.yaml', PLAYBOOK);
    const json = `${tmp.dir}/both.json`;
    const r = await runCli(['run', pb, '-i', lab.inventoryPath, '--yes', '--json', json, '-e', 'bad_host=cpu-only'], { env: cliEnv(tmp.dir) });
    const out = r.stdout + r.stderr;
    assert.equal(r.code, 2, out);
    assertNoStack(out);
    assert.match(out, /\[cpu-only\] only some hosts pass this check: FAILED.*this host is the bad one/);
    assert.match(out, new RegExp(`FAILED: 1 failed \\(cpu-only\\), 1 unreachable \\(${down}\\) of 4 hosts`));
    const report = readReport(json);
    assert.deepEqual(report.failed_hosts, ['cpu-only']);
    assert.deepEqual(report.unreachable_hosts, [down]);
    assert.equal(report.hosts['controller']?.status, 'ok');
    assert.equal(report.hosts['gpu-rtx']?.status, 'ok');
  });
});
