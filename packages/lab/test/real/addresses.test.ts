import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allocateBase, blocksNeeded, hostAddress, LAB_BLOCKS } from '../../src/real/addresses.ts';

test('host i gets base.(i+1); after 254 hosts the next block', () => {
  assert.equal(hostAddress('127.0.10', 0), '127.0.10.1');
  assert.equal(hostAddress('127.0.10', 12), '127.0.10.13');
  assert.equal(hostAddress('127.0.10', 253), '127.0.10.254');
  assert.equal(hostAddress('127.0.10', 254), '127.0.11.1');
  assert.equal(blocksNeeded(100), 1);
  assert.equal(blocksNeeded(255), 2);
});

test('only loopback bases are accepted', () => {
  assert.throws(() => hostAddress('10.0.0', 0), /loopback/);
  assert.throws(() => hostAddress('127.0', 0), /three octets/);
});

test('two labs of one test run never get the same addresses', (t) => {
  // a lock directory of this test's own (the machine's may be in use by labs running now)
  const tmp = mkdtempSync(join(tmpdir(), 'lab-addresses-test-'));
  t.after(() => rmSync(tmp, { recursive: true, force: true }));
  const locks = join(tmp, 'locks');
  const a = allocateBase(1, locks);
  t.after(() => a.release());
  // shared by every user of the machine, like /tmp
  assert.equal(statSync(locks).mode & 0o7777, 0o1777);
  const b = allocateBase(2, locks);
  t.after(() => b.release());
  const third = (base: string): number => Number(base.split('.')[2]);
  assert.ok(![third(b.base), third(b.base) + 1].includes(third(a.base)), 'the 2-block lab does not overlap the first');
  for (const base of [a.base, b.base]) {
    assert.ok(third(base) >= LAB_BLOCKS.first && third(base) <= LAB_BLOCKS.last, `${base} in the lab range`);
  }
  a.release();
  const c = allocateBase(1, locks);
  t.after(() => c.release());
  assert.equal(c.base, a.base, 'a released block is handed out again');
});
