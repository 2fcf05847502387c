import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { IOMMU_SCRIPT, iommu, parseIommu } from '../../src/facts/iommu.ts';

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

/** Run the snippet over a fake /sys under a temp root, with `dmesg` as given (a shell function). */
function probe(tree: string[], dmesg: string): ReturnType<typeof parseIommu> {
  const root = mkdtempSync(join(tmpdir(), 'passthru-iommu-'));
  try {
    for (const p of tree) {
      mkdirSync(join(root, p.endsWith('/') ? p : p.replace(/\/[^/]+$/, '')), { recursive: true });
      if (!p.endsWith('/')) writeFileSync(join(root, p), '');
    }
    const r = spawnSync('sh', ['-c', `${dmesg}\n${IOMMU_SCRIPT.replaceAll(' /sys/', ` ${root}/sys/`)}`], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return parseIommu(r.stdout);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

test('the probe lists units, groups and ACPI tables with the shell alone, and the IOMMU lines of dmesg (dash)', () => {
  const lines = Array.from({ length: 80 }, (_, i) => `[    1.${i}] iommu: Adding device 0000:00:${String(i).padStart(2, '0')}.0 to group ${i}`);
  const on = probe(['sys/class/iommu/dmar0/', 'sys/class/iommu/dmar1/', 'sys/kernel/iommu_groups/0/', 'sys/kernel/iommu_groups/1/', 'sys/kernel/iommu_groups/12/', 'sys/firmware/acpi/tables/APIC', 'sys/firmware/acpi/tables/DMAR', 'sys/firmware/acpi/tables/data/'],
    `dmesg() { printf '%s\\n' '[    0.01] DMAR: IOMMU enabled' 'unrelated' ${lines.map((l) => `'${l}'`).join(' ')}; }`);
  assert.deepEqual([on.active, on.units, on.groups, on.firmware, on.acpiTables], [true, ['dmar0', 'dmar1'], 3, 'intel', ['APIC', 'DMAR', 'data']]);
  assert.equal(on.dmesgSignals.length, 60);
  assert.equal(on.dmesgSignals[0], 'DMAR: IOMMU enabled');
  const off = probe(['sys/class/iommu/', 'sys/firmware/acpi/tables/'], `dmesg() { echo 'dmesg: read kernel buffer failed: Operation not permitted'; return 1; }`);
  assert.deepEqual([off.active, off.units, off.groups, off.firmware, off.dmesgReadable], [false, [], 0, 'unknown', false]);
});
