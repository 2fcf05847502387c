import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { iommuGroups, parseLspci, pciDevices } from '../../src/facts/pci-devices.ts';

const fx = (p: string): string => readFileSync(new URL(`../fixtures/facts/${p}`, import.meta.url), 'utf8');

test('captured here: lspci -Dnnmm and sysfs of a virtio VM', () => {
  const devs = pciDevices.parse(fx('real-debian12-vm/pci_devices.txt'), 0);
  assert.equal(devs.length, 6);
  assert.deepEqual(devs[3], {
    address: '0000:00:03.0',
    vendor: '1af4',
    device: '1041',
    class: '020000',
    subsystemVendor: '1af4',
    subsystemDevice: '1041',
    vendorName: 'Red Hat, Inc.',
    deviceName: 'Virtio 1.0 network device',
    className: 'Ethernet controller',
    revision: '01',
    driver: 'virtio-pci',
  });
  assert.equal(devs[0]!.driver, undefined);
  assert.equal(devs[0]!.iommuGroup, undefined);
});

test('GPU server: ids from sysfs, names from lspci, groups, drivers, boot VGA', () => {
  const devs = pciDevices.parse(fx('pci/gpu-2x2080ti-iommu-on.txt'), 0);
  const byAddr = new Map(devs.map((d) => [d.address, d]));
  const vga = byAddr.get('0000:18:00.0')!;
  assert.deepEqual(
    [vga.vendor, vga.device, vga.class, vga.deviceName, vga.iommuGroup, vga.driver, vga.bootVga, vga.revision],
    ['10de', '1e04', '030000', 'TU102 [GeForce RTX 2080 Ti]', 31, 'nouveau', false, 'a1'],
  );
  assert.equal(byAddr.get('0000:18:00.3')!.className, 'Serial bus controller');
  assert.equal(byAddr.get('0000:18:00.2')!.class, '0c0330');
  assert.equal(byAddr.get('0000:02:00.0')!.bootVga, true);
  const off = pciDevices.parse(fx('pci/gpu-2x2080ti-iommu-off.txt'), 0);
  assert.ok(off.every((d) => d.iommuGroup === undefined));
  assert.equal(off.length, devs.length);
});

test('without sysfs output the lspci lines are enough; the human -nn format parses too', () => {
  const onlyLspci = fx('real-debian12-vm/pci_devices.txt').split('@@ids')[0] + '@@ids\n@@groups\n@@drivers\n';
  const devs = pciDevices.parse(onlyLspci, 0);
  assert.equal(devs.length, 6);
  assert.equal(devs[2]!.class, '018000');
  const human = parseLspci(fx('pci/lspci-nn-seed.txt'));
  assert.deepEqual(human.map((d) => `${d.vendor}:${d.device}:${d.class.slice(0, 4)}`), ['10de:1e04:0300', '10de:10f7:0403', '10de:1ad6:0c03', '10de:1ad7:0c80', '8086:1572:0200']);
  assert.equal(human[0]!.deviceName, 'NVIDIA Corporation TU102 [GeForce RTX 2080 Ti]');
  assert.throws(() => pciDevices.parse('sh: 1: lspci: not found\n', 127), /no sysfs section/);
});

test('IOMMU groups', () => {
  const groups = fx('pci/gpu-split-group.txt').split('@@groups\n')[1]!.split('@@drivers')[0]!;
  const g = iommuGroups.parse(groups, 0);
  assert.deepEqual(g[1], ['0000:00:01.0', '0000:00:01.1', '0000:01:00.0', '0000:01:00.1', '0000:01:00.2', '0000:01:00.3', '0000:02:00.0']);
  assert.deepEqual(iommuGroups.parse(fx('real-debian12-vm/iommu_groups.txt'), 0), {});
});
