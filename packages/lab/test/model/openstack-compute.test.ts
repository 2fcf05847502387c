// The compute commands of the lab's openstack CLI: what a drain runs, with
// nova's behaviours that a drain must get right (microversions, asynchronous
// pre-checks, name lookups in the caller's project only, a disable that
// overwrites the reason, a reboot that kills what runs on the compute).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HostSpec, LabPeer, ToolResult } from '../../src/types.ts';
import { MemFs } from '../../src/memfs.ts';
import { installHost } from '../../src/rootfs.ts';
import { bootHost } from '../../src/boot.ts';
import { demoCluster } from '../../src/specs.ts';
import { runTool } from '../../src/tools/index.ts';

interface Cloud {
  run(args: string[]): Promise<ToolResult>;
  json<T>(args: string[]): Promise<T>;
  reboot(name: string): void;
}

function cloud(): Cloud {
  // the instances of this test on gpu-rtx, none elsewhere
  const specs: HostSpec[] = demoCluster().map((s) =>
    s.name === 'gpu-rtx'
      ? { ...s, instances: [{ name: 'web-1' }, { name: 'gpu-vm', pciDevice: true }, { name: 'pinned', locked: true }, { name: 'slow', migration: 'never' }, { name: 'off', status: 'SHUTOFF' }] }
      : { ...s, instances: [] },
  );
  const hosts = new Map<string, LabPeer>();
  for (const spec of specs) {
    const fs = new MemFs();
    installHost(fs, spec, specs);
    bootHost(fs, spec, `${spec.name}-boot-1`);
    hosts.set(spec.name, { spec, fs });
  }
  const ctl = hosts.get('controller') as LabPeer;
  const env: Record<string, string> = { USER: 'root' };
  for (const m of (ctl.fs.readFile('/root/admin-openrc') ?? '').matchAll(/^\s*export (OS_[A-Z_]+)=(.*)$/gm)) env[m[1] as string] = (m[2] as string).replace(/^'(.*)'$/, '$1');
  const run = (args: string[]): Promise<ToolResult> =>
    Promise.resolve(runTool('openstack', args, '', env, ctl.fs, { spec: ctl.spec, requestReboot() {}, peer: (n) => hosts.get(n) }));
  return {
    run,
    async json<T>(args: string[]): Promise<T> {
      const r = await run([...args, '-f', 'json']);
      assert.equal(r.exitCode, 0, `openstack ${args.join(' ')}: ${r.stderr}`);
      return JSON.parse(r.stdout) as T;
    },
    reboot(name) {
      const h = hosts.get(name) as LabPeer;
      bootHost(h.fs, h.spec, `${name}-boot-2`);
    },
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
type ServerRow = { ID: string; Name: string; Status: string };
type ServiceRow = { Host: string; Status: string; State: string; 'Disabled Reason': string | null };

test('server list needs --all-projects for the instances of other projects; --host filters', async () => {
  const c = cloud();
  assert.deepEqual(await c.json(['server', 'list']), []);
  const all = await c.json<ServerRow[]>(['server', 'list', '--all-projects', '--host', 'gpu-rtx']);
  assert.deepEqual(all.map((s) => s.Name).sort(), ['gpu-vm', 'off', 'pinned', 'slow', 'web-1']);
  assert.deepEqual(Object.keys(all[0] ?? {}), ['ID', 'Name', 'Status', 'Networks', 'Image', 'Flavor']);
  assert.deepEqual(await c.json(['server', 'list', '--all-projects', '--host', 'gpu-t4']), []);
  // a name is looked up in the caller's project only
  const byName = await c.run(['server', 'show', 'web-1']);
  assert.deepEqual(byName, { stdout: '', stderr: "No server with a name or ID of 'web-1' exists.\n", exitCode: 1 });
});

test('compute service set --disable overwrites the reason; --enable clears it', async () => {
  const c = cloud();
  const reason = async (): Promise<ServiceRow | undefined> => (await c.json<ServiceRow[]>(['compute', 'service', 'list', '--service', 'nova-compute', '--host', 'gpu-t4', '--long']))[0];
  assert.deepEqual({ ...(await reason()) }, { ...(await reason()), Status: 'enabled', State: 'up', 'Disabled Reason': null });
  assert.equal((await c.run(['compute', 'service', 'set', '--disable', '--disable-reason', 'RMA ticket 42', 'gpu-t4', 'nova-compute'])).exitCode, 0);
  assert.equal((await reason())?.['Disabled Reason'], 'RMA ticket 42');
  await c.run(['compute', 'service', 'set', '--disable', '--disable-reason', 'someone else', 'gpu-t4', 'nova-compute']);
  assert.equal((await reason())?.['Disabled Reason'], 'someone else');
  await c.run(['compute', 'service', 'set', '--enable', 'gpu-t4', 'nova-compute']);
  assert.deepEqual([(await reason())?.Status, (await reason())?.['Disabled Reason']], ['enabled', null]);
  const bad = await c.run(['compute', 'service', 'set', '--enable', '--disable-reason', 'x', 'gpu-t4', 'nova-compute']);
  assert.equal(bad.exitCode, 1);
});

test('live migration: refused at 2.1 on local disks, accepted from 2.25, completes; the scheduler avoids disabled computes', async () => {
  const c = cloud();
  const web = (await c.json<ServerRow[]>(['server', 'list', '--all-projects', '--host', 'gpu-rtx'])).find((s) => s.Name === 'web-1') as ServerRow;
  const old = await c.run(['server', 'migrate', '--live-migration', web.ID]);
  assert.equal(old.exitCode, 1);
  assert.match(old.stderr, /is not on shared storage.*\(HTTP 400\)/);
  for (const h of ['gpu-t4', 'gpu-a10']) await c.run(['compute', 'service', 'set', '--disable', h, 'nova-compute']);
  assert.equal((await c.run(['--os-compute-api-version', '2.34', 'server', 'migrate', '--live-migration', web.ID])).exitCode, 0);
  await sleep(800);
  const shown = await c.json<Record<string, unknown>>(['server', 'show', web.ID]);
  assert.equal(shown['OS-EXT-SRV-ATTR:host'], 'cpu-only');
  assert.equal(shown['status'], 'ACTIVE');
  const migs = await c.json<Array<Record<string, unknown>>>(['--os-compute-api-version', '2.34', 'server', 'migration', 'list', '--server', web.ID]);
  assert.deepEqual(
    migs.map((m) => [m['Status'], m['Source Compute'], m['Dest Compute'], m['Type']]),
    [['completed', 'gpu-rtx', 'cpu-only', 'live-migration']],
  );
});

test('from 2.34 a PCI instance is accepted and its migration ends in error; a locked one is refused; a stuck one stays running', async () => {
  const c = cloud();
  const on = await c.json<ServerRow[]>(['server', 'list', '--all-projects', '--host', 'gpu-rtx']);
  const id = (name: string): string => (on.find((s) => s.Name === name) as ServerRow).ID;
  const v = ['--os-compute-api-version', '2.34'];
  const old = await c.run(['server', 'migrate', '--live-migration', '--block-migration', id('gpu-vm')]);
  assert.match(old.stderr, /non-VIF related PCI requests.*\(HTTP 400\)/);
  assert.equal((await c.run([...v, 'server', 'migrate', '--live-migration', id('gpu-vm')])).exitCode, 0);
  assert.equal((await c.run([...v, 'server', 'migrate', '--live-migration', id('slow')])).exitCode, 0);
  const locked = await c.run([...v, 'server', 'migrate', '--live-migration', id('pinned')]);
  assert.match(locked.stderr, /is locked \(HTTP 409\)/);
  await sleep(800);
  const migs = await c.json<Array<Record<string, unknown>>>([...v, 'server', 'migration', 'list', '--host', 'gpu-rtx']);
  assert.deepEqual(migs.map((m) => [m['Server UUID'], m['Status']]).sort(), [[id('gpu-vm'), 'error'], [id('slow'), 'running']].sort());
  const still = await c.json<ServerRow[]>(['server', 'list', '--all-projects', '--host', 'gpu-rtx']);
  assert.equal(still.length, 5, 'nothing left the compute');
});

test('stop and start take a while; a reboot of the compute kills what runs there', async () => {
  const c = cloud();
  const on = await c.json<ServerRow[]>(['server', 'list', '--all-projects', '--host', 'gpu-rtx']);
  const web = (on.find((s) => s.Name === 'web-1') as ServerRow).ID;
  assert.equal((await c.run(['server', 'stop', web])).exitCode, 0);
  assert.equal((await c.json<Record<string, unknown>>(['server', 'show', web]))['OS-EXT-STS:task_state'], 'powering-off');
  await sleep(300);
  assert.equal((await c.json<Record<string, unknown>>(['server', 'show', web]))['status'], 'SHUTOFF');
  c.reboot('gpu-rtx');
  await c.run(['server', 'start', web]);
  await sleep(300);
  const after = await c.json<ServerRow[]>(['server', 'list', '--all-projects', '--host', 'gpu-rtx']);
  const status = Object.fromEntries(after.map((s) => [s.Name, s.Status]));
  // stopped before the reboot and started after it: running; the others were killed by the reboot
  assert.equal(status['web-1'], 'ACTIVE');
  assert.equal(status['pinned'], 'SHUTOFF');
  assert.equal(status['off'], 'SHUTOFF');
});
