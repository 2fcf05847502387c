// The connection drops in the middle of a step (every sshd process of the
// host killed while the step's command runs): the host is reported with the
// step it was in; a step kind that is safe to repeat (assert) is run once
// more after reconnecting, and the run goes on.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { demoCluster } from '@passthru/lab/specs.ts';
import type { RealLab } from '@passthru/lab/real/lab.ts';
import { assertNoStack, cliEnv, hostFile, labUnavailable, readReport, startCli, scratch, startFaultLab, waitUntil } from './helpers.ts';

const unavailable = labUnavailable('test/faults/connection-drop.test.ts');

describe('a connection dropped in the middle of a step', { skip: unavailable ? `SKIPPED: ${unavailable}` : false }, () => {
  let lab: RealLab;
  const tmp = scratch();
  const victim = 'gpu-rtx';
  const bystander = 'gpu-t4';

  before(async () => {
    lab = await startFaultLab(demoCluster().filter((s) => s.name === victim || s.name === bystander));
  });
  after(async () => {
    await lab?.stop();
    tmp.remove();
  });

  /** Kill the victim's sshd as soon as `marker` exists on it (the step's command is running). */
  async function dropWhenStarted(marker: string): Promise<void> {
    await waitUntil(() => hostFile(lab, victim, marker) !== undefined, 30_000, `${marker} on ${victim}`);
    lab.killSshd(victim);
  }

  it('a step that is not safe to repeat: the host is reported failed in that step, nothing after it runs', async () => {
    const pb = tmp.file(
      'slow.yaml',
      `
- name: drop
  hosts: all
  steps:
    - name: before the drop
      copy: { dest: /root/before.txt, content: "before\\n" }
    - name: slow step
      shell: "touch /root/slow-started; sleep 3; echo done > /root/slow-done"
    - name: after the drop
      copy: { dest: /root/after.txt, content: "after\\n" }
`,
    );
    const json = `${tmp.dir}/slow.json`;
    const cli = startCli(['run', pb, '-i', lab.inventoryPath, '--yes', '--json', json], { env: cliEnv(tmp.dir) });
    await dropWhenStarted('/root/slow-started');
    const r = await cli.result;
    const out = r.stdout + r.stderr;
    assertNoStack(out);
    assert.equal(r.code, 2, out);
    assert.match(out, new RegExp(`\\[${victim}\\] slow step: FAILED: ${victim}: connection lost`));
    const report = readReport(json);
    assert.deepEqual(report.failed_hosts, [victim]);
    const steps = report.hosts[victim]?.steps ?? [];
    assert.deepEqual(steps.map((s) => [s.name, s.status]), [['before the drop', 'changed'], ['slow step', 'failed']]);
    assert.match(steps[1]?.error ?? '', /connection lost/);
    assert.equal(hostFile(lab, victim, '/root/after.txt'), undefined, 'no step ran after the drop');
    // the other host was not disturbed
    assert.equal(report.hosts[bystander]?.status, 'changed');
    assert.equal(hostFile(lab, bystander, '/root/after.txt'), 'after\n');
  });

  it('a repeatable step (assert) is run once more after reconnecting, and the host goes on', async () => {
    const pb = tmp.file(
      'repeat.yaml',
      `
- name: drop and retry
  hosts: all
  steps:
    - name: slow check
      assert:
        shell: "echo run >> /root/check-runs; sleep 2; echo healthy"
        stdout_contains: healthy
    - name: after the check
      copy: { dest: /root/after-check.txt, content: "went on\\n" }
`,
    );
    const json = `${tmp.dir}/repeat.json`;
    const cli = startCli(['run', pb, '-i', lab.inventoryPath, '--yes', '--json', json], { env: cliEnv(tmp.dir) });
    await dropWhenStarted('/root/check-runs');
    const r = await cli.result;
    const out = r.stdout + r.stderr;
    assertNoStack(out);
    assert.equal(r.code, 0, out);
    assert.match(out, new RegExp(`\\[${victim}\\] WARNING: connection lost during 'slow check'; reconnecting and running it once more`));
    assert.match(out, new RegExp(`\\[${victim}\\] slow check: ok\\n\\s+note: ran again after the connection dropped`));
    // exactly once more: two runs on the victim, one on the other host
    assert.equal(hostFile(lab, victim, '/root/check-runs'), 'run\nrun\n');
    assert.equal(hostFile(lab, bystander, '/root/check-runs'), 'run\n');
    assert.equal(hostFile(lab, victim, '/root/after-check.txt'), 'went on\n');
    const report = readReport(json);
    assert.deepEqual(report.failed_hosts, []);
    assert.deepEqual(report.unreachable_hosts, []);
  });
});
