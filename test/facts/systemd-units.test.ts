import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { standaloneScript } from '../../src/facts/gather.ts';
import { systemdUnits } from '../../src/facts/systemd-units.ts';

const fx = (p: string): string => readFileSync(new URL(`../fixtures/facts/${p}`, import.meta.url), 'utf8');

test('units with their state, containers, apache nova sites', () => {
  const r = systemdUnits.parse(fx('systemd/rdo-packstack-controller.txt'), 0);
  assert.equal(r.units.length, 8);
  assert.deepEqual(r.units[1], { name: 'openstack-nova-api.service', state: 'disabled' });
  assert.deepEqual(r.apacheNovaConfs, ['/etc/httpd/conf.d/10-nova_api_wsgi.conf', '/etc/httpd/conf.d/10-nova_metadata_wsgi.conf']);
  assert.deepEqual(systemdUnits.parse(fx('systemd/kolla-compute.txt'), 0).containers.map((c) => `${c.engine}:${c.name}`), ['docker:nova_compute', 'docker:nova_libvirt', 'docker:nova_ssh']);
});

test('captured here: nothing nova-related; messages are not units', () => {
  assert.deepEqual(systemdUnits.parse(fx('real-debian12-vm/systemd_units.txt'), 0), { units: [], active: {}, containers: [], apacheNovaConfs: [] });
  assert.deepEqual(systemdUnits.parse(fx('systemd/no-systemd.txt'), 0).units, []);
  assert.throws(() => systemdUnits.parse('', 0), /no sections/);
});

// systemctl as it answers on an RDO compute (list-unit-files of systemd 252; show: one block per unit named, systemd's property order)
const FAKE_SYSTEMCTL = `systemctl() {
  case "$1" in
    list-unit-files) printf '%s\\n' 'openstack-nova-compute.service  enabled enabled' 'openstack-nova-novncproxy.service disabled disabled' 'httpd.service                    disabled disabled' ;;
    show) shift; for u in "$@"; do case "$u" in -*|Id|ActiveState|ActiveEnterTimestamp) continue ;; esac
      case "$u" in openstack-nova-compute.service) s=active ;; httpd.service) s=inactive ;; *) s=failed ;; esac
      printf 'Id=%s\\nActiveState=%s\\nActiveEnterTimestamp=\\n\\n' "$u" "$s"; done ;;
  esac
}
`;

test('every nova unit file with its state, from one systemctl show (dash)', () => {
  const r = spawnSync('sh', ['-c', FAKE_SYSTEMCTL + standaloneScript(systemdUnits)], { encoding: 'utf8' });
  assert.equal(r.status, 0);
  const got = systemdUnits.parse(r.stdout, 0);
  assert.deepEqual(got.units.map((u) => `${u.name} ${u.state}`), ['openstack-nova-compute.service enabled', 'openstack-nova-novncproxy.service disabled', 'httpd.service disabled']);
  assert.deepEqual(got.active, {
    'openstack-nova-compute.service': 'active',
    'openstack-nova-novncproxy.service': 'failed',
    'httpd.service': 'inactive',
  });
  // no systemctl at all: no units, no error
  const none = spawnSync('sh', ['-c', `systemctl() { return 127; }\n${standaloneScript(systemdUnits)}`], { encoding: 'utf8' });
  assert.deepEqual(systemdUnits.parse(none.stdout, none.status ?? 1).active, {});
});

test('the unit states as `systemctl is-active` printed them (one line per unit) still parse', () => {
  const r = systemdUnits.parse('@@units\nnova-compute.service enabled\n@@active\nnova-compute.service active\n@@containers\n@@wsgi\n', 0);
  assert.deepEqual(r.active, { 'nova-compute.service': 'active' });
});

test('kolla containers with their image, state and start (docker inspect; podman prints no leading /)', () => {
  const out = [
    '@@units',
    '@@containers',
    'docker nova_api quay.io/openstack.kolla/nova-api:2023.2-ubuntu-jammy running 2026-12-06T21:33:19.123456789Z',
    'docker nova_scheduler quay.io/openstack.kolla/nova-scheduler:2023.2-ubuntu-jammy restarting 2026-12-06T21:40:02.5Z',
    'podman nova_compute quay.io/openstack.kolla/nova-compute:2023.2-rocky-9 running 2026-12-06T21:33:20Z',
    '@@wsgi',
  ].join('\n');
  const r = systemdUnits.parse(out.replace('docker nova_api', 'docker /nova_api'), 0);
  assert.deepEqual(r.containers[0], { engine: 'docker', name: 'nova_api', image: 'quay.io/openstack.kolla/nova-api:2023.2-ubuntu-jammy', status: 'running', startedAt: '2026-12-06T21:33:19.123456789Z' });
  assert.equal(r.containers[1]?.status, 'restarting');
  assert.deepEqual(r.containers.map((c) => `${c.engine}:${c.name}`), ['docker:nova_api', 'docker:nova_scheduler', 'podman:nova_compute']);
});
