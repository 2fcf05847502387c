import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { iommu } from '../../src/facts/iommu.ts';

const fx = (p: string): string => readFileSync(new URL(`../fixtures/facts/${p}`, import.meta.url), 'utf8');

test('Intel with intel_iommu=on: active from sysfs, dmesg agrees', () => {
  const r = iommu.parse(fx('iommu/intel-on.txt'), 0);
  assert.equal(r.active, true);
  assert.deepEqual(r.units, ['dmar0', 'dmar1', 'dmar2', 'dmar3']);
  assert.equal(r.groups, 142);
  assert.ok(r.dmesgSignals.includes('DMAR: IOMMU enabled'));
  assert.equal(r.evidence, '/sys/class/iommu: dmar0, dmar1, dmar2, dmar3; 142 IOMMU groups; dmesg: DMAR: IOMMU enabled');
});

test('Debian 12 q35 without any argument: active (sysfs), although dmesg never says "IOMMU enabled"', () => {
  const r = iommu.parse(fx('iommu/debian12-q35-no-arg.txt'), 0);
  assert.equal(r.active, true);
  assert.ok(!r.dmesgSignals.includes('DMAR: IOMMU enabled'));
  assert.match(r.evidence, /dmesg: DMAR: Intel\(R\) Virtualization Technology for Directed I\/O/);
});

test('AMD-Vi on by default', () => {
  const r = iommu.parse(fx('iommu/amd-on.txt'), 0);
  assert.equal(r.active, true);
  assert.match(r.evidence, /ivhd0; 67 IOMMU groups; dmesg: .*AMD-Vi: (Found IOMMU|Interrupt remapping enabled)/);
});

test('off, with dmesg restricted: not an error', () => {
  const r = iommu.parse(fx('iommu/off-dmesg-restricted.txt'), 0);
  assert.deepEqual([r.active, r.groups, r.dmesgReadable, r.dmesgSignals], [false, 0, false, []]);
  assert.equal(r.evidence, '/sys/class/iommu is empty; 0 IOMMU groups; dmesg not readable');
});

test('captured here: generic "iommu:" kernel lines do not make it active', () => {
  const r = iommu.parse(fx('real-debian12-vm/iommu.txt'), 0);
  assert.equal(r.active, false);
  assert.equal(r.dmesgSignals.length, 2);
  assert.match(r.evidence, /no IOMMU line in dmesg/);
});

test('the firmware names the IOMMU: DMAR is Intel VT-d even under an AMD CPU; off-arguments keep it off', () => {
  const r = iommu.parse(fx('iommu/amd-cpu-intel-vtd-off.txt'), 0);
  assert.equal(r.active, false);
  assert.equal(r.firmware, 'intel');
  assert.ok(r.acpiTables.includes('DMAR'));
  assert.match(r.evidence, /ACPI DMAR table \(Intel VT-d\)/);
});

test('captured here: ACPI tables without DMAR or IVRS mean no IOMMU offered; no table list means unknown', () => {
  const r = iommu.parse(fx('real-debian12-vm/iommu-acpi.txt'), 0);
  assert.equal(r.firmware, 'none');
  assert.deepEqual(r.acpiTables.slice(0, 4), ['APIC', 'DSDT', 'FACP', 'MCFG']);
  assert.match(r.evidence, /no ACPI DMAR or IVRS table/);
  assert.equal(iommu.parse(fx('iommu/intel-on.txt'), 0).firmware, 'unknown');
  assert.equal(iommu.parse('@@units\n@@groups\n0\n@@acpi\nAPIC\nIVRS\n@@dmesg\n', 0).firmware, 'amd');
});
