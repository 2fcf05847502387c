import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateKey, knownHostsLine, sshdConfig } from '../../src/real/sshd.ts';

test('known_hosts lines: bare address on port 22, [address]:port otherwise', () => {
  const key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINmru+q7KmyS7/oVvUH2aPB7NzhXBw1UmT1evJa9iHG9 root@ctl1';
  assert.equal(knownHostsLine('127.0.10.1', 22, key), '127.0.10.1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINmru+q7KmyS7/oVvUH2aPB7NzhXBw1UmT1evJa9iHG9');
  assert.equal(knownHostsLine('127.0.10.1', 2222, key), '[127.0.10.1]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINmru+q7KmyS7/oVvUH2aPB7NzhXBw1UmT1evJa9iHG9');
});

test("Debian's sshd accepts the host config (sshd -T) and keeps MaxSessions 10", (t) => {
  if (!existsSync('/usr/sbin/sshd') || process.getuid?.() !== 0) {
    process.stderr.write('SKIPPED: needs root and /usr/sbin/sshd\n');
    t.skip('SKIPPED: needs root and /usr/sbin/sshd');
    return;
  }
  // sshd -T insists on its privilege separation directory, which only the init script creates
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const dir = mkdtempSync('/tmp/lab-sshd-test-');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const config = join(dir, 'sshd_config');
  writeFileSync(config, sshdConfig('127.0.10.7', 2222));
  const out = execFileSync('/usr/sbin/sshd', ['-T', '-f', config, '-o', `HostKey=${join(dir, 'k')}`, '-C', 'user=root,host=x,addr=127.0.0.1'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  assert.match(out, /^listenaddress 127\.0\.10\.7:2222$/m);
  assert.match(out, /^usepam no$/m);
  assert.match(out, /^maxsessions 10$/m);
  assert.match(out, /^authorizedkeysfile \/etc\/ssh\/authorized_keys\/%u$/m);
  assert.match(out, /^passwordauthentication no$/m);
});

test('generateKey replaces an existing key without asking and returns the public line', async (t) => {
  const dir = mkdtempSync('/tmp/lab-key-test-');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'ssh_host_ed25519_key');
  const first = await generateKey(path, 'root@a');
  const second = await generateKey(path, 'root@a');
  assert.match(first, /^ssh-ed25519 AAAA\S+ root@a$/);
  assert.notEqual(first, second);
  assert.equal(readFileSync(`${path}.pub`, 'utf8').trim(), second);
  const derived = execFileSync('ssh-keygen', ['-y', '-f', path], { encoding: 'utf8' }).trim();
  assert.equal(derived.split(' ')[1], second.split(' ')[1], 'private and public key belong together');
});
