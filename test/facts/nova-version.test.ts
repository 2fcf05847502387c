import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { novaVersion } from '../../src/facts/nova-version.ts';

const fx = (name: string): string => readFileSync(new URL(`../fixtures/facts/nova-version/${name}`, import.meta.url), 'utf8');

test('nova version by metadata dir, confirmed by the package manager', () => {
  const deb = novaVersion.parse(fx('debian-12-python3-nova.txt'), 0);
  assert.deepEqual([deb.version, deb.release, deb.source], ['26.2.2', 'zed', '/usr/lib/python3/dist-packages/nova-26.2.2.egg-info']);
  assert.deepEqual(deb.candidates.map((c) => c.version), ['26.2.2', '26.2.2']);
  const rdo = novaVersion.parse(fx('rdo-el9.txt'), 0);
  assert.deepEqual([rdo.version, rdo.release], ['26.2.1', 'zed']);
  const ubuntu = novaVersion.parse(fx('ubuntu-24.04.txt'), 0);
  assert.deepEqual([ubuntu.version, ubuntu.release], ['29.0.1', '2024.1']);
});

test('a stale egg-info next to the installed one: the one the package confirms wins', () => {
  const r = novaVersion.parse(fx('stale-egg-info.txt'), 0);
  assert.deepEqual([r.version, r.release], ['27.1.0', '2023.1']);
});

test('no nova on the host (kolla): no version, no error', () => {
  assert.deepEqual(novaVersion.parse(fx('kolla-host.txt'), 0), { candidates: [] });
  assert.equal(novaVersion.parse('rpm openstack-nova-common 26.2.1-1.el9s\n', 0).version, '26.2.1');
});
