import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeHost, USER_OPS } from './helpers.ts';

const FILTERS_LINE = /^enabled_filters=.*$/m;

test('ctl1 boots with nova-scheduler failed: its enabled_filters still names filters 2023.2 removed', async () => {
  const h = makeHost('ctl1');
  const a = await h.run('systemctl', ['is-active', 'openstack-nova-scheduler']);
  assert.equal(a.stdout, 'failed\n');
  assert.equal(a.exitCode, 3);
  const j = await h.run('journalctl', ['-u', 'openstack-nova-scheduler', '-n', '30', '--no-pager']);
  assert.match(
    j.stdout,
    /nova-scheduler\[\d+\]: \S+ \S+ \d+ CRITICAL nova \[-\] Unhandled error: nova\.exception\.SchedulerHostFilterNotFound: Scheduler Host Filter RetryFilter, AvailabilityZoneFilter, RamFilter, CoreFilter could not be found\.\n/,
  );
  assert.match(j.stdout, /systemd\[1\]: Failed to start OpenStack Nova Scheduler Server\.\n$/);
});

test('restarting nova-scheduler with RamFilter on 2023.2 fails like a Type=notify unit; fixing the list makes it start', async () => {
  const h = makeHost('ctl1');
  const conf = h.fs.readFile('/etc/nova/nova.conf') ?? '';
  h.fs.writeFile('/etc/nova/nova.conf', conf.replace(FILTERS_LINE, 'enabled_filters=ComputeFilter,RamFilter,PciPassthroughFilter'));
  const r = await h.run('systemctl', ['restart', 'openstack-nova-scheduler.service']);
  assert.equal(r.exitCode, 1);
  assert.equal(
    r.stderr,
    'Job for openstack-nova-scheduler.service failed because the control process exited with error code.\nSee "systemctl status openstack-nova-scheduler.service" and "journalctl -xeu openstack-nova-scheduler.service" for details.\n',
  );
  const st = await h.run('systemctl', ['status', 'openstack-nova-scheduler']);
  assert.equal(st.exitCode, 3);
  assert.match(st.stdout, /^× openstack-nova-scheduler\.service - OpenStack Nova Scheduler Server\n     Loaded: loaded \(\/usr\/lib\/systemd\/system\/openstack-nova-scheduler\.service; enabled; preset: disabled\)\n     Active: failed \(Result: exit-code\) since /);
  assert.match(st.stdout, /Scheduler Host Filter RamFilter could not be found\./);

  h.fs.writeFile('/etc/nova/nova.conf', conf.replace(FILTERS_LINE, 'enabled_filters=ComputeFilter,ComputeCapabilitiesFilter,ImagePropertiesFilter,ServerGroupAntiAffinityFilter,ServerGroupAffinityFilter,PciPassthroughFilter'));
  const ok = await h.run('systemctl', ['restart', 'openstack-nova-scheduler']);
  assert.deepEqual(ok, { stdout: '', stderr: '', exitCode: 0 });
  assert.equal((await h.run('systemctl', ['is-active', 'openstack-nova-scheduler'])).stdout, 'active\n');
  const show = await h.run('systemctl', ['show', '-p', 'ActiveState,SubState', '--value', 'openstack-nova-scheduler']);
  assert.equal(show.stdout, 'active\nrunning\n');
});

test('AvailabilityZoneFilter is fine on 2023.1 and fatal on 2023.2', async () => {
  const line = 'enabled_filters=AvailabilityZoneFilter,ComputeFilter';
  const h = makeHost('ctl1');
  h.fs.writeFile('/etc/nova/nova.conf', (h.fs.readFile('/etc/nova/nova.conf') ?? '').replace(FILTERS_LINE, line));
  assert.equal((await h.run('systemctl', ['restart', 'openstack-nova-scheduler'])).exitCode, 1);
  const old = makeHost({ ...makeHost('ctl1').spec, nova: { release: '2023.1', enabledFilters: line.slice('enabled_filters='.length) } });
  assert.equal((await old.run('systemctl', ['is-active', 'openstack-nova-scheduler'])).stdout, 'active\n');
});

test('an alias with the same name but another device_type stops nova-api', async () => {
  const h = makeHost('ctl1');
  const conf = (h.fs.readFile('/etc/nova/nova.conf') ?? '').replace(
    /^#alias =$/m,
    '#alias =\nalias = {"name":"nv2080","vendor_id":"10de","product_id":"1e04","device_type":"type-PCI"}\nalias = {"name":"nv2080","vendor_id":"10de","product_id":"10f7","device_type":"type-PF"}',
  );
  h.fs.writeFile('/etc/nova/nova.conf', conf);
  const r = await h.run('systemctl', ['restart', 'openstack-nova-api', 'openstack-nova-scheduler']);
  assert.equal(r.exitCode, 1);
  assert.match(r.stderr, /^Job for openstack-nova-api\.service failed/);
  const j = await h.run('journalctl', ['-u', 'openstack-nova-api.service', '--no-pager']);
  assert.match(j.stdout, /Unhandled error: nova\.exception\.PciInvalidAlias: Invalid PCI alias definition: Device type mismatch for alias 'nv2080'\n/);
});

test('invalid JSON in passthrough_whitelist stops nova-compute with the Yoga exception', async () => {
  const h = makeHost('el7-bios');
  const conf = h.fs.readFile('/etc/nova/nova.conf') ?? '';
  assert.match(conf, /^passthrough_whitelist = \{ "vendor_id": "10de", "product_id": "1e04" \}$/m);
  h.fs.writeFile('/etc/nova/nova.conf', conf.replace(/^passthrough_whitelist = .*$/m, 'passthrough_whitelist = [{ "vendor_id": "10de", "product_id": "1e04" },'));
  const r = await h.run('systemctl', ['restart', 'openstack-nova-compute']);
  assert.equal(r.exitCode, 1);
  // EL7's systemd 219 points at plain journalctl -xe
  assert.match(r.stderr, /and "journalctl -xe" for details\.\n$/);
  const j = await h.run('journalctl', ['-u', 'openstack-nova-compute', '--no-pager']);
  assert.match(j.stdout, /nova\.exception\.PciConfigInvalidWhitelist: Invalid PCI devices Whitelist config: Invalid entry: '\[\{ "vendor_id": "10de", "product_id": "1e04" \},'\n/);
});

test('on Ubuntu a Type=simple nova-compute "restarts" fine and is failed right after', async () => {
  const h = makeHost('ubuntu');
  const conf = h.fs.readFile('/etc/nova/nova.conf') ?? '';
  h.fs.writeFile('/etc/nova/nova.conf', `${conf}\n[pci]\ndevice_spec = {"vendor_id": "10de", "product_id": "20f1", "address": "0000:zz:00.0"}\n`);
  const r = await h.run('systemctl', ['restart', 'nova-compute']);
  assert.equal(r.exitCode, 0);
  assert.equal((await h.run('systemctl', ['is-active', 'nova-compute'])).stdout, 'failed\n');
  const j = await h.run('journalctl', ['-u', 'nova-compute', '-n', '50']);
  assert.match(j.stdout, /nova\.exception\.PciConfigInvalidSpec: Invalid \[pci\]device_spec config: property bus \('zz'\) does not parse as a hex number\./);
});

test('the Ubuntu compute reads nova-compute.conf too: a bad alias there fails nova-compute', async () => {
  const h = makeHost('ubuntu');
  h.fs.writeFile('/etc/nova/nova-compute.conf', `${h.fs.readFile('/etc/nova/nova-compute.conf') ?? ''}[pci]\nalias = [{"name": "a100"}]\n`);
  await h.run('systemctl', ['restart', 'nova-compute']);
  const j = await h.run('journalctl', ['-u', 'nova-compute']);
  assert.match(j.stdout, /Invalid PCI alias definition: \[\{'name': 'a100'\}\] is not of type 'object'/);
});

test('a config file oslo.config cannot parse stops any nova service', async () => {
  const h = makeHost('ctl1');
  h.fs.writeFile('/etc/nova/nova.conf', `${h.fs.readFile('/etc/nova/nova.conf') ?? ''}\nPciPassthroughFilter\n`);
  assert.equal((await h.run('systemctl', ['restart', 'openstack-nova-conductor'])).exitCode, 1);
  const j = await h.run('journalctl', ['-u', 'openstack-nova-conductor']);
  assert.match(j.stdout, /oslo_config\.cfg\.ConfigFileParseError: Failed to parse \/etc\/nova\/nova\.conf: at \/etc\/nova\/nova\.conf:\d+, No ':' or '=' found in assignment: 'PciPassthroughFilter'\n/);
});

test('systemctl: unknown units, non-root callers and unknown verbs get systemd\'s answers', async () => {
  const h = makeHost('ubuntu');
  const nf = await h.run('systemctl', ['restart', 'foo']);
  assert.deepEqual(nf, { stdout: '', stderr: 'Failed to restart foo.service: Unit foo.service not found.\n', exitCode: 5 });
  const st = await h.run('systemctl', ['status', 'foo.service']);
  assert.equal(st.exitCode, 4);
  assert.equal(st.stderr, 'Unit foo.service could not be found.\n');
  assert.equal((await h.run('systemctl', ['is-active', 'foo'])).stdout, 'inactive\n');
  const en = await h.run('systemctl', ['is-enabled', 'foo']);
  assert.equal(en.stderr, 'Failed to get unit file state for foo.service: No such file or directory\n');
  const nr = await h.run('systemctl', ['restart', 'nova-compute'], USER_OPS);
  assert.equal(nr.exitCode, 1);
  assert.equal(nr.stderr, "Failed to restart nova-compute.service: Interactive authentication required.\nSee system logs and 'systemctl status nova-compute.service' for details.\n");
  assert.equal((await h.run('systemctl', ['frobnicate'])).stderr, "Unknown command verb 'frobnicate'.\n");
  assert.equal((await h.run('systemctl', ['--bogus'])).stderr, "systemctl: unrecognized option '--bogus'\n");
  const old = makeHost('el7-bios');
  assert.equal((await old.run('systemctl', ['restart', 'nova-compute'])).stderr, 'Failed to restart nova-compute.service: Unit not found.\n');
});

test('systemctl list-unit-files shows the family\'s nova unit names', async () => {
  const el = makeHost('ctl1');
  const r = await el.run('systemctl', ['list-unit-files', '--type=service', '--no-legend', '--no-pager', 'openstack-nova-*']);
  assert.equal(
    r.stdout,
    [
      'openstack-nova-api.service        enabled  disabled',
      'openstack-nova-conductor.service  enabled  disabled',
      'openstack-nova-novncproxy.service enabled  disabled',
      'openstack-nova-scheduler.service  enabled  disabled',
      '',
    ].join('\n'),
  );
  const deb = makeHost('ubuntu');
  const d = await deb.run('systemctl', ['list-unit-files', '--no-legend', 'nova-*']);
  assert.equal(d.stdout, 'nova-compute.service enabled  enabled\n');
  assert.ok(deb.fs.exists('/lib/systemd/system/nova-compute.service'));
});

test('journalctl as a non-root user shows no system messages', async () => {
  const h = makeHost('ctl1');
  const r = await h.run('journalctl', ['-u', 'openstack-nova-scheduler'], USER_OPS);
  assert.equal(r.stdout, '-- No entries --\n');
  assert.match(r.stderr, /^Hint: You are currently not seeing messages from other users and the system\./);
});

test('systemctl show: ActiveEnterTimestamp per unit as systemd prints it, µs with --timestamp=us+utc (248+), new at every start, kept after a stop', async () => {
  const h = makeHost('ubuntu');
  const unit = 'nova-compute.service';
  const show = async (...extra: string[]): Promise<string> => (await h.run('systemctl', ['show', ...extra, '-p', 'ActiveEnterTimestamp', '--value', unit])).stdout.trim();
  const booted = await show('--timestamp=us+utc');
  assert.match(booted, /^(Sun|Mon|Tue|Wed|Thu|Fri|Sat) \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6} UTC$/);
  assert.match(await show(), /^\w{3} \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/, 'without --timestamp: whole seconds');
  await new Promise((r) => setTimeout(r, 15));
  assert.equal((await h.run('systemctl', ['restart', unit])).exitCode, 0);
  const restarted = await show('--timestamp=us+utc');
  assert.ok(restarted > booted, `${restarted} after ${booted}`);
  // another unit keeps its own time
  assert.equal((await h.run('systemctl', ['show', '--timestamp=us+utc', '-p', 'ActiveEnterTimestamp', '--value', 'ssh.service'])).stdout.trim() <= booted, true);
  await h.run('systemctl', ['stop', unit]);
  assert.equal(await show('--timestamp=us+utc'), restarted, 'systemd keeps ActiveEnterTimestamp of a stopped unit');
  await new Promise((r) => setTimeout(r, 15));
  h.reboot();
  assert.ok((await show('--timestamp=us+utc')) > restarted, 'the reboot started it again');
});

test('systemctl before 248 does not know --timestamp: an unknown option, and whole seconds', async () => {
  const h = makeHost('el7-bios');
  const r = await h.run('systemctl', ['show', '--timestamp=us+utc', '-p', 'ActiveEnterTimestamp', 'openstack-nova-compute.service']);
  assert.equal(r.exitCode, 1);
  assert.match(r.stderr, /unrecognized option '--timestamp=us\+utc'/);
  const plain = await h.run('systemctl', ['show', '-p', 'Id', '-p', 'ActiveState', '-p', 'ActiveEnterTimestamp', 'openstack-nova-compute.service']);
  assert.match(plain.stdout, /^Id=openstack-nova-compute\.service\nActiveState=active\nActiveEnterTimestamp=\w{3} \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\n$/);
});
