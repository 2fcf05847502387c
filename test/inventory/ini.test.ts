import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseIni } from '../../src/inventory/ini.ts';
import { inventoryWarnings } from '../../src/inventory/meta.ts';
import type { Inventory } from '../../src/inventory/types.ts';
import { throwsConfigError } from './helpers.ts';

const F = 'inventory/hosts.ini';
const ini = (text: string): Inventory => parseIni(text, F);
const hostsOf = (inv: Inventory, g: string): string[] => inv.groups.get(g)?.hosts ?? [];

test('sections, children, vars, comments and hosts before any section', () => {
  const inv = ini(`# comment
; another comment
bastion ansible_host=203.0.113.5

[controller]
ctl01 ansible_host=10.0.0.11   # trailing comment
[compute]   # comment after a section header
cmp01
[openstack:children]
controller
compute
[openstack:vars]
ansible_user = stack
`);
  assert.deepEqual(hostsOf(inv, 'ungrouped'), ['bastion']);
  assert.deepEqual(hostsOf(inv, 'controller'), ['ctl01']);
  assert.deepEqual(inv.groups.get('openstack')?.children, ['controller', 'compute']);
  assert.deepEqual(inv.groups.get('openstack')?.vars, { ansible_user: 'stack' });
  assert.deepEqual(inv.hosts.get('ctl01')?.vars, { ansible_host: '10.0.0.11' });
  assert.deepEqual(inv.groups.get('all')?.children, ['ungrouped', 'openstack']);
});

test('the same host in several groups is one host; vars from every line add up', () => {
  const inv = ini('[a]\nh1 x=1\n[b]\nh1 y=2\n[c]\nh1 x=3\n');
  assert.equal(inv.hosts.size, 1);
  assert.deepEqual(inv.hosts.get('h1')?.vars, { x: 3, y: 2 });
  for (const g of ['a', 'b', 'c']) assert.deepEqual(hostsOf(inv, g), ['h1']);
});

test('host:port sets ansible_port where the host is first seen only (as Ansible does)', () => {
  const inv = ini('[a]\nh1:2222\n[b]\nh1:3333\nh2:22 ansible_port=2200\n');
  assert.equal(inv.hosts.get('h1')?.vars['ansible_port'], 2222);
  assert.equal(inv.hosts.get('h2')?.vars['ansible_port'], 2200, 'an explicit ansible_port after the port wins');
});

test('children may be declared before the child group', () => {
  const inv = ini('[parent:children]\nchild\n[child]\nh1\n');
  assert.deepEqual(inv.groups.get('parent')?.children, ['child']);
  assert.deepEqual(inv.groups.get('all')?.children, ['ungrouped', 'parent']);
});

test('[all] hosts end in ungrouped; a host in a real group leaves ungrouped', () => {
  const inv = ini('[all]\nmon01\n[ungrouped]\ncmp09\nspare\n[compute]\ncmp09\n');
  assert.deepEqual(hostsOf(inv, 'ungrouped'), ['spare', 'mon01']);
  assert.deepEqual(hostsOf(inv, 'all'), ['mon01']);
});

test('typed values: host-line values are shell-split first, [vars] values are the rest of the line', () => {
  const inv = ini(`[g]
h1 a="two words" b='[1, 2]' c=True d=yes e=a#comment
[g:vars]
x = two words
y="quoted" # comment
z=text ; kept
`);
  assert.deepEqual(inv.hosts.get('h1')?.vars, { a: 'two words', b: [1, 2], c: true, d: 'yes', e: 'a' });
  assert.deepEqual(inv.groups.get('g')?.vars, { x: 'two words', y: 'quoted', z: 'text ; kept' });
});

test('a byte order mark at the start is ignored', () => {
  const inv = ini('\uFEFF[compute]\ncmp01\n');
  assert.deepEqual(hostsOf(inv, 'compute'), ['cmp01']);
});

test('listing a child twice is harmless but noted', () => {
  const inv = ini('[a]\n[p:children]\na\na\n');
  assert.deepEqual(inv.groups.get('p')?.children, ['a']);
  assert.match(inventoryWarnings(inv).join('\n'), /hosts\.ini:4: group 'a' is listed twice/);
});

test('errors name the file and line and say what to do', () => {
  throwsConfigError(() => ini('[compute]\ncmp01\n[compute:stuff]\n'), {
    file: F, line: 3, message: ['section [compute:stuff] has unknown type: stuff'], hint: ['[group:vars]'],
  });
  throwsConfigError(() => ini('[compute nodes]\ncmp01\n'), { line: 1, message: ['invalid section entry'], hint: ['no spaces'] });
  throwsConfigError(() => ini('[compute] ; gpu nodes\ncmp01\n'), { line: 1, message: ['invalid section entry'], hint: ['# comment'] });
  throwsConfigError(() => ini('[g]\nh1\n\n[nova:vars]\nx=1\n'), {
    line: 4, message: ['[nova:vars]', 'never declared'], hint: ['add a [nova] section'],
  });
  throwsConfigError(() => ini('[nova:children]\ncontrol\ncontroler\n[control]\nh1\n'), {
    line: 3, message: ["[nova:children] includes group 'controler'"], hint: ['fix the spelling'],
  });
  throwsConfigError(() => ini('[a:children]\nb\n[b:children]\na\n'), { line: 4, message: ['makes a loop'], hint: ['without cycles'] });
  throwsConfigError(() => ini('[a]\nh1\n[a:children]\na\n'), { line: 4, message: ['child of itself'], hint: ["remove 'a'"] });
  throwsConfigError(() => ini('[compute]\ncmp[05:01]\n'), { line: 2, message: ["bad host range in 'cmp[05:01]'"], hint: ['[01:05]'] });
  throwsConfigError(() => ini('[compute]\ncmp01 ansible_host="10.0.0.1\n'), { line: 2, message: ['No closing quotation'], hint: ['close the quote'] });
  throwsConfigError(() => ini('[compute]\ncmp01 ansible_host 10.0.0.1\n'), { line: 2, message: ['expected key=value'], hint: ['key=value'] });
  throwsConfigError(() => ini('[compute:vars]\nansible_user\n[compute]\n'), { line: 2, message: ['expected key=value, got: ansible_user'] });
  throwsConfigError(() => ini('[p:children]\nchild # ok\nother ; not ok\n[child]\n[other]\n'), { line: 3, message: ['expected group name'] });
  throwsConfigError(() => ini('all:\n  hosts:\n'), { line: 1, message: ["ending in ':' is not allowed"], hint: ['.yml'] });
  throwsConfigError(() => ini('---\n'), { line: 1, message: ["'---'"], hint: ['.yml'] });
  throwsConfigError(() => ini('[g]\nh1 x={[1]:2}\n'), { line: 2, message: ['unhashable'] });
  throwsConfigError(() => ini('[g]\n"" x=1\n'), { line: 2, message: ['host name is empty'] });
  throwsConfigError(() => ini('[g:vars]\nansible_group_priority=high\n[g]\n'), { line: 2, message: ['ansible_group_priority must be a whole number'] });
});
