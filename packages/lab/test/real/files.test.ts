import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalPath, hostFileHashes, pseudoFsBinds, writeModelFile } from '../../src/real/files.ts';

function tree(t: { after(fn: () => void): void }, files: Record<string, string>): string {
  const dir = mkdtempSync('/tmp/lab-files-test-');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const [p, content] of Object.entries(files)) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), content);
  }
  return dir;
}

test('sysfs: the iommu/pci/firmware dirs are replaced whole, an entry this machine lacks replaces its parent', (t) => {
  const sys = tree(t, {
    '/firmware/efi/fw_platform_size': '64\n',
    '/class/iommu/dmar0/devices/0000:3b:00.0': '',
    '/kernel/mm/transparent_hugepage/enabled': 'always [madvise] never\n',
    '/module/vfio_pci/parameters/ids': '10de:1e04\n',
  });
  const forced = ['/sys/firmware', '/sys/class/iommu', '/sys/kernel/iommu_groups', '/sys/bus/pci/devices'];
  const binds = pseudoFsBinds(sys, '/sys', forced);
  for (const d of forced) assert.ok(binds.includes(d), d);
  assert.ok(binds.includes('/sys/kernel/mm/transparent_hugepage/enabled'), 'a file the machine has is bound file over file');
  const vfio = statSafe('/sys/module/vfio_pci') ? '/sys/module/vfio_pci/parameters' : '/sys/module';
  assert.ok(binds.includes(vfio), `missing module dir: bind ${vfio}`);
  assert.ok(!binds.some((b) => b.startsWith('/sys/firmware/')), 'nothing under a dir already replaced');
  const depth = binds.map((b) => b.split('/').length);
  assert.deepEqual(depth, [...depth].sort((a, b) => a - b), 'parents are mounted before children');
});

function statSafe(p: string): boolean {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
}

test('/proc: files are bound over the real ones; what /proc cannot hold is skipped', (t) => {
  const proc = tree(t, { '/cmdline': 'x\n', '/cpuinfo': 'y\n', '/sys/kernel/random/boot_id': 'z\n', '/no-such-file': '' });
  assert.deepEqual(pseudoFsBinds(proc, '/proc'), ['/proc/cmdline', '/proc/cpuinfo', '/proc/sys/kernel/random/boot_id']);
});

test('merged-/usr symlinks are resolved: /lib/systemd/system is /usr/lib/systemd/system', (t) => {
  if (!lstatSync('/lib').isSymbolicLink()) {
    t.skip('this machine has no merged /usr');
    return;
  }
  assert.equal(canonicalPath('/lib/systemd/system/nova-compute.service'), '/usr/lib/systemd/system/nova-compute.service');
  assert.equal(canonicalPath('/etc/nova/../nova/nova.conf'), '/etc/nova/nova.conf');
});

test('a model file replaces a symlink instead of writing through it', (t) => {
  const root = tree(t, { '/usr/lib/os-release': 'ID=debian\n' });
  mkdirSync(join(root, 'etc'));
  symlinkSync('../usr/lib/os-release', join(root, 'etc/os-release'));
  // only root may give a file away: another user maps every owner to itself (chown to oneself is allowed)
  const root0 = process.getuid?.() === 0;
  const uid = root0 ? 0 : (process.getuid?.() ?? 0);
  const gid = root0 ? 0 : (process.getgid?.() ?? 0);
  const novaGid = root0 ? 4343 : gid;
  const ids = { uid: (n: string) => (n === 'nova' && root0 ? 4242 : uid), gid: (n: string) => (n === 'nova' ? novaGid : gid) };
  writeModelFile(root, '/etc/os-release', { content: 'ID=rocky\n', meta: { mode: 0o644, owner: 'root', group: 'root' } }, ids);
  writeModelFile(root, '/etc/nova/nova.conf', { content: '[DEFAULT]\n', meta: { mode: 0o640, owner: 'root', group: 'nova' } }, ids);
  assert.equal(readFileSync(join(root, 'usr/lib/os-release'), 'utf8'), 'ID=debian\n', 'the link target is untouched');
  assert.equal(readFileSync(join(root, 'etc/os-release'), 'utf8'), 'ID=rocky\n');
  const st = statSync(join(root, 'etc/nova/nova.conf'));
  assert.equal(st.mode & 0o7777, 0o640);
  assert.equal(st.gid, novaGid);
});

test('file hashes: every regular file, the same for the same content, different after a change', (t) => {
  const root = tree(t, { '/etc/a': 'one\n', '/etc/sub/b': 'two\n', '/var/lib/lab/x': 'three\n' });
  symlinkSync('a', join(root, 'etc/link'));
  const view = { hostPath: (p: string) => join(root, p), upperPath: () => undefined, lowerCache: new Map<string, string>() };
  const before = hostFileHashes(view, ['/etc', '/var/lib/lab', '/missing']);
  assert.deepEqual(Object.keys(before).sort(), ['/etc/a', '/etc/sub/b', '/var/lib/lab/x']);
  assert.equal(before['/etc/a'], createHash('sha256').update('one\n').digest('hex'));
  writeFileSync(join(root, 'etc/sub/b'), 'two!\n');
  const after = hostFileHashes(view, ['/etc', '/var/lib/lab']);
  assert.notEqual(after['/etc/sub/b'], before['/etc/sub/b']);
  assert.equal(after['/etc/a'], before['/etc/a']);
});
