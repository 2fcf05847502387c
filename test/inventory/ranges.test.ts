import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { expandHostPattern, expandHostRange, HostRangeError, parseAddress } from '../../src/inventory/ranges.ts';
import { CASES } from './helpers.ts';

// produced by Ansible's expand_hostname_range (cases/gen-cases.py)
const cases = JSON.parse(readFileSync(join(CASES, 'ranges.json'), 'utf8')) as Array<{ in: string; out?: string[]; error?: string }>;

test('ranges expand exactly as Ansible expands them', () => {
  for (const c of cases) {
    if (c.out && c.out.length > 0) assert.deepEqual(expandHostRange(c.in), c.out, c.in);
    else assert.throws(() => expandHostRange(c.in), HostRangeError, c.in);
  }
});

test('a range that names no host is an error here (Ansible silently adds none)', () => {
  assert.deepEqual(cases.find((c) => c.in === 'h[5:1]')?.out, [], 'Ansible: no host at all');
  assert.throws(
    () => expandHostRange('cmp[05:01]'),
    (e: unknown) => e instanceof HostRangeError && /matches no host/.test(e.message) && /\[01:05\]/.test(e.hint),
  );
});

test('zero padding, strides, letters, several ranges', () => {
  assert.deepEqual(expandHostRange('cmp[01:03]'), ['cmp01', 'cmp02', 'cmp03']);
  assert.deepEqual(expandHostRange('gpu[1:10:4]'), ['gpu1', 'gpu5', 'gpu9']);
  assert.deepEqual(expandHostRange('node[a:c]'), ['nodea', 'nodeb', 'nodec']);
  assert.deepEqual(expandHostRange('r[1:2]n[a:b]'), ['r1na', 'r1nb', 'r2na', 'r2nb']);
  assert.throws(() => expandHostRange('cmp[01:100]'), /equal-length/);
});

test('a huge range is refused instead of eating memory', () => {
  assert.throws(() => expandHostRange('h[0:99999999]'), /more than/);
  assert.throws(() => expandHostRange('a[0:999]b[0:999]'), /more than/);
});

test('host:port, [ipv6]:port, and what is not an address', () => {
  assert.deepEqual(parseAddress('cmp01:2222'), { host: 'cmp01', port: 2222 });
  assert.deepEqual(parseAddress('10.0.0.5:22'), { host: '10.0.0.5', port: 22 });
  assert.deepEqual(parseAddress('[fe80::1]:2200'), { host: 'fe80::1', port: 2200 });
  assert.deepEqual(parseAddress('fe80::1'), { host: 'fe80::1', port: undefined });
  assert.deepEqual(parseAddress('cmp[01:03]:2222'), { host: 'cmp[01:03]', port: 2222 });
  assert.equal(parseAddress('bad_host_'), undefined);
  assert.deepEqual(expandHostPattern('gpu[1:2]:2022'), { hosts: ['gpu1', 'gpu2'], port: 2022 });
  // not an address: the whole text is the host name, port and all (as in Ansible)
  assert.deepEqual(expandHostPattern('my_host!:22'), { hosts: ['my_host!:22'], port: undefined });
});
