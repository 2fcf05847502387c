import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { extensionOf, loadInventory, MAX_INVENTORY_BYTES, parseInventory } from '../../src/inventory/load.ts';
import { ConfigError } from '../../src/errors.ts';
import { hostVars, mergedVars } from '../../src/inventory/vars.ts';
import { FIXTURES, rejectsConfigError, throwsConfigError } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'passthru-inventory-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string | Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

test('the extension picks the reader as in Ansible (splitext: leading dots are not an extension)', () => {
  assert.equal(extensionOf('inventory/hosts.yml'), '.yml');
  assert.equal(extensionOf('inventory/hosts'), '');
  assert.equal(extensionOf('inventory/.hosts'), '');
  assert.equal(extensionOf('my.inventory/hosts.ini'), '.ini');
});

test('a file without an extension is read as YAML when it is a YAML mapping, else as INI', async () => {
  const ini = await loadInventory(join(FIXTURES, 'hosts'));
  assert.deepEqual(ini.groups.get('openstack')?.children, ['controller', 'compute']);
  const yml = await loadInventory(join(FIXTURES, 'staging'));
  assert.deepEqual(yml.groups.get('compute')?.hosts, ['stg-cmp01', 'stg-cmp02']);
  // one host name per line is a YAML string, not a mapping: INI
  const plain = parseInventory('ctl01\ncmp01\n', join(dir, 'plain'));
  assert.deepEqual(plain.groups.get('ungrouped')?.hosts, ['ctl01', 'cmp01']);
});

test('INI text in a .yml file is read as INI (Ansible tries the INI plugin next)', () => {
  const inv = parseInventory('[compute]\ncmp01\n', 'hosts.yml');
  assert.deepEqual(inv.groups.get('compute')?.hosts, ['cmp01']);
});

test('an empty or comment-only file is an empty inventory', () => {
  for (const name of ['empty.yml', 'empty.ini', 'empty']) {
    const inv = parseInventory('# nothing here\n', name);
    assert.equal(inv.hosts.size, 0, name);
    assert.deepEqual([...inv.groups.keys()], ['all', 'ungrouped']);
  }
});

test('when both readers fail, the error that fits the file is shown', () => {
  throwsConfigError(() => parseInventory('all:\n  hosts:\n    - a\n', 'hosts.yml'), { line: 2, message: ['"hosts" entry'] });
  throwsConfigError(() => parseInventory('all:\n  hosts:\n    - a\n', 'hosts'), { line: 2, message: ['"hosts" entry'] });
  throwsConfigError(() => parseInventory('[web]\nhost1 foo\n', 'hosts'), { line: 2, message: ['expected key=value'] });
  throwsConfigError(() => parseInventory('all:\n  hosts:\n    - a\n', 'hosts.ini'), { line: 1, message: ["ending in ':'"] });
  throwsConfigError(() => parseInventory('all:\n  hosts: {a: 1\n', 'cluster'), { message: ['YAML: '] });
});

test('a comma list of hosts is an inventory, as with ansible -i host1,host2,', async () => {
  const inv = await loadInventory('ctl01,cmp01:2222,10.0.0.5,');
  assert.deepEqual(inv.groups.get('ungrouped')?.hosts, ['ctl01', 'cmp01', '10.0.0.5']);
  assert.equal(inv.hosts.get('cmp01')?.vars['ansible_port'], 2222);
});

test('missing file, a directory, a special file', async () => {
  await rejectsConfigError(loadInventory(join(dir, 'nope.ini')), { file: join(dir, 'nope.ini'), message: ['not found'], hint: ['-i'] });
  mkdirSync(join(dir, 'inventory.d'));
  await rejectsConfigError(loadInventory(join(dir, 'inventory.d')), { file: join(dir, 'inventory.d'), message: ['holds no inventory file'], hint: ['group_vars/'] });
  await rejectsConfigError(loadInventory('/dev/null'), { message: ['not a regular file'] });
});

test('hostile input is a ConfigError: binary, huge, not UTF-8, an inventory script', async () => {
  const bin = file('binary.ini', Buffer.concat([Buffer.from('[g]\nh1\n'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, 3])]));
  await rejectsConfigError(loadInventory(bin), { file: bin, line: 3, message: ['binary file'] });

  const big = file('big.ini', Buffer.alloc(MAX_INVENTORY_BYTES + 1, 0x61));
  await rejectsConfigError(loadInventory(big), { message: ['too large'] });

  const latin = file('latin1.ini', Buffer.concat([Buffer.from('[g]\n# r'), Buffer.from([0xe9]), Buffer.from('seau\nh1\nh\xe9', 'latin1')]));
  await rejectsConfigError(loadInventory(latin), { file: latin, line: 4, message: ['not valid UTF-8'], hint: ['iconv'] });
  const okLatin = file('latin1-comment.ini', Buffer.concat([Buffer.from('[g]\n# r'), Buffer.from([0xe9]), Buffer.from('seau\nh1\n')]));
  assert.deepEqual((await loadInventory(okLatin)).groups.get('g')?.hosts, ['h1'], 'Ansible accepts other encodings in INI comments');

  const script = file('openstack_inventory', '#!/usr/bin/env python3\nimport json\nprint(json.dumps({}))\n');
  await rejectsConfigError(loadInventory(script), { line: 1, message: ['inventory script'], hint: ['ansible-inventory -i', '--yaml'] });
});

test('a syntax-valid inventory with a bad connection variable fails at load time, with the line', async () => {
  const p = file('bad-port.ini', '[compute]\ncmp01\n\n[compute:vars]\nansible_port=abc\n');
  await rejectsConfigError(loadInventory(p), {
    file: p, line: 5, message: ["ansible_port on group 'compute' must be a port number (1-65535), got 'abc'"], hint: ['ansible_port=22'],
  });
});

test('absurd sizes are refused with what is too large', () => {
  const chain = Array.from({ length: 3000 }, (_, i) => `[g${i}:children]\ng${i + 1}`).join('\n') + '\n[g3000]\nh1\n';
  throwsConfigError(() => parseInventory(chain, 'chain.ini'), { message: ['groups nest 3001 levels deep'] });
  throwsConfigError(() => parseInventory(Array.from({ length: 10_001 }, (_, i) => `[x${i}]`).join('\n'), 'g.ini'), { line: 9_999, message: ['more than 10000 groups'] });
  throwsConfigError(() => parseInventory('all:\n  vars:\n    v: ' + '['.repeat(20_000) + ']'.repeat(20_000) + '\n', 'deep.yml'), { line: 3, message: ['YAML'] });
});

test('whatever the text, the result is an inventory or a ConfigError (never a crash)', async () => {
  const fc = await import('fast-check');
  const line = fc.oneof(
    fc.constantFrom('[g]', '[g:vars]', '[g:children]', '[all:vars]', 'all:', '  hosts:', '  children:', '    g:', '  vars:', '---', '- x'),
    fc.constantFrom('h1', 'h[1:3]', 'h[3:1]', 'h:22', 'x=1', 'ansible_port=abc', "a='[1,", '"', '&a [*a]', '*a', '<<: *a', '{', '}'),
    fc.string({ maxLength: 20 }),
  );
  const text = fc.array(line, { maxLength: 12 }).map((ls) => ls.join('\n'));
  fc.assert(
    fc.property(text, fc.constantFrom('x.ini', 'x.yml', 'x', 'x.json'), (t, name) => {
      try {
        parseInventory(t, name);
      } catch (e) {
        assert.ok(e instanceof ConfigError, `${name}: ${JSON.stringify(t)} -> ${e instanceof Error ? e.stack : String(e)}`);
        assert.ok(e.hint, 'a hint');
      }
    }),
    { numRuns: 400 },
  );
});

test('an inventory directory: every file in name order, what Ansible skips skipped, one error naming the bad file and line', async () => {
  const d = join(dir, 'inv.d');
  mkdirSync(join(d, 'group_vars'), { recursive: true });
  writeFileSync(join(d, '10-hosts'), '[compute]\ncmp01\n');
  writeFileSync(join(d, '20-more.yml'), 'compute:\n  hosts:\n    cmp02:\n');
  writeFileSync(join(d, 'old.ini'), '[skipped]\nold01\n');
  writeFileSync(join(d, '10-hosts~'), '[skipped]\nbak01\n');
  writeFileSync(join(d, 'group_vars', 'compute.yml'), 'ansible_user: ops\n');
  const inv = await loadInventory(d);
  assert.deepEqual([...inv.hosts.keys()], ['cmp01', 'cmp02']);
  assert.ok(!inv.groups.has('skipped'));
  assert.equal(mergedVars(inv, 'cmp02')['ansible_user'], 'ops');
  writeFileSync(join(d, '30-bad.yml'), 'compute:\n  hosts:\n    - cmp03\n');
  await rejectsConfigError(loadInventory(d), { file: join(d, '30-bad.yml'), line: 2, message: ['hosts'] });
});

test('-i twice: both sources merged in order, each with its own group_vars/', async () => {
  mkdirSync(join(dir, 'a', 'group_vars'), { recursive: true });
  mkdirSync(join(dir, 'b'), { recursive: true });
  writeFileSync(join(dir, 'a', 'hosts'), '[compute]\ncmp01 rack=a\n');
  writeFileSync(join(dir, 'a', 'group_vars', 'compute.yml'), 'reboot_timeout: 900\n');
  writeFileSync(join(dir, 'b', 'hosts.yml'), 'compute:\n  hosts:\n    cmp01: {rack: b}\n    cmp02:\n');
  const inv = await loadInventory([join(dir, 'a', 'hosts'), join(dir, 'b', 'hosts.yml')]);
  assert.deepEqual([...inv.hosts.keys()], ['cmp01', 'cmp02']);
  assert.equal(mergedVars(inv, 'cmp01')['rack'], 'b', 'the later source wins');
  assert.equal(mergedVars(inv, 'cmp02')['reboot_timeout'], 900, "a's group_vars/ apply to hosts of b");
});

test('bad group_vars/host_vars files: one error with file:line', async () => {
  const d = join(dir, 'badvars');
  mkdirSync(join(d, 'group_vars'), { recursive: true });
  mkdirSync(join(d, 'host_vars'), { recursive: true });
  writeFileSync(join(d, 'hosts'), '[compute]\ncmp01\n');
  writeFileSync(join(d, 'group_vars', 'compute.yml'), '- just\n- a list\n');
  await rejectsConfigError(loadInventory(join(d, 'hosts')), { file: join(d, 'group_vars', 'compute.yml'), line: 1, message: ['mapping'] });
  writeFileSync(join(d, 'group_vars', 'compute.yml'), 'a: 1\nb: [1, 2\n');
  await rejectsConfigError(loadInventory(join(d, 'hosts')), { file: join(d, 'group_vars', 'compute.yml'), message: ['YAML: '] });
  writeFileSync(join(d, 'group_vars', 'compute.yml'), 'a: 1\n');
  writeFileSync(join(d, 'host_vars', 'cmp01.yml'), 'x: 1\nansible_port: ssh\n');
  await rejectsConfigError(loadInventory(join(d, 'hosts')), { file: join(d, 'host_vars', 'cmp01.yml'), line: 2, message: ['ansible_port', 'port number'] });
});

test('group_vars/ beside the playbook apply above those beside the inventory', async () => {
  const d = join(dir, 'pbdir');
  mkdirSync(join(d, 'inv', 'group_vars'), { recursive: true });
  mkdirSync(join(d, 'playbooks', 'group_vars'), { recursive: true });
  writeFileSync(join(d, 'inv', 'hosts'), '[compute]\ncmp01\n');
  writeFileSync(join(d, 'inv', 'group_vars', 'compute.yml'), 'who: inventory\nkeep: 1\n');
  writeFileSync(join(d, 'playbooks', 'group_vars', 'compute.yml'), 'who: playbook\n');
  const inv = await loadInventory(join(d, 'inv', 'hosts'), { playbookDir: join(d, 'playbooks') });
  assert.equal(hostVars(inv, 'cmp01')['who'], 'playbook');
  assert.equal(hostVars(inv, 'cmp01')['keep'], 1);
});
