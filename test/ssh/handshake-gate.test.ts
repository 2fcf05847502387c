// The handshake gate: at most `limit` handshakes in flight, the others start
// as slots free up (in order); the time the event loop stood still is counted
// so that an attempt's timer can give it back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HandshakeGate } from '../../src/ssh/handshake-gate.ts';

test('at most `limit` handshakes hold a slot; the next starts when one ends', async () => {
  const gate = new HandshakeGate(2);
  const a = await gate.acquire();
  const b = await gate.acquire();
  const order: string[] = [];
  const c = gate.acquire().then((r) => (order.push('c'), r));
  const d = gate.acquire().then((r) => (order.push('d'), r));
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(order, [], 'no third slot while two are held');
  a();
  a(); // releasing twice frees one slot only
  const rc = await c;
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(order, ['c']);
  b();
  const rd = await d;
  assert.deepEqual(order, ['c', 'd']);
  rc();
  rd();
});

test('an abort while waiting for a slot rejects with the reason and frees the place in line', async () => {
  const gate = new HandshakeGate(1);
  const held = await gate.acquire();
  const ac = new AbortController();
  const waiting = gate.acquire(ac.signal);
  ac.abort(new Error('interrupted'));
  await assert.rejects(waiting, /interrupted/);
  held();
  const next = await gate.acquire();
  next();
});

test('a blocked event loop counts as stalled time while a handshake is in flight', async () => {
  const gate = new HandshakeGate(4);
  const r = await gate.acquire();
  const before = gate.stalledMs();
  await new Promise((res) => setTimeout(res, 60));
  const end = Date.now() + 400;
  while (Date.now() < end) {
    // busy: the loop stands still
  }
  await new Promise((res) => setTimeout(res, 60));
  const stalled = gate.stalledMs() - before;
  r();
  assert.ok(stalled >= 250, `stalled ${stalled} ms`);
});
