// INI values are typed by Python's ast.literal_eval. The table in
// test/fixtures/inventory/cases/ini-values.json was produced by Ansible's own
// InventoryModule._parse_value (cases/gen-cases.py).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { iniValue, literalEval, PyLiteralTypeError } from '../../src/inventory/python-literal.ts';
import { plainData } from '../../src/yaml/py-values.ts';
import { CASES } from './helpers.ts';

interface Case {
  in: string;
  out?: unknown;
  kind?: string;
  float?: string;
  error?: string;
}

const cases = JSON.parse(readFileSync(join(CASES, 'ini-values.json'), 'utf8')) as Case[];

test('every value types exactly as Ansible types it', () => {
  assert.ok(cases.length > 100);
  for (const c of cases) {
    if ('out' in c) assert.deepEqual(plainData(iniValue(c.in)), c.out, `INI value ${JSON.stringify(c.in)}`);
  }
});

test('a value JSON cannot hold stays text (complex, Ellipsis); a set becomes a list; inf is Infinity', () => {
  for (const c of cases) {
    if (c.kind === 'complex' || c.kind === 'ellipsis') assert.equal(iniValue(c.in), c.in);
    if (c.kind === 'set') assert.ok(Array.isArray(iniValue(c.in)), c.in);
    if (c.float === 'inf') assert.equal(plainData(iniValue(c.in)), Infinity);
  }
  assert.deepEqual(iniValue('{1, 2}'), [1, 2]);
});

test('the cases a user meets most', () => {
  assert.equal(iniValue('8774'), 8774);
  assert.equal(iniValue('True'), true);
  assert.equal(iniValue('true'), 'true', 'lower-case true is text for Ansible too');
  assert.equal(iniValue('yes'), 'yes');
  assert.equal(iniValue('010'), '010', 'a leading zero is not an int in Python 3');
  assert.equal(iniValue("'quoted'"), 'quoted');
  assert.deepEqual(iniValue("['nova-api', 'nova-scheduler']"), ['nova-api', 'nova-scheduler']);
  assert.deepEqual(iniValue("{'vendor_id': '10de'}"), { vendor_id: '10de' });
  assert.equal(iniValue('{vendor_id: 10de}'), '{vendor_id: 10de}', 'not a Python literal: kept as text');
  assert.equal(iniValue('None'), null);
  assert.equal(iniValue('42 # comment'), 42);
});

test('an unhashable dict key is an error, as in Ansible (TypeError escapes literal_eval)', () => {
  assert.throws(() => literalEval('{[1]: 2}'), PyLiteralTypeError);
  assert.throws(() => literalEval('{[1], 2}'), PyLiteralTypeError);
  for (const c of cases) if (c.error) assert.throws(() => iniValue(c.in), PyLiteralTypeError, c.in);
});

test('a __proto__ key becomes an own property, not the prototype', () => {
  const v = iniValue("{'__proto__': {'polluted': 1}}") as Record<string, unknown>;
  assert.deepEqual(Object.keys(v), ['__proto__']);
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
});

test('deep nesting is refused like CPython does, without a stack overflow', () => {
  assert.equal(iniValue('['.repeat(5000) + ']'.repeat(5000)), '['.repeat(5000) + ']'.repeat(5000));
});
