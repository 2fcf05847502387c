import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeHost, type TestHost } from './helpers.ts';

function openrcEnv(h: TestHost): Record<string, string> {
  const env: Record<string, string> = { USER: 'root' };
  const text = h.fs.readFile('/root/keystonerc_admin') ?? h.fs.readFile('/root/admin-openrc') ?? '';
  for (const m of text.matchAll(/^\s*export (OS_[A-Z_]+)=(.*)$/gm)) env[m[1] as string] = (m[2] as string).replace(/^'(.*)'$/, '$1');
  return env;
}

test('openstack without credentials fails as the real CLI does', async () => {
  const h = makeHost('ctl1');
  const r = await h.run('openstack', ['flavor', 'list']);
  assert.deepEqual(r, { stdout: '', stderr: 'Missing value auth-url required for auth plugin password\n', exitCode: 1 });
  const env = openrcEnv(h);
  const noPw = { ...env };
  delete noPw.OS_PASSWORD;
  const p = await h.run('openstack', ['flavor', 'list'], noPw);
  assert.equal(p.stderr, 'No password entered, or found via --os-password or OS_PASSWORD\n');
  const bad = await h.run('openstack', ['flavor', 'list'], { ...env, OS_PASSWORD: 'wrong' });
  assert.equal(bad.exitCode, 1);
  assert.match(bad.stderr, /^The request you have made requires authentication\. \(HTTP 401\) \(Request-ID: req-[0-9a-f-]{36}\)\n$/);
});

test('the controller has an openrc with the admin password, root-only', () => {
  const el = makeHost('ctl1');
  assert.match(el.fs.readFile('/root/keystonerc_admin') ?? '', /^    export OS_PASSWORD='labAdminPw-8Zq4VxKe'$/m);
  assert.deepEqual(el.fs.stat('/root/keystonerc_admin'), { mode: 0o600, owner: 'root', group: 'root', isDirectory: false });
  assert.equal(el.fs.exists('/root/keystonerc_admin'), true);
  assert.equal(makeHost('el7-bios').fs.exists('/root/keystonerc_admin'), false);
});

test('flavor create, set --property, show -f json', async () => {
  const h = makeHost('ctl1');
  const env = openrcEnv(h);
  const c = await h.run('openstack', ['flavor', 'create', '--public', '--ram', '2048', '--disk', '20', '--vcpus', '2', 'gpu.2080', '-f', 'json'], env);
  assert.equal(c.exitCode, 0, c.stderr);
  const created = JSON.parse(c.stdout) as Record<string, unknown>;
  assert.equal(created.name, 'gpu.2080');
  assert.equal(created.ram, 2048);
  assert.deepEqual(created.properties, {});
  const s = await h.run('openstack', ['flavor', 'set', 'gpu.2080', '--property', 'pci_passthrough:alias=nv2080vga:1,nv2080aud:1'], env);
  assert.deepEqual(s, { stdout: '', stderr: '', exitCode: 0 });
  const show = await h.run('openstack', ['flavor', 'show', 'gpu.2080', '-f', 'json'], env);
  const f = JSON.parse(show.stdout) as Record<string, unknown>;
  assert.deepEqual(f.properties, { 'pci_passthrough:alias': 'nv2080vga:1,nv2080aud:1' });
  assert.match(show.stdout, /^  "rxtx_factor": 1\.0,$/m);
  assert.deepEqual(Object.keys(f), ['OS-FLV-DISABLED:disabled', 'OS-FLV-EXT-DATA:ephemeral', 'access_project_ids', 'description', 'disk', 'id', 'name', 'os-flavor-access:is_public', 'properties', 'ram', 'rxtx_factor', 'swap', 'vcpus']);
  const dup = await h.run('openstack', ['flavor', 'create', '--ram', '1', 'gpu.2080'], env);
  assert.equal(dup.exitCode, 1);
  assert.match(dup.stderr, /Flavor with name gpu\.2080 already exists\./);
  const missing = await h.run('openstack', ['flavor', 'show', 'nope', '-f', 'json'], env);
  assert.deepEqual(missing, { stdout: '', stderr: 'No Flavor found for nope\n', exitCode: 1 });
  const list = JSON.parse((await h.run('openstack', ['flavor', 'list', '-f', 'json'], env)).stdout) as Array<Record<string, unknown>>;
  assert.deepEqual(Object.keys(list[0] ?? {}), ['ID', 'Name', 'RAM', 'Disk', 'Ephemeral', 'VCPUs', 'Is Public']);
  assert.ok(list.some((x) => x.Name === 'gpu.2080'));
});

test('image set --property img_hide_hypervisor_id=true', async () => {
  const h = makeHost('ctl1');
  const env = openrcEnv(h);
  const r = await h.run('openstack', ['image', 'set', 'ubuntu-22.04-server-cloudimg-amd64', '--property', 'img_hide_hypervisor_id=true'], env);
  assert.equal(r.exitCode, 0, r.stderr);
  const show = JSON.parse((await h.run('openstack', ['image', 'show', 'ubuntu-22.04-server-cloudimg-amd64', '-f', 'json'], env)).stdout) as { properties: Record<string, unknown>; id: string };
  assert.equal(show.properties.img_hide_hypervisor_id, 'true');
  const byId = await h.run('openstack', ['image', 'show', show.id, '-c', 'name', '-f', 'value'], env);
  assert.equal(byId.stdout, 'ubuntu-22.04-server-cloudimg-amd64\n');
  assert.equal((await h.run('openstack', ['image', 'show', 'nope'], env)).stderr, 'No Image found for nope\n');
});

test('flavor calls fail while nova-api is down', async () => {
  const h = makeHost('ctl1');
  const env = openrcEnv(h);
  await h.run('systemctl', ['stop', 'openstack-nova-api']);
  const r = await h.run('openstack', ['flavor', 'list'], env);
  assert.equal(r.exitCode, 1);
  assert.match(r.stderr, /^Unable to establish connection to http:\/\/ctl1:8774\/v2\.1\/flavors: /);
});

test('openstack exists only on the controller; an unknown command is refused', async () => {
  assert.equal((await makeHost('el7-bios').run('openstack', ['flavor', 'list'])).exitCode, 127);
  const h = makeHost('ctl1');
  const r = await h.run('openstack', ['flavour', 'list'], openrcEnv(h));
  assert.equal(r.exitCode, 2);
  assert.equal(r.stderr, "openstack: 'flavour list' is not an openstack command. See 'openstack --help'.\n");
});
