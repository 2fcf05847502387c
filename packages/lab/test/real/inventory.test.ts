import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inventoryIni } from '../../src/real/inventory.ts';

const hosts = [
  { name: 'ctl1', address: '127.0.10.1', port: 22, roles: ['controller', 'compute'] as const },
  { name: 'cmp1', address: '127.0.10.2', port: 2222, roles: ['compute'] as const },
  { name: 'vm1', address: '127.0.10.3', port: 22, roles: ['guest'] as const },
];
const opts = { identityFile: '/tmp/lab-x/id_ed25519', knownHostsPath: '/tmp/lab-x/known_hosts' };

function hasAnsible(): boolean {
  try {
    execFileSync('ansible-inventory', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

test('ansible reads the inventory: groups per role, address, port, user, key, known_hosts', (t) => {
  if (!hasAnsible()) {
    process.stderr.write('SKIPPED: needs ansible-inventory (apt-get install ansible-core)\n');
    t.skip('SKIPPED: needs ansible-inventory');
    return;
  }
  const dir = mkdtempSync('/tmp/lab-inv-test-');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'inventory.ini');
  writeFileSync(file, inventoryIni(hosts, opts));
  const out = JSON.parse(execFileSync('ansible-inventory', ['-i', file, '--list'], { encoding: 'utf8', env: { ...process.env, ANSIBLE_NOCOLOR: '1' } })) as {
    _meta: { hostvars: Record<string, Record<string, unknown>> };
    [group: string]: unknown;
  };
  assert.deepEqual((out['controller'] as { hosts: string[] }).hosts, ['ctl1']);
  assert.deepEqual((out['compute'] as { hosts: string[] }).hosts, ['ctl1', 'cmp1']);
  assert.deepEqual((out['guests'] as { hosts: string[] }).hosts, ['vm1']);
  const cmp1 = out._meta.hostvars['cmp1'] ?? {};
  assert.equal(cmp1['ansible_host'], '127.0.10.2');
  assert.equal(String(cmp1['ansible_port']), '2222');
  assert.equal(cmp1['ansible_user'], 'root');
  assert.equal(cmp1['ansible_ssh_private_key_file'], '/tmp/lab-x/id_ed25519');
  assert.equal(cmp1['ansible_ssh_common_args'], '-o UserKnownHostsFile=/tmp/lab-x/known_hosts -o StrictHostKeyChecking=yes');
});

test('a lab dir that would need shell quoting is refused, not silently broken', () => {
  assert.throws(() => inventoryIni(hosts, { ...opts, knownHostsPath: "/tmp/it's here/known_hosts" }), /needs quoting/);
});
