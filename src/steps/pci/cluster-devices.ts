// The devices discovered on every compute (registered by pci_discover),
// gathered from hostvars: aliases are derived from the whole compute group.

import type { HostDevices } from '../../nova/pci.ts';
import type { StepContext } from '../types.ts';

export interface ClusterDevices {
  hosts: HostDevices[];
  vendors: string[];
  /** computes of the group with no discovery result (failed, unreachable, or not run) */
  missing: string[];
}

export function clusterDevices(ctx: StepContext, computeGroup: string, discovered: string): ClusterDevices {
  const hosts: HostDevices[] = [];
  const missing: string[] = [];
  const vendors = new Set<string>();
  for (const name of ctx.groups[computeGroup] ?? []) {
    const d = ctx.hostvars(name)[discovered] as { devices?: HostDevices['devices']; vendors?: string[]; skipped?: boolean } | undefined;
    if (!d || !Array.isArray(d.devices)) {
      missing.push(name);
      continue;
    }
    for (const v of d.vendors ?? []) vendors.add(v);
    hosts.push({ host: name, devices: d.devices });
  }
  return { hosts, vendors: vendors.size > 0 ? [...vendors] : ['10de'], missing };
}
