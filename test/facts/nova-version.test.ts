import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { NOVA_VERSION_SCRIPT, novaVersion } from '../../src/facts/nova-version.ts';

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

/** Run the snippet over a tree of nova metadata dirs under a temp root, rpm and dpkg-query logging their calls. */
function probe(dirs: string[]): { out: string; pmCalls: number } {
  const root = mkdtempSync(join(tmpdir(), 'passthru-nova-version-'));
  try {
    for (const d of dirs) mkdirSync(join(root, d), { recursive: true });
    const log = join(root, 'calls');
    writeFileSync(log, '');
    const fakes = `rpm() { echo rpm >> "${log}"; printf 'rpm python3-nova 25.2.1-1.el7\\n'; }\ndpkg_query() { echo dpkg >> "${log}"; }\n`;
    const script = NOVA_VERSION_SCRIPT.replaceAll(' /usr/', ` ${root}/usr/`).replace('command -v dpkg-query', 'false');
    const r = spawnSync('sh', ['-c', fakes + script], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return { out: r.stdout, pmCalls: readFileSync(log, 'utf8').split('\n').filter(Boolean).length };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

test('metadata dirs that agree on the version: the package manager is not asked, same answer', () => {
  const r = probe(['usr/lib/python3.6/site-packages/nova-25.2.1-py3.6.egg-info', 'usr/lib/python3/dist-packages/nova-25.2.1.egg-info']);
  assert.equal(r.pmCalls, 0);
  const v = novaVersion.parse(r.out, 0);
  assert.equal(v.version, '25.2.1');
  assert.match(v.source ?? '', /python3\.6\/site-packages\/nova-25\.2\.1-py3\.6\.egg-info$/);
  assert.equal(probe(['usr/lib/python3.9/site-packages/nova-29.0.1.dist-info']).pmCalls, 0);
});

test('metadata dirs of two versions, or none: the package manager tells', () => {
  const two = probe(['usr/lib/python3.6/site-packages/nova-25.2.1-py3.6.egg-info', 'usr/lib/python3/dist-packages/nova-27.1.0.egg-info']);
  assert.equal(two.pmCalls, 1);
  assert.equal(novaVersion.parse(two.out, 0).version, '25.2.1');
  const none = probe([]);
  assert.equal(none.pmCalls, 1);
  assert.equal(novaVersion.parse(none.out, 0).source, 'rpm python3-nova-25.2.1-1.el7');
});
