import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describePending, filesLoadedBy, pendingRestart } from '../../src/nova/restart-pending.ts';

const T = Date.UTC(2026, 11, 6, 21, 30, 0) * 1000;
const S = 1_000_000;
const files = ['/etc/nova/nova.conf', '/etc/nova/nova-compute.conf', '/etc/nova/nova.conf.d/50-gpu.conf'];

test('which files a service loads: nova-compute.conf only for nova-compute', () => {
  assert.deepEqual(filesLoadedBy('compute', files), files);
  assert.deepEqual(filesLoadedBy('api', files), ['/etc/nova/nova.conf', '/etc/nova/nova.conf.d/50-gpu.conf']);
});

test('a unit started before its newest file changed owes a restart; one started after does not', () => {
  const started = { state: 'active', activeEnterUs: T, precise: true, text: 'Sun 2026-12-06 21:30:00.000000 UTC' };
  const p = pendingRestart('nova-compute.service', started, files, { '/etc/nova/nova.conf': T - 60 * S, '/etc/nova/nova-compute.conf': T + 5 * S });
  assert.ok(p);
  assert.equal(p.file, '/etc/nova/nova-compute.conf');
  assert.equal(describePending(p), 'restart pending: /etc/nova/nova-compute.conf changed at 2026-12-06 21:30:05 UTC, unit started at 2026-12-06 21:30:00 UTC');
  // the api does not load nova-compute.conf
  assert.equal(pendingRestart('nova-api.service', started, filesLoadedBy('api', files), { '/etc/nova/nova-compute.conf': T + 5 * S }), undefined);
  assert.equal(pendingRestart('nova-compute.service', started, files, { '/etc/nova/nova.conf': T - 1 }), undefined);
  // not running: nothing to restart (starting it is not this decision's business)
  assert.equal(pendingRestart('nova-compute.service', { ...started, state: 'failed' }, files, { '/etc/nova/nova.conf': T + S }), undefined);
});

test('a start time in whole seconds: a change within that second does not count, a later one does', () => {
  const seconds = { state: 'active', activeEnterUs: T, precise: false, text: 'Sun 2026-12-06 21:30:00 UTC' };
  assert.equal(pendingRestart('u', seconds, files, { '/etc/nova/nova.conf': T + 400_000 }), undefined);
  assert.ok(pendingRestart('u', seconds, files, { '/etc/nova/nova.conf': T + S + 1 }));
  // with microseconds the same change counts
  assert.ok(pendingRestart('u', { ...seconds, precise: true }, files, { '/etc/nova/nova.conf': T + 400_000 }));
});
