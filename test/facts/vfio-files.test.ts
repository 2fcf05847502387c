import assert from 'node:assert/strict';
import { test } from 'node:test';
import { filesShell } from '@passthru/lab/embedded/files-shell.ts';
import { INITRAMFS_MODULES, VFIO_DRACUT_CONF, VFIO_MODPROBE, vfioFiles } from '../../src/facts/vfio-files.ts';

test('the files vfio_pci edits, byte for byte; a missing one is absent, an unreadable one an error', async () => {
  const files = {
    [VFIO_MODPROBE]: 'options vfio-pci ids=10de:1e04\nsoftdep nouveau pre: vfio-pci\n',
    [INITRAMFS_MODULES]: '# List of modules\nvfio', // no final newline
  };
  const r = await filesShell(files).exec(vfioFiles.script);
  assert.deepEqual(vfioFiles.parse(r.stdout, r.exitCode), files);
  assert.equal(VFIO_DRACUT_CONF in vfioFiles.parse(r.stdout, r.exitCode), false);
  assert.throws(() => vfioFiles.parse(`@@passthru-unreadable ${VFIO_MODPROBE}\n`, 0), /cannot read \/etc\/modprobe.d\/passthru-vfio.conf/);
});
