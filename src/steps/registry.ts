// Every step kind passthru knows, by the key that names it in a playbook.

import { assertStep } from './assert.ts';
import { blockinfileStep } from './blockinfile.ts';
import { commandStep, shellStep } from './command.ts';
import { copyStep, templateStep } from './copy.ts';
import { debugStep } from './debug.ts';
import { iniStep } from './ini.ts';
import { lineinfileStep } from './lineinfile.ts';
import { rebootStep } from './reboot.ts';
import { serviceStep } from './service.ts';
import { computeDrainStep } from './pci/compute-drain.ts';
import { computeUndrainStep } from './pci/compute-undrain.ts';
import { discoverStep } from './pci/discover.ts';
import { iommuVerifyStep } from './pci/iommu-verify.ts';
import { kernelIommuStep } from './pci/kernel-iommu.ts';
import { kollaConfigStep } from './pci/kolla-config.ts';
import { novaPciStep } from './pci/nova-pci.ts';
import { novaUnitsActiveStep } from './pci/nova-units.ts';
import { novaRestartStep } from './pci/nova-units-restart.ts';
import { openstackGpuStep } from './pci/openstack-gpu.ts';
import { preflightStep } from './pci/preflight.ts';
import { vfioStep } from './pci/vfio.ts';
import { vfioVerifyStep } from './pci/vfio-verify.ts';
import type { StepKind } from './types.ts';

const kinds: StepKind<never>[] = [
  commandStep,
  shellStep,
  assertStep,
  debugStep,
  lineinfileStep,
  blockinfileStep,
  iniStep,
  copyStep,
  templateStep,
  serviceStep,
  rebootStep,
  // GPU passthrough
  preflightStep,
  discoverStep,
  kernelIommuStep,
  vfioStep,
  iommuVerifyStep,
  vfioVerifyStep,
  novaPciStep,
  novaRestartStep,
  openstackGpuStep,
  novaUnitsActiveStep,
  computeDrainStep,
  computeUndrainStep,
  kollaConfigStep,
] as unknown as StepKind<never>[];

export function stepKinds(extra: StepKind<never>[] = []): Map<string, StepKind<unknown>> {
  const m = new Map<string, StepKind<unknown>>();
  for (const k of [...kinds, ...extra]) m.set(k.kind, k as unknown as StepKind<unknown>);
  return m;
}
