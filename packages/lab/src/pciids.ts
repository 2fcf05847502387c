// The part of pci.ids (the PCI ID Repository, as shipped in Debian's pci.ids
// 0.0~2023.04.11) that the lab's machines use, plus the kernel modules whose
// modalias matches each device. lspci resolves names through this table the
// way the real lspci resolves them through /usr/share/misc/pci.ids: an id that
// is not here prints as "Device 1234", exactly as on a real host with an old
// pci.ids.

export const VENDORS: Record<string, string> = {
  '1000': 'Broadcom / LSI',
  '1022': 'Advanced Micro Devices, Inc. [AMD]',
  '102b': 'Matrox Electronics Systems Ltd.',
  '10de': 'NVIDIA Corporation',
  '144d': 'Samsung Electronics Co Ltd',
  '14e4': 'Broadcom Inc. and subsidiaries',
  '15b3': 'Mellanox Technologies',
  '15d9': 'Super Micro Computer Inc',
  '1a03': 'ASPEED Technology, Inc.',
  '1af4': 'Red Hat, Inc.',
  '1b36': 'Red Hat, Inc.',
  '8086': 'Intel Corporation',
};

/** vendor:device -> name */
export const DEVICES: Record<string, string> = {
  // Intel Xeon Scalable (Skylake-SP / Cascade Lake) platform, C620 chipset
  '8086:2020': 'Sky Lake-E DMI3 Registers',
  '8086:2024': 'Sky Lake-E MM/Vt-d Configuration Registers',
  '8086:2030': 'Sky Lake-E PCI Express Root Port A',
  '8086:a1d2': 'C620 Series Chipset Family SSATA Controller [AHCI mode]',
  '8086:a1af': 'C620 Series Chipset Family USB 3.0 xHCI Controller',
  '8086:a182': 'C620 Series Chipset Family SATA Controller [AHCI mode]',
  '8086:a1c2': 'C622 Series Chipset LPC/eSPI Controller',
  '8086:a1a3': 'C620 Series Chipset Family SMBus',
  // NICs
  '8086:1572': 'Ethernet Controller X710 for 10GbE SFP+',
  '8086:1521': 'I350 Gigabit Network Connection',
  '15b3:1017': 'MT27800 Family [ConnectX-5]',
  '14e4:16d8': 'BCM57416 NetXtreme-E Dual-Media 10G RDMA Ethernet Controller',
  // storage
  '1000:0097': 'SAS3008 PCI-Express Fusion-MPT SAS-3',
  '144d:a808': 'NVMe SSD Controller SM981/PM981/PM983',
  // BMC graphics
  '1a03:1150': 'AST1150 PCI-to-PCI Bridge',
  '1a03:2000': 'ASPEED Graphics Family',
  '102b:0534': 'G200eR2',
  // AMD EPYC (Rome / Milan) platform
  '1022:1480': 'Starship/Matisse Root Complex',
  '1022:1481': 'Starship/Matisse IOMMU',
  '1022:1482': 'Starship/Matisse PCIe Dummy Host Bridge',
  '1022:1483': 'Starship/Matisse GPP Bridge',
  '1022:790b': 'FCH SMBus Controller',
  '1022:790e': 'FCH LPC Bridge',
  '1022:7901': 'FCH SATA Controller [AHCI mode]',
  '1022:1490': 'Starship Device 24; Function 0',
  // NVIDIA
  '10de:1e04': 'TU102 [GeForce RTX 2080 Ti]',
  '10de:10f7': 'TU102 High Definition Audio Controller',
  '10de:1ad6': 'TU102 USB 3.1 Host Controller',
  '10de:1ad7': 'TU102 USB Type-C UCSI Controller',
  '10de:1eb8': 'TU104GL [Tesla T4]',
  '10de:20b0': 'GA100 [A100 SXM4 40GB]',
  '10de:20f1': 'GA100 [A100 PCIe 40GB]',
  '10de:2236': 'GA102GL [A10]',
  '10de:1db6': 'GV100GL [Tesla V100 PCIe 32GB]',
  '10de:27b8': 'AD104GL [L4]',
  // QEMU q35 guest
  '8086:29c0': '82G33/G31/P35/P31 Express DRAM Controller',
  '8086:2918': '82801IB (ICH9) LPC Interface Controller',
  '8086:2922': '82801IR/IO/IH (ICH9R/DO/DH) 6 port SATA Controller [AHCI mode]',
  '8086:2930': '82801I (ICH9 Family) SMBus Controller',
  '1af4:1041': 'Virtio 1.0 network device',
  '1af4:1042': 'Virtio 1.0 block device',
  '1b36:000c': 'QEMU PCIe Root port',
  '1b36:000d': 'QEMU XHCI Host Controller',
};

/** vendor:device:subvendor:subdevice -> name */
export const SUBSYSTEMS: Record<string, string> = {
  '8086:2020:15d9:095d': 'X11SPM-TF',
  '8086:a1af:15d9:095d': 'X11SPM-TF',
  '8086:a1c2:15d9:095d': 'X11SPM-TF',
  '8086:a1a3:15d9:095d': 'X11SPM-TF',
  '8086:1572:8086:0007': 'Ethernet Converged Network Adapter X710-2',
  '8086:1572:8086:0000': 'Ethernet Converged Network Adapter X710',
  '1022:1480:15d9:1b95': 'H12SSL-i',
  '1022:790b:15d9:790b': 'H12SSL-i',
  '1022:790e:15d9:790e': 'H12SSL-i',
  '1022:7901:15d9:7901': 'H12SSL-i',
  '1a03:2000:15d9:1b95': 'H12SSL-i',
  '1000:0097:1000:30e0': 'SAS9300-8i',
  '8086:29c0:1af4:1100': 'QEMU Virtual Machine',
  '8086:2918:1af4:1100': 'QEMU Virtual Machine',
  '8086:2930:1af4:1100': 'QEMU Virtual Machine',
  '8086:2922:1af4:1100': 'QEMU Virtual Machine',
};

/** class (4 hex digits: base class + subclass) -> name; base class alone (2 digits) as a fallback */
export const CLASSES: Record<string, string> = {
  '00': 'Unclassified device',
  '01': 'Mass storage controller',
  '0100': 'SCSI storage controller',
  '0104': 'RAID bus controller',
  '0106': 'SATA controller',
  '0107': 'Serial Attached SCSI controller',
  '0108': 'Non-Volatile memory controller',
  '0180': 'Mass storage controller',
  '02': 'Network controller',
  '0200': 'Ethernet controller',
  '0207': 'Infiniband controller',
  '0280': 'Network controller',
  '03': 'Display controller',
  '0300': 'VGA compatible controller',
  '0302': '3D controller',
  '0380': 'Display controller',
  '04': 'Multimedia controller',
  '0403': 'Audio device',
  '06': 'Bridge',
  '0600': 'Host bridge',
  '0601': 'ISA bridge',
  '0604': 'PCI bridge',
  '0680': 'Bridge',
  '08': 'Generic system peripheral',
  '0806': 'IOMMU',
  '0880': 'System peripheral',
  '0c': 'Serial bus controller',
  '0c03': 'USB controller',
  '0c05': 'SMBus',
  '0c80': 'Serial bus controller',
  '13': 'Non-Essential Instrumentation',
};

/** kernel modules whose modalias matches vendor:device (lspci -k "Kernel modules:") */
export const KERNEL_MODULES: Record<string, string[]> = {
  '8086:a1d2': ['ahci'],
  '8086:a182': ['ahci'],
  '8086:a1af': ['xhci_pci'],
  '8086:a1a3': ['i2c_i801'],
  '8086:a1c2': ['lpc_ich'],
  '8086:2030': ['pcieport'],
  '8086:1572': ['i40e'],
  '8086:1521': ['igb'],
  '15b3:1017': ['mlx5_core'],
  '14e4:16d8': ['bnxt_en'],
  '1000:0097': ['mpt3sas'],
  '144d:a808': ['nvme'],
  '1a03:2000': ['ast'],
  '102b:0534': ['mgag200'],
  '1022:790b': ['i2c_piix4', 'sp5100_tco'],
  '1022:7901': ['ahci'],
  '1022:1483': ['pcieport'],
  '10de:1e04': ['nouveau'],
  '10de:10f7': ['snd_hda_intel'],
  '10de:1ad6': ['xhci_pci'],
  '10de:1ad7': ['i2c_nvidia_gpu'],
  '10de:1eb8': ['nouveau'],
  '10de:20b0': ['nouveau'],
  '10de:20f1': ['nouveau'],
  '10de:2236': ['nouveau'],
  '10de:1db6': ['nouveau'],
  '10de:27b8': ['nouveau'],
  '8086:2918': ['lpc_ich'],
  '8086:2922': ['ahci'],
  '8086:2930': ['i2c_i801'],
  '1af4:1041': ['virtio_pci'],
  '1af4:1042': ['virtio_pci'],
  '1b36:000c': ['pcieport'],
  '1b36:000d': ['xhci_pci'],
};

export function vendorName(vendor: string): string | undefined {
  return VENDORS[vendor];
}

export function deviceName(vendor: string, device: string): string | undefined {
  return DEVICES[`${vendor}:${device}`];
}

export function subsystemName(vendor: string, device: string, sv: string, sd: string): string | undefined {
  return SUBSYSTEMS[`${vendor}:${device}:${sv}:${sd}`];
}

export function className(cls: string): string | undefined {
  return CLASSES[cls.slice(0, 4)] ?? undefined;
}
