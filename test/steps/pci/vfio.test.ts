import assert from 'node:assert/strict';
import { test } from 'node:test';
import { driverModule, modprobeConf, withInitramfsModules } from '../../../src/steps/pci/vfio.ts';

test('modprobe.d: the ids and a softdep per holding driver, by module name', () => {
  const text = modprobeConf(['10de:10f7', '10de:1e04'], ['nouveau', 'snd_hda_intel', 'xhci_pci', 'i2c_nvidia_gpu']);
  assert.match(text, /^options vfio-pci ids=10de:10f7,10de:1e04$/m);
  assert.match(text, /^softdep i2c_nvidia_gpu pre: vfio-pci$/m);
  assert.equal(driverModule('xhci_hcd'), 'xhci_pci');
  assert.equal(driverModule('nvidia-gpu'), 'i2c_nvidia_gpu');
  assert.equal(driverModule('snd_hda_intel'), 'snd_hda_intel');
});

test('initramfs-tools/modules: the vfio modules added once, every other line kept', () => {
  const stock = '# List of modules that you want to include in your initramfs.\n# raid1\nbonding\n';
  const once = withInitramfsModules(stock);
  assert.ok(once.startsWith(stock));
  assert.match(once, /\nvfio\nvfio_iommu_type1\nvfio_pci\n$/);
  assert.equal(withInitramfsModules(once), once, 'idempotent');
  assert.equal(withInitramfsModules('vfio\nvfio-pci\nvfio_iommu_type1\n'), 'vfio\nvfio-pci\nvfio_iommu_type1\n', 'vfio-pci and vfio_pci are the same module');
  assert.match(withInitramfsModules('no-newline'), /^no-newline\n# added by passthru/);
});
