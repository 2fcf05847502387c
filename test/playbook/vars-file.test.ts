import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError } from '../../src/errors.ts';
import { loadVarsFile } from '../../src/playbook/vars-file.ts';

describe('loadVarsFile', () => {
  let dir = '';
  const file = (name: string, text: string): string => {
    const f = join(dir, name);
    writeFileSync(f, text);
    return f;
  };
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'passthru-vars-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a mapping; an empty file is no variables', async () => {
    assert.deepEqual(await loadVarsFile(file('ok.yaml', 'gpu_vendor: "10de"\nflavor_ram: 16384\n')), { gpu_vendor: '10de', flavor_ram: 16384 });
    assert.deepEqual(await loadVarsFile(file('empty.yaml', '# nothing yet\n')), {});
  });

  it('a template with a syntax error names its line', async () => {
    const f = file('tpl.yaml', 'a: 1\nb:\n  - "{{ a | default(1 }}"\n');
    await assert.rejects(loadVarsFile(f), (e: unknown) => e instanceof ConfigError && e.message.startsWith(`${f}:3:5: unexpected end of expression`));
  });

  it('names passthru sets itself cannot be defined', async () => {
    const f = file('reserved.yaml', 'a: 1\ngroups: {compute: [x]}\n');
    await assert.rejects(loadVarsFile(f), (e: unknown) => e instanceof ConfigError && e.message === `${f}:2:1: "groups" is set by passthru and cannot be defined`);
  });

  it('a scalar is not a vars file', async () => {
    const f = file('scalar.yaml', 'just text\n');
    await assert.rejects(loadVarsFile(f), (e: unknown) => e instanceof ConfigError && e.message === `${f}:1:1: a vars file must be a mapping of variable names to values, not a string`);
  });
});
