import assert from 'node:assert/strict';
import { test } from 'node:test';
import { filesShell } from '@passthru/lab/embedded/files-shell.ts';
import { novaConfText, parseNovaConfText } from '../../src/facts/nova-conf-text.ts';

test('the text of every nova config file, byte for byte, in reading order', async () => {
  const files = {
    '/etc/nova/nova.conf': '[DEFAULT]\ntransport_url = rabbit://nova:s3cret@ctl\n\n[pci]\nalias = {"name": "a"}\n',
    '/etc/nova/nova-compute.conf': '[libvirt]\nvirt_type = kvm', // no final newline
    '/etc/nova/nova.conf.d/10-empty.conf': '',
    '/etc/nova/nova.conf.d/README': 'not read by nova',
  };
  const bash = filesShell(files);
  const r = await bash.exec(novaConfText.script);
  const got = novaConfText.parse(r.stdout, r.exitCode);
  assert.deepEqual(Object.keys(got.files), ['/etc/nova/nova.conf', '/etc/nova/nova-compute.conf', '/etc/nova/nova.conf.d/10-empty.conf']);
  assert.equal(got.files['/etc/nova/nova.conf'], files['/etc/nova/nova.conf']);
  assert.equal(got.files['/etc/nova/nova-compute.conf'], files['/etc/nova/nova-compute.conf']);
  assert.equal(got.files['/etc/nova/nova.conf.d/10-empty.conf'], '');
  assert.deepEqual(got.unreadable, {});
});

test('no nova config: no files; output cut short: an error, not a truncated file', async () => {
  const none = await filesShell().exec(novaConfText.script);
  assert.equal(none.exitCode, 0);
  assert.deepEqual(novaConfText.parse(none.stdout, none.exitCode), { files: {}, unreadable: {} });
  assert.throws(() => parseNovaConfText('@@passthru-nova-file /etc/nova/nova.conf\n[DEFAULT]\ndebug = true\n'), /cut short/);
});
