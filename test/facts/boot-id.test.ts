import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { bootId } from '../../src/facts/boot-id.ts';

test('boot id: a UUID, lower-cased', () => {
  assert.equal(bootId.parse(readFileSync(new URL('../fixtures/facts/real-debian12-vm/boot_id.txt', import.meta.url), 'utf8'), 0), '8f396345-df07-4295-9adf-c460818aea83');
  assert.equal(bootId.parse('8F396345-DF07-4295-9ADF-C460818AEA83\n', 0), '8f396345-df07-4295-9adf-c460818aea83');
  assert.throws(() => bootId.parse('cat: /proc/sys/kernel/random/boot_id: No such file or directory\n', 1), /not a boot id/);
});
