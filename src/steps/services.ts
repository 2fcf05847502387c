// Run-wide objects the steps of every host share, as typed fields (made once
// per run by the engine; a field is made the first time it is used).

import { NovaCheckBatcher } from '../nova/check-batch.ts';
import type { PlannedCluster } from './pci/cluster-devices.ts';
import type { ShapeRead } from './pci/nova-check.ts';

export class RunServices {
  /** nova_pci, openstack_gpu: the cluster's PCI plan, per compute group and discovery variable */
  readonly pciClusterPlans = new Map<string, PlannedCluster>();
  /** nova_pci: how oslo.config read each shape of nova config files, per python and nova */
  readonly novaCheckReads = new Map<string, ShapeRead>();
  private batcher: NovaCheckBatcher | undefined;

  /** nova_pci: nova's checks of option values, batched across the hosts with the same nova */
  get novaCheckBatcher(): NovaCheckBatcher {
    return (this.batcher ??= new NovaCheckBatcher());
  }
}
