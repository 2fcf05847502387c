import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { buildRootfs } from '../../src/rootfs.ts';
import { LAB_SECRETS } from '../../src/secrets.ts';
import { benchCluster, demoCluster, mixedCluster } from '../../src/specs.ts';
import { makeHost, hostByName } from './helpers.ts';

test('Debian 12 /etc/os-release is the real file (captured from a Debian 12 machine)', () => {
  const files = buildRootfs(hostByName('nogpu'));
  assert.equal(files.get('/etc/os-release')?.content, readFileSync(new URL('./fixtures/os-release.debian-12', import.meta.url), 'utf8'));
});

test('release files name each distribution', () => {
  assert.equal(buildRootfs(hostByName('el7-bios')).get('/etc/redhat-release')?.content, 'CentOS Linux release 7.9.2009 (Core)\n');
  assert.equal(buildRootfs(hostByName('ctl1')).get('/etc/redhat-release')?.content, 'Rocky Linux release 9.4 (Blue Onyx)\n');
  assert.match(buildRootfs(hostByName('ubuntu')).get('/etc/os-release')?.content ?? '', /^PRETTY_NAME="Ubuntu 22\.04\.4 LTS"\n/);
  assert.equal(buildRootfs(hostByName('ubuntu')).get('/etc/debian_version')?.content, 'bookworm/sid\n');
});

test('every cluster preset builds; hosts differ in distro, boot mode and GPUs', () => {
  const mixed = mixedCluster();
  assert.deepEqual(mixed.map((h) => h.name), ['ctl1', 'el7-bios', 'el7-uefi', 'ubuntu', 'amd', 'nogpu', 'novtx', 'guest1']);
  const gpus = (name: string): string[] => (mixed.find((h) => h.name === name)?.devices ?? []).filter((d) => d.vendor === '10de').map((d) => `${d.vendor}:${d.device}`);
  assert.deepEqual(gpus('el7-bios'), ['10de:1e04', '10de:10f7', '10de:1ad6', '10de:1ad7', '10de:1e04', '10de:10f7', '10de:1ad6', '10de:1ad7']);
  assert.deepEqual(gpus('el7-uefi'), ['10de:1eb8']);
  assert.deepEqual(gpus('nogpu'), []);
  assert.equal(demoCluster().length, 5);
  const bench = benchCluster(12);
  assert.equal(bench.length, 13);
  assert.equal(new Set(bench.map((h) => h.distro)).size, 5);
  for (const h of [...mixed, ...demoCluster(), ...bench.slice(0, 6)]) assert.ok(buildRootfs(h, mixed).size > 100, h.name);
});

test('nova.conf is root:nova 0640, holds the secrets, and its [pci] state differs per host', () => {
  const ctl = buildRootfs(hostByName('ctl1'));
  const conf = ctl.get('/etc/nova/nova.conf');
  assert.deepEqual(conf?.meta, { mode: 0o640, owner: 'root', group: 'nova' });
  assert.match(conf?.content ?? '', /^transport_url=rabbit:\/\/openstack:labRabbit-7q2VxT9m@ctl1:5672\/$/m);
  assert.match(conf?.content ?? '', /^connection=mysql\+pymysql:\/\/nova:labNovaDb-4kP8sLw2@ctl1\/nova$/m);
  assert.match(conf?.content ?? '', /^enabled_filters=RetryFilter,AvailabilityZoneFilter,ComputeFilter,ComputeCapabilitiesFilter,RamFilter,CoreFilter,/m);
  // the packaged sample's comments, including a commented example alias
  assert.match(conf?.content ?? '', /^#alias =$/m);
  assert.match(conf?.content ?? '', /^#     alias = \{$/m);
  const el7 = buildRootfs(hostByName('el7-bios')).get('/etc/nova/nova.conf')?.content ?? '';
  assert.match(el7, /^passthrough_whitelist = \{ "vendor_id": "10de", "product_id": "1e04" \}$/m);
  assert.match(el7, /^#passthrough_whitelist =$/m, 'Yoga: the option is still called passthrough_whitelist');
  const ubuntu = buildRootfs(hostByName('ubuntu'));
  assert.doesNotMatch(ubuntu.get('/etc/nova/nova.conf')?.content ?? '', /^\[pci\]/m);
  assert.match(ubuntu.get('/etc/nova/nova.conf')?.content ?? '', /^transport_url = rabbit:/m);
  assert.equal(ubuntu.get('/etc/nova/nova-compute.conf')?.content, '[DEFAULT]\ncompute_driver=libvirt.LibvirtDriver\n[libvirt]\nvirt_type=kvm\n');
  const all = [...ctl.values()].map((f) => f.content).join('\n');
  for (const s of LAB_SECRETS) assert.ok(all.includes(s), `secret ${s} is in ctl1's files`);
});

test('the nova package version matches the release', () => {
  const el7 = [...buildRootfs(hostByName('el7-bios')).keys()].filter((k) => k.includes('nova-') && k.endsWith('PKG-INFO'));
  assert.deepEqual(el7, ['/usr/lib/python3.6/site-packages/nova-25.2.1-py3.6.egg-info/PKG-INFO']);
  const ub = buildRootfs(hostByName('ubuntu'));
  assert.match(ub.get('/usr/lib/python3/dist-packages/nova-28.3.0.egg-info/PKG-INFO')?.content ?? '', /^Version: 28\.3\.0$/m);
});

test('sysfs shows the devices as the kernel prints them; EFI only on UEFI hosts', () => {
  const f = buildRootfs(hostByName('el7-uefi'));
  assert.equal(f.get('/sys/bus/pci/devices/0000:d8:00.0/vendor')?.content, '0x10de\n');
  assert.equal(f.get('/sys/bus/pci/devices/0000:d8:00.0/device')?.content, '0x1eb8\n');
  assert.equal(f.get('/sys/bus/pci/devices/0000:d8:00.0/class')?.content, '0x030200\n');
  assert.equal(f.get('/sys/bus/pci/devices/0000:d8:00.0/revision')?.content, '0xa1\n');
  assert.equal(f.get('/sys/firmware/efi/fw_platform_size')?.content, '64\n');
  assert.ok(f.has('/boot/efi/EFI/centos/grub.cfg'));
  assert.ok(f.has('/boot/grub2/grub.cfg'), 'a stale BIOS grub.cfg the firmware never reads');
  assert.equal(buildRootfs(hostByName('el7-bios')).has('/sys/firmware/efi/fw_platform_size'), false);
});

test('EL9 UEFI: the EFI grub.cfg is a stub; the menu comes from BLS entries with literal options', () => {
  const h = makeHost('amd');
  assert.match(h.fs.readFile('/boot/efi/EFI/rocky/grub.cfg') ?? '', /^configfile \$prefix\/grub\.cfg$/m);
  const entries = h.fs.readdir('/boot/loader/entries');
  assert.equal(entries.length, 3);
  assert.match(h.fs.readFile(`/boot/loader/entries/${entries[0]}`) ?? '', /^options root=\/dev\/mapper\/rl-root ro crashkernel=1G-4G:192M,4G-64G:256M,64G-:512M /m);
  assert.equal((h.fs.readFile('/boot/grub2/grubenv') ?? '').length, 1024);
});

test('unit names follow the family', () => {
  const el = buildRootfs(hostByName('ctl1'));
  for (const u of ['openstack-nova-api', 'openstack-nova-scheduler', 'openstack-nova-conductor']) assert.ok(el.has(`/usr/lib/systemd/system/${u}.service`), u);
  const deb = buildRootfs(hostByName('ubuntu'));
  assert.ok(deb.has('/lib/systemd/system/nova-compute.service'));
  assert.ok(deb.has('/etc/systemd/system/multi-user.target.wants/nova-compute.service'));
  assert.equal(deb.has('/lib/systemd/system/openstack-nova-compute.service'), false);
});
