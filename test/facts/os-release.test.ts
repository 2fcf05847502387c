import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { osRelease } from '../../src/facts/os-release.ts';

const parse = (name: string) => osRelease.parse(readFileSync(new URL(`../fixtures/facts/os-release/${name}`, import.meta.url), 'utf8'), 0);

test('family and major from real os-release files', () => {
  const table: Array<[string, string, string, number | undefined]> = [
    ['debian-12', 'debian', 'debian', 12],
    ['ubuntu-22.04', 'ubuntu', 'debian', 22],
    ['ubuntu-24.04', 'ubuntu', 'debian', 24],
    ['centos-7', 'centos', 'el', 7],
    ['centos-stream-9', 'centos', 'el', 9],
    ['rocky-9', 'rocky', 'el', 9],
    ['rhel-8', 'rhel', 'el', 8],
    ['debian-sid', 'debian', 'debian', undefined],
  ];
  for (const [file, id, family, major] of table) {
    const r = parse(file);
    assert.deepEqual([r.id, r.family, r.major], [id, family, major], file);
  }
  assert.deepEqual(parse('rocky-9').idLike, ['rhel', 'centos', 'fedora']);
  assert.equal(parse('rocky-9').versionId, '9.3');
  assert.equal(parse('centos-7').prettyName, 'CentOS Linux 7 (Core)');
});

test('other distributions and a missing file', () => {
  assert.equal(osRelease.parse('ID=opensuse-leap\nID_LIKE="suse opensuse"\nVERSION_ID="15.5"\n', 0).family, 'other');
  assert.throws(() => osRelease.parse('cat: /usr/lib/os-release: No such file or directory\n', 1), /no \/etc\/os-release/);
});
