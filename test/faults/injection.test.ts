// Values from the inventory, the playbook and -e that hold quotes, `;`,
// `$()`, backticks, `\`, `$VAR` and newlines reach the remote commands as
// data, never as shell: they land verbatim in files and argv, and the canary
// files an injected `touch` would create exist nowhere (neither on the host
// nor on this machine).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { demoCluster } from '@passthru/lab/specs.ts';
import type { RealLab } from '@passthru/lab/real/lab.ts';
import { assertNoStack, cliEnv, hostFile, labUnavailable, readReport, runCli, scratch, startFaultLab } from './helpers.ts';

const unavailable = labUnavailable('test/faults/injection.test.ts');

const TAG = randomBytes(4).toString('hex');
/** where an injected `touch` would leave a trace: the host's /tmp, and this machine's /tmp */
const canary = (n: number): string => `/tmp/passthru-canary-${TAG}-${n}`;

/** Every way a value could break out of its quotes, each trying to touch its own canary. */
function evil(n: number): string {
  return (
    `a'b"c\\d; touch ${canary(n)}a; $(touch ${canary(n)}b) \`touch ${canary(n)}c\` && touch ${canary(n)}d || touch ${canary(n)}e | touch ${canary(n)}f` +
    `\ntouch ${canary(n)}g\n'; touch ${canary(n)}h; '"; touch ${canary(n)}i; " $HOME \${PATH} %s %n \\n end`
  );
}
/** the same without newlines, for a single line of a file */
const evilLine = (n: number): string => evil(n).replace(/\n/g, ' ');

const FROM_INVENTORY = evil(1);
const FROM_PLAYBOOK = evil(2);
const FROM_EXTRA = evil(3);
const LINE = evilLine(4);
// a file name cannot hold a '/': these canaries would land in the shell's directory (/root)
const WEIRD_NAME = `/root/it's "odd"; $(touch pt-canary-${TAG}-5) \`touch pt-canary-${TAG}-6\` & name.txt`;
const UNIT = `nova-compute; touch ${canary(7)}`;
const OWNER = `root; touch ${canary(8)}`;

describe('injection: hostile values are data, never shell', { skip: unavailable ? `SKIPPED: ${unavailable}` : false }, () => {
  let lab: RealLab;
  const tmp = scratch();
  const host = 'gpu-rtx';
  let out = '';
  let code: number | null = null;
  let json = '';

  before(async () => {
    lab = await startFaultLab(demoCluster().filter((s) => s.name === host));
    const h = lab.host(host);
    // the lab's inventory as YAML (newlines in values need YAML), with a hostile host var
    const inventory = tmp.file(
      'inventory.yml',
      [
        'all:',
        '  vars:',
        '    ansible_user: root',
        `    ansible_ssh_private_key_file: ${JSON.stringify(lab.identityFile)}`,
        `    ansible_ssh_common_args: ${JSON.stringify(`-o UserKnownHostsFile=${lab.knownHostsPath} -o StrictHostKeyChecking=yes`)}`,
        '  hosts:',
        `    ${host}:`,
        `      ansible_host: ${h.address}`,
        `      ansible_port: ${h.port}`,
        `      evil_inv: ${JSON.stringify(FROM_INVENTORY)}`,
        '',
      ].join('\n'),
    );
    const playbook = tmp.file(
      'inject.yaml',
      [
        '- name: injection',
        '  hosts: all',
        '  vars:',
        `    evil_pb: ${JSON.stringify(FROM_PLAYBOOK)}`,
        `    evil_line: ${JSON.stringify(LINE)}`,
        `    weird_name: ${JSON.stringify(WEIRD_NAME)}`,
        '  steps:',
        '    - name: copy content',
        '      copy:',
        '        dest: /root/inj-copy.txt',
        '        content: "{{ evil_inv }}|{{ evil_pb }}|{{ evil_e }}"',
        '    - name: lineinfile line',
        '      lineinfile:',
        '        path: /root/inj-line.txt',
        '        create: true',
        '        line: "{{ evil_line }}"',
        '    - name: command argv',
        '      command: [sh, -c, "printf %s \\"$1\\" > /root/inj-argv.txt", sh, "{{ evil_e }}"]',
        '    - name: a file whose name is hostile',
        '      copy:',
        '        dest: "{{ weird_name }}"',
        '        content: "{{ evil_inv }}"',
        '    - name: ini value',
        '      ini:',
        '        path: /root/inj.ini',
        '        create: true',
        '        section: pci',
        '        option: alias',
        '        value: "{{ evil_line }}"',
        '    - name: a unit name that is hostile',
        '      service:',
        `        name: ${JSON.stringify(UNIT)}`,
        '        state: restarted',
        '      ignore_errors: true',
        '    - name: an owner that is hostile',
        '      copy:',
        '        dest: /root/inj-owner.txt',
        '        content: "x"',
        `        owner: ${JSON.stringify(OWNER)}`,
        '      ignore_errors: true',
        '',
      ].join('\n'),
    );
    json = join(tmp.dir, 'report.json');
    const r = await runCli(['run', playbook, '-i', inventory, '--yes', '--json', json, '-e', JSON.stringify({ evil_e: FROM_EXTRA })], { env: cliEnv(tmp.dir) });
    out = r.stdout + r.stderr;
    code = r.code;
  });
  after(async () => {
    await lab?.stop();
    tmp.remove();
  });

  it('the run went through (the two hostile names only failed their own, ignored, steps)', () => {
    assertNoStack(out);
    assert.equal(code, 0, out);
    const steps = readReport(json).hosts[host]?.steps ?? [];
    assert.deepEqual(
      steps.map((s) => [s.name, s.status]),
      [
        ['copy content', 'changed'],
        ['lineinfile line', 'changed'],
        ['command argv', 'changed'],
        ['a file whose name is hostile', 'changed'],
        ['ini value', 'changed'],
        ['a unit name that is hostile', 'ignored'],
        ['an owner that is hostile', 'ignored'],
      ],
    );
    // the whole hostile name reached systemctl and chown as one argument
    assert.match(steps[5]?.error ?? '', /nova-compute; touch/);
    assert.match(steps[6]?.error ?? '', /root; touch/);
  });

  it('values land verbatim: copy content, lineinfile line, command argv, ini value, file name', () => {
    assert.equal(lab.readFile(host, '/root/inj-copy.txt'), `${FROM_INVENTORY}|${FROM_PLAYBOOK}|${FROM_EXTRA}`);
    assert.equal(lab.readFile(host, '/root/inj-line.txt'), `${LINE}\n`);
    assert.equal(lab.readFile(host, '/root/inj-argv.txt'), FROM_EXTRA);
    assert.equal(lab.readFile(host, WEIRD_NAME), FROM_INVENTORY);
    assert.match(lab.readFile(host, '/root/inj.ini'), new RegExp(`^\\[pci\\]\\nalias = ${LINE.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n$`));
    assert.equal(hostFile(lab, host, '/root/inj-owner.txt'), undefined, 'a file with an owner that does not exist is not written');
  });

  it('no canary exists, on the host or on this machine', () => {
    const hostTmp = readdirSync(join(lab.host(host).rootDir, 'tmp')).filter((f) => f.includes(`passthru-canary-${TAG}`));
    assert.deepEqual(hostTmp, [], 'on the host');
    assert.deepEqual(readdirSync('/tmp').filter((f) => f.includes(`passthru-canary-${TAG}`)), [], 'on this machine');
    // the name's canaries would be in /root (the host's, or this machine's)
    assert.deepEqual(readdirSync(join(lab.host(host).rootDir, 'root')).filter((f) => f.startsWith('pt-canary')), []);
    assert.deepEqual(readdirSync('/root').filter((f) => f.startsWith('pt-canary')), []);
    assert.ok(!existsSync(canary(1)));
    assert.ok(readFileSync(lab.inventoryPath, 'utf8').length > 0);
  });
});
