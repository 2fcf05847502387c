// `iommu_verify`: the IOMMU is active (sysfs first: /sys/class/iommu and
// /sys/kernel/iommu_groups; dmesg second), with what the kernel was booted with.

import { z } from 'zod';
import { cpu, iommu, kernelCmdline } from '../../facts/index.ts';
import { iommuKind, requiredKernelArgs } from '../../boot/cmdline.ts';
import { diagnoseInactiveIommu } from '../../boot/iommu-diagnosis.ts';
import type { StepKind } from '../types.ts';

const args = z.object({}).strict();

export const iommuVerifyStep: StepKind<z.infer<typeof args>> = {
  kind: 'iommu_verify',
  schema: args,
  repeatable: true,
  facts: () => [iommu, kernelCmdline, cpu],
  async plan(ctx) {
    const io = await ctx.gather(iommu);
    const cmdline = await ctx.gather(kernelCmdline);
    const c = await ctx.gather(cpu);
    const result = { active: io.active, groups: io.groups, units: io.units, evidence: io.evidence, cmdline: cmdline.raw, dmesg: io.dmesgSignals };
    if (io.active) {
      const notes = [`IOMMU active: ${io.evidence}`];
      if (io.dmesgSignals.length > 0) notes.push(`dmesg: ${io.dmesgSignals.slice(0, 2).join(' | ')}`);
      else if (!io.dmesgReadable) notes.push('dmesg not readable here (restricted or wrapped); sysfs is what counts');
      return { changes: [], result, notes };
    }
    const kind = iommuKind(io.firmware, c.vendor) ?? 'intel';
    const want = requiredKernelArgs(kind, { passthroughMode: false });
    return { changes: [], result, fail: diagnoseInactiveIommu(io, cmdline.raw, kind, want.add) };
  },
};
