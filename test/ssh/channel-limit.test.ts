import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChannelLimit } from '../../src/ssh/channel-limit.ts';

test('at most `max` holders; the others wait in order and get the slot when one is released', async () => {
  const limit = new ChannelLimit(2);
  const order: number[] = [];
  const releases = await Promise.all([limit.acquire(), limit.acquire()]);
  assert.equal(limit.inUse, 2);
  const waiting = [3, 4].map((n) => limit.acquire().then((r) => (order.push(n), r)));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual([limit.queued, order], [2, []]);
  assert.equal(limit.tryAcquire(), undefined, 'no slot while others wait');
  releases[0]?.();
  releases[0]?.(); // twice is harmless
  const r3 = await waiting[0];
  assert.deepEqual([order, limit.inUse, limit.queued], [[3], 2, 1]);
  releases[1]?.();
  r3?.();
  const r4 = await waiting[1];
  r4?.();
  assert.deepEqual([order, limit.inUse, limit.peak], [[3, 4], 0, 2]);
});

test('an aborted wait leaves the queue; rejectWaiting fails every waiter', async () => {
  const limit = new ChannelLimit(1);
  const held = await limit.acquire();
  const ac = new AbortController();
  const aborted = limit.acquire(ac.signal);
  const other = limit.acquire();
  ac.abort(new Error('stop'));
  await assert.rejects(aborted, /stop/);
  assert.equal(limit.queued, 1);
  limit.rejectWaiting(new Error('connection lost'));
  await assert.rejects(other, /connection lost/);
  held();
  assert.equal(limit.inUse, 0);
});
