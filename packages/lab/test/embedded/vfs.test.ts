import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ShellFs, HostStore, type ProcIdentity } from '../../src/embedded/vfs.ts';
import { credFor, userDb } from '../../src/embedded/users.ts';

const PASSWD = 'root:x:0:0:root:/root:/bin/bash\nnova:x:64060:64060::/var/lib/nova:/usr/sbin/nologin\nops:x:1000:1000:ops:/home/ops:/bin/bash\n';
const GROUP = 'root:x:0:\nsudo:x:27:ops\nnova:x:64060:\nops:x:1000:\n';

function store(): HostStore {
  const s = new HostStore();
  s.load(
    new Map([
      ['/etc/passwd', { content: PASSWD, meta: { mode: 0o644, owner: 'root', group: 'root' } }],
      ['/etc/group', { content: GROUP, meta: { mode: 0o644, owner: 'root', group: 'root' } }],
      ['/etc/nova/', { content: '', meta: { mode: 0o750, owner: 'root', group: 'nova' } }],
      ['/etc/nova/nova.conf', { content: '[DEFAULT]\n', meta: { mode: 0o640, owner: 'root', group: 'nova' } }],
      ['/sys/class/iommu/', { content: '', meta: { mode: 0o755, owner: 'root', group: 'root' } }],
    ]),
    0,
  );
  s.mkdirp('/tmp');
  s.setMeta('/tmp', { mode: 0o1777 });
  return s;
}

function as(s: HostStore, user: string): { fs: ShellFs; proc: ProcIdentity } {
  const cred = credFor(userDb((p) => s.readFile(p)), user);
  assert.ok(cred);
  const proc = { cred, umask: 0o022 };
  return { fs: new ShellFs(s, proc), proc };
}

test('LabFs face: files, metas and empty directories from the rootfs', () => {
  const s = store();
  assert.equal(s.readFile('/etc/nova/nova.conf'), '[DEFAULT]\n');
  assert.deepEqual(s.meta('/etc/nova/nova.conf'), { mode: 0o640, owner: 'root', group: 'nova' });
  assert.equal(s.isDirectory('/sys/class/iommu'), true);
  assert.deepEqual(s.readdir('/sys/class/iommu'), []);
  assert.deepEqual(s.readdir('/etc'), ['group', 'nova', 'passwd']);
  s.writeFile('/etc/nova/nova.conf', 'x=1\n');
  assert.deepEqual(s.meta('/etc/nova/nova.conf'), { mode: 0o640, owner: 'root', group: 'nova' }, 'a rewrite keeps the metas');
  s.writeFile('/var/log/lab/dmesg', 'boot\n', { mode: 0o600 });
  assert.equal(s.isDirectory('/var/log/lab'), true, 'parents are created');
  s.remove('/etc/nova');
  assert.equal(s.exists('/etc/nova/nova.conf'), false);
  assert.deepEqual(s.readdir('/etc'), ['group', 'passwd']);
});

test('ShellFs: a new file belongs to the user who writes it, with the umask applied', async () => {
  const s = store();
  const { fs, proc } = as(s, 'ops');
  await fs.writeFile('/tmp/a', 'hello');
  assert.deepEqual(s.meta('/tmp/a'), { mode: 0o644, owner: 'ops', group: 'ops' });
  proc.umask = 0o077;
  await fs.writeFile('/tmp/b', 'x');
  assert.equal(s.meta('/tmp/b')?.mode, 0o600);
  await fs.mkdir('/tmp/d');
  assert.deepEqual(s.meta('/tmp/d'), { mode: 0o700, owner: 'ops', group: 'ops' });
});

test('ShellFs: permissions of a non-root user are enforced, root passes', async () => {
  const s = store();
  const ops = as(s, 'ops').fs;
  await assert.rejects(ops.readFile('/etc/nova/nova.conf'), /EACCES/);
  await assert.rejects(ops.writeFile('/etc/motd', 'x'), /Permission denied|EACCES/);
  await assert.rejects(ops.chmod('/etc/passwd', 0o777), /EPERM/);
  const root = as(s, 'root').fs;
  assert.equal(await root.readFile('/etc/nova/nova.conf'), '[DEFAULT]\n');
  await root.writeFile('/etc/motd', 'hi\n');
  assert.equal(s.meta('/etc/motd')?.owner, 'root');
});

test('ShellFs: mv keeps owner, group and mode (a rename, not a copy)', async () => {
  const s = store();
  const { fs } = as(s, 'root');
  await fs.writeFile('/etc/nova/.nova.conf.tmp', 'new\n');
  s.setMeta('/etc/nova/.nova.conf.tmp', { owner: 'root', group: 'nova', mode: 0o640 });
  await fs.mv('/etc/nova/.nova.conf.tmp', '/etc/nova/nova.conf');
  assert.equal(s.readFile('/etc/nova/nova.conf'), 'new\n');
  assert.deepEqual(s.meta('/etc/nova/nova.conf'), { mode: 0o640, owner: 'root', group: 'nova' });
  assert.equal(s.exists('/etc/nova/.nova.conf.tmp'), false);
});

test('ShellFs: symlinks resolve, binary content survives', async () => {
  const s = store();
  const { fs } = as(s, 'root');
  await fs.symlink('/etc/nova', '/etc/nova-link');
  assert.equal(await fs.readFile('/etc/nova-link/nova.conf'), '[DEFAULT]\n');
  assert.equal((await fs.lstat('/etc/nova-link')).isSymbolicLink, true);
  const bytes = new Uint8Array([0, 255, 128, 10]);
  await fs.writeFile('/tmp/bin', bytes);
  assert.deepEqual([...(await fs.readFileBuffer('/tmp/bin'))], [0, 255, 128, 10]);
});

test('ShellFs: the shell commands show in /usr/bin without being stored', async () => {
  const s = store();
  s.mkdirp('/usr/bin');
  s.binNames = new Set(['cat', 'lspci']);
  const { fs } = as(s, 'root');
  assert.equal(await fs.exists('/usr/bin/lspci'), true);
  assert.equal((await fs.stat('/usr/bin/lspci')).mode, 0o755);
  assert.deepEqual(await fs.readdir('/usr/bin'), ['cat', 'lspci']);
  assert.equal(s.exists('/usr/bin/lspci'), false, 'LabFs (the model) does not see them');
});
