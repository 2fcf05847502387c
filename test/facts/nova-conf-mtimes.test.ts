import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { novaConfMtimes, parseStatTime } from '../../src/facts/nova-conf-mtimes.ts';

test('GNU stat %y: nanoseconds and the offset it prints', () => {
  assert.equal(parseStatTime('2026-12-06 21:33:19.312345678 +0000'), Date.UTC(2026, 11, 6, 21, 33, 19) * 1000 + 312345);
  assert.equal(parseStatTime('2026-12-06 22:33:19.312345678 +0100'), Date.UTC(2026, 11, 6, 21, 33, 19) * 1000 + 312345);
  assert.equal(parseStatTime('2026-12-06 21:33:19 +0000'), Date.UTC(2026, 11, 6, 21, 33, 19) * 1000);
  assert.equal(parseStatTime('garbage'), undefined);
});

test('the probe on real files (dash, GNU stat): every nova config file with its mtime', () => {
  const dir = mkdtempSync(join(tmpdir(), 'passthru-mtimes-'));
  try {
    const conf = join(dir, 'nova.conf');
    writeFileSync(conf, '[DEFAULT]\n');
    const when = new Date(Date.UTC(2026, 11, 6, 21, 33, 19, 250));
    utimesSync(conf, when, when);
    // the same snippet, pointed at the scratch directory instead of /etc/nova
    const script = novaConfMtimes.script.replaceAll('/etc/nova', dir);
    const r = spawnSync('sh', ['-c', script], { encoding: 'utf8', env: { ...process.env, TZ: 'Europe/Paris' } });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(novaConfMtimes.parse(r.stdout, 0).files, { [conf]: when.getTime() * 1000 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
