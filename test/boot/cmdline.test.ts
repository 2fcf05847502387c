import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import { editKernelArgs, hasKernelArg, iommuKind, kernelWords, requiredKernelArgs, splitCmdline } from '../../src/boot/cmdline.ts';

const cmdline = (name: string): string => readFileSync(new URL(`../fixtures/facts/cmdline/${name}`, import.meta.url), 'utf8').trim();

test('splits like the kernel: quotes keep spaces, -- starts init arguments', () => {
  const w = splitCmdline('root=/dev/sda1 ro  dyndbg="file foo.c +p" quiet');
  assert.deepEqual(w.map((x) => x.text), ['root=/dev/sda1', 'ro', 'dyndbg="file foo.c +p"', 'quiet']);
  assert.equal(w[2]!.key, 'dyndbg');
  assert.equal(w[2]!.value, 'file foo.c +p');
  const real = cmdline('firecracker-vm.txt');
  const k = kernelWords(real).map((x) => x.text);
  assert.equal(k[k.length - 1], 'rdinit=/process_api');
  assert.ok(!k.includes('--firecracker-init'));
});

test('adds intel_iommu=on and iommu=pt to the seed CentOS 7 command line, keeping every word', () => {
  const before = cmdline('centos-7.txt');
  const { add, remove } = requiredKernelArgs('intel', { passthroughMode: true });
  const after = editKernelArgs(before, add, remove);
  assert.equal(after, `${before} intel_iommu=on iommu=pt`);
  assert.equal(editKernelArgs(after, add, remove), after, 'idempotent: the same string');
});

test('a conflicting value is replaced in place, never duplicated', () => {
  assert.equal(editKernelArgs('quiet intel_iommu=off splash', ['intel_iommu=on'], []), 'quiet intel_iommu=on splash');
  assert.equal(editKernelArgs('ro iommu=nopt quiet', ['iommu=pt'], []), 'ro iommu=pt quiet');
  // list parameters: only the conflicting option changes
  assert.equal(editKernelArgs('intel_iommu=off,igfx_off quiet', ['intel_iommu=on'], []), 'intel_iommu=on,igfx_off quiet');
  assert.equal(editKernelArgs('intel_iommu=igfx_off quiet', ['intel_iommu=on'], []), 'intel_iommu=on,igfx_off quiet');
  assert.equal(editKernelArgs('intel_iommu=on,sm_on', ['intel_iommu=on'], []), 'intel_iommu=on,sm_on');
  // several words of the same key collapse into one
  assert.equal(editKernelArgs('intel_iommu=off ro intel_iommu=on', ['intel_iommu=on'], []), 'intel_iommu=on ro');
  assert.equal(editKernelArgs('a=1 b a=2', ['a=3'], []), 'a=3 b');
  // a later word wins in the kernel: "off ... on" is already on, but left tidy
  assert.ok(hasKernelArg('intel_iommu=off intel_iommu=on', 'intel_iommu=on'));
  assert.ok(!hasKernelArg('intel_iommu=on intel_iommu=off', 'intel_iommu=on'));
});

test('removal by value, by option of a list parameter, and by bare key', () => {
  const { add, remove } = requiredKernelArgs('amd', { passthroughMode: false });
  assert.deepEqual(add, []);
  assert.equal(editKernelArgs('ro amd_iommu=off quiet iommu=off', add, remove), 'ro quiet');
  assert.equal(editKernelArgs('amd_iommu=fullflush,off ro', [], ['amd_iommu=off']), 'amd_iommu=fullflush ro');
  assert.equal(editKernelArgs('ro vfio-pci.ids=10de:1e04 quiet vfio-pci.ids=10de:10f7', [], ['vfio-pci.ids']), 'ro quiet');
  assert.equal(editKernelArgs('ro quiet', [], ['quiet']), 'ro');
});

test('AMD: iommu=pt only when asked, amd_iommu=on is never added', () => {
  const r = requiredKernelArgs('amd', { passthroughMode: true });
  assert.deepEqual(r.add, ['iommu=pt']);
  assert.ok(!r.add.some((a) => a.startsWith('amd_iommu')));
  assert.ok(r.remove.includes('amd_iommu=off'));
  const intel = requiredKernelArgs('intel', { passthroughMode: false });
  assert.deepEqual(intel.add, ['intel_iommu=on']);
  assert.ok(intel.remove.includes('intel_iommu=off') && intel.remove.includes('iommu=off'));
});

test('every argument that turns an IOMMU off goes, whichever IOMMU the host has', () => {
  for (const kind of ['intel', 'amd'] as const) {
    const { add, remove } = requiredKernelArgs(kind, { passthroughMode: false });
    const after = editKernelArgs('ro intel_iommu=off amd_iommu=off iommu=off quiet', add, remove);
    assert.equal(after, kind === 'intel' ? 'ro intel_iommu=on quiet' : 'ro quiet', kind);
  }
});

test("the IOMMU kind is the firmware's, the CPU vendor only when the tables do not say", () => {
  assert.equal(iommuKind('intel', 'amd'), 'intel');
  assert.equal(iommuKind('amd', 'intel'), 'amd');
  assert.equal(iommuKind('none', 'amd'), 'amd');
  assert.equal(iommuKind('unknown', 'intel'), 'intel');
  assert.equal(iommuKind('unknown', 'other'), undefined);
});

test('spacing, quoting and init arguments survive', () => {
  assert.equal(editKernelArgs('  ro   quiet  ', ['intel_iommu=on'], []), '  ro   quiet intel_iommu=on  ');
  assert.equal(editKernelArgs('ro dyndbg="file a.c +p" quiet', ['iommu=pt'], ['quiet']), 'ro dyndbg="file a.c +p" iommu=pt');
  assert.equal(editKernelArgs('console=ttyS0 -- --init-flag', ['intel_iommu=on'], []), 'console=ttyS0 intel_iommu=on -- --init-flag');
  assert.equal(editKernelArgs('', ['intel_iommu=on', 'iommu=pt'], []), 'intel_iommu=on iommu=pt');
  assert.equal(editKernelArgs('quiet', ['quiet'], []), 'quiet');
  assert.throws(() => editKernelArgs('ro', ['a b'], []), /single kernel argument/);
});

test('property: the result has every wanted argument once, none removed, and every other word in order', () => {
  const word = fc.constantFrom('ro', 'quiet', 'splash', 'rhgb', 'root=/dev/sda1', 'console=ttyS0', 'console=tty0', 'crashkernel=auto', 'intel_iommu=off', 'intel_iommu=on', 'iommu=nopt', 'iommu=pt', 'amd_iommu=off', 'intel_iommu=igfx_off');
  fc.assert(
    fc.property(fc.array(word, { maxLength: 10 }), fc.constantFrom<'intel' | 'amd'>('intel', 'amd'), fc.boolean(), (words, vendor, pt) => {
      const { add, remove } = requiredKernelArgs(vendor, { passthroughMode: pt });
      const before = words.join(' ');
      const after = editKernelArgs(before, add, remove);
      for (const a of add) {
        assert.ok(hasKernelArg(after, a), `${a} in ${after}`);
        const [key, val] = a.split('=') as [string, string];
        const holders = splitCmdline(after).filter((w) => w.key === key && (w.value ?? '').split(',').includes(val));
        assert.equal(holders.length, 1, `${a} once in ${after}`);
      }
      for (const r of remove) assert.ok(!splitCmdline(after).some((w) => w.text === r), `${r} gone from ${after}`);
      // words with unrelated keys keep their order
      const managed = new Set(['intel_iommu', 'iommu', 'amd_iommu']);
      assert.deepEqual(
        splitCmdline(after).filter((w) => !managed.has(w.key)).map((w) => w.text),
        splitCmdline(before).filter((w) => !managed.has(w.key)).map((w) => w.text),
      );
      assert.equal(editKernelArgs(after, add, remove), after);
    }),
    { numRuns: 500 },
  );
});
