import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseSystemdUnits } from '../../src/facts/systemd-units.ts';
import { NovaServiceError, UNIT_TABLE, detectUnits, novaFamily, restartArgv, servicesToRestart } from '../../src/nova/services.ts';

const units = (name: string) => parseSystemdUnits(readFileSync(new URL(`../fixtures/facts/systemd/${name}`, import.meta.url), 'utf8'));

test('RDO: openstack-nova-* units', () => {
  assert.deepEqual(detectUnits(units('rdo-controller.txt'), 'el', 'controller'), {
    api: { kind: 'systemd', unit: 'openstack-nova-api.service', service: 'api' },
    scheduler: { kind: 'systemd', unit: 'openstack-nova-scheduler.service', service: 'scheduler' },
  });
  assert.deepEqual(detectUnits(units('rdo-compute.txt'), 'el', 'compute'), {
    compute: { kind: 'systemd', unit: 'openstack-nova-compute.service', service: 'compute' },
  });
});

test('packstack: the API is served by httpd (openstack-nova-api disabled, nova wsgi site present)', () => {
  const r = detectUnits(units('rdo-packstack-controller.txt'), 'el', 'controller');
  assert.deepEqual(r.api, { kind: 'systemd', unit: 'httpd.service', service: 'api' });
  assert.equal(r.scheduler?.kind === 'systemd' && r.scheduler.unit, 'openstack-nova-scheduler.service');
});

test('Ubuntu: nova-api on 22.04, apache2 on 24.04', () => {
  assert.deepEqual(detectUnits(units('ubuntu-22.04-controller.txt'), 'debian', 'controller').api, { kind: 'systemd', unit: 'nova-api.service', service: 'api' });
  assert.deepEqual(detectUnits(units('ubuntu-24.04-controller.txt'), 'debian', 'controller').api, { kind: 'systemd', unit: 'apache2.service', service: 'api' });
  assert.deepEqual(detectUnits(units('ubuntu-compute.txt'), 'debian', ['compute']).compute, { kind: 'systemd', unit: 'nova-compute.service', service: 'compute' });
});

test('kolla: containers', () => {
  const inv = units('kolla-controller.txt');
  assert.equal(novaFamily('el', inv), 'kolla');
  assert.equal(novaFamily('debian', units('ubuntu-compute.txt')), 'debian');
  const r = detectUnits(inv, 'kolla', 'controller');
  assert.deepEqual(r.api, { kind: 'container', engine: 'docker', name: 'nova_api', service: 'api' });
  assert.deepEqual(restartArgv(r.api!), ['docker', 'restart', 'nova_api']);
  assert.deepEqual(restartArgv(detectUnits(units('kolla-compute.txt'), 'kolla', 'compute').compute!), ['docker', 'restart', 'nova_compute']);
});

test('never guesses: missing or ambiguous units are an error listing what was found', () => {
  assert.throws(
    () => detectUnits(units('rdo-compute.txt'), 'el', 'controller'),
    (e: unknown) => e instanceof NovaServiceError && /no openstack-nova-api.service/.test(e.message) && /found: openstack-nova-compute.service \(enabled\)/.test(e.message),
  );
  const both = { ...units('rdo-controller.txt'), apacheNovaConfs: ['/etc/httpd/conf.d/10-nova_api_wsgi.conf'] };
  assert.throws(() => detectUnits(both, 'el', 'controller'), /may be openstack-nova-api.service or httpd.service/);
  assert.throws(() => detectUnits(units('no-systemd.txt'), 'debian', 'compute'), /found: nothing/);
  // a plain list of names works too
  assert.deepEqual(detectUnits(['nova-compute.service'], 'debian', 'compute').compute, { kind: 'systemd', unit: 'nova-compute.service', service: 'compute' });
  assert.deepEqual(detectUnits(['podman:nova_compute'], 'kolla', 'compute').compute, { kind: 'container', engine: 'podman', name: 'nova_compute', service: 'compute' });
});

test('restart only what reads the changed options', () => {
  assert.deepEqual(servicesToRestart(['alias'], 'controller'), ['api']);
  assert.deepEqual(servicesToRestart(['alias', 'filters'], 'controller'), ['api', 'scheduler']);
  assert.deepEqual(servicesToRestart(['device_spec'], 'controller'), []);
  assert.deepEqual(servicesToRestart(['alias'], 'compute'), ['compute']);
  assert.deepEqual(servicesToRestart(['filters'], 'compute'), []);
  assert.deepEqual(servicesToRestart([], 'compute'), []);
  assert.deepEqual(servicesToRestart(['device_spec', 'filters'], ['controller', 'compute']), ['scheduler', 'compute']);
});

test('every unit row cites its source', () => {
  for (const r of UNIT_TABLE) assert.ok(r.source.length > 20);
});
