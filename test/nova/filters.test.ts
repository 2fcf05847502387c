import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { DEFAULT_FILTERS, REMOVED_FILTERS, defaultFilters, isRemovedFilter, planEnabledFilters } from '../../src/nova/filters.ts';

// the list of the seed procedure (written for a pre-Train cluster)
const SEED = 'RetryFilter,AvailabilityZoneFilter,ComputeFilter,ComputeCapabilitiesFilter,RamFilter,CoreFilter,ImagePropertiesFilter,ServerGroupAntiAffinityFilter,ServerGroupAffinityFilter,PciPassthroughFilter';

test('absent line: the release default plus PciPassthroughFilter', () => {
  assert.deepEqual(planEnabledFilters(undefined, 'zed'), {
    value: 'ComputeFilter,ComputeCapabilitiesFilter,ImagePropertiesFilter,ServerGroupAntiAffinityFilter,ServerGroupAffinityFilter,PciPassthroughFilter',
    removed: [],
    changed: true,
  });
  assert.ok(planEnabledFilters(undefined, 'victoria').value.startsWith('AvailabilityZoneFilter,'));
});

test("the seed procedure's list: removed filters go, by release", () => {
  const zed = planEnabledFilters(SEED, 'zed');
  assert.deepEqual(zed.removed, ['RetryFilter', 'RamFilter', 'CoreFilter']);
  assert.equal(zed.value, 'AvailabilityZoneFilter,ComputeFilter,ComputeCapabilitiesFilter,ImagePropertiesFilter,ServerGroupAntiAffinityFilter,ServerGroupAffinityFilter,PciPassthroughFilter');
  assert.deepEqual(planEnabledFilters(SEED, '2023.2').removed, ['RetryFilter', 'AvailabilityZoneFilter', 'RamFilter', 'CoreFilter']);
  const caracal = planEnabledFilters(SEED, '2024.1');
  assert.deepEqual(caracal.removed, ['RetryFilter', 'AvailabilityZoneFilter', 'RamFilter', 'CoreFilter']);
  assert.ok(!caracal.value.includes('AvailabilityZoneFilter'));
  assert.deepEqual(planEnabledFilters(SEED, 'ussuri').removed, ['RamFilter', 'CoreFilter']);
});

test('keeps the host list, its order, custom filters and its separator; PciPassthroughFilter once', () => {
  assert.deepEqual(planEnabledFilters('ComputeFilter, NUMATopologyFilter, MyCustomFilter', 'zed'), {
    value: 'ComputeFilter, NUMATopologyFilter, MyCustomFilter, PciPassthroughFilter',
    removed: [],
    changed: true,
  });
  const done = 'ComputeFilter , PciPassthroughFilter';
  assert.deepEqual(planEnabledFilters(done, 'zed'), { value: done, removed: [], changed: false });
  assert.equal(planEnabledFilters('PciPassthroughFilter,ComputeFilter,PciPassthroughFilter', 'zed').value, 'PciPassthroughFilter,ComputeFilter');
  assert.equal(planEnabledFilters('', 'zed').value, 'PciPassthroughFilter');
});

const PY = '/usr/bin/python3';
test('the tables agree with the nova installed here (python3-nova 26, Zed)', { skip: existsSync(PY) ? false : 'needs /usr/bin/python3 with python3-nova' }, (t) => {
  let names: string[];
  try {
    names = JSON.parse(
      execFileSync(PY, ['-c', 'import json; from nova.scheduler import filters; print(json.dumps(sorted(c.__name__ for c in filters.all_filters())))'], { encoding: 'utf8' }),
    ) as string[];
  } catch {
    t.skip('SKIPPED: python3-nova is not importable');
    process.stderr.write('SKIPPED: python3-nova is not importable by /usr/bin/python3\n');
    return;
  }
  for (const f of defaultFilters('zed')) assert.ok(names.includes(f), `${f} exists in Zed`);
  assert.ok(names.includes('PciPassthroughFilter'));
  for (const r of REMOVED_FILTERS) {
    if (isRemovedFilter(r.name, 'zed')) assert.ok(!names.includes(r.name), `${r.name} is gone by Zed`);
    else assert.ok(names.includes(r.name), `${r.name} still exists in Zed`);
  }
  for (const row of [...DEFAULT_FILTERS, ...REMOVED_FILTERS]) assert.ok(row.source.length > 10);
});
