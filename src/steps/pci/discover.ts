// `pci_discover`: the GPU functions of a host and their IOMMU groups, read
// from lspci and sysfs. Changes nothing. Warns when a group would be split.

import { z } from 'zod';
import { iommu, pciDevices } from '../../facts/index.ts';
import { planPci } from '../../nova/pci.ts';
import { stepOutput } from '../contract.ts';
import type { StepKind } from '../types.ts';

const args = z
  .object({
    /** PCI vendor id(s) of the devices to pass through */
    vendor: z.union([z.string(), z.array(z.string())]).default('10de'),
  })
  .strict();

const pciFunction = z.object({
  address: z.string(),
  vendor: z.string(),
  device: z.string(),
  class: z.string(),
  vendorName: z.string().optional(),
  deviceName: z.string().optional(),
  className: z.string().optional(),
  iommuGroup: z.number().optional(),
  driver: z.string().optional(),
  bootVga: z.boolean().optional(),
});

/** What `pci_discover` registers (nova_pci and openstack_gpu read it from every compute). */
export const discoveryOutput = stepOutput(
  'pci_discover',
  z.object({
    has_gpu: z.boolean(),
    vendors: z.array(z.string()),
    cards: z.array(z.object({ slot: z.string(), model: z.string(), functions: z.array(z.string()) })),
    devices: z.array(pciFunction),
    iommu_active: z.boolean(),
  }),
);
export type Discovery = z.infer<typeof discoveryOutput.schema>;

export const discoverStep: StepKind<z.infer<typeof args>> = {
  kind: 'pci_discover',
  schema: args,
  output: discoveryOutput,
  repeatable: true,
  facts: () => [pciDevices, iommu],
  async plan(ctx, a) {
    const vendors = (Array.isArray(a.vendor) ? a.vendor : [a.vendor]).map((v) => v.toLowerCase().replace(/^0x/, ''));
    const devices = await ctx.gather(pciDevices);
    const io = await ctx.gather(iommu);
    const plan = planPci([{ host: ctx.hostName, devices }], { vendors });
    const mine = plan.hosts[ctx.hostName];
    const cards = mine?.cards ?? [];
    const notes: string[] = [];
    for (const w of plan.warnings) {
      if (w.host !== ctx.hostName) continue;
      if (w.level === 'info') notes.push(w.message);
      else ctx.warn(w.message);
    }
    if (cards.length === 0) {
      notes.push(`no passthrough device (vendor ${vendors.join(', ')}) on this host: it is left alone`);
    } else {
      for (const card of cards) {
        notes.push(`${card.slot}: ${card.functions.map((f) => `${f.address.slice(-1)}=${f.vendor}:${f.device}${f.iommuGroup !== undefined ? `/g${f.iommuGroup}` : ''}`).join(' ')}`);
      }
    }
    const result: Discovery = {
      has_gpu: cards.length > 0,
      vendors,
      cards: cards.map((c) => ({ slot: c.slot, model: c.model, functions: c.functions.map((f) => f.address) })),
      devices,
      iommu_active: io.active,
    };
    return { changes: [], notes, result };
  },
};
