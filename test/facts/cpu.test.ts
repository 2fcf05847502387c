import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

test('the snippet (one sed: the first block and every processor line) gives what the whole file says (dash)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'passthru-cpuinfo-'));
  try {
    for (const name of ['intel-xeon-gold-6248.txt', 'amd-epyc-vm.txt']) {
      // 64 CPUs: the captured block again for each, as the kernel prints them
      const block = fx(name).replace(/^\d+\n/, '').replace(/\n*$/, '\n');
      const whole = Array.from({ length: 64 }, (_, i) => block.replace(/^processor\s*:\s*\d+/m, `processor\t: ${i}`)).join('\n');
      const path = join(dir, name);
      writeFileSync(path, whole);
      const r = spawnSync('sh', ['-c', cpu.script.replace('/proc/cpuinfo', path)], { encoding: 'utf8' });
      assert.equal(r.status, 0);
      assert.ok(r.stdout.length < whole.length / 10, 'the first block and a line per other CPU, not the whole file');
      const got = cpu.parse(r.stdout, 0);
      assert.equal(got.count, 64);
      assert.deepEqual(got, parseCpuinfo(whole));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
