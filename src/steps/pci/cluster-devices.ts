// The devices discovered on every compute (registered by pci_discover),
// gathered from hostvars: aliases are derived from the whole compute group.
// Every controller and compute plans from the same cluster: the plan is made
// once per run for the same discovery results (not once per host, which
// would cost hosts x computes on a large cluster).

import { planPci, type HostDevices, type PciPlan } from '../../nova/pci.ts';
import type { StepContext } from '../types.ts';
import { discoveryOutput, type Discovery } from './discover.ts';

export interface ClusterDevices {
  hosts: HostDevices[];
  vendors: string[];
  /** computes of the group with no discovery result (failed, unreachable, or not run) */
  missing: string[];
}

/** The cluster from each compute's registered discovery result (`results[i]` is `names[i]`'s). */
function clusterDevices(names: readonly string[], results: ReadonlyArray<Discovery | undefined>): ClusterDevices {
  const hosts: HostDevices[] = [];
  const missing: string[] = [];
  const vendors = new Set<string>();
  for (const [i, name] of names.entries()) {
    const d = results[i];
    if (!d) {
      missing.push(name);
      continue;
    }
    for (const v of d.vendors) vendors.add(v);
    hosts.push({ host: name, devices: d.devices });
  }
  return { hosts, vendors: vendors.size > 0 ? [...vendors] : ['10de'], missing };
}

export interface PlannedCluster {
  /** each compute's registered discovery result (a registered result is never changed, only replaced) */
  results: Array<Discovery | undefined>;
  /** RunServices.registrations of the discovery variable when it was made */
  registrations: number;
  cluster: ClusterDevices;
  plan: PciPlan;
}

/**
 * The cluster and its plan (planPci), made once per run for the same
 * discovery results: a host finds the plan the previous one made while no
 * step has registered the discovery variable since (without reading every
 * compute's result again: that is hosts x computes on a large cluster), or by
 * comparing what each compute registered.
 */
export function clusterPlan(ctx: StepContext, computeGroup: string, discovered: string): { cluster: ClusterDevices; plan: PciPlan } {
  const plans = ctx.services.pciClusterPlans;
  const key = `${computeGroup}\0${discovered}`;
  const known = plans.get(key);
  const registrations = ctx.services.registrations.get(discovered) ?? 0;
  if (known && known.registrations === registrations) return known;
  const names = ctx.groups[computeGroup] ?? [];
  const results = names.map((name) => ctx.inputFrom(name, discovered, discoveryOutput));
  if (known && known.results.length === results.length && known.results.every((r, i) => r === results[i])) {
    known.registrations = registrations;
    return known;
  }
  const cluster = clusterDevices(names, results);
  const planned: PlannedCluster = { results, registrations, cluster, plan: planPci(cluster.hosts, { vendors: cluster.vendors }) };
  plans.set(key, planned);
  return planned;
}
