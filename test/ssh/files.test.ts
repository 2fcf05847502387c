// Remote files against a real sshd on 127.0.2.25, run in its own mount
// namespace with a 64 KiB tmpfs (to fill up) and a read-only bind mount.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chownSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { HostError } from '../../src/errors.ts';
import { connect } from '../../src/ssh/connection.ts';
import { backupPathFor, readRemoteFile, restoreBackup, tempPathFor, writeRemoteFile } from '../../src/ssh/files.ts';
import type { RemoteHost } from '../../src/ssh/types.ts';
import { skipWithoutSshd, sshdSkipReason, sshEnv, sudoersPreamble, tempDir, waitFor } from './sshd-fixture.ts';
import type { SshEnv } from './sshd-fixture.ts';

const USER = 'passthru-t-files';
const ADM_GID = 4; // Debian's adm group, standing in for nova

let env: SshEnv | undefined;
let root: RemoteHost | undefined;
let dir = '';

function removeUser(): void {
  try {
    execFileSync('userdel', ['-r', USER], { stdio: 'ignore' });
  } catch {
    /* not there */
  }
}

before(async () => {
  if (sshdSkipReason() !== undefined) return;
  removeUser();
  execFileSync('useradd', ['-m', '-s', '/bin/sh', USER]);
  execFileSync('usermod', ['-p', '*', USER]);
  dir = tempDir('passthru-files-');
  for (const d of ['work', 'full', 'ro']) mkdirSync(join(dir, d), { mode: 0o755 });
  writeFileSync(join(dir, 'ro', 'app.conf'), 'read-only old\n');
  env = await sshEnv('127.0.2.25', {
    namespacePreamble: [
      sudoersPreamble(dir, `${USER} ALL=(ALL) NOPASSWD: ALL\n`),
      `mount -t tmpfs -o size=64k tmpfs ${dir}/full`,
      `printf 'small old file\\n' > ${dir}/full/app.conf`,
      `mount --bind ${dir}/ro ${dir}/ro`,
      `mount -o remount,bind,ro ${dir}/ro`,
    ].join(' && '),
  });
  root = await connect(env.target({ name: 'ctl-1' }));
});
after(async () => {
  await root?.close();
  await env?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
  if (sshdSkipReason() === undefined) removeUser();
});

/** a file as root:adm 0640, like nova.conf is root:nova 0640 */
function novaLike(name: string, content: string): string {
  const p = join(dir, 'work', name);
  writeFileSync(p, content, { mode: 0o640 });
  chownSync(p, 0, ADM_GID);
  return p;
}

function leftovers(d: string): string[] {
  return readdirSync(d).filter((f) => f.includes('.passthru-'));
}

test('read: content and owner/group/mode in one command; a missing file is not an error', async (t) => {
  if (skipWithoutSshd(t)) return;
  const h = root as RemoteHost;
  const p = novaLike('read.conf', '[DEFAULT]\ndebug = True\n');
  assert.deepEqual(await readRemoteFile(h, p), {
    exists: true,
    content: '[DEFAULT]\ndebug = True\n',
    meta: { owner: 'root', group: 'adm', mode: 0o640 },
  });
  assert.deepEqual(await readRemoteFile(h, join(dir, 'work', 'absent.conf')), { exists: false, content: '' });
  await assert.rejects(readRemoteFile(h, join(dir, 'work')), /ctl-1: cannot read .*\/work: not a regular file/);
});

test('write: same owner, group and mode as the old file; timestamped backup of the old content', async (t) => {
  if (skipWithoutSshd(t)) return;
  const h = root as RemoteHost;
  const p = novaLike('nova.conf', '[DEFAULT]\nold = 1\n');
  const now = new Date('2024-03-05T06:07:08.123Z');
  const r = await writeRemoteFile(h, p, '[DEFAULT]\nnew = 2 €', { backup: true, now });
  assert.deepEqual(r, { written: true, backupPath: `${p}.20240305T060708Z.bak` });
  assert.equal(backupPathFor(p, now), `${p}.20240305T060708Z.bak`);
  assert.equal(readFileSync(p, 'utf8'), '[DEFAULT]\nnew = 2 €');
  const st = statSync(p);
  assert.deepEqual([st.uid, st.gid, st.mode & 0o7777], [0, ADM_GID, 0o640]);
  const bak = statSync(r.backupPath as string);
  assert.equal(readFileSync(r.backupPath as string, 'utf8'), '[DEFAULT]\nold = 1\n');
  assert.deepEqual([bak.uid, bak.gid, bak.mode & 0o7777], [0, ADM_GID, 0o640]);
  assert.deepEqual(leftovers(join(dir, 'work')), []);
});

test('write: unchanged content touches nothing; a wanted mode on unchanged content is fixed in place', async (t) => {
  if (skipWithoutSshd(t)) return;
  const h = root as RemoteHost;
  const p = novaLike('same.conf', 'x = 1\n');
  const before = statSync(p);
  assert.deepEqual(await writeRemoteFile(h, p, 'x = 1\n', { backup: true }), { written: false });
  const after = statSync(p);
  assert.deepEqual([after.ino, after.mtimeMs], [before.ino, before.mtimeMs]);
  assert.deepEqual(readdirSync(join(dir, 'work')).filter((f) => f.startsWith('same.conf.')), [], 'no backup');
  // "x = 1\n\n" differs only by a trailing newline: still a change
  assert.equal((await writeRemoteFile(h, p, 'x = 1\n\n')).written, true);
  assert.deepEqual(await writeRemoteFile(h, p, 'x = 1\n\n', { mode: 0o600 }), { written: true });
  assert.equal(statSync(p).mode & 0o7777, 0o600);
});

test('write: a new file gets the given owner, group and mode (default 0644)', async (t) => {
  if (skipWithoutSshd(t)) return;
  const h = root as RemoteHost;
  const p = join(dir, 'work', 'new.conf');
  assert.deepEqual(await writeRemoteFile(h, p, 'a\n', { owner: 'nobody', group: 'adm', mode: 0o640, backup: true }), { written: true });
  const st = statSync(p);
  assert.deepEqual([st.uid, st.gid, st.mode & 0o7777], [Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' })), ADM_GID, 0o640]);
  const q = join(dir, 'work', 'plain-new.conf');
  await writeRemoteFile(h, q, 'b\n');
  assert.equal(statSync(q).mode & 0o7777, 0o644);
});

test('write into a directory that does not exist: HostError naming host and path, nothing left behind', async (t) => {
  if (skipWithoutSshd(t)) return;
  const p = join(dir, 'work', 'nodir', 'x.conf');
  await assert.rejects(writeRemoteFile(root as RemoteHost, p, 'x'), (err: unknown) => {
    assert.ok(err instanceof HostError);
    assert.equal(err.message, `ctl-1: cannot write ${p}: directory ${join(dir, 'work', 'nodir')} does not exist; the old file is unchanged`);
    return true;
  });
});

test('write with mkdir: the missing directory is made (0755 under the usual umask, not the temp file\'s 0700)', async (t) => {
  if (skipWithoutSshd(t)) return;
  const d = join(dir, 'work', 'made', 'deeper');
  const r = await writeRemoteFile(root as RemoteHost, join(d, 'x.conf'), 'x\n', { mkdir: true, mode: 0o644 });
  assert.deepEqual(r, { written: true });
  assert.equal(readFileSync(join(d, 'x.conf'), 'utf8'), 'x\n');
  assert.equal(statSync(d).mode & 0o777, 0o755);
});

test('write with then: the command runs once the file is in place, in the same round trip; its failure is its own, the file stays written', async (t) => {
  if (skipWithoutSshd(t)) return;
  const h = root as RemoteHost;
  const p = novaLike('then.conf', 'old\n');
  let execs = 0;
  const counting: RemoteHost = new Proxy(h, { get: (target, prop) => (prop === 'exec' ? (...a: Parameters<RemoteHost['exec']>) => (execs++, target.exec(...a)) : Reflect.get(target, prop, target)) });
  const ok = await writeRemoteFile(counting, p, 'new\n', { then: `cat ${p}; echo done >&2` });
  assert.deepEqual(ok, { written: true, then: { exitCode: 0, stdout: 'new\n', stderr: 'done\n' } });
  assert.equal(execs, 1);
  // unchanged content: nothing written, the command runs all the same
  const same = await writeRemoteFile(h, p, 'new\n', { then: 'echo again' });
  assert.deepEqual(same, { written: false, then: { exitCode: 0, stdout: 'again\n', stderr: '' } });
  const failed = await writeRemoteFile(h, p, 'newer\n', { then: 'echo no >&2; exit 7' });
  assert.equal(failed.written, true);
  assert.deepEqual(failed.then, { exitCode: 7, stdout: '', stderr: 'no\n' });
  assert.equal(readFileSync(p, 'utf8'), 'newer\n');
  // a write that fails never runs the command
  const missing = join(dir, 'work', 'nodir2', 'x.conf');
  await assert.rejects(writeRemoteFile(h, missing, 'x', { then: `touch ${join(dir, 'work', 'ran')}` }), /directory .* does not exist/);
  assert.equal(readdirSync(join(dir, 'work')).includes('ran'), false);
  assert.deepEqual(leftovers(join(dir, 'work')), []);
});

test('write on a read-only file system: the remote error is shown, the old file is whole, no temp file', async (t) => {
  if (skipWithoutSshd(t)) return;
  const e = env as SshEnv;
  const p = join(dir, 'ro', 'app.conf');
  await assert.rejects(writeRemoteFile(root as RemoteHost, p, 'new\n', { backup: true }), (err: unknown) => {
    assert.ok(err instanceof HostError);
    assert.match(err.message, new RegExp(`^ctl-1: cannot write ${p}: cannot write the temporary file .*Read-only file system`));
    return true;
  });
  assert.equal(readFileSync(e.sshd.seen(p), 'utf8'), 'read-only old\n');
  assert.deepEqual(leftovers(e.sshd.seen(join(dir, 'ro'))), []);
});

test('write on a full disk: HostError with "No space left", the old file is whole, no temp file', async (t) => {
  if (skipWithoutSshd(t)) return;
  const e = env as SshEnv;
  const p = join(dir, 'full', 'app.conf');
  await assert.rejects(writeRemoteFile(root as RemoteHost, p, 'y'.repeat(200_000)), (err: unknown) => {
    assert.ok(err instanceof HostError);
    assert.match(err.message, /No space left on device/);
    assert.match(err.message, /the old file is unchanged$/);
    return true;
  });
  assert.equal(readFileSync(e.sshd.seen(p), 'utf8'), 'small old file\n');
  assert.deepEqual(leftovers(e.sshd.seen(join(dir, 'full'))), []);
});

test('as a plain user: permission denied says so and suggests become; with become the write keeps root:adm 0640', async (t) => {
  if (skipWithoutSshd(t)) return;
  const e = env as SshEnv;
  const host = await connect(e.target({ name: 'compute-8', user: USER }));
  t.after(() => host.close());
  const p = novaLike('root-owned.conf', 'secret = old\n');
  await assert.rejects(writeRemoteFile(host, p, 'secret = new\n'), (err: unknown) => {
    assert.ok(err instanceof HostError);
    assert.match(err.message, /^compute-8: cannot write .*root-owned\.conf: cannot write the temporary file .*Permission denied/);
    assert.equal(err.hint, 'The file needs root: run the step with become.');
    return true;
  });
  await assert.rejects(readRemoteFile(host, p), /compute-8: cannot read .*Permission denied/);
  assert.equal(readFileSync(p, 'utf8'), 'secret = old\n');

  assert.deepEqual((await writeRemoteFile(host, p, 'secret = new\n', { become: true })).written, true);
  const st = statSync(p);
  assert.deepEqual([st.uid, st.gid, st.mode & 0o7777], [0, ADM_GID, 0o640]);
  assert.equal((await readRemoteFile(host, p, { become: true })).content, 'secret = new\n');
  assert.deepEqual(leftovers(join(dir, 'work')), []);
});

test('a write interrupted half-way leaves the old file whole and removes its temp file', async (t) => {
  if (skipWithoutSshd(t)) return;
  const p = novaLike('big.conf', 'old big\n');
  const ac = new AbortController();
  const big = 'z'.repeat(64 * 1024 * 1024);
  const writing = writeRemoteFile(root as RemoteHost, p, big, { signal: ac.signal });
  await waitFor(() => leftovers(join(dir, 'work')).length > 0, 5000, 'the temp file to appear');
  ac.abort(new Error('interrupted by the operator'));
  await assert.rejects(writing, /interrupted by the operator/);
  await waitFor(() => leftovers(join(dir, 'work')).length === 0, 3000, 'the temp file to be removed');
  assert.equal(readFileSync(p, 'utf8'), 'old big\n');
});

test('restoreBackup puts the old content back; symlinks are refused', async (t) => {
  if (skipWithoutSshd(t)) return;
  const h = root as RemoteHost;
  const p = novaLike('grub', 'GRUB_CMDLINE_LINUX=""\n');
  const r = await writeRemoteFile(h, p, 'GRUB_CMDLINE_LINUX="intel_iommu=on"\n', { backup: true });
  await restoreBackup(h, p, r.backupPath as string);
  assert.equal(readFileSync(p, 'utf8'), 'GRUB_CMDLINE_LINUX=""\n');
  assert.equal(statSync(p).mode & 0o7777, 0o640);
  const link = join(dir, 'work', 'link.conf');
  symlinkSync(p, link);
  await assert.rejects(writeRemoteFile(h, link, 'x'), /is a symbolic link/);
  assert.match(tempPathFor('/etc/nova/nova.conf'), /^\/etc\/nova\/\.nova\.conf\.passthru-[0-9a-f]{12}\.tmp$/);
});
