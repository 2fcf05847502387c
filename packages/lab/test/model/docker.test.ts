// The lab's docker/podman stand-in on a kolla host: ps, inspect, restart,
// logs, exec answer as docker's do for kolla's nova containers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kollaCluster } from '../../src/specs.ts';
import { containerEtcNova } from '../../src/containers.ts';
import { parseExec, renderFormat } from '../../src/tools/docker.ts';
import { makeHost } from './helpers.ts';

const spec = (name: string) => kollaCluster().find((h) => h.name === name)!;

test('a kolla host: nova only in containers, each with its /etc/kolla/<service>/nova.conf', async () => {
  const h = makeHost(spec('kctl'));
  assert.equal(h.fs.readFile('/etc/nova/nova.conf'), undefined);
  assert.match(h.fs.readFile('/etc/kolla/nova-scheduler/nova.conf') ?? '', /^\[DEFAULT\]/);
  const ps = await h.run('docker', ['ps', '-a', '--format', '{{.Names}}\\t{{.Image}}\\t{{.State}}']);
  assert.equal(ps.stdout, [
    'nova_api\tquay.io/openstack.kolla/nova-api:2023.2-ubuntu-jammy\trunning',
    'nova_scheduler\tquay.io/openstack.kolla/nova-scheduler:2023.2-ubuntu-jammy\trunning',
    'nova_conductor\tquay.io/openstack.kolla/nova-conductor:2023.2-ubuntu-jammy\trunning',
    '',
  ].join('\n'));
  const units = await h.run('systemctl', ['list-unit-files', '--no-legend', 'nova*']);
  assert.equal(units.stdout, '', 'no nova unit on a kolla host');
  assert.equal((await h.run('podman', ['ps'])).exitCode, 127, 'the engine the host does not use is not there');
});

test('restart: the container runs on the file as it was at its start; a file nova refuses leaves it restarting', async () => {
  const h = makeHost(spec('kcmp1'));
  const file = '/etc/kolla/nova-compute/nova.conf';
  const good = h.fs.readFile(file) ?? '';
  h.fs.writeFile(file, `${good}\n[pci]\nalias = {"name": "gpu"\n`);
  assert.equal(h.fs.readFile(`${containerEtcNova('nova_compute')}/nova.conf`), good, 'an edit takes effect at the next start only');
  const r = await h.run('docker', ['restart', 'nova_compute']);
  assert.deepEqual([r.exitCode, r.stdout], [0, 'nova_compute\n'], 'docker restart returns once the process started');
  const st = JSON.parse((await h.run('docker', ['inspect', '--format', '{{json .State}}', 'nova_compute'])).stdout) as Record<string, unknown>;
  assert.deepEqual([st.Status, st.Running, st.Restarting, st.ExitCode], ['restarting', true, true, 1]);
  const logs = await h.run('docker', ['logs', '--tail', '3', 'nova_compute']);
  assert.match(logs.stderr, /nova\.exception\.PciInvalidAlias: Invalid PCI alias definition/);
  const ex = await h.run('docker', ['exec', 'nova_compute', 'true']);
  assert.equal(ex.exitCode, 1);
  assert.match(ex.stderr, /^Error response from daemon: Container [0-9a-f]{64} is restarting, wait until the container is running\n$/);
  h.fs.writeFile(file, good);
  await h.run('docker', ['restart', 'nova_compute']);
  assert.equal((await h.run('docker', ['inspect', '--format', '{{.State.Status}} {{.RestartCount}}', 'nova_compute'])).stdout, 'running 0\n');
  const missing = await h.run('docker', ['inspect', 'nova_api']);
  assert.deepEqual([missing.exitCode, missing.stderr], [1, 'Error: No such object: nova_api\n']);
});

test('podman: names without the leading slash, its own error words', async () => {
  const h = makeHost(spec('kcmp2'));
  assert.equal((await h.run('podman', ['inspect', '--format', '{{.Name}} {{.State.Status}}', 'nova_compute'])).stdout, 'nova_compute running\n');
  assert.equal((await h.run('podman', ['inspect', 'nova_api'])).stderr, 'Error: no such object: "nova_api"\n');
  assert.equal((await h.run('docker', ['ps'])).exitCode, 127);
});

test('--format and exec arguments', () => {
  assert.equal(renderFormat('{{.Name}} {{json .State}}', { Name: '/x', State: { A: 1 } }), '/x {"A":1}');
  assert.deepEqual(renderFormat('{{.Nope}}', {}), { error: 'template: :1: executing "" at <.Nope>: map has no entry for key "Nope"' });
  assert.deepEqual(parseExec(['-i', '-u', 'root', '-e', 'A=1', 'nova_compute', 'sh', '-c', 'echo -n hi']), { container: 'nova_compute', command: ['sh', '-c', 'echo -n hi'] });
});
