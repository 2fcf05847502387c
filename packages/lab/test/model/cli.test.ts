// The tools as executables over real files (the real-sshd lab's way):
// src/lab/tools/cli.ts with a NodeFs rooted in a temporary directory, and
// nova's own code (python3-nova) checking nova.conf on restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeFs } from '../../src/nodefs.ts';
import { installHost } from '../../src/rootfs.ts';
import { bootHost } from '../../src/boot.ts';
import { mixedCluster } from '../../src/specs.ts';
import { SYSTEM_PYTHON } from '../../src/tools/novacheck-run.ts';
import { hostByName } from './helpers.ts';

const CLI = new URL('../../src/tools/cli.ts', import.meta.url).pathname;
const REPO = new URL('../../', import.meta.url).pathname;

function cli(root: string, specFile: string, args: string[]): { stdout: string; stderr: string; status: number | null } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], {
    cwd: REPO,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', USER: 'root', PASSTHRU_LAB_ROOT: root, PASSTHRU_LAB_SPEC: specFile },
    timeout: 60_000,
  });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

test('cli.ts runs the tools over real files; systemctl uses nova\'s own checks', (t) => {
  if (process.getuid?.() !== 0) {
    process.stderr.write('\n!!! SKIPPED: needs root (chown to nova) for the real-file cli test\n\n');
    t.skip('SKIPPED: needs root');
    return;
  }
  const pythonNova = existsSync(SYSTEM_PYTHON) && spawnSync(SYSTEM_PYTHON, ['-c', 'import nova.pci.request'], { encoding: 'utf8' }).status === 0;
  const root = mkdtempSync(join(tmpdir(), 'labroot-'));
  try {
    const spec = hostByName('ctl1');
    const specFile = join(root, 'spec.json');
    writeFileSync(specFile, JSON.stringify(spec));
    const fs = new NodeFs(root);
    installHost(fs, spec, mixedCluster());
    bootHost(fs, spec, 'b-1');
    const st = statSync(join(root, 'etc/nova/nova.conf'));
    assert.equal(st.mode & 0o777, 0o640);
    assert.equal(st.gid, 162, 'group nova from the host\'s own /etc/group');

    const lspci = cli(root, specFile, ['lspci', '-Dnn', '-d', '1a03:2000']);
    assert.equal(lspci.status, 0, lspci.stderr);
    assert.equal(lspci.stdout, '0000:03:00.0 VGA compatible controller [0300]: ASPEED Technology, Inc. ASPEED Graphics Family [1a03:2000] (rev 41)\n');

    const conf = readFileSync(join(root, 'etc/nova/nova.conf'), 'utf8').replace(/^#alias =$/m, '#alias =\nalias = {"name":"a","numa_policy":"required"}\nalias = {"name":"a"}');
    writeFileSync(join(root, 'etc/nova/nova.conf'), conf);
    const r = cli(root, specFile, ['systemctl', 'restart', 'openstack-nova-api']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^Job for openstack-nova-api\.service failed because the control process exited with error code\./);
    const j = cli(root, specFile, ['journalctl', '-u', 'openstack-nova-api', '--no-pager']);
    assert.match(j.stdout, /nova\.exception\.PciInvalidAlias: Invalid PCI alias definition: NUMA policy mismatch for alias 'a'\n/);
    if (!pythonNova) process.stderr.write('\n!!! NOTE: python3-nova missing: the cli used the JS checks\n\n');

    // the reboot request is a file the real-lab runner watches
    const rb = cli(root, specFile, ['reboot']);
    assert.equal(rb.status, 0);
    assert.ok(existsSync(join(root, 'run/lab/reboot-request')));
    const missing = cli(root, specFile, ['update-grub']);
    assert.equal(missing.status, 127);
    assert.equal(missing.stderr, 'bash: update-grub: command not found\n');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
