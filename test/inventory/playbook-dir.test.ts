// `passthru run` reads the group_vars/ and host_vars/ beside the playbook
// (Ansible's playbook-adjacent vars), `passthru inventory` those of the
// current directory (as ansible-inventory), and -i may be repeated. Shown
// through the CLI, as a user meets it: a bad value in the playbook's
// group_vars/ stops `run` before any host is contacted, naming file:line.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/passthru.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'passthru-pbdir-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function passthru(args: string[], cwd = dir): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

mkdirSync(join(dir, 'inventory', 'group_vars'), { recursive: true });
mkdirSync(join(dir, 'playbooks', 'group_vars'), { recursive: true });
writeFileSync(join(dir, 'inventory', 'hosts'), '[compute]\ncmp01 ansible_host=127.0.0.1\n');
writeFileSync(join(dir, 'inventory', 'extra.yml'), 'compute:\n  hosts:\n    cmp02: {ansible_host: 127.0.0.1}\n');
writeFileSync(join(dir, 'inventory', 'group_vars', 'compute.yml'), 'ansible_user: ops\n');
writeFileSync(join(dir, 'playbooks', 'site.yaml'), '- hosts: compute\n  steps:\n    - name: look\n      command: "true"\n');
writeFileSync(join(dir, 'playbooks', 'group_vars', 'all.yml'), '# the playbook\'s\nansible_port: twenty-two\n');

test('run reads group_vars/ beside the playbook: a bad port there is one error with file:line, before any connection', async () => {
  const r = await passthru(['run', join(dir, 'playbooks', 'site.yaml'), '-i', join(dir, 'inventory', 'hosts'), '--check']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`${join(dir, 'playbooks', 'group_vars', 'all.yml').replace(/[.]/g, '\\.')}:2: ansible_port on group 'all' must be a port number`));
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
});

test('inventory: -i twice is merged, the current directory counts as the playbook directory, --playbook-dir names another', async () => {
  const twice = await passthru(['inventory', '-i', join(dir, 'inventory', 'hosts'), '-i', join(dir, 'inventory', 'extra.yml'), '--graph', '--vars']);
  assert.equal(twice.code, 0, twice.stderr);
  assert.ok(twice.stdout.includes('  |  |--cmp01\n  |  |  |--{ansible_host = 127.0.0.1}\n  |  |  |--{ansible_user = ops}\n'), twice.stdout);
  assert.ok(twice.stdout.includes('  |  |--cmp02\n'), twice.stdout);
  // from the playbooks directory, its group_vars/ apply (and here they are wrong)
  const there = await passthru(['inventory', '-i', join(dir, 'inventory', 'hosts'), '--list'], join(dir, 'playbooks'));
  assert.equal(there.code, 1);
  assert.match(there.stderr, /group_vars\/all\.yml:2: ansible_port/);
  const named = await passthru(['inventory', '-i', join(dir, 'inventory', 'hosts'), '--host', 'cmp01', '--playbook-dir', join(dir, 'inventory')]);
  assert.equal(named.code, 0, named.stderr);
  assert.deepEqual(JSON.parse(named.stdout), { ansible_host: '127.0.0.1', ansible_user: 'ops' });
});

test('inventory flags: one mode, --vars only with --graph', async () => {
  const both = await passthru(['inventory', '-i', join(dir, 'inventory'), '--list', '--graph']);
  assert.equal(both.code, 1);
  assert.match(both.stderr, /one of --list, --graph/);
  const vars = await passthru(['inventory', '-i', join(dir, 'inventory'), '--list', '--vars']);
  assert.equal(vars.code, 1);
  assert.match(vars.stderr, /--vars goes with --graph/);
});
