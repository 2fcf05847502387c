// Malformed, truncated and hostile inventories and playbooks, given to the
// CLI (a child process, as a user runs it): each one ends in exit 1 and one
// message naming the file and the line, and never a stack trace. A huge but valid inventory is read in seconds.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { assertNoStack, cliEnv, runCli, scratch } from './helpers.ts';

const tmp = scratch();
after(() => tmp.remove());

// nothing listens there: a host that loads is refused at once, nothing is changed
const GOOD_INVENTORY = '[compute]\nc1 ansible_host=127.0.51.254 ansible_port=1\n';
const GOOD_PLAYBOOK = '- name: p\n  hosts: compute\n  steps:\n    - name: s\n      command: [echo, hi]\n';

const bomb = (indent: string): string =>
  ['a: &a [x, x, x, x, x, x, x, x, x]', ...'bcdefg'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefg'[i]}`).join(', ')}]`)]
    .map((l) => indent + l)
    .join('\n');

interface Case {
  name: string;
  file: string;
  content: string | Buffer;
  /** the message after "error: FILE:" (line and column included) */
  expect: RegExp;
}

const PLAYBOOKS: Case[] = [
  { name: 'steps of the wrong type', file: 'wrong-type.yaml', content: '- name: p\n  hosts: all\n  steps: "not a list"\n', expect: /^3:10: play "p": steps must be a list/ },
  { name: 'an unknown step key', file: 'unknown-key.yaml', content: '- name: p\n  hosts: all\n  steps:\n    - name: s\n      command: ["true"]\n      retrys: 3\n', expect: /^6:7: .*unknown step key "retrys" \(did you mean "retries"\?\)/ },
  { name: 'an unknown step kind', file: 'unknown-kind.yaml', content: '- name: p\n  hosts: all\n  steps:\n    - name: s\n      shel: ls\n', expect: /^5:7: .*unknown step kind "shel" \(did you mean "shell"\?\)/ },
  { name: 'a timeout that is not a number', file: 'timeout.yaml', content: '- name: p\n  hosts: all\n  steps:\n    - name: s\n      command: ["true"]\n      timeout: soon\n', expect: /^6:16: .*timeout must be a number of seconds/ },
  { name: 'an alias bomb', file: 'bomb.yaml', content: `- name: p\n  hosts: all\n  vars:\n${bomb('    ')}\n`, expect: /^5:\d+: YAML: too many aliases/ },
  { name: 'binary data', file: 'binary.yaml', content: Buffer.concat([Buffer.from('- name: p\n  hosts: all\n'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x00, 0x00, 0xff, 0xfe])]), expect: /^3:\d+: this is a binary file/ },
  { name: 'a file cut short', file: 'truncated.yaml', content: '- name: p\n  hosts: [all\n  steps:\n    - name: s\n', expect: /^3:3: YAML: / },
  { name: 'nesting 20000 deep', file: 'deep.yaml', content: `- name: p\n  hosts: all\n  vars:\n    deep: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`, expect: /^4:\d+: YAML: .*\n.*nested too deeply/ },
  { name: 'a duplicate key', file: 'dup.yaml', content: '- name: p\n  hosts: all\n  hosts: compute\n  steps: []\n', expect: /^3:3: YAML: map keys must be unique/ },
  { name: 'a python object tag', file: 'pytag.yaml', content: `- name: !!python/object/apply:os.system ["touch ${tmp.dir}/PWNED"]\n  hosts: all\n`, expect: /^1:\d+: YAML: unsupported tag tag:yaml\.org,2002:python\/object\/apply:os\.system/ },
  { name: 'an unknown filter', file: 'filter.yaml', content: '- name: p\n  hosts: all\n  steps:\n    - name: s\n      command: ["{{ x | nosuchfilter }}"]\n', expect: /^5:17: unknown filter "nosuchfilter"/ },
];

const INVENTORIES: Case[] = [
  { name: 'a section header cut short', file: 'truncated.ini', content: '[compute\nc1\n', expect: /^1: bad host range in '\[compute'/ },
  { name: 'a port that is not a number', file: 'port.ini', content: '[compute]\nc1 ansible_port=notaport\n', expect: /^2: ansible_port on host 'c1' must be a port number/ },
  { name: 'hosts as a list', file: 'wrong-type.yml', content: 'all:\n  hosts: [a, b]\n', expect: /^2: invalid "hosts" entry for group 'all': it must be a mapping, found a list/ },
  { name: 'an unknown key', file: 'unknown-key.yml', content: 'all:\n  hostz:\n    a: {}\n', expect: /^2: unknown key 'hostz' in group 'all'/ },
  { name: 'an alias bomb', file: 'bomb.yml', content: `all:\n  vars:\n${bomb('    ')}\n  hosts:\n    a: {}\n`, expect: /^4:\d+: YAML: too many aliases \(\*name\): this looks like an alias bomb/ },
  { name: 'binary data', file: 'binary.ini', content: Buffer.concat([Buffer.from('[compute]\nc1\n'), Buffer.from([0x00, 0x01, 0x02, 0xff])]), expect: /^3: this is a binary file, not an inventory/ },
  { name: 'nesting 20000 deep', file: 'deep.yml', content: `all:\n  vars:\n    deep: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`, expect: /^3:\d+: YAML/ },
  { name: 'groups in a loop', file: 'cycle.ini', content: '[a:children]\nb\n[b:children]\na\n', expect: /^4: adding group 'a' as a child of 'b' makes a loop/ },
  { name: 'a host range of 100 million hosts', file: 'range.ini', content: '[compute]\nc[1:99999999]\n', expect: /^2: bad host range .*expands to more than 100000 hosts/ },
];

function esc(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

async function expectConfigError(args: string[], file: string, expect: RegExp): Promise<void> {
  const r = await runCli(args, { env: cliEnv(tmp.dir), timeoutMs: 60_000 });
  const out = r.stdout + r.stderr;
  assertNoStack(out);
  assert.equal(r.code, 1, out);
  assert.equal(r.stdout, '', 'nothing on stdout: nothing ran');
  const [first = '', ...rest] = r.stderr.split('\n');
  assert.ok(first.startsWith(`error: ${file}:`), `the message starts with the file:\n${r.stderr}`);
  assert.match([first.slice(`error: ${file}:`.length), ...rest].join('\n'), expect);
}

describe('bad playbooks: exit 1, file:line, no stack trace', { concurrency: 3 }, () => {
  const inventory = tmp.file('good.ini', GOOD_INVENTORY);
  for (const c of PLAYBOOKS) {
    it(c.name, async () => {
      const file = tmp.file(`pb-${c.file}`, c.content);
      await expectConfigError(['run', file, '-i', inventory, '--check'], file, c.expect);
    });
  }
  it('a tag that would run a command runs nothing', () => {
    assert.equal(existsSync(join(tmp.dir, 'PWNED')), false);
  });
});

describe('bad inventories: exit 1, file:line, no stack trace', { concurrency: 3 }, () => {
  const playbook = tmp.file('good.yaml', GOOD_PLAYBOOK);
  for (const c of INVENTORIES) {
    it(c.name, async () => {
      const file = tmp.file(`inv-${c.file}`, c.content);
      await expectConfigError(['run', playbook, '-i', file, '--check'], file, c.expect);
    });
  }
});

describe('files too big to be a playbook or an inventory', { concurrency: 2 }, () => {
  // a size says nothing about a line: these name the file and its size
  it('a 6 MB playbook', async () => {
    const file = tmp.file('huge.yaml', `- name: p\n  hosts: all\n  vars:\n${Array.from({ length: 60_000 }, (_, i) => `    v${i}: ${'x'.repeat(100)}\n`).join('')}  steps: []\n`);
    const r = await runCli(['run', file, '-i', tmp.file('good2.ini', GOOD_INVENTORY), '--check'], { env: cliEnv(tmp.dir) });
    assertNoStack(r.stdout + r.stderr);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`^error: ${esc(file)}: the file is 6\\.\\d MB; passthru reads YAML files up to 5 MB\\nhint: `));
  });
  it('a 17 MB inventory', async () => {
    const file = tmp.file('huge.ini', `[compute]\n${'# padding\n'.repeat(1_700_000)}`);
    const r = await runCli(['run', tmp.file('good2.yaml', GOOD_PLAYBOOK), '-i', file, '--check'], { env: cliEnv(tmp.dir) });
    assertNoStack(r.stdout + r.stderr);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`^error: ${esc(file)}: inventory is too large \\(\\d+ bytes\\)\\nhint: `));
  });
});

describe('a huge but valid inventory', () => {
  it('20000 hosts (2.7 MB): read and run against one of them', async () => {
    // this took minutes when every host's vars walked every host again: runCli's timeout ends such a run
    const file = tmp.file('big.ini', `[compute]\n${Array.from({ length: 20_000 }, (_, i) => `c${i} ansible_host=127.0.51.254 ansible_port=1 note=${'y'.repeat(100)}\n`).join('')}`);
    const r = await runCli(['run', tmp.file('good3.yaml', GOOD_PLAYBOOK), '-i', file, '--check', '--limit', 'c19999'], { env: cliEnv(tmp.dir), timeoutMs: 90_000 });
    const out = r.stdout + r.stderr;
    assertNoStack(out);
    assert.equal(r.code, 4, out);
    assert.match(out, /\[c19999\] connect: UNREACHABLE: c19999: connection refused by 127\.0\.51\.254:1/);
  });
});
