// Ctrl-C in the middle of a rollout: passthru stops within a few seconds
// with exit 130, prints where each host got to, and leaves every file on
// every host whole (a write that was under way is undone: the old file
// stays, no temp file is left).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { demoCluster } from '@passthru/lab/specs.ts';
import type { RealLab } from '@passthru/lab/real/lab.ts';
import {
  assertNoStack,
  cliEnv,
  hostFile,
  labInventory,
  labUnavailable,
  leftoverTempFiles,
  readReport,
  scratch,
  sha256,
  sleep,
  slowTransfer,
  startCli,
  startFaultLab,
  waitUntil,
} from './helpers.ts';

const unavailable = labUnavailable('test/faults/interrupt.test.ts');

const OLD = '# the old, working configuration\nworkers = 4\n';
const NEW = Array.from({ length: 8192 }, (_, i) => `option_${i} = new value ${i}\n`).join('');

const PLAYBOOK = `
- name: rollout
  hosts: all
  steps:
    - name: first file
      copy: { dest: /root/first.txt, content: "first\\n" }
    - name: long step
      shell: "{{ long_step }}"
    - name: app config
      copy:
        dest: /etc/passthru-app.conf
        content: "{{ new_conf }}"
    - name: never reached
      copy: { dest: /root/never.txt, content: "never\\n" }
`;

describe('Ctrl-C mid-rollout', { skip: unavailable ? `SKIPPED: ${unavailable}` : false }, () => {
  let lab: RealLab;
  const tmp = scratch();
  const writers = ['gpu-rtx', 'gpu-t4']; // interrupted while their new config is arriving
  const sleeper = 'cpu-only'; // interrupted in a long command
  const all = [...writers, sleeper];

  before(async () => {
    lab = await startFaultLab(demoCluster().filter((s) => all.includes(s.name)));
    for (const h of all) writeFileSync(join(lab.host(h).rootDir, 'etc/passthru-app.conf'), OLD);
    // lab hook on the writers: the transfer of the new config stalls after 4 KiB
    for (const h of writers) slowTransfer(lab, h, 'passthru-app.conf', 20);
  });
  after(async () => {
    await lab?.stop();
    tmp.remove();
  });

  it('exits 130 without waiting for the running steps, prints where each host got to, every file whole', async () => {
    const inv = tmp.file(
      'inventory.ini',
      labInventory(lab, `[longstep]\n${writers.map((h) => `${h} long_step=true`).join('\n')}\n${sleeper} long_step="touch /root/long-started; sleep 30"\n`),
    );
    const pb = tmp.file('rollout.yaml', PLAYBOOK);
    const vars = tmp.file('vars.json', JSON.stringify({ new_conf: NEW }));
    const json = join(tmp.dir, 'report.json');
    const hashesBefore = Object.fromEntries(all.map((h) => [h, lab.fileHashes(h, ['/etc'])]));

    const cli = startCli(['run', pb, '-i', inv, '--yes', '--json', json, '-e', `@${vars}`], { env: cliEnv(tmp.dir) });
    await waitUntil(
      () => writers.every((h) => hostFile(lab, h, '/root/write-started') !== undefined) && hostFile(lab, sleeper, '/root/long-started') !== undefined,
      30_000,
      'every host in the middle of its step',
    );
    cli.child.kill('SIGINT');
    const r = await cli.result;
    const out = r.stdout + r.stderr;
    assertNoStack(out);
    assert.equal(r.code, 130, out);

    // where each host got to
    assert.match(out, /INTERRUPTED after .*; where each host got to:/);
    for (const h of writers) assert.match(out, new RegExp(`^  ${h}\\s+: rollout / app config \\(running when interrupted\\)$`, 'm'));
    assert.match(out, new RegExp(`^  ${sleeper}\\s+: rollout / long step \\(running when interrupted\\)$`, 'm'));
    const report = readReport(json);
    assert.equal(report.interrupted, true);
    for (const h of writers) assert.deepEqual(report.hosts[h]?.last_step, { play: 'rollout', step: 'app config', done: false });
    assert.deepEqual(report.hosts[sleeper]?.last_step, { play: 'rollout', step: 'long step', done: false });

    // every file whole: the config is the old one, byte for byte; no temp file; nothing after
    // (the remote side cleans up on its own: give it a moment)
    await waitUntil(() => all.every((h) => leftoverTempFiles(lab, h, '/etc').length === 0), 5000, 'temp files to be removed');
    await sleep(300);
    for (const h of all) {
      assert.equal(sha256(lab.readFile(h, '/etc/passthru-app.conf')), sha256(OLD), `${h}: /etc/passthru-app.conf`);
      assert.deepEqual(leftoverTempFiles(lab, h, '/etc'), [], h);
      assert.deepEqual(lab.fileHashes(h, ['/etc']), hashesBefore[h], `${h}: /etc changed`);
      assert.equal(hostFile(lab, h, '/root/first.txt'), 'first\n', `${h}: the step before`);
      assert.equal(hostFile(lab, h, '/root/never.txt'), undefined, `${h}: a step after the interrupt ran`);
      assert.equal(hostFile(lab, h, '/var/lib/passthru/lock/owner'), undefined, `${h}: the host lock was left behind`);
    }
  });
});
