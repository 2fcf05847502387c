// Keys and ssh-agent against a real sshd on 127.0.2.10. Keys are made by
// ssh-keygen, the agent is OpenSSH's ssh-agent.

import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { AuthError } from '../../src/errors.ts';
import { connect } from '../../src/ssh/connection.ts';
import { makeKey, skipWithoutSshd, sshdSkipReason, sshEnv, tempDir, waitFor } from './sshd-fixture.ts';
import type { KeyPair, SshEnv } from './sshd-fixture.ts';

const PASS = 'correct horse battery';

let env: SshEnv | undefined;
let keys: Record<'ecdsa' | 'rsa' | 'rsaPem' | 'encrypted' | 'stranger', KeyPair>;
let agentSock = '';
let agentPid: number | undefined;
let keyDir: string | undefined;

before(async () => {
  if (sshdSkipReason() !== undefined) return;
  const dir = tempDir('passthru-keys-');
  keyDir = dir;
  keys = {
    ecdsa: makeKey(dir, 'id_ecdsa', 'ecdsa'),
    rsa: makeKey(dir, 'id_rsa', 'rsa'),
    rsaPem: makeKey(dir, 'id_rsa_pem', 'rsa', { pem: true }),
    encrypted: makeKey(dir, 'id_encrypted', 'ed25519', { passphrase: PASS }),
    stranger: makeKey(dir, 'id_stranger', 'ed25519'), // not in authorized_keys
  };
  env = await sshEnv('127.0.2.10', { authorizedKeys: [keys.ecdsa.pub, keys.rsa.pub, keys.rsaPem.pub, keys.encrypted.pub] });
  // an agent holding the encrypted key (loaded from a decrypted copy, as ssh-add would after asking)
  agentSock = join(dir, 'agent.sock');
  const agent = spawn('ssh-agent', ['-D', '-a', agentSock], { stdio: 'ignore' });
  agentPid = agent.pid;
  await waitFor(() => existsSync(agentSock), 3000, 'ssh-agent socket');
  const plain = join(dir, 'decrypted_copy');
  copyFileSync(keys.encrypted.path, plain);
  execFileSync('ssh-keygen', ['-q', '-p', '-P', PASS, '-N', '', '-f', plain]);
  execFileSync('ssh-add', ['-q', plain], { env: { ...process.env, SSH_AUTH_SOCK: agentSock }, stdio: 'ignore' });
});
after(async () => {
  if (agentPid !== undefined) process.kill(agentPid, 'SIGTERM');
  await env?.dispose();
  if (keyDir) rmSync(keyDir, { recursive: true, force: true });
});

test('ed25519, ECDSA, RSA (OpenSSH and PEM format) private keys all log in', async (t) => {
  if (skipWithoutSshd(t)) return;
  const e = env as SshEnv;
  for (const k of [e.key, keys.ecdsa, keys.rsa, keys.rsaPem]) {
    const h = await connect(e.target({ identityFiles: [k.path] }));
    assert.equal((await h.exec('echo in')).stdout, 'in\n', k.path);
    await h.close();
  }
});

test('a refused key: AuthError naming the user, what was tried, and what to do', async (t) => {
  if (skipWithoutSshd(t)) return;
  const e = env as SshEnv;
  await assert.rejects(connect(e.target({ name: 'ctl-1', identityFiles: [keys.stranger.path] })), (err: unknown) => {
    assert.ok(err instanceof AuthError);
    assert.equal(err.exitCode, 4);
    assert.equal(
      err.message,
      `ctl-1: server refused authentication as user "root" (root@127.0.2.10:${e.sshd.port}); tried: key ${keys.stranger.path}`,
    );
    assert.match(err.hint ?? '', /~root\/\.ssh\/authorized_keys on 127\.0\.2\.10/);
    assert.match(err.hint ?? '', /ssh-copy-id/);
    return true;
  });
});

test('a missing key file is an AuthError naming the file, before any connection', async (t) => {
  if (skipWithoutSshd(t)) return;
  const e = env as SshEnv;
  const connections = (e.sshd.log.match(/Connection from/g) ?? []).length;
  const missing = join(e.dir, 'no_such_key');
  await assert.rejects(connect(e.target({ identityFiles: [missing] })), (err: unknown) => {
    assert.ok(err instanceof AuthError);
    assert.equal(err.message, `node-127.0.2.10: private key file ${missing} does not exist`);
    assert.match(err.hint ?? '', /ansible_ssh_private_key_file/);
    return true;
  });
  assert.equal((e.sshd.log.match(/Connection from/g) ?? []).length, connections);
});

test('ssh-agent keys log in; the agent is named when its keys are refused', async (t) => {
  if (skipWithoutSshd(t)) return;
  const e = env as SshEnv;
  const h = await connect(e.target({ identityFiles: [], agent: agentSock }));
  assert.equal((await h.exec('echo agent')).stdout, 'agent\n');
  await h.close();

  const other = await sshEnv('127.0.2.11'); // accepts only its own key
  t.after(() => other.dispose());
  await assert.rejects(connect(other.target({ identityFiles: [keys.stranger.path], agent: agentSock })), (err: unknown) => {
    assert.ok(err instanceof AuthError);
    assert.match(err.message, new RegExp(`tried: ssh-agent ${agentSock} \\(1 key\\), key ${keys.stranger.path}$`));
    return true;
  });
});

test('an encrypted key asks its passphrase once per run, however many connections', async (t) => {
  if (skipWithoutSshd(t)) return;
  const e = env as SshEnv;
  const prompts: string[] = [];
  const askSecret = async (prompt: string) => {
    prompts.push(prompt);
    return PASS;
  };
  const hosts = await Promise.all([1, 2, 3].map(() => connect(e.target({ identityFiles: [keys.encrypted.path] }), { askSecret })));
  for (const h of hosts) await h.close();
  assert.deepEqual(prompts, [`Enter passphrase for key '${keys.encrypted.path}': `]);
});

test('the connect timeout does not run while the user types the passphrase', async (t) => {
  if (skipWithoutSshd(t)) return;
  const e = env as SshEnv;
  const askSecret = () => new Promise<string>((r) => setTimeout(() => r(PASS), 1200));
  const h = await connect(e.target({ identityFiles: [keys.encrypted.path], connectTimeoutMs: 800 }), { askSecret });
  await h.close();
});

test('an encrypted key without a way to ask: one clear error', async (t) => {
  if (skipWithoutSshd(t)) return;
  const e = env as SshEnv;
  const k = keys.encrypted.path;
  await assert.rejects(connect(e.target({ identityFiles: [k] })), (err: unknown) => {
    assert.ok(err instanceof AuthError);
    assert.equal(
      err.message,
      `node-127.0.2.10: cannot log in as root@127.0.2.10:${e.sshd.port}: key ${k} is encrypted: load it into ssh-agent (ssh-add ${k}) or run from a terminal`,
    );
    return true;
  });
});

test('a wrong passphrase is reported and not asked again', async (t) => {
  if (skipWithoutSshd(t)) return;
  const e = env as SshEnv;
  let asked = 0;
  const askSecret = async () => {
    asked++;
    return 'wrong';
  };
  for (let i = 0; i < 2; i++) {
    await assert.rejects(connect(e.target({ identityFiles: [keys.encrypted.path] }), { askSecret }), (err: unknown) => {
      assert.ok(err instanceof AuthError);
      assert.match(err.message, new RegExp(`wrong passphrase for key ${keys.encrypted.path}`));
      return true;
    });
  }
  assert.equal(asked, 1);
});

test("OpenSSH's order: a key the agent holds is used through the agent, its file's passphrase is never asked", async (t) => {
  if (skipWithoutSshd(t)) return;
  const e = env as SshEnv;
  let asked = 0;
  const askSecret = async () => {
    asked++;
    return PASS;
  };
  const h = await connect(e.target({ identityFiles: [keys.encrypted.path], agent: agentSock }), { askSecret });
  await h.close();
  assert.equal(asked, 0);
});
