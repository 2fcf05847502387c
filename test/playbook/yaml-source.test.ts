import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { ConfigError } from '../../src/errors.ts';
import { loadPlaybook, parsePlaybook } from '../../src/playbook/index.ts';
import { MAX_BYTES, locationOf, parseYaml } from '../../src/playbook/yaml-source.ts';

const opts = { kinds: new Set(['command']) };
const VALID = '- hosts: compute\n  steps:\n    - name: uptime\n      command: uptime\n';

async function loadError(file: string): Promise<ConfigError> {
  try {
    await loadPlaybook(file, opts);
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
    assert.ok(e.message.startsWith(file), e.message);
    return e;
  }
  assert.fail('expected the file to be refused');
}

describe('hostile files: one ConfigError, never a stack trace', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'passthru-yaml-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a file over 5 MB is refused before it is parsed', async () => {
    const f = join(dir, 'huge.yaml');
    writeFileSync(f, `${VALID}# ${'x'.repeat(MAX_BYTES)}\n`);
    const e = await loadError(f);
    assert.equal(e.message, `${f}: the file is 5.0 MB; passthru reads YAML files up to 5 MB`);
    assert.match(e.hint ?? '', /right file/);
    assert.throws(() => parsePlaybook(`${VALID}#${'x'.repeat(MAX_BYTES)}`, 'big.yaml', opts), /^ConfigError: big\.yaml: the file is 5\.0 MB/);
  });

  it('binary data (a NUL byte) names where it starts', async () => {
    const f = join(dir, 'binary.yaml');
    writeFileSync(f, Buffer.concat([Buffer.from('- hosts: c\n  ste'), Buffer.from([0, 1, 2, 0xff, 0xfe]), Buffer.from('ps: []\n')]));
    const e = await loadError(f);
    assert.equal(e.message, `${f}:2:6: this is a binary file, not YAML text (it contains a NUL byte)`);
    const nul = join(dir, 'nul.yaml');
    writeFileSync(nul, Buffer.from('- hosts: c\n\n  x\0y\n'));
    assert.equal((await loadError(nul)).message, `${nul}:3:4: this is a binary file, not YAML text (it contains a NUL byte)`);
  });

  it('a compressed playbook (gzip)', async () => {
    const f = join(dir, 'site.yaml.gz');
    writeFileSync(f, gzipSync(VALID));
    assert.match((await loadError(f)).message, /^[^:]+:1:\d+: this is (not UTF-8 text|a binary file)/);
  });

  it('Latin-1 text is not UTF-8', async () => {
    const f = join(dir, 'latin1.yaml');
    writeFileSync(f, Buffer.from('- name: caf\xe9\n  hosts: c\n', 'latin1'));
    assert.equal((await loadError(f)).message, `${f}:1:12: this is not UTF-8 text (a binary file, or a file saved in another encoding)`);
  });

  it('a UTF-8 byte order mark is fine', async () => {
    const f = join(dir, 'bom.yaml');
    writeFileSync(f, `\uFEFF${VALID}`);
    assert.equal((await loadPlaybook(f, opts)).plays[0]!.hosts, 'compute');
  });

  it('a directory, a missing file', async () => {
    assert.equal((await loadError(dir)).message, `${dir}: the playbook is a directory, not a file`);
    const missing = join(dir, 'nope.yaml');
    assert.equal((await loadError(missing)).message, `${missing}: the playbook does not exist`);
  });

  it('a YAML alias bomb ("billion laughs") is refused without expanding it', async () => {
    const f = join(dir, 'bomb.yaml');
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++) {
      const p = String.fromCharCode(96 + i);
      const n = String.fromCharCode(97 + i);
      levels.push(`${n}: &${n} [${Array(9).fill(`*${p}`).join(',')}]`);
    }
    writeFileSync(f, `- hosts: c\n  vars:\n${levels.map((l) => `    ${l}`).join('\n')}\n  steps: []\n`);
    const e = await loadError(f);
    assert.equal(e.message, `${f}:4:12: YAML: too many aliases (*name): this looks like an alias bomb, refusing to expand it`);
  });

  it('a truncated file', async () => {
    const f = join(dir, 'cut.yaml');
    writeFileSync(f, '- hosts: c\n  steps:\n    - name: x\n      command: {cmd: "ls", chdir: /tm');
    assert.match((await loadError(f)).message, new RegExp(`^${f}:4:\\d+: YAML: `));
  });

  it('several YAML documents', async () => {
    const f = join(dir, 'docs.yaml');
    writeFileSync(f, `${VALID}---\n${VALID}`);
    const e = await loadError(f);
    assert.match(e.message, new RegExp(`^${f}:5:1: YAML: `));
    assert.match(e.hint ?? '', /one YAML document/);
  });

  it('Ansible Vault and unknown tags', () => {
    assert.throws(() => parseYaml('a: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  3061\n', 'v.yaml'), /^ConfigError: v\.yaml:1:4: Ansible Vault values \(!vault\) are not supported$/);
    assert.throws(() => parseYaml('a: !custom x\n', 't.yaml'), /^ConfigError: t\.yaml:1:4: YAML: /);
  });
});

describe('YAML 1.1 as Ansible (PyYAML) reads it', () => {
  it('yes/no/on/off are booleans, y/n are not; 0755 is octal; dates stay strings; << merges', () => {
    const { data } = parseYaml('a: yes\nb: Off\nc: y\nd: n\ne: 0755\nf: 2024-01-31\nbase: &b {x: 1}\ng:\n  <<: *b\n  y: 2\n', 'y.yaml');
    assert.deepEqual(data, { a: true, b: false, c: 'y', d: 'n', e: 493, f: '2024-01-31', base: { x: 1 }, g: { x: 1, y: 2 } });
  });
});

describe('locationOf', () => {
  const src = parseYaml('- hosts: c\n  vars:\n    base: &b {x: 1}\n    merged:\n      <<: *b\n    empty:\n  steps: []\n', 'l.yaml');
  it('follows keys and indexes; names the key for an empty value; falls back to the deepest node', () => {
    assert.deepEqual(locationOf(src, [0, 'vars', 'base', 'x']), { file: 'l.yaml', line: 3, column: 18 });
    assert.deepEqual(locationOf(src, [0, 'vars', 'empty']), { file: 'l.yaml', line: 6, column: 5 });
    assert.deepEqual(locationOf(src, [0, 'vars', 'base'], { key: true }), { file: 'l.yaml', line: 3, column: 5 });
    // x comes from the merge: the mapping that merges it is named
    assert.deepEqual(locationOf(src, [0, 'vars', 'merged', 'x']), { file: 'l.yaml', line: 5, column: 7 });
    assert.deepEqual(locationOf(src, [0, 'nope', 3]), { file: 'l.yaml', line: 1, column: 3 });
  });
});
