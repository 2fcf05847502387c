import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { cpu, parseCpuinfo } from '../../src/facts/cpu.ts';

const fx = (name: string): string => readFileSync(new URL(`../fixtures/facts/cpuinfo/${name}`, import.meta.url), 'utf8');

test('Intel Xeon with VT-x', () => {
  assert.deepEqual(cpu.parse(fx('intel-xeon-gold-6248.txt'), 0), {
    vendor: 'intel',
    vendorId: 'GenuineIntel',
    model: 'Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz',
    virtualization: true,
    virtFlag: 'vmx',
    hypervisor: false,
    count: 80,
  });
});

test('VT-x disabled in the firmware: no vmx flag, no virtualisation', () => {
  const r = cpu.parse(fx('intel-xeon-gold-6248-vtx-off.txt'), 0);
  assert.equal(r.vendor, 'intel');
  assert.equal(r.virtualization, false);
  assert.equal(r.virtFlag, undefined);
});

test('AMD EPYC guest (captured here): no svm exposed, hypervisor flag set', () => {
  const r = cpu.parse(fx('amd-epyc-vm.txt'), 0);
  assert.deepEqual([r.vendor, r.model, r.virtualization, r.hypervisor, r.count], ['amd', 'AMD EPYC', false, true, 2]);
});

test('a whole /proc/cpuinfo also parses; garbage does not', () => {
  const whole = fx('intel-xeon-gold-6248.txt').split('\n').slice(1).join('\n');
  assert.equal(parseCpuinfo(whole + whole.replace('processor\t: 0', 'processor\t: 1')).count, 2);
  assert.throws(() => parseCpuinfo('grep: /proc/cpuinfo: No such file or directory\n'), /no CPU information/);
});
