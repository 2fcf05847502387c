import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { inventoryWarnings } from '../../src/inventory/meta.ts';
import type { Inventory } from '../../src/inventory/types.ts';
import { parseYamlInventory } from '../../src/inventory/yaml.ts';
import { plainData, pyJson } from '../../src/yaml/py-values.ts';
import { CASES, throwsConfigError } from './helpers.ts';

const F = 'inventory/cluster.yml';
const yaml = (text: string): Inventory => parseYamlInventory(text, F);

test('all: {hosts, vars, children} nesting, host vars, null hosts and null groups', () => {
  const inv = yaml(`all:
  vars:
    ansible_user: stack
  hosts:
    bastion:
  children:
    openstack:
      children:
        controller:
          hosts:
            ctl01: {ansible_host: 10.0.0.11}
        compute:
          hosts:
            cmp[01:02]:
        empty:
`);
  assert.deepEqual(inv.groups.get('all')?.vars, { ansible_user: 'stack' });
  assert.deepEqual(inv.groups.get('openstack')?.children, ['controller', 'compute', 'empty']);
  assert.deepEqual(inv.groups.get('compute')?.hosts, ['cmp01', 'cmp02']);
  assert.deepEqual(inv.hosts.get('ctl01')?.vars, { ansible_host: '10.0.0.11' });
  assert.deepEqual(inv.groups.get('ungrouped')?.hosts, ['bastion']);
  assert.deepEqual([...inv.hosts.keys()], ['bastion', 'ctl01', 'cmp01', 'cmp02']);
});

test('a single name may stand for a mapping (hosts: ctl01), as Ansible allows', () => {
  const inv = yaml('controller:\n  hosts: ctl01\nnova:\n  children: controller\n');
  assert.deepEqual(inv.groups.get('controller')?.hosts, ['ctl01']);
  assert.deepEqual(inv.groups.get('nova')?.children, ['controller']);
});

test('host:port keys, and a host listed in several groups', () => {
  const inv = yaml('a:\n  hosts:\n    "h1:2222":\n      x: 1\nb:\n  hosts:\n    h1:\n      y: 2\n');
  assert.deepEqual(inv.hosts.get('h1')?.vars, { ansible_port: 2222, x: 1, y: 2 });
  assert.deepEqual(inv.groups.get('b')?.hosts, ['h1']);
});

test('merge keys and anchors work as in PyYAML (the mapping\'s own keys win)', () => {
  const inv = yaml(`all:
  vars:
    base: &base {port: 8774, debug: false}
    svc:
      <<: *base
      debug: true
    two:
      <<: [{a: 1, b: 1}, {b: 2, c: 2}]
  hosts:
    h1: &hv {ansible_host: 10.0.0.1}
    h2: *hv
`);
  const v = inv.groups.get('all')?.vars ?? {};
  assert.deepEqual(v['svc'], { port: 8774, debug: true });
  assert.deepEqual(v['two'], { a: 1, b: 1, c: 2 }, 'the first mapping in a << list wins');
  assert.deepEqual(inv.hosts.get('h2')?.vars, { ansible_host: '10.0.0.1' });
});

interface Case { in: string; out?: unknown; float?: string; error?: string; kind?: string }
// produced by Ansible's YAML loader (cases/gen-cases.py)
const scalars = JSON.parse(readFileSync(join(CASES, 'yaml-scalars.json'), 'utf8')) as Case[];

test('every scalar types exactly as Ansible\'s YAML loader (YAML 1.1) types it', () => {
  assert.ok(scalars.length > 80);
  for (const c of scalars) {
    const text = `all:\n  hosts:\n    h:\n      v: ${c.in}\n`;
    if ('out' in c) {
      assert.deepEqual(plainData(yaml(text).hosts.get('h')?.vars['v']), c.in.startsWith('!unsafe') ? '{{ x }}' : c.out, `YAML scalar ${c.in}`);
    } else if (c.float) {
      assert.equal(plainData(yaml(text).hosts.get('h')?.vars['v']), c.float.startsWith('-') ? -Infinity : Infinity, c.in);
    } else if (c.error) {
      throwsConfigError(() => yaml(text), { file: F, line: 4, message: [/./] });
    }
  }
});

test('a JSON file follows JSON rules (1e3 is a number there, a string in YAML)', () => {
  const json = parseYamlInventory('{"all": {"hosts": {"h": {"v": 1e3, "w": "yes", "z": null}}}}', 'x.json');
  assert.deepEqual(plainData(json.hosts.get('h')?.vars), { v: 1000, w: 'yes', z: null });
  assert.equal(pyJson(json.hosts.get('h')?.vars['v']), '1000.0', 'a float in JSON stays a float');
  assert.equal(yaml('all:\n  hosts:\n    h: {v: 1e3}\n').hosts.get('h')?.vars['v'], '1e3');
});

test('unknown keys are warned about, like Ansible; typos of hosts/vars/children are errors', () => {
  const inv = yaml('all:\n  children:\n    g:\n      hosts: {h1: }\n      metadata: {owner: ops}\n      notes:\n');
  assert.match(inventoryWarnings(inv).join('\n'), /cluster\.yml:5: skipping unexpected key \(metadata\) in group \(g\)/);
  throwsConfigError(() => yaml('all:\n  children:\n    g:\n      host:\n        h1:\n'), {
    file: F, line: 4, message: ["unknown key 'host' in group 'g'"], hint: ["did you mean 'hosts'?"],
  });
  throwsConfigError(() => yaml('g:\n  Vars: {a: 1}\n'), { line: 2, hint: ["'vars'"], message: ['Vars'] });
});

test('structure errors name the file and line and say what to do', () => {
  throwsConfigError(() => yaml('all:\n  children:\n    compute:\n      hosts:\n        - cmp01\n        - cmp02\n'), {
    file: F, line: 4, message: ['"hosts" entry for group \'compute\'', 'found a list'], hint: ['cmp01:'],
  });
  throwsConfigError(() => yaml('all:\n  children:\n    compute: [cmp01, cmp02]\n'), { line: 3, message: ["group 'compute' is a list"], hint: ['hosts:'] });
  throwsConfigError(() => yaml('all:\n  vars: [a, b]\n'), { line: 2, message: ['"vars" entry', 'a list'] });
  throwsConfigError(() => yaml('all:\n  children:\n    a:\n      hosts: {h1: }\n    a:\n      hosts: {h2: }\n'), {
    line: 5, message: ["duplicate key 'a'", 'line 3'], hint: ['once per mapping'],
  });
  throwsConfigError(() => yaml('all:\n  children:\n    a:\n      children:\n        b:\n          children:\n            a:\n'), {
    line: 5, message: ["adding group 'b' as a child of 'a' makes a loop"],
  });
  throwsConfigError(() => yaml('all:\n  hosts:\n    1.5:\n'), { line: 3, message: ['host pattern 1.5 must be text'], hint: ['quotation marks'] });
  throwsConfigError(() => yaml('all:\n  children:\n    yes:\n      hosts: {h1: }\n'), { line: 3, message: ['invalid group name true'], hint: ['quote'] });
  throwsConfigError(() => yaml('all:\n  hosts:\n    cmp[05:01]:\n'), { line: 3, message: ['bad host range'], hint: ['[01:05]'] });
  throwsConfigError(() => yaml('all:\n  hosts:\n    h1: just-text\n'), { line: 3, message: ["host 'h1' has the text 'just-text'"], hint: ['mapping'] });
  throwsConfigError(() => yaml('all:\n  hosts:\n    h1:\n      v: !vaultz x\n'), { line: 4, message: ['YAML: unknown tag'] });
  throwsConfigError(() => yaml('all:\n  hosts:\n    h1:\n      a: &x [*x]\n'), { line: 4, message: ['loop'] });
  throwsConfigError(() => yaml('plugin: openstack.cloud.openstack\nclouds: [mycloud]\n'), {
    line: 1, message: ['inventory plugin configuration'], hint: ['ansible-inventory -i', '--list --yaml'],
  });
});

test('syntax errors give file:line (and column)', () => {
  const e = throwsConfigError(() => yaml('all:\n  hosts:\n    h1: {a: 1\n  vars:\n'), { file: F, message: ['YAML: '] });
  assert.ok(e.location.line !== undefined && e.location.line >= 3);
  throwsConfigError(() => yaml('all:\n  hosts: {}\n---\nall:\n'), { message: ['YAML: '], hint: ['---'] });
});

test('an alias bomb is refused without expanding it', () => {
  const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (const [i, n] of ['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'].entries()) {
    const prev = String.fromCharCode(97 + i);
    lines.push(`${n}: &${n} [${Array(9).fill(`*${prev}`).join(',')}]`);
  }
  throwsConfigError(() => yaml(`all:\n  vars:\n${lines.map((l) => '    ' + l).join('\n')}\n`), { message: ['YAML: too many aliases', 'alias bomb'], hint: ['write the values out'] });
});

test('a !vault value is kept opaque, like ansible-inventory shows it', () => {
  const inv = yaml('all:\n  vars:\n    db_password: !vault |\n      $ANSIBLE_VAULT;1.1;AES256\n      6231\n');
  assert.deepEqual(inv.groups.get('all')?.vars['db_password'], { __ansible_vault: '$ANSIBLE_VAULT;1.1;AES256\n6231\n' });
});
