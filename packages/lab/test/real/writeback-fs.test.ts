import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { bootHost } from '../../src/boot.ts';
import { loadRootfs, MemFs } from '../../src/memfs.ts';
import { NodeFs } from '../../src/nodefs.ts';
import { buildRootfs } from '../../src/rootfs.ts';
import { benchCluster, mixedCluster } from '../../src/specs.ts';
import type { FileMeta, HostSpec, LabFs } from '../../src/types.ts';
import { WriteBackFs } from '../../src/real/writeback-fs.ts';

/** every file and directory of a MemFs with its meta (and a file's content) */
function dump(fs: MemFs): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string): void => {
    for (const name of fs.readdir(dir)) {
      const p = dir === '/' ? `/${name}` : `${dir}/${name}`;
      const st = fs.stat(p);
      out[p] = `${st?.isDirectory ? 'd' : 'f'} ${st?.mode.toString(8)} ${st?.owner}:${st?.group} ${st?.isDirectory ? '' : fs.readFile(p)}`;
      if (st?.isDirectory) walk(p);
    }
  };
  walk('/');
  return out;
}

/** the same boots on two copies of a host: straight, and through a WriteBackFs flushed after each boot */
function bootBoth(t: { mock: { method: typeof import('node:test').mock.method; timers: typeof import('node:test').mock.timers } }, spec: HostSpec, cluster: HostSpec[]): void {
  const straight = new MemFs();
  const held = new MemFs();
  const files = buildRootfs(spec, cluster);
  loadRootfs(straight, files);
  loadRootfs(held, files);
  let seed = 1;
  // nextPid and the unit timestamps: the same in both runs
  t.mock.method(Math, 'random', () => ((seed = (seed * 48271) % 2147483647) / 2147483647));
  for (const [i, edit] of [undefined, 'intel_iommu=on iommu=pt', 'amd_iommu=off'].entries()) {
    for (const fs of [straight, held]) {
      if (!edit) continue;
      const grub = fs.readFile('/etc/default/grub');
      if (grub) fs.writeFile('/etc/default/grub', grub.replace(/^GRUB_CMDLINE_LINUX="(.*)"/m, `GRUB_CMDLINE_LINUX="$1 ${edit}"`));
    }
    const bootId = `00000000-0000-4000-8000-00000000000${i}`;
    seed = 7 + i;
    bootHost(straight, spec, bootId);
    seed = 7 + i;
    const w = new WriteBackFs(held);
    bootHost(w, spec, bootId);
    w.flush();
    assert.deepEqual(dump(held), dump(straight), `${spec.name}, boot ${i + 1}`);
  }
}

test('a boot through a WriteBackFs leaves exactly the tree of a boot written straight', (t) => {
  t.mock.timers.enable({ apis: ['Date'], now: Date.UTC(2025, 0, 2, 3, 4, 5) });
  const bench = benchCluster(5);
  for (const spec of bench) bootBoth(t, spec, bench);
  const mixed = mixedCluster();
  for (const spec of mixed) bootBoth(t, spec, mixed);
});

test('WriteBackFs: reads see held writes; an operation near a held file writes it first; each meta is applied in order', () => {
  const inner = new MemFs();
  const calls: string[] = [];
  const spy: LabFs = {
    readFile: (p) => inner.readFile(p),
    writeFile: (p, c, m?: Partial<FileMeta>) => {
      calls.push(`write ${p} ${JSON.stringify(m ?? {})}`);
      inner.writeFile(p, c, m);
    },
    exists: (p) => inner.exists(p),
    isDirectory: (p) => inner.isDirectory(p),
    readdir: (p) => inner.readdir(p),
    remove: (p) => inner.remove(p),
    mkdirp: (p) => inner.mkdirp(p),
  };
  const fs = new WriteBackFs(spy);
  const meta = { mode: 0o640, owner: 'root', group: 'adm' };
  for (let i = 0; i < 10; i++) fs.writeFile('/var/log/journal', `${fs.readFile('/var/log/journal') ?? ''}line ${i}\n`, meta);
  assert.equal(fs.readFile('/var/log/journal')?.split('\n').length, 11);
  assert.equal(fs.exists('/var/log/journal'), true);
  assert.equal(fs.exists('/var/log'), true, 'the dir a held file creates exists');
  assert.deepEqual(calls, ['write /var/log/journal {"mode":416,"owner":"root","group":"adm"}'], 'ten writes, one meta: written once');
  fs.writeFile('/run/a', '1', { mode: 0o600 });
  fs.writeFile('/run/a', '2', { owner: 'nova' });
  fs.writeFile('/run/b', 'x');
  assert.deepEqual(fs.readdir('/run'), ['a', 'b'], 'readdir writes the held files below first');
  assert.deepEqual(calls.slice(1), ['write /run/a {"mode":384}', 'write /run/a {"owner":"nova"}', 'write /run/b {}']);
  assert.deepEqual(inner.stat('/run/a'), { mode: 0o600, owner: 'nova', group: 'root', isDirectory: false });
  fs.writeFile('/run/c/d', 'gone soon');
  fs.remove('/run/c');
  fs.flush();
  assert.equal(inner.exists('/run/c'), false, 'a removal after a write wins');
});

test('NodeFs: owner names resolved through the host accounts, again once the file changes', (t) => {
  const root = mkdtempSync('/tmp/nodefs-test-');
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const fs = new NodeFs(root);
  fs.writeFile('/etc/passwd', 'root:x:0:0::/root:/bin/sh\nlabuser:x:4321:4321::/:/bin/sh\nlabuser:x:9:9::/:/bin/sh\n');
  fs.writeFile('/etc/group', 'root:x:0:\nlabgrp:x:4322:\n');
  fs.writeFile('/f', 'x', { owner: 'labuser', group: 'labgrp' });
  const root0 = process.getuid?.() === 0;
  if (root0) assert.deepEqual([statSync(join(root, 'f')).uid, statSync(join(root, 'f')).gid], [4321, 4322], 'the first line of a name wins');
  fs.writeFile('/etc/passwd', `${readFileSync(join(root, 'etc/passwd'), 'utf8').replace('4321', '5555')}`);
  fs.writeFile('/g', 'y', { owner: 'labuser' });
  if (root0) assert.equal(statSync(join(root, 'g')).uid, 5555, 'a changed passwd is read again');
});
