import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { bootMode } from '../../src/facts/boot-mode.ts';

test('boot mode: uefi or bios, nothing else', () => {
  assert.equal(bootMode.parse(readFileSync(new URL('../fixtures/facts/real-debian12-vm/boot_mode.txt', import.meta.url), 'utf8'), 0), 'bios');
  assert.equal(bootMode.parse('uefi\n', 0), 'uefi');
  assert.throws(() => bootMode.parse('sh: 1: [: missing ]\n', 2), /unexpected/);
});
