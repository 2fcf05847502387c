import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  applyOverrides,
  containerVerdict,
  describeOverrides,
  kollaConfigDir,
  kollaNovaConf,
  kollaOverrides,
  mergeOverrides,
  parseDockerTime,
  parseInspect,
  releaseFromImage,
} from '../../src/nova/kolla.ts';

test('each container reads the file kolla renders for its service', () => {
  assert.equal(kollaConfigDir('nova_compute'), '/etc/kolla/nova-compute');
  assert.equal(kollaNovaConf('nova_scheduler'), '/etc/kolla/nova-scheduler/nova.conf');
});

test('the release from the image tag; none from a tag that names none', () => {
  assert.equal(releaseFromImage('quay.io/openstack.kolla/nova-compute:2023.2-ubuntu-jammy'), '2023.2');
  assert.equal(releaseFromImage('kolla/centos-source-nova-compute:zed'), 'zed');
  assert.equal(releaseFromImage('registry:5000/kolla/nova-api:yoga-rocky-9'), 'yoga');
  assert.equal(releaseFromImage('registry:5000/kolla/nova-api'), undefined, 'a registry port is not a tag');
  assert.equal(releaseFromImage('kolla/nova-api:latest'), undefined);
  assert.equal(releaseFromImage('kolla/nova-api:15.1.0'), undefined);
  assert.equal(releaseFromImage('kolla/nova-api@sha256:abcd'), undefined);
  assert.equal(releaseFromImage(undefined), undefined);
});

const inspectJson = (state: Record<string, unknown>, extra: Record<string, unknown> = {}): string =>
  JSON.stringify([{ Name: '/nova_compute', RestartCount: 0, State: state, Config: { Image: 'kolla/nova-compute:2024.1-ubuntu-jammy' }, ...extra }]);

test('docker inspect: up when running and healthy, waited for while starting, down when restarting or exited', () => {
  const running = parseInspect(inspectJson({ Status: 'running', Running: true, Restarting: false, ExitCode: 0, StartedAt: '2026-12-06T21:33:19.123456789Z', Health: { Status: 'healthy' } }));
  assert.deepEqual(running, { status: 'running', running: true, restarting: false, exitCode: 0, startedAt: '2026-12-06T21:33:19.123456789Z', health: 'healthy', restartCount: 0, image: 'kolla/nova-compute:2024.1-ubuntu-jammy' });
  assert.deepEqual(containerVerdict(running), { done: 'up' });
  assert.equal(containerVerdict(parseInspect(inspectJson({ Status: 'running', Running: true, Health: { Status: 'starting' } })))!.done, false);
  // docker's crash loop: Running stays true while it restarts
  const loop = containerVerdict(parseInspect(inspectJson({ Status: 'restarting', Running: true, Restarting: true, ExitCode: 1 }, { RestartCount: 3 })));
  assert.deepEqual(loop, { done: 'down', why: 'restarting (exit code 1, restart count 3)' });
  assert.deepEqual(containerVerdict(parseInspect(inspectJson({ Status: 'exited', Running: false, ExitCode: 1 }))), { done: 'down', why: 'exited (exit code 1)' });
  assert.equal(containerVerdict(parseInspect(inspectJson({ Status: 'running', Running: true, Health: { Status: 'unhealthy' } })))!.done, 'down');
  // podman names it Healthcheck
  assert.equal(parseInspect(JSON.stringify([{ State: { Status: 'running', Running: true, Healthcheck: { Status: 'healthy' } } }]))?.health, 'healthy');
  assert.deepEqual(containerVerdict(undefined), { done: 'down', why: 'no such container' });
  assert.equal(parseInspect('Error: No such object: nova_x'), undefined);
});

test('docker times to microseconds', () => {
  assert.equal(parseDockerTime('2026-12-06T21:33:19.123456789Z'), Date.UTC(2026, 11, 6, 21, 33, 19) * 1000 + 123456);
  assert.equal(parseDockerTime('2026-12-06T22:33:19.5+01:00'), Date.UTC(2026, 11, 6, 21, 33, 19) * 1000 + 500000);
  assert.equal(parseDockerTime('0001-01-01T00:00:00Z'), undefined, "docker's zero time: never started");
  assert.equal(parseDockerTime(undefined), undefined);
});

const ALIAS = '{"name":"nvidia-1e04-vga","vendor_id":"10de","product_id":"1e04","device_type":"type-PCI"}';
const SPEC = '{"vendor_id":"10de","product_id":"1e04"}';
const compute = `[DEFAULT]\nmy_ip = 10.0.0.5\n\n[pci]\nalias = ${ALIAS}\ndevice_spec = ${SPEC}\n`;
const scheduler = '[filter_scheduler]\nenabled_filters = ComputeFilter,PciPassthroughFilter\n';

test('overrides: aliases per service, filters for the scheduler, the device spec per host', () => {
  const key = { section: 'pci', key: 'device_spec' };
  assert.deepEqual(kollaOverrides('compute', 'gpu1', compute, key), [
    { file: 'nova/nova-compute.conf', section: 'pci', key: 'alias', values: [ALIAS] },
    { file: 'nova/gpu1/nova.conf', section: 'pci', key: 'device_spec', values: [SPEC] },
  ]);
  assert.deepEqual(kollaOverrides('scheduler', 'ctl', scheduler, key), [{ file: 'nova/nova-scheduler.conf', section: 'filter_scheduler', key: 'enabled_filters', values: ['ComputeFilter,PciPassthroughFilter'] }]);
  assert.deepEqual(kollaOverrides('api', 'ctl', `[pci]\nalias = ${ALIAS}\n`, key), [{ file: 'nova/nova-api.conf', section: 'pci', key: 'alias', values: [ALIAS] }]);
});

test('overrides of several hosts: one file each; a host that disagrees is named', () => {
  const key = { section: 'pci', key: 'device_spec' };
  const a = kollaOverrides('compute', 'gpu1', compute, key);
  const b = kollaOverrides('compute', 'gpu2', compute.replace('1e04"}', '1eb8"}'), key);
  const c = kollaOverrides('compute', 'gpu3', compute.replace(`alias = ${ALIAS}`, 'alias = {"name":"other"}'), key);
  const { files, conflicts } = mergeOverrides([{ host: 'gpu1', overrides: a }, { host: 'gpu2', overrides: b }, { host: 'gpu3', overrides: c }]);
  assert.deepEqual([...files.keys()], ['nova/nova-compute.conf', 'nova/gpu1/nova.conf', 'nova/gpu2/nova.conf', 'nova/gpu3/nova.conf']);
  assert.deepEqual(conflicts, ["nova/nova-compute.conf [pci] alias: gpu3 has other values than gpu1 (kept gpu1's)"]);
  assert.equal(describeOverrides(new Map([...files].slice(0, 2))), `/etc/kolla/config/nova/nova-compute.conf:\n  [pci]\n  alias = ${ALIAS}\n/etc/kolla/config/nova/gpu1/nova.conf:\n  [pci]\n  device_spec = ${SPEC}`);
});

test('an override file keeps its other lines; applying twice changes nothing', () => {
  const key = { section: 'pci', key: 'device_spec' };
  const existing = '# site overrides\n[DEFAULT]\ndebug = True\n\n[pci]\nalias = {"name":"old"}\n';
  const o = kollaOverrides('compute', 'gpu1', compute, key).filter((x) => x.file === 'nova/nova-compute.conf');
  const once = applyOverrides(existing, o);
  assert.equal(once, `# site overrides\n[DEFAULT]\ndebug = True\n\n[pci]\nalias = ${ALIAS}\n`);
  assert.equal(applyOverrides(once, o), once);
  assert.equal(applyOverrides('', kollaOverrides('scheduler', 'ctl', scheduler, key)), '[filter_scheduler]\nenabled_filters = ComputeFilter,PciPassthroughFilter\n');
});
