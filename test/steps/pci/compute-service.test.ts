// What a drain reads from the openstack CLI (python-openstackclient's -f json)
// and the rules it follows with it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  COMPUTE_API,
  enableCommand,
  failedMigration,
  isPassthruReason,
  moveCommands,
  parseMigrations,
  parseServers,
  parseServices,
  sortInstances,
} from '../../../src/steps/pci/compute-service.ts';

// `openstack compute service list --service nova-compute --long -f json` (osc 6.x, microversion 2.1)
const SERVICES = `[
  {
    "ID": 7,
    "Binary": "nova-compute",
    "Host": "gpu01",
    "Zone": "nova",
    "Status": "enabled",
    "State": "up",
    "Updated At": "2024-06-03T08:20:11.000000",
    "Disabled Reason": null,
    "Forced Down": false
  },
  {
    "ID": 8,
    "Binary": "nova-compute",
    "Host": "gpu02.example.org",
    "Zone": "nova",
    "Status": "disabled",
    "State": "down",
    "Updated At": "2024-06-03T08:21:45.000000",
    "Disabled Reason": "RMA 4711",
    "Forced Down": false
  }
]`;

// `openstack server list --all-projects --host gpu01 -f json`
const SERVERS = `[
  { "ID": "4f1f0f3e-0c36-4d9a-9d8f-0b7f4a2f7a11", "Name": "web-1", "Status": "ACTIVE", "Networks": { "private": ["10.0.0.21"] }, "Image": "cirros", "Flavor": "m1.small" },
  { "ID": "9a0d7c4b-51d8-4c62-b0b6-2e0c4d7e9f02", "Name": "old", "Status": "SHUTOFF", "Networks": {}, "Image": "cirros", "Flavor": "m1.small" },
  { "ID": "c3d2e1f0-1111-4222-8333-944455556666", "Name": "paused", "Status": "PAUSED", "Networks": {}, "Image": "", "Flavor": "m1.tiny" },
  { "ID": "d4e5f6a7-1111-4222-8333-944455556666", "Name": "moving", "Status": "MIGRATING", "Networks": {}, "Image": "", "Flavor": "m1.tiny" }
]`;

// `openstack --os-compute-api-version 2.34 server migration list --host gpu01 -f json`
const MIGRATIONS = `[
  { "Id": 12, "Source Node": "gpu01", "Dest Node": "gpu03", "Source Compute": "gpu01", "Dest Compute": "gpu03", "Dest Host": "10.20.0.13", "Status": "completed", "Server UUID": "4f1f0f3e-0c36-4d9a-9d8f-0b7f4a2f7a11", "Old Flavor": 2, "New Flavor": 2, "Type": "live-migration", "Created At": "2024-06-03T09:00:00.000000", "Updated At": "2024-06-03T09:00:41.000000" },
  { "Id": 13, "Source Node": "gpu01", "Dest Node": null, "Source Compute": "gpu01", "Dest Compute": null, "Dest Host": null, "Status": "error", "Server UUID": "c3d2e1f0-1111-4222-8333-944455556666", "Old Flavor": 1, "New Flavor": 1, "Type": "live-migration", "Created At": "2024-06-03T09:00:00.000000", "Updated At": "2024-06-03T09:00:02.000000" },
  { "Id": 14, "Source Node": "gpu01", "Dest Node": "gpu04", "Source Compute": "gpu01", "Dest Compute": "gpu04", "Dest Host": null, "Status": "finished", "Server UUID": "c3d2e1f0-1111-4222-8333-944455556666", "Old Flavor": 1, "New Flavor": 3, "Type": "resize", "Created At": "2024-06-02T09:00:00.000000", "Updated At": "2024-06-02T09:00:02.000000" }
]`;

test('compute services: host, enabled or disabled, state, the disabled reason', () => {
  assert.deepEqual(parseServices(JSON.parse(SERVICES)), [
    { host: 'gpu01', status: 'enabled', state: 'up', reason: null },
    { host: 'gpu02.example.org', status: 'disabled', state: 'down', reason: 'RMA 4711' },
  ]);
  assert.throws(() => parseServices({ error: 'x' }), /expected a JSON list/);
});

test('instances sort into running (what the policy moves), at rest (left alone) and busy (the drain refuses to guess)', () => {
  const sorted = sortInstances(parseServers(JSON.parse(SERVERS)));
  assert.deepEqual(sorted.running.map((i) => i.name), ['web-1', 'paused']);
  assert.deepEqual(sorted.atRest.map((i) => i.name), ['old']);
  assert.deepEqual(sorted.busy.map((i) => i.name), ['moving']);
});

test('live migrations only, with their status and destination; error, failed and cancelled end a migration', () => {
  const m = parseMigrations(JSON.parse(MIGRATIONS));
  assert.deepEqual(m.map((x) => [x.id, x.status, x.dest]), [['12', 'completed', 'gpu03'], ['13', 'error', null]]);
  assert.deepEqual(['error', 'failed', 'cancelled', 'running', 'completed', 'queued'].map(failedMigration), [true, true, true, false, false, false]);
});

test('a reason is passthru\'s by its prefix; the commands an operator would run are quoted and use IDs at 2.34', () => {
  assert.equal(isPassthruReason('passthru: drained for a reboot (GPU passthrough rollout, run 2026-12-06T22:10:03Z ops)'), true);
  assert.equal(isPassthruReason('RMA 4711'), false);
  assert.equal(isPassthruReason(null), false);
  assert.deepEqual(COMPUTE_API, ['--os-compute-api-version', '2.34']);
  assert.deepEqual(moveCommands(parseServers(JSON.parse(SERVERS)).slice(0, 1)), ['openstack --os-compute-api-version 2.34 server migrate --live-migration 4f1f0f3e-0c36-4d9a-9d8f-0b7f4a2f7a11']);
  assert.equal(enableCommand("gpu o'brien"), "openstack compute service set --enable 'gpu o'\\''brien' nova-compute");
});
