import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostname } from '../../src/facts/hostname.ts';

test('hostname: the first line of uname -n (short or FQDN); nothing usable is the empty string', () => {
  assert.equal(hostname.parse('gpu01\n', 0), 'gpu01');
  assert.equal(hostname.parse('gpu01.dc1.example.org\n', 0), 'gpu01.dc1.example.org');
  assert.equal(hostname.parse('', 0), '');
  assert.equal(hostname.parse('sh: 1: uname: not found\n', 0), '');
});
