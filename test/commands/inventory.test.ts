// Acceptance: `passthru inventory -i F --list / --graph / --host` prints what
// `ansible-inventory` prints for the real lab's inventory, byte for byte, so
// an operator can diff the two. The inventory is the one the real lab writes
// (test/lab/real/inventory.ts) for a cluster with every role; reading it opens
// no connection, so no lab has to run. Skipped loudly without ansible-inventory.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { guestSpec, mixedCluster } from '@passthru/lab/specs.ts';
import { inventoryIni } from '@passthru/lab/real/inventory.ts';

const BIN = fileURLToPath(new URL('../../bin/passthru.js', import.meta.url));
const run = promisify(execFile);

const ansibleMissing = await run('ansible-inventory', ['--version']).then(
  () => undefined,
  () => 'ansible-inventory is not installed (apt install ansible-core)',
);
if (ansibleMissing) process.stderr.write(`\n*** SKIPPED test/commands/inventory.test.ts: ${ansibleMissing}; passthru inventory was not compared with Ansible ***\n\n`);

interface Cli {
  code: number | null;
  stdout: string;
  stderr: string;
}

function passthru(args: string[]): Promise<Cli> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function ansibleInventory(args: string[]): Promise<string> {
  const { stdout } = await run('ansible-inventory', args, {
    env: { ...process.env, ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED: '1', ANSIBLE_NOCOLOR: '1', ANSIBLE_LOCALHOST_WARNING: '0' },
  });
  return stdout;
}

describe('passthru inventory prints what ansible-inventory prints for the lab inventory', { skip: ansibleMissing ? `SKIPPED: ${ansibleMissing}` : false }, () => {
  let dir: string;
  let inventory: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'passthru-inventory-test-'));
    // the lab's addresses for this file's block, every role present (controller, computes, a guest)
    const specs = [...mixedCluster(), guestSpec('guest1')];
    const hosts = specs.map((s, i) => ({ name: s.name, address: `127.0.40.${i + 1}`, port: 22, roles: s.roles }));
    inventory = join(dir, 'inventory.ini');
    writeFileSync(inventory, inventoryIni(hosts, { identityFile: join(dir, 'id_ed25519'), knownHostsPath: join(dir, 'known_hosts') }));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const args of [['--list'], ['--graph'], ['--graph', 'compute'], ['--graph', 'guests'], ['--host', 'ubuntu']]) {
    it(args.join(' '), async () => {
      const [ours, theirs] = await Promise.all([passthru(['inventory', '-i', inventory, ...args]), ansibleInventory(['-i', inventory, ...args])]);
      assert.equal(ours.code, 0, ours.stderr);
      assert.equal(ours.stderr, '');
      assert.equal(ours.stdout, theirs);
    });
  }

  it('--list names every lab host with its address, under its role group', async () => {
    const r = await passthru(['inventory', '-i', inventory, '--list']);
    const list = JSON.parse(r.stdout) as Record<string, { hosts?: string[] }> & { _meta: { hostvars: Record<string, Record<string, unknown>> } };
    assert.deepEqual(list.controller?.hosts, ['ctl1']);
    assert.deepEqual(list.guests?.hosts, ['guest1']);
    assert.ok(list.compute?.hosts?.includes('ubuntu'));
    assert.equal(list._meta.hostvars['ubuntu']?.['ansible_host'], `127.0.40.${mixedCluster().findIndex((s) => s.name === 'ubuntu') + 1}`);
  });
});
