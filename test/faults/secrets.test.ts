// Secrets stay secret: the passwords in nova.conf and the admin openrc, the
// sudo password (ansible_become_password) and a password given with
// `-e db_password=...` never show in the terminal (diffs included), the JSON
// report, sshd's log, or the command line of any process on this machine
// while the run goes on (the lab's hosts share this machine's /proc, so
// remote commands are seen too).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LAB_SECRETS } from '@passthru/lab/secrets.ts';
import { demoCluster } from '@passthru/lab/specs.ts';
import { LAB_SUDO_PASSWORD, type RealLab } from '@passthru/lab/real/lab.ts';
import { assertNoStack, cliEnv, labInventory, labUnavailable, scratch, startCli, startFaultLab, type CliResult } from './helpers.ts';

const unavailable = labUnavailable('test/faults/secrets.test.ts');

const DB_PASSWORD = 'NewDbPw-Zq81vTq';

const PLAYBOOK = `
- name: secrets
  hosts: controller
  become: true
  steps:
    - name: read the openrc
      command: {argv: [cat, /root/admin-openrc], readonly: true}
      register: openrc
    - name: show it
      debug: {msg: "{{ openrc.stdout }}"}
    - name: new database password
      ini:
        path: /etc/nova/nova.conf
        section: database
        option: connection
        value: "mysql+pymysql://nova:{{ db_password }}@controller/nova"
    - name: the password on stdin, not in argv
      command:
        argv: [sh, -c, 'read -r p; test -n "$p" && sleep 1']
        stdin: "{{ db_password }}\\n"
    - name: a failure that quotes the secret
      assert:
        shell: "grep -h connection /etc/nova/nova.conf; exit 3"
      ignore_errors: true
`;

/**
 * Is pid this test process or one of its descendants (the CLI, the lab's hosts
 * and their sessions)? Other test runs on this machine may show the lab's
 * secrets in their own command lines. undefined: the process is gone.
 */
function ours(pid: number): boolean | undefined {
  for (let p = pid, hops = 0; hops < 64; hops++) {
    if (p === process.pid) return true;
    if (p <= 1) return false;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${p}/stat`, 'utf8');
    } catch {
      return undefined;
    }
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses
    p = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  }
  return false;
}

/** Every command line of this test's processes holding one of `secrets`, polled until stopped. */
function watchCommandLines(secrets: string[]): { stop(): string[] } {
  const seen = new Set<string>();
  const poll = (): void => {
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      let cmdline: string;
      try {
        cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      } catch {
        continue;
      }
      // a process gone before its parents were read is counted: it may have been ours
      if (secrets.some((s) => cmdline.includes(s)) && ours(Number(pid)) !== false) seen.add(`${pid}: ${cmdline.replace(/\0/g, ' ')}`);
    }
  };
  const timer = setInterval(poll, 5);
  return {
    stop: () => {
      clearInterval(timer);
      poll();
      return [...seen];
    },
  };
}

describe('secrets never leak', { skip: unavailable ? `SKIPPED: ${unavailable}` : false }, () => {
  let lab: RealLab;
  const tmp = scratch();
  const host = 'controller';
  const SECRETS = [...LAB_SECRETS, LAB_SUDO_PASSWORD, DB_PASSWORD];
  const runs: { name: string; r: CliResult; report: string; commandLines: string[] }[] = [];

  before(async () => {
    lab = await startFaultLab(demoCluster().filter((s) => s.name === host));
    // sudo with a password: opsp, ansible_become_password in the inventory
    const inventory = tmp.file('inventory.ini', labInventory(lab, `[secret]\n${host} ansible_user=opsp ansible_become_password=${LAB_SUDO_PASSWORD}\n`));
    const playbook = tmp.file('secrets.yaml', PLAYBOOK);
    for (const mode of ['check', 'apply'] as const) {
      const report = join(tmp.dir, `${mode}.json`);
      const args = ['run', playbook, '-i', inventory, '--diff', '--yes', '--json', report, '-e', `db_password=${DB_PASSWORD}`, ...(mode === 'check' ? ['--check'] : [])];
      const cli = startCli(args, { env: cliEnv(tmp.dir) });
      // from the moment the run is under way until it ends
      await cli.waitFor(/PLAY \[secrets\]/);
      const watch = watchCommandLines(SECRETS);
      const r = await cli.result;
      runs.push({ name: mode, r, report: readFileSync(report, 'utf8'), commandLines: watch.stop() });
    }
  });
  after(async () => {
    await lab?.stop();
    tmp.remove();
  });

  it('the runs did what they were asked (so the secrets were really handled)', () => {
    for (const { name, r } of runs) {
      assertNoStack(r.stdout + r.stderr);
      assert.equal(r.code, 0, `${name}:\n${r.stdout}${r.stderr}`);
    }
    const apply = runs[1]!.r.stdout;
    // the openrc was read and shown (masked), the connection string changed (diff, masked), the secret went in on stdin
    assert.match(apply, /note: .*OS_USERNAME=admin/s);
    assert.match(apply, /note: .*OS_PASSWORD=\*{8}/s);
    assert.match(apply, /^-connection = mysql\+pymysql:\/\/nova:\*{8}@/m);
    assert.match(apply, /^\+connection = mysql\+pymysql:\/\/nova:\*{8}@controller\/nova$/m);
    assert.match(apply, /the password on stdin, not in argv: changed/);
    assert.match(apply, /a failure that quotes the secret: failed, ignored: exit code 3, expected 0 \(ignore_errors\)\n(\s+connection = .*\n)*\s+connection = mysql\+pymysql:\/\/nova:\*{8}@controller\/nova\n/);
    assert.ok(lab.readFile(host, '/etc/nova/nova.conf').includes(`mysql+pymysql://nova:${DB_PASSWORD}@controller/nova`), 'the new password is on the host');
  });

  it('no secret in the terminal output, diffs included', () => {
    for (const { name, r } of runs) {
      for (const s of SECRETS) assert.ok(!(r.stdout + r.stderr).includes(s), `${name}: ${s} printed`);
    }
  });

  it('no secret in the JSON report', () => {
    for (const { name, report } of runs) {
      assert.match(report, /"diff":/, `${name}: the report has the diff`);
      for (const s of SECRETS) assert.ok(!report.includes(s), `${name}: ${s} in the report`);
    }
  });

  it('no secret in a command line on this machine or the host while the run went on', () => {
    for (const { name, commandLines } of runs) assert.deepEqual(commandLines, [], `${name}: a secret in ps`);
  });

  it("no secret in the host's sshd log", () => {
    const log = readFileSync(join(lab.host(host).stateDir, 'sshd.log'), 'utf8');
    for (const s of SECRETS) assert.ok(!log.includes(s), `${s} in sshd.log`);
  });
});
