// Release-aware [filter_scheduler] enabled_filters.
//
// nova-scheduler refuses to start when enabled_filters names a filter it
// does not have (nova/scheduler/host_manager.py HostManager.
// _choose_host_filters raises SchedulerHostFilterNotFound), so filters that
// a release removed must go from the host's list before that release runs.

import { novaMajor, type NovaRelease } from './release.ts';

export const PCI_FILTER = 'PciPassthroughFilter';

/**
 * The default of enabled_filters by release (used when the host has no
 * enabled_filters line). Newest first; the first row whose `since` is not
 * newer than the release applies.
 */
export const DEFAULT_FILTERS: ReadonlyArray<{ since: NovaRelease; filters: readonly string[]; source: string }> = [
  {
    since: 'xena',
    filters: ['ComputeFilter', 'ComputeCapabilitiesFilter', 'ImagePropertiesFilter', 'ServerGroupAntiAffinityFilter', 'ServerGroupAffinityFilter'],
    // AvailabilityZoneFilter left the default when the placement AZ pre-filter
    // ([scheduler] query_placement_for_availability_zone) became the default in 24.0.0
    source: 'nova/conf/scheduler.py enabled_filters default (24.0.0 Xena .. 26.2.2 Zed as installed here)',
  },
  {
    since: 'train',
    filters: [
      'AvailabilityZoneFilter',
      'ComputeFilter',
      'ComputeCapabilitiesFilter',
      'ImagePropertiesFilter',
      'ServerGroupAntiAffinityFilter',
      'ServerGroupAffinityFilter',
    ],
    source: 'nova/conf/scheduler.py enabled_filters default before 24.0.0 (Xena)',
  },
];

/** Filters that are gone from nova, and the first release without them. */
export const REMOVED_FILTERS: ReadonlyArray<{ name: string; removedIn: NovaRelease; source: string }> = [
  { name: 'RamFilter', removedIn: 'train', source: 'nova 20.0.0 (Train) release notes: CoreFilter, DiskFilter, RamFilter (deprecated in 19.0.0 Stein) removed' },
  { name: 'CoreFilter', removedIn: 'train', source: 'nova 20.0.0 (Train) release notes' },
  { name: 'DiskFilter', removedIn: 'train', source: 'nova 20.0.0 (Train) release notes' },
  // removed long before Train; absent from nova/scheduler/filters of python3-nova 26.2.2
  { name: 'ExactRamFilter', removedIn: 'train', source: 'absent from nova/scheduler/filters (checked in nova 26.2.2)' },
  { name: 'ExactCoreFilter', removedIn: 'train', source: 'absent from nova/scheduler/filters (checked in nova 26.2.2)' },
  { name: 'ExactDiskFilter', removedIn: 'train', source: 'absent from nova/scheduler/filters (checked in nova 26.2.2)' },
  { name: 'TrustedFilter', removedIn: 'train', source: 'absent from nova/scheduler/filters (checked in nova 26.2.2)' },
  { name: 'TypeAffinityFilter', removedIn: 'train', source: 'absent from nova/scheduler/filters/type_filter.py (checked in nova 26.2.2)' },
  { name: 'RetryFilter', removedIn: 'victoria', source: 'deprecated in 20.0.0 (Train, releasenotes/notes/deprecate-retry-filter-4d1dba39a2c21836.yaml), removed in 22.0.0 (Victoria)' },
  { name: 'AggregateRamFilter', removedIn: 'victoria', source: 'deprecated in 20.0.0 (Train), removed in 22.0.0 (Victoria); absent from nova 26.2.2' },
  { name: 'AggregateCoreFilter', removedIn: 'victoria', source: 'deprecated in 20.0.0 (Train), removed in 22.0.0 (Victoria); absent from nova 26.2.2' },
  { name: 'AggregateDiskFilter', removedIn: 'victoria', source: 'deprecated in 20.0.0 (Train), removed in 22.0.0 (Victoria); absent from nova 26.2.2' },
  {
    name: 'AvailabilityZoneFilter',
    removedIn: '2023.2',
    // The project's reference (DOMAIN.md) has it gone in 2023.2; some
    // upgrade notes only mention 2024.1. Dropping it one release early is
    // harmless (since Xena placement's AZ pre-filter does its job, and
    // 2023.2 keeps that pre-filter on); keeping it one release too long stops
    // nova-scheduler (SchedulerHostFilterNotFound). So: from 2023.2.
    source: 'deprecated in 24.0.0 (Xena); releasenotes/notes/az-filter-removal-587f7337040b6216.yaml; gone in 2023.2 per DOMAIN.md (at the latest in 29.0.0, 2024.1)',
  },
];

export function defaultFilters(release: NovaRelease): string[] {
  const m = novaMajor(release);
  const row = DEFAULT_FILTERS.find((r) => novaMajor(r.since) <= m) ?? DEFAULT_FILTERS[DEFAULT_FILTERS.length - 1]!;
  return [...row.filters];
}

/** Whether `release` no longer has this filter. */
export function isRemovedFilter(name: string, release: NovaRelease): boolean {
  const m = novaMajor(release);
  return REMOVED_FILTERS.some((r) => r.name === name && novaMajor(r.removedIn) <= m);
}

/** Split an enabled_filters value the way oslo.config's ListOpt does (comma list, items stripped). */
export function parseFilterList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

export interface FilterPlan {
  /** the enabled_filters value to write (the host's own string when nothing changes) */
  value: string;
  /** filters dropped because the release removed them */
  removed: string[];
  /** false when the host's line already says exactly this */
  changed: boolean;
}

/**
 * Keep the host's list (or the release default when the line is absent),
 * drop the filters the release removed, append PciPassthroughFilter once.
 */
export function planEnabledFilters(current: string | undefined, release: NovaRelease): FilterPlan {
  const list = current === undefined ? defaultFilters(release) : parseFilterList(current);
  const removed = list.filter((f) => isRemovedFilter(f, release));
  const kept: string[] = [];
  for (const f of list) {
    if (isRemovedFilter(f, release)) continue;
    if (f === PCI_FILTER && kept.includes(f)) continue;
    kept.push(f);
  }
  if (!kept.includes(PCI_FILTER)) kept.push(PCI_FILTER);
  if (current !== undefined && removed.length === 0 && sameList(parseFilterList(current), kept)) {
    return { value: current, removed, changed: false };
  }
  const sep = current !== undefined && /,\s+\S/.test(current) ? ', ' : ',';
  return { value: kept.join(sep), removed, changed: true };
}

function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export { releaseFromVersion, type NovaRelease } from './release.ts';
