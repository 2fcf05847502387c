import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { kernelCmdline } from '../../src/facts/kernel-cmdline.ts';

const fx = (name: string): string => readFileSync(new URL(`../fixtures/facts/cmdline/${name}`, import.meta.url), 'utf8');

test('kernel arguments and init arguments', () => {
  const fc = kernelCmdline.parse(fx('firecracker-vm.txt'), 0);
  assert.equal(fc.args[0], 'mitigations=auto,no_guest_host,no_guest_guest');
  assert.equal(fc.args.at(-1), 'rdinit=/process_api');
  assert.equal(fc.initArgs[0], '--firecracker-init');
  const c7 = kernelCmdline.parse(fx('centos-7-iommu-on.txt'), 0);
  assert.ok(c7.args.includes('intel_iommu=on'));
  assert.equal(c7.raw, fx('centos-7-iommu-on.txt').trim());
  assert.deepEqual(kernelCmdline.parse(fx('rocky-9.txt'), 0).initArgs, []);
  assert.throws(() => kernelCmdline.parse('cat: /proc/cmdline: Permission denied\n', 1), /cannot read/);
});
