import assert from 'node:assert/strict';
import { test } from 'node:test';
import { filesShell } from '@passthru/lab/embedded/files-shell.ts';
import { novaConfFiles } from '../../src/facts/nova-conf-files.ts';

test('which nova config files exist, in reading order', async () => {
  const bash = filesShell({ '/etc/nova/nova.conf': '', '/etc/nova/nova-compute.conf': '', '/etc/kolla/nova-compute/nova.conf': '' });
  const r = await bash.exec(novaConfFiles.script);
  assert.deepEqual(novaConfFiles.parse(r.stdout, r.exitCode), {
    novaConf: true,
    novaComputeConf: true,
    kolla: ['/etc/kolla/nova-compute/nova.conf'],
    files: ['/etc/nova/nova.conf', '/etc/nova/nova-compute.conf', '/etc/kolla/nova-compute/nova.conf'],
  });
  // oslo.config's default config dir, read after the --config-file files, in name order
  const withDir = filesShell({ '/etc/nova/nova.conf': '', '/etc/nova/nova.conf.d/50-gpu.conf': '', '/etc/nova/nova.conf.d/10-local.conf': '', '/etc/nova/nova.conf.d/README': '' });
  const d = await withDir.exec(novaConfFiles.script);
  assert.deepEqual(novaConfFiles.parse(d.stdout, d.exitCode).files, ['/etc/nova/nova.conf', '/etc/nova/nova.conf.d/10-local.conf', '/etc/nova/nova.conf.d/50-gpu.conf']);
  const none = await filesShell().exec(novaConfFiles.script);
  assert.equal(none.exitCode, 0);
  assert.deepEqual(novaConfFiles.parse(none.stdout, none.exitCode).files, []);
});
