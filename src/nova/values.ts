// The values of the options passthru checks, as nova will read them from
// its config files (oslo.config, nova/conf/pci.py, nova/conf/scheduler.py):
//  - multi-valued options (alias, device_spec, available_filters) add up
//    over the files in order; within one file the values of the deprecated
//    names come first, in reverse order of the option's deprecated names
//    (oslo_config/cfg.py _Namespace._get_file_value, rvalue = val + rvalue);
//  - enabled_filters (a ListOpt) is the last line of the last file that has
//    it, or nova's default.
// check.py --values prints what oslo.config really read; when the two
// differ, the check simply runs on what oslo.config read (check-batch.ts).

import { getValues } from '../inifile/oslo.ts';
import type { NovaCheck } from './check.ts';
import { defaultFilters, parseFilterList } from './filters.ts';
import { atLeast, type NovaRelease } from './release.ts';

export interface NovaValues {
  alias?: string[] | undefined;
  device_spec?: string[] | undefined;
  filters?: { enabled: string[]; available: string[] } | undefined;
}

type Name = [section: string, key: string];

const ALIAS_NAMES: Name[] = [
  ['pci', 'alias'],
  ['DEFAULT', 'pci_alias'],
];
const ALL_FILTERS = 'nova.scheduler.filters.all_filters';

function deviceSpecNames(release: NovaRelease): Name[] {
  return atLeast(release, 'zed')
    ? [
        ['pci', 'device_spec'],
        ['pci', 'passthrough_whitelist'],
        ['DEFAULT', 'pci_passthrough_whitelist'],
      ]
    : [
        ['pci', 'passthrough_whitelist'],
        ['DEFAULT', 'pci_passthrough_whitelist'],
      ];
}

function multi(texts: readonly string[], names: readonly Name[]): string[] {
  const out: string[] = [];
  for (const text of texts) {
    for (const [section, key] of [...names].reverse()) out.push(...getValues(text, section, key));
  }
  return out;
}

/** The values nova reads for `checks` from config files (their texts, in the order the service reads them). */
export function novaValues(texts: readonly string[], release: NovaRelease, checks: readonly NovaCheck[]): NovaValues {
  const out: NovaValues = {};
  if (checks.includes('alias')) out.alias = multi(texts, ALIAS_NAMES);
  if (checks.includes('device_spec')) out.device_spec = multi(texts, deviceSpecNames(release));
  if (checks.includes('filters')) {
    let enabled: string[] | undefined;
    for (const text of texts) {
      const v = getValues(text, 'filter_scheduler', 'enabled_filters');
      if (v.length > 0) enabled = parseFilterList(v[v.length - 1]!);
    }
    const available = multi(texts, [['filter_scheduler', 'available_filters']]);
    out.filters = { enabled: enabled ?? defaultFilters(release), available: available.length > 0 ? available : [ALL_FILTERS] };
  }
  return out;
}
