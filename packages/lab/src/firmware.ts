import type { HostSpec } from './types.ts';

/** The IOMMU the firmware offers (its ACPI table: DMAR or IVRS): the spec's, else the CPU vendor's. */
export function firmwareIommu(spec: HostSpec): 'intel' | 'amd' {
  return spec.firmwareIommu ?? spec.cpu.vendor;
}
