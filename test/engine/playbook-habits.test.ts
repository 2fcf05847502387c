// Acceptance, on real OpenSSH hosts (the real-sshd lab) through the CLI as a
// user runs it: the playbook habits Ansible users bring. failed_when and
// changed_when see a command's result whatever its exit code; until retries
// (attempts counted on the host); ignore_errors shows and counts "ignored";
// a registered result has rc, stdout without its trailing newline and
// stdout_lines; in --check a step whose result a later step needs says so and
// points to `readonly: true`. And a misspelt option ends the run with exit 1
// before any host is contacted.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { demoCluster } from '@passthru/lab/specs.ts';
import type { RealLab } from '@passthru/lab/real/lab.ts';
import { assertNoStack, cliEnv, hostFile, labUnavailable, readReport, runCli, scratch, startFaultLab } from '../faults/helpers.ts';

const unavailable = labUnavailable('test/engine/playbook-habits.test.ts');
const tmp = scratch('passthru-habits-');
after(() => tmp.remove());

const HABITS = `
- name: habits
  hosts: all
  steps:
    - name: exit 1 is fine here
      command: [sh, -c, "exit 1"]
      register: a
      failed_when: false
    - name: exit 3 is fine too
      shell: "echo out; echo err >&2; exit 3"
      register: b
      failed_when: b.rc not in [0, 3]
    - name: a probe changes nothing
      command: ["true"]
      changed_when: false
    - name: third time lucky
      shell: "echo x >> /root/attempts; test $(wc -l < /root/attempts) -ge 3"
      register: t
      until: t.rc == 0
      retries: 2
      delay: 0
    - name: may fail
      command: [sh, -c, "exit 5"]
      ignore_errors: true
    - name: two lines
      shell: "printf 'a\\\\nb\\\\n\\\\n'"
      register: s
      changed_when: false
    - name: what was registered
      debug: "{{ s.stdout_lines | join(',') }}|{{ b.rc }}|{{ b.stderr }}|{{ a.rc }}|{{ t.attempts }}"
      failed_when: s.stdout != 'a\\nb' or s.stdout_lines != ['a', 'b'] or b.stdout_lines != ['out'] or b.stderr_lines != ['err']
    - name: never lucky
      shell: "echo y >> /root/never; exit 1"
      register: n
      until: n.rc == 0
      retries: 2
      delay: 0
      ignore_errors: true
`;

const CHECK = `
- name: check
  hosts: all
  steps:
    - name: service answers
      shell: "test -e /root/ready"
      register: t
      until: t.rc == 0
      retries: 2
      delay: 0
    - name: only when it answered
      command: [touch, /root/touched]
      when: t.rc == 0
`;

describe('playbook habits on real sshd', { skip: unavailable ? `SKIPPED: ${unavailable}` : false }, () => {
  let lab: RealLab;
  let host: string;
  before(async () => {
    lab = await startFaultLab(demoCluster().slice(0, 1));
    host = lab.hosts[0]!.name;
  });
  after(async () => {
    await lab?.stop();
  });

  it('failed_when, changed_when, until/retries, ignore_errors and registered output behave as in Ansible', async () => {
    const pb = tmp.file('habits.yaml', HABITS);
    const json = join(tmp.dir, 'habits.json');
    const r = await runCli(['run', pb, '-i', lab.inventoryPath, '--yes', '--json', json], { env: cliEnv(tmp.dir) });
    const out = r.stdout + r.stderr;
    assertNoStack(out);
    assert.equal(r.code, 0, out);
    const report = readReport(json);
    const steps = report.hosts[host]?.steps ?? [];
    assert.deepEqual(
      steps.map((s) => [s.name, s.status]),
      [
        ['exit 1 is fine here', 'changed'],
        ['exit 3 is fine too', 'changed'],
        ['a probe changes nothing', 'ok'],
        ['third time lucky', 'changed'],
        ['may fail', 'ignored'],
        ['two lines', 'ok'],
        ['what was registered', 'ok'],
        ['never lucky', 'ignored'],
      ],
      out,
    );
    assert.equal(hostFile(lab, host, '/root/attempts'), 'x\nx\nx\n', 'until with retries: 2 ran the command 3 times');
    assert.equal(hostFile(lab, host, '/root/never'), 'y\ny\ny\n', '3 attempts, then it gave up');
    assert.match(steps[7]?.error ?? '', /until: condition still false after 3 attempts: n\.rc == 0/);
    assert.match(out, /what was registered: ok[^\n]*\n(?:.*\n)*?\s+note: a,b\|3\|err\|1\|3/);
    assert.match(out, /may fail: failed, ignored: .*exited 5/);
    assert.deepEqual(report.failed_hosts, []);
    assert.equal(report.summary['ignored'], 2);
    assert.equal(report.summary['failed'], 0);
    // a command that ran counts as a change, failed or not (Ansible: changed=5 here too)
    assert.match(r.stdout, new RegExp(`${host}\\s*: ok=8 +changed=5 +unreachable=0 failed=0 skipped=0 ignored=2`));
  });

  it('in --check, a step whose result a later step needs says so and points to readonly: true', async () => {
    const pb = tmp.file('check.yaml', CHECK);
    const json = join(tmp.dir, 'check.json');
    const r = await runCli(['run', pb, '-i', lab.inventoryPath, '--check', '--json', json], { env: cliEnv(tmp.dir) });
    const out = r.stdout + r.stderr;
    assertNoStack(out);
    assert.equal(r.code, 0, out);
    assert.doesNotMatch(out, /is undefined/);
    const steps = readReport(json).hosts[host]?.steps ?? [];
    assert.deepEqual(steps.map((s) => s.status), ['changed', 'skipped'], out);
    assert.match(out, /until not evaluated: in --check this step does not run.*readonly: true/);
    assert.match(out, /"only when it answered" reads it and cannot be decided; if it only reads, give it `readonly: true`/);
    assert.match(out, /only when it answered: skipped \(reads "t", which is not known in --check: step "service answers" does not run in --check.*readonly: true/);
    assert.equal(hostFile(lab, host, '/root/touched'), undefined);
  });
});

describe('a misspelt step option', () => {
  it('ends with exit 1 and the option\'s line before any host is contacted (the inventory\'s host is unreachable)', async () => {
    const inventory = tmp.file('down.ini', '[compute]\nc1 ansible_host=127.0.51.254 ansible_port=1\n');
    const pb = tmp.file('typo.yaml', '- name: p\n  hosts: compute\n  steps:\n    - name: grub\n      lineinfile:\n        path: /etc/default/grub\n        regex: "^GRUB_CMDLINE_LINUX="\n        line: x\n');
    const r = await runCli(['run', pb, '-i', inventory, '--yes'], { env: cliEnv(tmp.dir), timeoutMs: 60_000 });
    const out = r.stdout + r.stderr;
    assertNoStack(out);
    assert.equal(r.code, 1, out);
    assert.equal(r.stdout, '', 'nothing ran');
    assert.match(r.stderr, new RegExp(`^error: ${pb.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:7:9: .*lineinfile: unknown option "regex" \\(did you mean "regexp"\\?`));
    assert.match(r.stderr, /docs\/steps\.md#lineinfile/);
    assert.doesNotMatch(out, /unreachable|UNREACHABLE|connect/i);
  });
});
