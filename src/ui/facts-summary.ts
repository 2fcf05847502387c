// A host's facts as the report shows them, read from what the PCI steps
// registered during the run (by step kind, whatever `register:` names them):
// OS and release, boot mode, CPU vendor, the IOMMU, the GPUs with their
// functions, IOMMU groups and the alias each function got, and the flavor
// that requests the card.

import { aliasName, functionKind } from '../nova/pci.ts';

export interface GpuFunctionFacts {
  address: string;
  /** vendor:device */
  id: string;
  kind: string;
  iommu_group?: number;
  /** the nova alias configured for this function's type (absent until nova.conf got it) */
  alias?: string;
}

export interface GpuFacts {
  slot: string;
  /** vendor:device of the display function */
  model: string;
  name?: string;
  functions: GpuFunctionFacts[];
  iommu_groups: number[];
  /** the flavor whose pci_passthrough:alias asks for this card */
  flavor?: string;
}

export interface HostFacts {
  os?: string;
  family?: string;
  os_major?: number;
  boot_mode?: string;
  cpu_vendor?: string;
  nova_release?: string;
  roles?: string[];
  iommu?: { active: boolean; evidence?: string; groups?: number };
  gpus: GpuFacts[];
}

interface Device {
  address: string;
  vendor: string;
  device: string;
  class: string;
  deviceName?: string;
  iommuGroup?: number;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const obj = (v: unknown): Record<string, unknown> | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** Folds the results of one host's steps, in run order, into its facts. */
export class FactsCollector {
  private readonly facts: HostFacts = { gpus: [] };
  private configured: Set<string> | undefined;

  add(kind: string | undefined, result: Record<string, unknown> | undefined): void {
    if (!kind || !result) return;
    const f = this.facts;
    switch (kind) {
      case 'pci_preflight': {
        const os = str(result['os']);
        if (os) f.os = os;
        const family = str(result['family']);
        if (family) f.family = family;
        const major = num(result['major']);
        if (major !== undefined) f.os_major = major;
        const boot = str(result['boot_mode']);
        if (boot) f.boot_mode = boot;
        const cpu = str(result['cpu_vendor']);
        if (cpu) f.cpu_vendor = cpu;
        const release = str(result['release']);
        if (release) f.nova_release = release;
        const roles = arr(result['roles']).filter((r): r is string => typeof r === 'string');
        if (roles.length > 0) f.roles = roles;
        return;
      }
      case 'pci_discover': {
        if (typeof result['iommu_active'] === 'boolean') f.iommu = { ...f.iommu, active: result['iommu_active'] };
        const devices = new Map<string, Device>();
        for (const d of arr(result['devices'])) {
          const o = obj(d);
          const address = str(o?.['address']);
          if (o && address) devices.set(address, o as unknown as Device);
        }
        const cards = arr(result['cards']).map(obj).filter((c): c is Record<string, unknown> => c !== undefined);
        if (cards.length === 0 && result['has_gpu'] !== true) return;
        // the last discovery wins: after the reboot it knows the IOMMU groups
        f.gpus = cards.map((c) => {
          const fns = arr(c['functions']).filter((a): a is string => typeof a === 'string');
          const functions = fns.map((address): GpuFunctionFacts => {
            const d = devices.get(address);
            const fn: GpuFunctionFacts = { address, id: d ? `${d.vendor}:${d.device}` : '', kind: d ? functionKind(d) : '' };
            if (d?.iommuGroup !== undefined) fn.iommu_group = d.iommuGroup;
            return fn;
          });
          const display = devices.get(fns[0] ?? '');
          const gpu: GpuFacts = { slot: str(c['slot']) ?? '', model: str(c['model']) ?? '', functions, iommu_groups: [...new Set(functions.flatMap((x) => (x.iommu_group === undefined ? [] : [x.iommu_group])))].sort((a, b) => a - b) };
          if (display?.deviceName) gpu.name = display.deviceName;
          return gpu;
        });
        this.aliasFor = (address) => {
          const d = devices.get(address);
          return d ? aliasName(d) : undefined;
        };
        this.nameAliases();
        return;
      }
      case 'iommu_verify': {
        const active = result['active'];
        if (typeof active !== 'boolean') return;
        f.iommu = { active };
        const evidence = str(result['evidence']);
        if (evidence) f.iommu.evidence = evidence;
        const groups = num(result['groups']);
        if (groups !== undefined) f.iommu.groups = groups;
        return;
      }
      case 'nova_pci': {
        const names = arr(result['aliases']).filter((a): a is string => typeof a === 'string');
        if (names.length > 0) this.configured = new Set(names);
        this.nameAliases();
        return;
      }
      default:
        return;
    }
  }

  private aliasFor: (address: string) => string | undefined = () => undefined;

  private nameAliases(): void {
    if (!this.configured) return;
    for (const g of this.facts.gpus) {
      for (const fn of g.functions) {
        const a = this.aliasFor(fn.address);
        if (a !== undefined && this.configured.has(a)) fn.alias = a;
      }
    }
  }

  /** The facts, or undefined when no PCI step reported anything. */
  result(): HostFacts | undefined {
    const f = this.facts;
    return f.os === undefined && f.iommu === undefined && f.gpus.length === 0 ? undefined : f;
  }
}

/** The flavors that ask for each card, from openstack_gpu results: `{ name, alias: "a:1,b:1" }`. */
export function flavorOf(gpu: GpuFacts, flavors: ReadonlyArray<{ name: string; alias: string }>): string | undefined {
  const mine = gpu.functions.flatMap((f) => (f.alias ? [f.alias] : []));
  if (mine.length === 0) return undefined;
  return flavors.find((fl) => {
    const names = fl.alias.split(',').map((p) => p.split(':')[0]?.trim());
    return mine.every((a) => names.includes(a));
  })?.name;
}

/** Flavors in an openstack_gpu result. */
export function flavorsIn(kind: string | undefined, result: Record<string, unknown> | undefined): Array<{ name: string; alias: string }> {
  if (kind !== 'openstack_gpu' || !result) return [];
  return arr(result['flavors']).flatMap((f) => {
    const o = obj(f);
    const name = str(o?.['name']);
    const alias = str(o?.['alias']);
    return name && alias ? [{ name, alias }] : [];
  });
}
