import assert from 'node:assert/strict';
import { test } from 'node:test';
import { atLeast, novaMajor, releaseFromVersion } from '../../src/nova/release.ts';

test('nova versions map to releases (openstack/releases deliverables)', () => {
  const table: Array<[string, string]> = [
    ['20.6.1', 'train'],
    ['22.4.0', 'victoria'],
    ['24.2.1', 'xena'],
    ['25.2.1', 'yoga'],
    ['26.2.2', 'zed'],
    ['2:26.2.2-1~deb12u5', 'zed'],
    ['3:27.1.0-0ubuntu1', '2023.1'],
    ['28.0.1', '2023.2'],
    ['29.2.0', '2024.1'],
    ['30.0.0', '2024.2'],
    ['31.0.0', '2025.1'],
    ['32.1.0', '2025.2'],
    ['33.0.0.0rc1', '2026.1'],
    ['nova-29.0.1.dev12', '2024.1'],
  ];
  for (const [v, r] of table) assert.equal(releaseFromVersion(v), r, v);
  assert.throws(() => releaseFromVersion('19.0.0'), /older than Train/);
  assert.throws(() => releaseFromVersion('banana'), /not a nova version/);
});

test('release order', () => {
  assert.equal(novaMajor('zed'), 26);
  assert.equal(novaMajor('2024.1'), 29);
  assert.ok(atLeast('2023.1', 'zed'));
  assert.ok(!atLeast('yoga', 'zed'));
  for (let m = 20; m <= 40; m++) assert.equal(novaMajor(releaseFromVersion(`${m}.0.0`)), m);
});
