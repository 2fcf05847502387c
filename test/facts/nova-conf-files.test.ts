import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Bash } from 'just-bash';
import { novaConfFiles } from '../../src/facts/nova-conf-files.ts';

test('which nova config files exist, in reading order', async () => {
  const bash = new Bash({ files: { '/etc/nova/nova.conf': '', '/etc/nova/nova-compute.conf': '', '/etc/kolla/nova-compute/nova.conf': '' } });
  const r = await bash.exec(novaConfFiles.script);
  assert.deepEqual(novaConfFiles.parse(r.stdout, r.exitCode), {
    novaConf: true,
    novaComputeConf: true,
    kolla: ['/etc/kolla/nova-compute/nova.conf'],
    files: ['/etc/nova/nova.conf', '/etc/nova/nova-compute.conf', '/etc/kolla/nova-compute/nova.conf'],
  });
  const none = await new Bash().exec(novaConfFiles.script);
  assert.equal(none.exitCode, 0);
  assert.deepEqual(novaConfFiles.parse(none.stdout, none.exitCode).files, []);
});
