// The remote file scripts run in the login shell of the SSH user: bash,
// dash or BusyBox ash. Here they run under each, locally, without SSH.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { HostError } from '../../src/errors.ts';
import { readRemoteFile, restoreBackup, writeRemoteFile } from '../../src/ssh/files.ts';
import type { ExecOptions, ExecResult, RemoteHost } from '../../src/ssh/types.ts';
import { tempDir } from './sshd-fixture.ts';

/** A RemoteHost that runs commands with a local shell. */
function localHost(shell: string[]): RemoteHost {
  return {
    name: `local-${shell.join('-')}`,
    connected: true,
    reconnect: async () => {},
    close: async () => {},
    exec: (command: string, opts: ExecOptions = {}) =>
      new Promise<ExecResult>((resolve, reject) => {
        const [cmd, ...args] = shell;
        const p = spawn(cmd as string, [...args, '-c', command], { stdio: ['pipe', 'pipe', 'pipe'] });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        p.stdout.on('data', (d: Buffer) => out.push(d));
        p.stderr.on('data', (d: Buffer) => err.push(d));
        p.on('error', reject);
        p.on('close', (code, signal) =>
          resolve({ stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), exitCode: code ?? 255, signal: signal ?? undefined }),
        );
        p.stdin.on('error', () => {});
        p.stdin.end(opts.stdin ?? '');
      }),
  };
}

const SHELLS = [['/bin/bash'], ['/bin/dash'], ['/bin/busybox', 'sh']].filter(([s]) => existsSync(s as string));

for (const shell of SHELLS) {
  test(`read, write, backup, unchanged, restore and failures under ${shell.join(' ')}`, async (t) => {
    const dir = tempDir('passthru-shells-');
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const host = localHost(shell);
    const p = join(dir, 'nova.conf');
    writeFileSync(p, '[DEFAULT]\nold = 1\n', { mode: 0o640 });

    const r = await readRemoteFile(host, p);
    assert.equal(r.content, '[DEFAULT]\nold = 1\n');
    assert.equal(r.meta?.mode, 0o640);
    assert.deepEqual(await readRemoteFile(host, join(dir, 'missing')), { exists: false, content: '' });

    const w = await writeRemoteFile(host, p, "[DEFAULT]\nnew = 'quoted' $HOME `x`\n", { backup: true });
    assert.equal(w.written, true);
    assert.equal(readFileSync(p, 'utf8'), "[DEFAULT]\nnew = 'quoted' $HOME `x`\n");
    assert.equal(statSync(p).mode & 0o7777, 0o640);
    assert.equal(readFileSync(w.backupPath as string, 'utf8'), '[DEFAULT]\nold = 1\n');

    assert.deepEqual(await writeRemoteFile(host, p, "[DEFAULT]\nnew = 'quoted' $HOME `x`\n", { backup: true }), { written: false });
    assert.deepEqual(await writeRemoteFile(host, join(dir, 'empty'), ''), { written: true });
    assert.equal(readFileSync(join(dir, 'empty'), 'utf8'), '');

    await restoreBackup(host, p, w.backupPath as string);
    assert.equal(readFileSync(p, 'utf8'), '[DEFAULT]\nold = 1\n');

    await assert.rejects(writeRemoteFile(host, join(dir, 'no', 'dir'), 'x'), HostError);
    await assert.rejects(writeRemoteFile(host, dir, 'x'), /exists and is not a regular file/);
    assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.passthru-')), []);
  });
}
