// A file write that cannot complete: the disk is full (a tiny tmpfs mounted
// in the host's own mount namespace), the user may not write there
// (permission denied), or the connection drops while the new content is
// still arriving. Each time the old file stays whole and no temp file
// (.NAME.passthru-*.tmp) is left beside it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { demoCluster } from '@passthru/lab/specs.ts';
import { ssh } from '@passthru/lab/real/client.ts';
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
  slowTransfer,
  startCli,
  startFaultLab,
  waitUntil,
} from './helpers.ts';

const unavailable = labUnavailable('test/faults/write-failure.test.ts');

const OLD = '# app.conf: the old, working configuration\nworkers = 4\n';
// 1 MiB: more than the full disk takes, and far more than a pipe holds (64 KiB),
// so that most of it is still in sshd's buffers when sshd is killed
const NEW = Array.from({ length: 32768 }, (_, i) => `option_${String(i).padStart(4, '0')} = new value ${i}`.padEnd(31) + '\n').join('');

const PLAYBOOK = `
- name: write the new configuration
  hosts: fault
  steps:
    - name: app config
      copy:
        dest: "{{ conf_path }}"
        content: "{{ new_conf }}"
    - name: after the write
      copy: { dest: /root/after-write.txt, content: "went on\\n" }
`;

describe('a write that cannot complete', { skip: unavailable ? `SKIPPED: ${unavailable}` : false }, () => {
  let lab: RealLab;
  const tmp = scratch();
  const full = 'gpu-rtx'; // disk full
  const denied = 'gpu-t4'; // permission denied
  const dropped = 'cpu-only'; // connection lost mid-write
  let json = '';
  let out = '';
  let code: number | null = null;
  let tempSeenMidWrite: string[] = [];

  before(async () => {
    lab = await startFaultLab(demoCluster().filter((s) => [full, denied, dropped].includes(s.name)));
    // disk full: a 16k tmpfs over /var/lib/full inside the host, filled up, with the old file in it
    const r = await ssh(
      lab,
      full,
      `mkdir -p /var/lib/full && mount -t tmpfs -o size=16k tmpfs /var/lib/full && printf %s '${OLD}' > /var/lib/full/app.conf && ` +
        '{ dd if=/dev/zero of=/var/lib/full/filler bs=1k count=64 2>/dev/null; df --output=avail /var/lib/full | tail -1; }',
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), '0', 'the tmpfs is full');
    // permission denied: a root-owned file in /etc, written as ops without become
    writeFileSync(join(lab.host(denied).rootDir, 'etc/passthru-app.conf'), OLD);
    // connection lost mid-write: the old file, and the new content stalls after 4 KiB
    writeFileSync(join(lab.host(dropped).rootDir, 'etc/passthru-app.conf'), OLD);
    slowTransfer(lab, dropped, 'passthru-app.conf', 1);

    const inv = tmp.file(
      'inventory.ini',
      labInventory(
        lab,
        `[fault]\n${full} conf_path=/var/lib/full/app.conf\n${denied} conf_path=/etc/passthru-app.conf ansible_user=ops\n${dropped} conf_path=/etc/passthru-app.conf\n`,
      ),
    );
    const pb = tmp.file('write.yaml', PLAYBOOK);
    const vars = tmp.file('vars.json', JSON.stringify({ new_conf: NEW }));
    json = join(tmp.dir, 'report.json');
    const cli = startCli(['run', pb, '-i', inv, '--yes', '--json', json, '-e', `@${vars}`], { env: cliEnv(tmp.dir) });
    await waitUntil(() => hostFile(lab, dropped, '/root/write-started') !== undefined, 30_000, 'the slow write to start');
    tempSeenMidWrite = leftoverTempFiles(lab, dropped, '/etc');
    lab.killSshd(dropped);
    const r2 = await cli.result;
    out = r2.stdout + r2.stderr;
    code = r2.code;
  });
  after(async () => {
    await lab?.stop();
    tmp.remove();
  });

  it('every host is reported failed in the write step, with the reason, and goes no further', () => {
    assertNoStack(out);
    assert.equal(code, 2, out);
    const report = readReport(json);
    assert.deepEqual([...report.failed_hosts].sort(), [full, denied, dropped].sort());
    for (const h of [full, denied, dropped]) {
      assert.deepEqual(report.hosts[h]?.steps.map((s) => [s.name, s.status]), [['app config', 'failed']], h);
      assert.equal(hostFile(lab, h, '/root/after-write.txt'), undefined, `${h} went on after the failed write`);
    }
    assert.match(out, new RegExp(`\\[${full}\\] app config: FAILED: ${full}: cannot write /var/lib/full/app\\.conf: .*No space left on device.*; the old file is unchanged`));
    assert.match(out, new RegExp(`\\[${denied}\\] app config: FAILED: ${denied}: cannot write /etc/passthru-app\\.conf: .*Permission denied.*; the old file is unchanged`));
    assert.match(out, /hint: The file needs root: run the step with become\./);
    assert.match(out, new RegExp(`\\[${dropped}\\] app config: FAILED: ${dropped}: connection lost`));
  });

  it('disk full: the old file is whole, no temp file left', async () => {
    const r = await ssh(lab, full, 'cat /var/lib/full/app.conf; echo ---; ls -a /var/lib/full');
    assert.equal(r.code, 0, r.stderr);
    const [content, listing] = r.stdout.split('---\n') as [string, string];
    assert.equal(content, OLD);
    assert.deepEqual(listing.trim().split('\n').sort(), ['.', '..', 'app.conf', 'filler']);
  });

  it('permission denied: the old file is whole, no temp file left', () => {
    assert.equal(sha256(lab.readFile(denied, '/etc/passthru-app.conf')), sha256(OLD));
    assert.deepEqual(leftoverTempFiles(lab, denied, '/etc'), []);
  });

  it('connection lost mid-write: the temp file existed, then is gone; the old file is whole', async () => {
    assert.equal(tempSeenMidWrite.length, 1, 'the write was under way when the connection dropped');
    // the remote shell notices the cut transfer by itself, after passthru is gone
    await waitUntil(() => leftoverTempFiles(lab, dropped, '/etc').length === 0, 10_000, 'the temp file to be removed');
    assert.equal(sha256(lab.readFile(dropped, '/etc/passthru-app.conf')), sha256(OLD));
  });
});
