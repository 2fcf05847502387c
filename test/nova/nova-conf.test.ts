// planNovaConf on the distributions' nova.conf files, checked line by line and
// then loaded by nova 26 itself (src/nova/check.py through python3-nova).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parsePciDevices } from '../../src/facts/pci-devices.ts';
import { getValues } from '../../src/inifile/oslo.ts';
import { planNovaConf, planNovaConfFiles, planPci, renderAlias, renderDeviceSpec } from '../../src/nova/pci.ts';
import { TempDir, requireNova, runNovaChecks } from './helpers.ts';

const conf = (name: string): string => readFileSync(new URL(`../fixtures/nova/${name}`, import.meta.url), 'utf8');
const devices = (name: string) => parsePciDevices(readFileSync(new URL(`../fixtures/facts/pci/${name}`, import.meta.url), 'utf8'));

const plan = planPci([
  { host: 'compute1', devices: devices('gpu-2x2080ti-iommu-on.txt') },
  { host: 'compute2', devices: devices('gpu-2x2080ti-reva.txt') },
]);
const aliases = plan.aliases;
const spec1 = plan.hosts.compute1!.deviceSpec;

function diff(before: string, after: string): { removed: string[]; added: string[] } {
  const a = before.split('\n');
  const b = after.split('\n');
  const count = (xs: string[]) => xs.reduce((m, x) => m.set(x, (m.get(x) ?? 0) + 1), new Map<string, number>());
  const ca = count(a);
  const cb = count(b);
  return {
    removed: [...ca].flatMap(([l, n]) => Array<string>(Math.max(0, n - (cb.get(l) ?? 0))).fill(l)),
    added: [...cb].flatMap(([l, n]) => Array<string>(Math.max(0, n - (ca.get(l) ?? 0))).fill(l)),
  };
}

test('RDO controller (Zed): aliases under [pci], RetryFilter dropped, PciPassthroughFilter appended; nothing else touched', () => {
  const before = conf('rdo-controller-nova.conf');
  const r = planNovaConf(before, 'controller', 'zed', { aliases });
  assert.deepEqual(r.changed, ['alias', 'filters']);
  const d = diff(before, r.text);
  assert.deepEqual(d.removed, ['enabled_filters=RetryFilter,AvailabilityZoneFilter,ComputeFilter,ComputeCapabilitiesFilter,ImagePropertiesFilter,ServerGroupAntiAffinityFilter,ServerGroupAffinityFilter']);
  assert.deepEqual(d.added, [
    'enabled_filters=AvailabilityZoneFilter,ComputeFilter,ComputeCapabilitiesFilter,ImagePropertiesFilter,ServerGroupAntiAffinityFilter,ServerGroupAffinityFilter,PciPassthroughFilter',
    ...aliases.map((a) => `alias=${renderAlias(a)}`),
  ]);
  assert.ok(r.notes.some((n) => n.includes('RetryFilter')));
  assert.equal(planNovaConf(r.text, 'controller', 'zed', { aliases }).text, r.text, 'idempotent');
  assert.deepEqual(planNovaConf(r.text, 'controller', 'zed', { aliases }).changed, []);
  // on 2024.1 AvailabilityZoneFilter goes too
  assert.ok(!getValues(planNovaConf(before, 'controller', '2024.1', { aliases }).text, 'filter_scheduler', 'enabled_filters')[0]!.includes('AvailabilityZone'));
});

test("RDO compute with the seed procedure's lines (Zed): stale whitelist replaced, other devices migrated to device_spec", () => {
  const before = conf('rdo-compute-nova.conf');
  const r = planNovaConf(before, 'compute', 'zed', { aliases, deviceSpec: spec1 });
  assert.deepEqual(r.changed, ['alias', 'device_spec']);
  // the operator's own aliases stay (flavors may use them), ours are added
  const got = getValues(r.text, 'pci', 'alias').map((v) => JSON.parse(v).name as string);
  assert.deepEqual(got, ['nv2080vga', 'nv2080aud', 'nv2080usb', 'nv2080bus', ...aliases.map((a) => a.name)]);
  // one option name left; the NVIDIA whitelist list is gone, the NIC spec kept verbatim
  assert.deepEqual(getValues(r.text, 'pci', 'passthrough_whitelist'), []);
  assert.deepEqual(getValues(r.text, 'pci', 'device_spec'), [
    '{"address": "0000:5e:00.*", "physical_network": "physnet2"}',
    ...spec1.map(renderDeviceSpec),
  ]);
  // comments the operator wrote stay where they were
  assert.ok(r.text.includes('# passthrough_whitelist配置该计算节点可用于直通的设备\n'));
  assert.ok(r.notes.some((n) => n.includes('moved [pci] passthrough_whitelist')));
  assert.equal(planNovaConf(r.text, 'compute', 'zed', { aliases, deviceSpec: spec1 }).text, r.text, 'idempotent');
});

test('RDO compute on Yoga: passthrough_whitelist stays the name; the stale list is replaced in place', () => {
  const before = conf('rdo-compute-nova.conf');
  const r = planNovaConf(before, 'compute', 'yoga', { aliases, deviceSpec: spec1 });
  assert.deepEqual(getValues(r.text, 'pci', 'device_spec'), []);
  assert.deepEqual(getValues(r.text, 'pci', 'passthrough_whitelist'), [...spec1.slice(0, 1).map(renderDeviceSpec), '{"address": "0000:5e:00.*", "physical_network": "physnet2"}', ...spec1.slice(1).map(renderDeviceSpec)]);
  assert.equal(planNovaConf(r.text, 'compute', 'yoga', { aliases, deviceSpec: spec1 }).text, r.text);
});

test('Ubuntu controller without enabled_filters: the release default is written; a compute without GPU loses stale NVIDIA specs', () => {
  const before = conf('ubuntu-controller-nova.conf');
  const r = planNovaConf(before, 'controller', '2023.1', { aliases });
  assert.ok(r.text.includes('[filter_scheduler]\nenabled_filters = ComputeFilter,ComputeCapabilitiesFilter,ImagePropertiesFilter,ServerGroupAntiAffinityFilter,ServerGroupAffinityFilter,PciPassthroughFilter\n'));
  assert.ok(r.text.includes(`[pci]\nalias = ${renderAlias(aliases[0]!)}\n`), 'the style of the file (key = value)');

  const stale = `${conf('kolla-compute-nova.conf')}\n[pci]\npassthrough_whitelist = {"vendor_id": "10de"}\n`;
  const c = planNovaConf(stale, 'compute', '2023.1', { aliases, deviceSpec: [] });
  assert.deepEqual(getValues(c.text, 'pci', 'passthrough_whitelist'), []);
  assert.deepEqual(getValues(c.text, 'pci', 'device_spec'), []);
  assert.equal(getValues(c.text, 'pci', 'alias').length, aliases.length);
});

test('kolla compute: a [pci] section is appended; secrets and every other line untouched', () => {
  const before = conf('kolla-compute-nova.conf');
  const r = planNovaConf(before, 'compute', '2023.1', { aliases, deviceSpec: spec1 });
  assert.ok(r.text.startsWith(before));
  assert.equal(r.text.slice(before.length), `\n[pci]\n${aliases.map((a) => `alias = ${renderAlias(a)}\n`).join('')}${spec1.map((s) => `device_spec = ${renderDeviceSpec(s)}\n`).join('')}`);
});

test('managed aliases are replaced by name; a foreign alias is kept; [DEFAULT] pci_alias migrates', () => {
  const text = [
    '[DEFAULT]',
    'pci_alias = {"name": "qat", "vendor_id": "8086", "product_id": "0443"}',
    '',
    '[pci]',
    'alias = {"name": "nvidia-1e04-vga", "vendor_id": "10de", "product_id": "1e04", "device_type": "type-PF"}',
    'alias = {"name": "nvidia-2204-vga", "vendor_id": "10de", "product_id": "2204", "device_type": "type-PCI"}',
    'alias = {"name":"nvidia-10f7-audio","vendor_id":"10de","product_id":"10f7","device_type":"type-PCI"}',
    '',
  ].join('\n');
  const r = planNovaConf(text, 'controller', 'zed', { aliases: aliases.slice(0, 4), filters: false });
  const names = getValues(r.text, 'pci', 'alias').map((v) => JSON.parse(v).name as string);
  // same name: replaced in place; stale (2204, no such card any more): its line takes the next one; moved ones last
  assert.deepEqual(names, ['nvidia-1e04-vga', 'nvidia-1ad6-usb', 'nvidia-10f7-audio', 'nvidia-1ad7-serial', 'qat']);
  assert.equal(JSON.parse(getValues(r.text, 'pci', 'alias')[0]!).device_type, 'type-PCI', 'the stale type-PF definition is replaced');
  // an equal alias written differently is left as written (no diff)
  assert.ok(r.text.includes('alias = {"name":"nvidia-10f7-audio","vendor_id":"10de","product_id":"10f7","device_type":"type-PCI"}\n'));
  assert.deepEqual(getValues(r.text, 'DEFAULT', 'pci_alias'), []);
  assert.deepEqual(r.changed, ['alias']);
});

test('a device_spec list mixing NVIDIA and other devices: only the NVIDIA part is replaced', () => {
  const text = '[pci]\ndevice_spec = [{"vendor_id": "10de", "product_id": "1e04"}, {"vendor_id": "15b3", "product_id": "1015", "physical_network": "physnet1"}]\n';
  const r = planNovaConf(text, 'compute', 'zed', { aliases, deviceSpec: spec1 });
  assert.deepEqual(getValues(r.text, 'pci', 'device_spec'), ['{"vendor_id":"15b3","product_id":"1015","physical_network":"physnet1"}', ...spec1.map(renderDeviceSpec)]);
  assert.ok(r.notes.some((n) => n.startsWith('split a device spec list')));
  assert.equal(planNovaConf(r.text, 'compute', 'zed', { aliases, deviceSpec: spec1 }).text, r.text);
});

test('Ubuntu compute: nova.conf gets the plan, nova-compute.conf loses the entries that would add up', () => {
  const extra = `${conf('ubuntu-nova-compute.conf')}[pci]\nalias = {"name": "nvidia-1e04-vga", "vendor_id": "10de", "product_id": "1e04"}\npassthrough_whitelist = [{"vendor_id": "10de", "product_id": "1e04"}]\n`;
  const out = planNovaConfFiles(
    [{ path: '/etc/nova/nova.conf', content: conf('ubuntu-controller-nova.conf') }, { path: '/etc/nova/nova-compute.conf', content: extra }],
    'compute',
    '2023.1',
    { aliases, deviceSpec: spec1 },
  );
  assert.deepEqual(out[0]!.changed, ['alias', 'device_spec']);
  assert.deepEqual(out[1]!.changed, ['alias', 'device_spec']);
  assert.equal(out[1]!.after, `${conf('ubuntu-nova-compute.conf')}[pci]\n`);
});

test('nova 26 loads what planNovaConf writes, for controllers and computes', (t) => {
  if (!requireNova(t)) return;
  const dir = new TempDir();
  t.after(() => dir.remove());
  const controllerBefore = dir.file('controller-before.conf', conf('rdo-controller-nova.conf'));
  const controller = dir.file('controller.conf', planNovaConf(conf('rdo-controller-nova.conf'), 'controller', 'zed', { aliases }).text);
  const ubuntu = dir.file('ubuntu.conf', planNovaConf(conf('ubuntu-controller-nova.conf'), 'controller', 'zed', { aliases }).text);
  const compute = dir.file('compute.conf', planNovaConf(conf('rdo-compute-nova.conf'), 'compute', 'zed', { aliases, deviceSpec: spec1 }).text);
  const kolla = dir.file('kolla.conf', planNovaConf(conf('kolla-compute-nova.conf'), 'compute', 'zed', { aliases, deviceSpec: plan.hosts.compute2!.deviceSpec }).text);
  const files = planNovaConfFiles(
    [{ path: 'a', content: conf('ubuntu-controller-nova.conf') }, { path: 'b', content: conf('ubuntu-nova-compute.conf') }],
    ['controller', 'compute'],
    'zed',
    { aliases, deviceSpec: spec1 },
  );
  const aio = [dir.file('aio-nova.conf', files[0]!.after), dir.file('aio-nova-compute.conf', files[1]!.after)];
  const [before, c, u, k1, k2, a] = runNovaChecks([
    { files: [controllerBefore], checks: ['filters'] },
    { files: [controller], checks: ['alias', 'filters'] },
    { files: [ubuntu], checks: ['alias', 'filters'] },
    { files: [compute], checks: ['alias', 'device_spec'] },
    { files: [kolla], checks: ['alias', 'device_spec'] },
    { files: aio },
  ]);
  assert.equal(before!.ok, false, 'the RDO file as it was would stop nova-scheduler on Zed');
  assert.match(before!.error!, /RetryFilter/);
  for (const [name, r] of [['controller', c], ['ubuntu', u], ['compute', k1], ['kolla', k2], ['all-in-one', a]] as const) {
    assert.equal(r!.ok, true, `${name}: ${r!.error}`);
  }
  assert.deepEqual((c!.details!.alias as { names: string[] }).names, [...aliases.map((x) => x.name)].sort());
  // the operator's 2 whitelist entries became the NIC spec + 4 GPU function types
  assert.equal((k1!.details!.device_spec as { count: number }).count, 5);
  assert.ok((c!.details!.filters as { enabled: string[] }).enabled.includes('PciPassthroughFilter'));
});
