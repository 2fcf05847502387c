// Expected host lists are what `ansible -i FIXTURE PATTERN --list-hosts`
// printed (ansible-core 2.14) for the same patterns.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadInventory, selectHosts } from '../../src/inventory/index.ts';
import { splitPattern } from '../../src/inventory/patterns.ts';
import { FIXTURES, throwsConfigError } from './helpers.ts';

const kolla = await loadInventory(join(FIXTURES, 'kolla-multinode.ini'));
const ranges = await loadInventory(join(FIXTURES, 'ranges.ini'));
const sel = (p: string): string => selectHosts(kolla, p).join(' ');

test('all and *', () => {
  assert.equal(sel('all'), 'localhost gpu01 gpu02 ctl01 ctl02 ctl03 net01 cmp01 cmp02 cmp03 cmp04 stor01 stor02 stor03 mon01');
  assert.deepEqual(new Set(selectHosts(kolla, '*')), new Set(selectHosts(kolla, 'all')));
});

test('groups, hosts, unions with : and ,', () => {
  assert.equal(sel('compute'), 'cmp01 cmp02 cmp03 cmp04 gpu01 gpu02');
  assert.equal(sel('nova,neutron'), 'ctl01 ctl02 ctl03 net01');
  assert.equal(sel('nova:neutron'), 'ctl01 ctl02 ctl03 net01');
  assert.equal(sel('gpu01,ctl02'), 'gpu01 ctl02');
  assert.equal(sel('gpu-compute:cmp01'), 'gpu01 gpu02 cmp01');
  assert.equal(sel('deployment:compute'), 'localhost cmp01 cmp02 cmp03 cmp04 gpu01 gpu02');
  assert.equal(sel('ungrouped'), '', 'an empty group matches, with no host');
});

test('exclusion and intersection apply after the plain patterns, in any order', () => {
  assert.equal(sel('compute:!gpu-compute'), 'cmp01 cmp02 cmp03 cmp04');
  assert.equal(sel('compute:&gpu-compute'), 'gpu01 gpu02');
  assert.equal(sel('baremetal:!control:&network'), 'net01');
  assert.equal(sel('!control:baremetal:&network'), 'net01');
  assert.equal(sel('!control'), 'localhost gpu01 gpu02 net01 cmp01 cmp02 cmp03 cmp04 stor01 stor02 stor03 mon01');
  assert.equal(sel('c*:&nova'), 'ctl01 ctl02 ctl03');
});

test('globs and ~regex match group and host names', () => {
  assert.equal(sel('cmp*'), 'cmp01 cmp02 cmp03 cmp04');
  assert.equal(sel('ctl0?'), 'ctl01 ctl02 ctl03');
  assert.equal(sel('nova-*'), 'ctl01 ctl02 ctl03');
  assert.equal(sel('~gpu0[12]'), 'gpu01 gpu02');
  assert.equal(sel('~^(ctl|net)0[13]$'), 'ctl01 ctl03 net01');
  assert.equal(selectHosts(ranges, 'gpu*').join(' '), 'gpu01 gpu03 gpu05 gpu07 gpu09 gpunode-a gpunode-b gpunode-c');
  assert.equal(selectHosts(ranges, 'fe80::11').join(' '), 'fe80::11');
});

test('subscripts pick hosts of a group by position', () => {
  assert.equal(sel('compute[0]'), 'cmp01');
  assert.equal(sel('compute[-1]'), 'gpu02');
  assert.equal(sel('compute[1:3]'), 'cmp02 cmp03 cmp04');
  assert.equal(sel('compute[1:]'), 'cmp02 cmp03 cmp04 gpu01 gpu02');
  assert.equal(sel('compute[0:0]'), 'cmp01');
  assert.equal(sel('storage[0],storage[-1]'), 'stor01 stor03');
});

test('splitting: commas, colons outside brackets, IPv6 addresses kept whole', () => {
  assert.deepEqual(splitPattern('a:b:!c:&d'), ['a', 'b', '!c', '&d']);
  assert.deepEqual(splitPattern(' a , b '), ['a', 'b']);
  assert.deepEqual(splitPattern('web[1:3]:db'), ['web[1:3]', 'db']);
  assert.deepEqual(splitPattern('fe80::11'), ['fe80::11']);
});

test('a name that matches nothing is an error listing the groups (Ansible only warns)', () => {
  throwsConfigError(() => selectHosts(kolla, 'compute:gpu_compute'), {
    file: join(FIXTURES, 'kolla-multinode.ini'),
    message: ["no group or host matches 'gpu_compute'"],
    hint: ['groups in', 'gpu-compute', 'control'],
  });
  throwsConfigError(() => selectHosts(kolla, 'compute:!cmp99'), { message: ["'cmp99'"], hint: ['groups in'] });
  throwsConfigError(() => selectHosts(kolla, 'stor0[12]'), { message: ["'stor0'", 'by position'], hint: ["'stor0[12]*'"] });
  throwsConfigError(() => selectHosts(kolla, 'compute[10]'), { message: ['subscripted pattern', '6 hosts'], hint: ['0 to 5'] });
  throwsConfigError(() => selectHosts(kolla, '~cmp('), { message: ['invalid regular expression'] });
  throwsConfigError(() => selectHosts(kolla, ' , '), { message: ['empty host pattern'] });
});
