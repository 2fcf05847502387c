// Run-wide objects the steps of every host share, as typed fields (made once
// per run by the engine; a field is made the first time it is used).

import { userInfo } from 'node:os';
import type { LimitFunction } from 'p-limit';
import { NovaCheckBatcher } from '../nova/check-batch.ts';
import type { PlannedCluster } from './pci/cluster-devices.ts';
import type { ShapeRead } from './pci/nova-check.ts';
import type { NovaPython } from '../nova/check.ts';

export class RunServices {
  /** nova_pci, openstack_gpu: the cluster's PCI plan, per compute group and discovery variable */
  readonly pciClusterPlans = new Map<string, PlannedCluster>();
  /**
   * how many times a step has registered each variable name, on any host
   * (RunState.register): a run-wide result made from every host's (the
   * cluster's PCI plan) is still good while the count is the same
   */
  readonly registrations = new Map<string, number>();
  /** nova_pci: how oslo.config read each shape of nova config files, per python and nova */
  readonly novaCheckReads = new Map<string, ShapeRead>();
  /** nova_pci on kolla hosts: where nova's python is inside each container, per host and container */
  readonly containerNovaPython = new Map<string, Promise<NovaPython>>();
  /** openstack CLI on a controller (compute_drain, compute_undrain, openstack_gpu): at most a few at once, per controller */
  readonly openstackLimits = new Map<string, LimitFunction>();
  /** the credentials file found on a controller, per controller and given path */
  readonly openstackOpenrc = new Map<string, Promise<string | undefined>>();
  /** reads of the cloud on their way, per controller and command line: joined by the hosts that ask the same */
  readonly openstackInflight = new Map<string, Map<string, Promise<{ ok: boolean; out: string; err: string }>>>();
  private batcher: NovaCheckBatcher | undefined;
  private name: string | undefined;

  /** the run's name in a disable reason: when and by whom it was started */
  get runName(): string {
    if (this.name === undefined) {
      let user = process.env['USER'] ?? process.env['LOGNAME'];
      try {
        user ??= userInfo().username;
      } catch {
        user ??= 'unknown';
      }
      this.name = `${new Date().toISOString().slice(0, 19)}Z ${user}`;
    }
    return this.name;
  }

  /** nova_pci: nova's checks of option values, batched across the hosts with the same nova */
  get novaCheckBatcher(): NovaCheckBatcher {
    return (this.batcher ??= new NovaCheckBatcher());
  }
}
