// `vfio_verify`: after the boot, every passthrough function is free for
// libvirt (bound to vfio-pci; with policy `always`, nothing else is
// accepted), and the host's own display and storage controllers are not.

import { z } from 'zod';
import { pciDevices } from '../../facts/index.ts';
import { FREE_DRIVERS, VFIO_MODPROBE, passthroughFunctions, showFunction } from './vfio.ts';
import type { StepKind } from '../types.ts';

const args = z
  .object({
    policy: z.enum(['auto', 'always', 'never']).default('auto'),
    vendor: z.union([z.string(), z.array(z.string())]).default('10de'),
  })
  .strict();

/** PCI classes the host needs for itself: display (03) and mass storage (01) */
const HOST_CLASSES = ['03', '01'];

export const vfioVerifyStep: StepKind<z.infer<typeof args>> = {
  kind: 'vfio_verify',
  schema: args,
  repeatable: true,
  facts: () => [pciDevices],
  async plan(ctx, a) {
    const devices = await ctx.gather(pciDevices);
    const functions = passthroughFunctions(ctx.hostName, devices, a.vendor);
    const chosen = new Set(functions.map((f) => f.address));
    const hostTaken = devices.filter((d) => !chosen.has(d.address) && d.driver === 'vfio-pci' && HOST_CLASSES.includes(d.class.slice(0, 2)));
    const result = { functions: functions.map((f) => ({ address: f.address, driver: f.driver ?? null })) };
    if (hostTaken.length > 0) {
      return { changes: [], result, fail: { message: `vfio-pci holds the host's own ${hostTaken.map(showFunction).join(', ')}`, hint: `remove its id from ${VFIO_MODPROBE} or the vfio-pci.ids= kernel argument, regenerate the initramfs and reboot` } };
    }
    if (a.policy === 'never') return { changes: [], result, notes: ['vfio=never: drivers not checked'] };
    const wrong = functions.filter((f) => (a.policy === 'always' ? f.driver !== 'vfio-pci' : f.driver !== undefined && !FREE_DRIVERS.has(f.driver)));
    if (wrong.length > 0) {
      return {
        changes: [],
        result,
        fail: {
          message: `not bound to vfio-pci after the boot: ${wrong.map(showFunction).join(', ')}`,
          hint: 'check that the initramfs was regenerated with vfio-pci in it (lsinitramfs / lsinitrd) and that the IOMMU is active; dmesg | grep vfio',
        },
      };
    }
    return { changes: [], result, notes: [`free for passthrough: ${functions.map(showFunction).join(', ')}`] };
  },
};
