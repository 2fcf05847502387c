import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
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
  assert.deepEqual(systemdUnits.parse(fx('real-debian12-vm/systemd_units.txt'), 0), { units: [], containers: [], apacheNovaConfs: [] });
  assert.deepEqual(systemdUnits.parse(fx('systemd/no-systemd.txt'), 0).units, []);
  assert.throws(() => systemdUnits.parse('', 0), /no sections/);
});
