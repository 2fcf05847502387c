import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError, UsageError } from '../../src/errors.ts';
import { parseExtraVars } from '../../src/playbook/extra-vars.ts';

// What ansible-core's own load_extra_vars returns for the same -e arguments (gen-ansible-extra-vars.py).
const ansible = JSON.parse(readFileSync(new URL('../fixtures/playbook/ansible-extra-vars.json', import.meta.url), 'utf8')) as {
  ansible_core: string;
  cases: Array<{ args: string[]; vars: Record<string, unknown> }>;
};

describe('parseExtraVars: the same variables as Ansible', () => {
  for (const c of ansible.cases) {
    it(`-e ${c.args.map((a) => `'${a}'`).join(' -e ')}`, async () => {
      assert.deepEqual(await parseExtraVars(c.args), c.vars);
    });
  }

  it('key=value values are strings, never typed', async () => {
    const v = await parseExtraVars(['count=3 enabled=true']);
    assert.equal(v['count'], '3');
    assert.equal(v['enabled'], 'true');
  });

  it('empty arguments are skipped', async () => {
    assert.deepEqual(await parseExtraVars(['', '  ']), {});
  });
});

describe('parseExtraVars: files', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'passthru-ev-'));
    writeFileSync(join(dir, 'vars.yaml'), '# gpu settings\ngpu_vendor: "10de"\ngpu_count: 2\nreboot: yes\n');
    writeFileSync(join(dir, 'vars.json'), '{"flavor": "gpu.large", "aliases": [{"name": "a"}]}\n');
    writeFileSync(join(dir, 'broken.yaml'), 'gpu_vendor: 10de\naliases:\n  - name: a\n   bad: indent\n');
    writeFileSync(join(dir, 'broken.json'), '{\n  "a": 1\n  "b": 2\n}\n');
    writeFileSync(join(dir, 'list.yaml'), '- a\n- b\n');
    writeFileSync(join(dir, 'badname.yaml'), 'ok: 1\nnot ok: 2\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('@vars.yaml and @vars.json, typed as YAML types them; later -e win', async () => {
    const v = await parseExtraVars([`@${join(dir, 'vars.yaml')}`, `@${join(dir, 'vars.json')}`, 'gpu_count=4']);
    assert.deepEqual(v, { gpu_vendor: '10de', gpu_count: '4', reboot: true, flavor: 'gpu.large', aliases: [{ name: 'a' }] });
  });

  it('errors in a file name file:line:column', async () => {
    const y = join(dir, 'broken.yaml');
    await assert.rejects(parseExtraVars([`@${y}`]), (e: unknown) => e instanceof ConfigError && e.message.startsWith(`${y}:4:`));
    const j = join(dir, 'broken.json');
    await assert.rejects(parseExtraVars([`@${j}`]), (e: unknown) => e instanceof ConfigError && e.message.startsWith(`${j}:2:8: YAML:`));
    const l = join(dir, 'list.yaml');
    await assert.rejects(parseExtraVars([`@${l}`]), (e: unknown) => e instanceof ConfigError && e.message === `${l}:1:1: a vars file must be a mapping of variable names to values, not a list`);
    const n = join(dir, 'badname.yaml');
    await assert.rejects(parseExtraVars([`@${n}`]), (e: unknown) => e instanceof ConfigError && e.message === `${n}:2:1: "not ok" is not a valid variable name`);
    const missing = join(dir, 'nope.yaml');
    await assert.rejects(parseExtraVars([`@${missing}`]), (e: unknown) => e instanceof ConfigError && e.message === `${missing}: the vars file does not exist`);
  });

  it('a path without @ is refused, as Ansible does', async () => {
    await assert.rejects(parseExtraVars([join(dir, 'vars.yaml')]), (e: unknown) => e instanceof UsageError && /put @ before it/.test(e.message));
  });
});

describe('parseExtraVars: bad arguments never echo values', () => {
  it('a word without =', async () => {
    await assert.rejects(parseExtraVars(['a=1', 'db_password=hunter22 s3cr3t']), (e: unknown) => {
      assert.ok(e instanceof UsageError);
      assert.equal(e.message, '-e argument 2: word 2 is not key=value');
      assert.doesNotMatch(e.message + (e.hint ?? ''), /hunter22|s3cr3t/);
      return true;
    });
  });

  it('an unclosed quote', async () => {
    await assert.rejects(parseExtraVars(['token="abc def']), (e: unknown) => e instanceof UsageError && e.message === '-e argument 1: a double quote is not closed' && !e.message.includes('abc'));
  });

  it('bad inline JSON names the column, not the text', async () => {
    await assert.rejects(parseExtraVars(['{"password": "hunter22", }x']), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.match(e.message, /^-e argument 1:1:\d+: YAML: /);
      assert.doesNotMatch(e.message, /hunter22/);
      return true;
    });
    await assert.rejects(parseExtraVars(['[1, 2]']), (e: unknown) => e instanceof ConfigError && /must be a mapping/.test(e.message));
  });

  it('an invalid variable name', async () => {
    await assert.rejects(parseExtraVars(['gpu-vendor=10de']), (e: unknown) => e instanceof UsageError && e.message === '-e argument 1: "gpu-vendor" is not a valid variable name');
  });
});
