// The devices discovered on every compute (registered by pci_discover),
// gathered from hostvars: aliases are derived from the whole compute group.
// Every controller and compute plans from the same cluster: the plan is made
// once per run for the same discovery results (not once per host, which
// would cost hosts x computes on a large cluster).

import { planPci, type HostDevices, type PciPlan } from '../../nova/pci.ts';
import type { StepContext } from '../types.ts';

export interface ClusterDevices {
  hosts: HostDevices[];
  vendors: string[];
  /** computes of the group with no discovery result (failed, unreachable, or not run) */
  missing: string[];
}

type Discovered = { devices?: HostDevices['devices']; vendors?: string[]; skipped?: boolean };

export function clusterDevices(ctx: StepContext, computeGroup: string, discovered: string): ClusterDevices {
  const hosts: HostDevices[] = [];
  const missing: string[] = [];
  const vendors = new Set<string>();
  for (const name of ctx.groups[computeGroup] ?? []) {
    const d = ctx.hostvar(name, discovered) as Discovered | undefined;
    if (!d || !Array.isArray(d.devices)) {
      missing.push(name);
      continue;
    }
    for (const v of d.vendors ?? []) vendors.add(v);
    hosts.push({ host: name, devices: d.devices });
  }
  return { hosts, vendors: vendors.size > 0 ? [...vendors] : ['10de'], missing };
}

/** a number per devices list (a registered result is never changed, only replaced) */
const ids = new WeakMap<object, number>();
let nextId = 0;
function idOf(o: object): number {
  let id = ids.get(o);
  if (id === undefined) ids.set(o, (id = nextId++));
  return id;
}

/** The cluster and its plan (planPci), made once per run for the same discovery results. */
export function clusterPlan(ctx: StepContext, computeGroup: string, discovered: string): { cluster: ClusterDevices; plan: PciPlan } {
  const cluster = clusterDevices(ctx, computeGroup, discovered);
  const key = JSON.stringify([cluster.vendors, cluster.hosts.map((h) => [h.host, idOf(h.devices)])]);
  const plans = ctx.shared('pci-cluster-plans', () => new Map<string, PciPlan>());
  let plan = plans.get(key);
  if (!plan) {
    plan = planPci(cluster.hosts, { vendors: cluster.vendors });
    plans.set(key, plan);
  }
  return { cluster, plan };
}
