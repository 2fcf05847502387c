import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { groupHosts, hostVars, loadInventory, parseInventory } from '../../src/inventory/index.ts';
import { mergedVars } from '../../src/inventory/vars.ts';
import type { Inventory } from '../../src/inventory/types.ts';
import { FIXTURES, throwsConfigError } from './helpers.ts';

const levels = await loadInventory(join(FIXTURES, 'vars-every-level.ini'));

// expected values read from `ansible-inventory -i vars-every-level.ini --list`
test('precedence: all < parent < child < grandchild < host', () => {
  const tier = (h: string): unknown => hostVars(levels, h)['tier'];
  assert.equal(tier('ctl-standalone'), 'host-inline');
  assert.equal(tier('ctl01'), 'controller');
  assert.equal(tier('ctl02'), 'ctl02-inline');
  assert.equal(tier('cmp01'), 'compute', 'compute (depth 2) beats az_a and openstack (depth 1)');
  assert.equal(tier('gpu01'), 'gpu_compute', 'gpu_compute (depth 3) beats everything above it');
  assert.equal(hostVars(levels, 'ctl01')['nova_debug'], true);
  assert.equal(hostVars(levels, 'cmp01')['nova_debug'], false);
  assert.equal(hostVars(levels, 'cmp01')['ntp_server'], 'pool.ntp.org');
});

test('same depth: ansible_group_priority first, then the group name', () => {
  const rack = (h: string): unknown => hostVars(levels, h)['rack'];
  assert.equal(rack('gpu01'), 'openstack-rack', "az_a and openstack are both at depth 1: 'openstack' sorts later and wins");
  assert.equal(rack('gpu02'), 'az_b-rack', 'az_b has priority 10 and beats openstack and zz_last');
  assert.ok(!('ansible_group_priority' in hostVars(levels, 'gpu02')), 'the priority is not a variable');
});

test('magic variables: inventory_hostname(_short), group_names, groups, inventory_file', () => {
  const v = hostVars(levels, 'gpu01');
  assert.equal(v['inventory_hostname'], 'gpu01');
  assert.equal(v['inventory_hostname_short'], 'gpu01');
  assert.deepEqual(v['group_names'], ['az_a', 'compute', 'gpu_compute', 'openstack']);
  assert.equal(v['inventory_file'], resolve(FIXTURES, 'vars-every-level.ini'));
  assert.equal(v['inventory_dir'], resolve(FIXTURES));
  assert.deepEqual((v['groups'] as Record<string, string[]>)['compute'], ['cmp01', 'gpu01', 'gpu02']);
  assert.deepEqual(hostVars(levels, 'ctl-standalone')['group_names'], ['ungrouped']);
  const fqdn = parseInventory('ctl01.cloud.example.org\n10.0.0.5\n', 'h.ini');
  assert.equal(hostVars(fqdn, 'ctl01.cloud.example.org')['inventory_hostname_short'], 'ctl01');
  assert.equal(hostVars(fqdn, '10.0.0.5')['inventory_hostname_short'], '10.0.0.5');
});

test('magic variables override inventory vars of the same name (as in Ansible)', () => {
  const inv = parseInventory('[g]\nh1 inventory_hostname=fake group_names=x\n', 'h.ini');
  assert.equal(hostVars(inv, 'h1')['inventory_hostname'], 'h1');
  assert.deepEqual(hostVars(inv, 'h1')['group_names'], ['g']);
});

// expected: `ansible ctl01 -i vars-every-level.ini -m debug -a var=groups`
test('groupHosts is Ansible\'s groups variable: hosts through children too, each once', () => {
  assert.deepEqual(groupHosts(levels), {
    all: ['ctl-standalone', 'gpu01', 'cmp01', 'gpu02', 'ctl01', 'ctl02'],
    ungrouped: ['ctl-standalone'],
    openstack: ['ctl01', 'ctl02', 'cmp01', 'gpu01', 'gpu02'],
    controller: ['ctl01', 'ctl02'],
    compute: ['cmp01', 'gpu01', 'gpu02'],
    gpu_compute: ['gpu01', 'gpu02'],
    az_a: ['gpu01', 'cmp01'],
    az_b: ['gpu02'],
    zz_last: ['gpu02'],
  });
});

test('hostVars works on an inventory built by hand (no reader involved)', () => {
  const inv: Inventory = {
    source: 'test.ini',
    hosts: new Map([['h1', { name: 'h1', vars: { x: 'host' } }]]),
    groups: new Map([
      ['all', { name: 'all', hosts: [], children: ['ungrouped', 'g'], vars: { x: 'all', y: 'all' } }],
      ['ungrouped', { name: 'ungrouped', hosts: [], children: [], vars: {} }],
      ['g', { name: 'g', hosts: ['h1'], children: [], vars: { y: 'g' } }],
    ]),
  };
  const v = hostVars(inv, 'h1');
  assert.equal(v['x'], 'host');
  assert.equal(v['y'], 'g');
});

test('a variable named __proto__ is a plain variable', () => {
  const inv = parseInventory('all:\n  vars:\n    __proto__: {polluted: true}\n  hosts:\n    h1:\n', 'p.yml');
  const v = mergedVars(inv, 'h1');
  assert.deepEqual(Object.getOwnPropertyDescriptor(v, '__proto__')?.value, { polluted: true });
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
});

test('an unknown host is a ConfigError listing the hosts', () => {
  throwsConfigError(() => hostVars(levels, 'gpu99'), { message: ["no host named 'gpu99'"], hint: ['gpu01'] });
});
