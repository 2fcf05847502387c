import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parsePciDevices } from '../../src/facts/pci-devices.ts';
import { aliasName, flavorAliasSpec, planPci, renderAlias, renderDeviceSpec, type HostDevices } from '../../src/nova/pci.ts';

const pci = (name: string) => parsePciDevices(readFileSync(new URL(`../fixtures/facts/pci/${name}`, import.meta.url), 'utf8'));
const host = (name: string, file: string): HostDevices => ({ host: name, devices: pci(file) });

test('two RTX 2080 Ti: four aliases, one per function type, named after the function', () => {
  const plan = planPci([host('compute1', 'gpu-2x2080ti-iommu-on.txt')]);
  assert.deepEqual(plan.aliases.map((a) => a.name), ['nvidia-1e04-vga', 'nvidia-10f7-audio', 'nvidia-1ad6-usb', 'nvidia-1ad7-serial']);
  assert.deepEqual(plan.aliases[1], { name: 'nvidia-10f7-audio', vendor_id: '10de', product_id: '10f7', device_type: 'type-PCI' });
  const h = plan.hosts.compute1!;
  assert.deepEqual(h.cards.map((c) => c.slot), ['0000:18:00', '0000:3b:00']);
  assert.deepEqual(h.deviceSpec, [
    { vendor_id: '10de', product_id: '10f7' },
    { vendor_id: '10de', product_id: '1ad6' },
    { vendor_id: '10de', product_id: '1ad7' },
    { vendor_id: '10de', product_id: '1e04' },
  ]);
  assert.equal(h.byAddress, false);
  // the BMC's ASPEED VGA and the Intel NICs are not ours; groups 31 and 41 hold only GPU functions
  assert.deepEqual(plan.warnings.filter((w) => w.level !== 'info'), []);
  assert.equal(plan.models.length, 1);
  assert.equal(plan.models[0]!.name, 'TU102 [GeForce RTX 2080 Ti]');
  assert.equal(flavorAliasSpec(plan.models[0]!, 2), 'nvidia-1e04-vga:2,nvidia-10f7-audio:2,nvidia-1ad6-usb:2,nvidia-1ad7-serial:2');
});

test('a group of computes: aliases are the union of distinct function types; device specs stay per host', () => {
  const plan = planPci([
    host('compute1', 'gpu-2x2080ti-iommu-on.txt'),
    host('compute2', 'gpu-2x2080ti-reva.txt'),
    { host: 'compute3', devices: pci('gpu-2x2080ti-iommu-on.txt').filter((d) => d.vendor !== '10de') },
  ]);
  assert.deepEqual(plan.aliases.map((a) => a.name), ['nvidia-1e04-vga', 'nvidia-10f7-audio', 'nvidia-1ad6-usb', 'nvidia-1ad7-serial', 'nvidia-1e07-vga']);
  assert.deepEqual(plan.hosts.compute2!.deviceSpec.map((s) => s.product_id), ['10f7', '1ad6', '1ad7', '1e07']);
  assert.deepEqual(plan.hosts.compute3!.deviceSpec, [], 'a compute without GPU passes nothing through');
  assert.deepEqual(plan.models.map((m) => [m.model, m.hosts]), [['10de:1e04', ['compute1']], ['10de:1e07', ['compute2']]]);
  assert.equal(flavorAliasSpec(plan.models[1]!), 'nvidia-1e07-vga:1,nvidia-10f7-audio:1,nvidia-1ad6-usb:1,nvidia-1ad7-serial:1');
});

test('IOMMU off (before the reboot): discovery works, the group check waits', () => {
  const plan = planPci([host('compute1', 'gpu-2x2080ti-iommu-off.txt')]);
  assert.equal(plan.aliases.length, 4);
  assert.deepEqual(plan.warnings.map((w) => [w.level, w.message.split(' (')[0]]), [['info', 'IOMMU groups are not known yet']]);
});

test('a GPU sharing its IOMMU group with a NIC and bridges: the split is reported', () => {
  const plan = planPci([host('ws1', 'gpu-split-group.txt')]);
  const errors = plan.warnings.filter((w) => w.level === 'error');
  assert.equal(errors.length, 1);
  assert.match(errors[0]!.message, /IOMMU group 1 would be split: 0000:02:00\.0 Ethernet controller: Mellanox Technologies MT27710 Family \[ConnectX-4 Lx\] \[15b3:1015\]/);
  const bridges = plan.warnings.filter((w) => w.level === 'warning' && /bridge/.test(w.message));
  assert.deepEqual(bridges.map((w) => w.message.split(' ')[7]), ['0000:00:01.0', '0000:00:01.1']);
  // the Intel iGPU is the boot display, and not NVIDIA: not touched
  assert.ok(!plan.warnings.some((w) => w.message.includes('boot VGA')));
});

test('an excluded card with the same ids as a passed-through one: the spec goes by address', () => {
  const plan = planPci([host('compute1', 'gpu-2x2080ti-iommu-on.txt')], { exclude: { compute1: ['3b:00.0'] } });
  const h = plan.hosts.compute1!;
  assert.deepEqual(h.excluded, ['0000:3b:00']);
  assert.equal(h.byAddress, true);
  assert.deepEqual(h.deviceSpec, [{ vendor_id: '10de', address: '0000:18:00.*' }]);
  assert.equal(renderDeviceSpec(h.deviceSpec[0]!), '{"vendor_id":"10de","address":"0000:18:00.*"}');
  const bad = planPci([host('compute1', 'gpu-2x2080ti-iommu-on.txt')], { exclude: { compute1: ['0000:99:00'] } });
  assert.ok(bad.warnings.some((w) => w.level === 'warning' && w.message.includes('0000:99:00')));
});

test('JSON rendering and names', () => {
  assert.equal(
    renderAlias({ name: 'nvidia-1e04-vga', vendor_id: '10de', product_id: '1e04', device_type: 'type-PCI', numa_policy: 'preferred' }),
    '{"name":"nvidia-1e04-vga","vendor_id":"10de","product_id":"1e04","device_type":"type-PCI","numa_policy":"preferred"}',
  );
  assert.equal(aliasName({ vendor: '10de', device: '2236', class: '030200' }), 'nvidia-2236-3d');
  assert.equal(aliasName({ vendor: '1002', device: '740f', class: '038000' }), 'amd-740f-display');
  assert.equal(aliasName({ vendor: 'abcd', device: '0001', class: '0b4000' }), 'abcd-0001-class0b40');
  const withNuma = planPci([host('c1', 'gpu-2x2080ti-iommu-on.txt')], { numaPolicy: 'required' });
  assert.ok(withNuma.aliases.every((a) => a.numa_policy === 'required'));
  assert.throws(() => flavorAliasSpec(withNuma.models[0]!, 0), /positive integer/);
});
