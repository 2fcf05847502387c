import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeHost, USER_OPS } from './helpers.ts';

test('dmesg as non-root fails where the distribution restricts it (Ubuntu, Debian)', async () => {
  const h = makeHost('ubuntu');
  const r = await h.run('dmesg', [], USER_OPS);
  assert.deepEqual(r, { stdout: '', stderr: 'dmesg: read kernel buffer failed: Operation not permitted\n', exitCode: 1 });
  const root = await h.run('dmesg');
  assert.equal(root.exitCode, 0);
  assert.match(root.stdout, /^\[    0\.000000\] Linux version 5\.15\.0-107-generic /);
  assert.match(root.stdout, /\] Command line: BOOT_IMAGE=\/boot\/vmlinuz-5\.15\.0-107-generic /);
});

test('dmesg as non-root works on EL (kernel.dmesg_restrict=0)', async () => {
  const h = makeHost('el7-bios');
  const r = await h.run('dmesg', [], USER_OPS);
  assert.equal(r.exitCode, 0);
  assert.match(r.stdout, /\] DMAR: Host address width 46\n/);
});

test('dmesg rejects unknown options in util-linux words', async () => {
  const h = makeHost('amd');
  const r = await h.run('dmesg', ['--frobnicate']);
  assert.deepEqual(r, { stdout: '', stderr: "dmesg: unrecognized option '--frobnicate'\nTry 'dmesg --help' for more information.\n", exitCode: 1 });
  const t = await h.run('dmesg', ['-t']);
  assert.match(t.stdout, /^Linux version /);
});
