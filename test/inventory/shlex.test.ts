// Host lines in INI inventories are split by Python's shlex.split(line,
// comments=True); the table in cases/shlex.json came from Python itself.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { shlexSplit, ShlexError } from '../../src/inventory/shlex.ts';
import { CASES } from './helpers.ts';

const cases = JSON.parse(readFileSync(join(CASES, 'shlex.json'), 'utf8')) as Array<{ in: string; out?: string[]; error?: string }>;

test('splits host lines exactly like Python shlex with comments', () => {
  for (const c of cases) {
    if (c.out) assert.deepEqual(shlexSplit(c.in, true), c.out, c.in);
    else assert.throws(() => shlexSplit(c.in, true), ShlexError, c.in);
  }
});

test('without comments (ssh arguments) a # is kept', () => {
  assert.deepEqual(shlexSplit('-o ProxyCommand=a#b x', false), ['-o', 'ProxyCommand=a#b', 'x']);
});

test('unbalanced quotes and a trailing backslash are errors', () => {
  assert.throws(() => shlexSplit('h1 a="x'), /No closing quotation/);
  assert.throws(() => shlexSplit("h1 a='x"), /No closing quotation/);
  assert.throws(() => shlexSplit('h1 a=\\'), /No escaped character/);
});
