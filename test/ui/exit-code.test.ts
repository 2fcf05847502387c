import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exitCodeFor } from '../../src/ui/exit-code.ts';

const base = { interrupted: false, failed_hosts: [] as string[], unreachable_hosts: [] as string[] };

test('exit codes: 0 ok, 2 failed (also with unreachable), 4 only unreachable, 130 interrupted', () => {
  assert.equal(exitCodeFor(base), 0);
  assert.equal(exitCodeFor({ ...base, failed_hosts: ['compute-2'] }), 2);
  assert.equal(exitCodeFor({ ...base, unreachable_hosts: ['compute-9'] }), 4);
  assert.equal(exitCodeFor({ ...base, failed_hosts: ['compute-2'], unreachable_hosts: ['compute-9'] }), 2);
  assert.equal(exitCodeFor({ ...base, interrupted: true, failed_hosts: ['compute-2'] }), 130);
  assert.equal(exitCodeFor({ ...base, interrupted: true }), 130);
});
