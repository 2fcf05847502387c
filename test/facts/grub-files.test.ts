import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { filesShell } from '@passthru/lab/embedded/files-shell.ts';
import { catFilesScript, grubDefault, parseCatFiles } from '../../src/facts/grub-files.ts';

const grub = (name: string): string => readFileSync(new URL(`../fixtures/boot/grub/${name}`, import.meta.url), 'utf8');

test('file contents come back byte for byte, with or without a final newline', async () => {
  const files = {
    '/etc/default/grub': grub('ubuntu-22.04.grub'),
    '/etc/default/grub.d/50-cloudimg-settings.cfg': grub('ubuntu-cloudimg-50-cloudimg-settings.cfg'),
    '/etc/default/grub.d/90-no-newline.cfg': 'GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX nomodeset"',
    '/etc/default/grub.d/README': 'not a cfg',
  };
  const r = await filesShell(files).exec(grubDefault.script);
  const v = grubDefault.parse(r.stdout, r.exitCode);
  assert.equal(v.main?.content, files['/etc/default/grub']);
  assert.deepEqual(v.dropins, [
    { path: '/etc/default/grub.d/50-cloudimg-settings.cfg', content: files['/etc/default/grub.d/50-cloudimg-settings.cfg'] },
    { path: '/etc/default/grub.d/90-no-newline.cfg', content: files['/etc/default/grub.d/90-no-newline.cfg'] },
  ]);
});

test('no /etc/default/grub (captured here: a VM booted without GRUB)', () => {
  const v = grubDefault.parse(readFileSync(new URL('../fixtures/facts/real-debian12-vm/grub_default.txt', import.meta.url), 'utf8'), 0);
  assert.deepEqual(v, { main: undefined, dropins: [], unreadable: [] });
});

test('the snippet under dash: missing files and unmatched globs are skipped; unreadable ones named', () => {
  const script = catFilesScript(['/etc/os-release', '/etc/no-such-file-here', '/etc/def*ult/no-match']);
  const r = spawnSync('/bin/sh', ['-c', script], { encoding: 'utf8' });
  const { files } = parseCatFiles(r.stdout);
  assert.deepEqual(files.map((f) => f.path), ['/etc/os-release']);
  assert.equal(files[0]!.content, readFileSync('/etc/os-release', 'utf8'));
  assert.deepEqual(parseCatFiles('@@passthru-unreadable /etc/default/grub\n').unreadable, ['/etc/default/grub']);
  assert.throws(() => parseCatFiles('@@passthru-file /etc/default/grub\nGRUB_TIMEOUT=5\n'), /truncated/);
});
