import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { diagnoseInactiveIommu } from '../../src/boot/iommu-diagnosis.ts';
import { iommu, type IommuState } from '../../src/facts/iommu.ts';

const fx = (p: string): string => readFileSync(new URL(`../fixtures/facts/${p}`, import.meta.url), 'utf8');
const withFirmware = (firmware: IommuState['firmware']): IommuState => ({ ...iommu.parse(fx('iommu/off-dmesg-restricted.txt'), 0), firmware });

test('an off-argument on the running command line is named first, whichever IOMMU it names', () => {
  const io = iommu.parse(fx('iommu/amd-cpu-intel-vtd-off.txt'), 0);
  const d = diagnoseInactiveIommu(io, 'ro quiet intel_iommu=off', 'intel', ['intel_iommu=on']);
  assert.match(d.message, /intel_iommu=off on the kernel command line turns the IOMMU off/);
  assert.match(d.hint, /remove intel_iommu=off/);
  assert.match(diagnoseInactiveIommu(withFirmware('amd'), 'ro iommu=off', 'amd', []).message, /iommu=off on the kernel/);
});

test('no DMAR/IVRS table: the firmware setting, for the IOMMU the host would have', () => {
  const d = diagnoseInactiveIommu(withFirmware('none'), 'ro intel_iommu=on', 'intel', ['intel_iommu=on']);
  assert.match(d.message, /firmware offers no IOMMU \(no ACPI DMAR or IVRS table\)/);
  assert.match(d.hint, /VT-d/);
  assert.match(diagnoseInactiveIommu(withFirmware('none'), 'ro', 'amd', []).hint, /AMD-Vi/);
});

test('arguments missing from the booted command line: the boot loader did not take them', () => {
  const d = diagnoseInactiveIommu(withFirmware('intel'), 'ro quiet', 'intel', ['intel_iommu=on']);
  assert.match(d.message, /booted without intel_iommu=on/);
  assert.match(d.hint, /boot loader did not take/);
});

test('table present and arguments given: the kernel ignored them', () => {
  const d = diagnoseInactiveIommu(withFirmware('intel'), 'ro intel_iommu=on', 'intel', ['intel_iommu=on']);
  assert.match(d.message, /kernel did not turn on the IOMMU the firmware offers \(DMAR table present/);
  assert.match(d.hint, /CONFIG_INTEL_IOMMU/);
});
