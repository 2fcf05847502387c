// sudo: the wrapping and the reading of sudo's messages, then the real thing
// against sshd on 127.0.2.20 with throwaway users and a sudoers drop-in.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { BecomeError } from '../../src/errors.ts';
import { BecomeFilter, BecomePasswordRequired, SUDO_PROMPT, becomeCommand, becomeFailure } from '../../src/ssh/become.ts';
import { connect } from '../../src/ssh/connection.ts';
import { secrets } from '../../src/util/secrets.ts';
import { allCmdlines, skipWithoutSshd, sshdSkipReason, sshEnv, sudoersPreamble, tempDir } from './sshd-fixture.ts';
import type { SshEnv } from './sshd-fixture.ts';

// what sudo 1.9.13p3 (Debian 12) prints, captured with the same flags passthru uses
const SUDO_N_NEEDS_PASSWORD = 'sudo: a password is required\n';
const SUDO_S_WRONG = '[P]Sorry, try again.\n[P]\nsudo: no password was provided\nsudo: 1 incorrect password attempt\n';
const SUDO_UNKNOWN_USER = 'sudo: unknown user nosuchuser\nsudo: error initializing audit plugin sudoers_audit\n';

test('the sudo command line: -n without a password, -S with a prompt marker, password never in argv', () => {
  assert.equal(
    becomeCommand("cat '/etc/nova/nova.conf'", 'root', false),
    `sudo -n -u root -- sh -c 'echo ${becomeMarker()}\ncat '\\''/etc/nova/nova.conf'\\'''`,
  );
  const withPw = becomeCommand('id -un', 'nova', true);
  assert.ok(withPw.startsWith(`sudo -S -p '${SUDO_PROMPT}' -u nova -- sh -c `));
});

function becomeMarker(): string {
  // the first line the wrapped command prints
  const m = /echo (\S+)\n/.exec(becomeCommand('true', 'root', false));
  return m?.[1] ?? '';
}

test("sudo's messages become BecomeErrors that say what to do", () => {
  const needs = becomeFailure('compute-1', 'root', SUDO_N_NEEDS_PASSWORD, 1, false);
  assert.ok(needs instanceof BecomePasswordRequired);
  assert.equal(needs.message, 'compute-1: sudo needs a password to run commands as root');
  assert.match(needs.hint ?? '', /ansible_become_password.*--ask-become-pass.*NOPASSWD/);

  const wrong = becomeFailure('compute-1', 'root', SUDO_S_WRONG.split('[P]').join(''), 1, false);
  assert.equal(wrong.message, 'compute-1: sudo password rejected');
  assert.ok(!(wrong instanceof BecomePasswordRequired));

  const unknown = becomeFailure('compute-1', 'nosuchuser', SUDO_UNKNOWN_USER, 1, false);
  assert.match(unknown.message, /^compute-1: sudo: there is no user nosuchuser on the host/);
});

test('BecomeFilter: the password goes out at the first prompt; a second prompt is a rejection', () => {
  const f = new BecomeFilter(true);
  const prompt = Buffer.from(SUDO_PROMPT);
  assert.equal(f.stderr(prompt.subarray(0, 5)).action, undefined, 'half a prompt is not a prompt');
  assert.equal(f.stderr(prompt.subarray(5)).action, 'send-password');
  assert.equal(f.stderr(Buffer.from(`Sorry, try again.\n${SUDO_PROMPT}`)).action, 'rejected');
  const ok = new BecomeFilter(true);
  const out = ok.stdout(Buffer.from(`${becomeMarker()}\nhello`));
  assert.deepEqual([out.data.toString(), out.opened, ok.through], ['hello', true, true]);
});

// ---- against a real sshd and sudo --------------------------------------

const NOPW = 'passthru-t-nopw';
const PW = 'passthru-t-pw';
const PASSWORD = 'Tr0ub4dor-passthru-42';
let env: SshEnv | undefined;
let dropinDir = '';

function removeUsers(): void {
  for (const u of [NOPW, PW]) {
    try {
      execFileSync('userdel', ['-r', u], { stdio: 'ignore' });
    } catch {
      /* not there */
    }
  }
}

before(async () => {
  if (sshdSkipReason() !== undefined) return;
  removeUsers();
  execFileSync('useradd', ['-m', '-s', '/bin/sh', NOPW]);
  execFileSync('usermod', ['-p', '*', NOPW]); // no password, but not locked (sshd refuses locked accounts)
  execFileSync('useradd', ['-m', '-s', '/bin/sh', PW]);
  execFileSync('chpasswd', { input: `${PW}:${PASSWORD}\n` });
  dropinDir = tempDir('passthru-become-');
  env = await sshEnv('127.0.2.20', { namespacePreamble: sudoersPreamble(dropinDir, `${NOPW} ALL=(ALL) NOPASSWD: ALL\n${PW} ALL=(ALL) ALL\n`) });
});
after(async () => {
  await env?.dispose();
  if (dropinDir) rmSync(dropinDir, { recursive: true, force: true });
  if (sshdSkipReason() === undefined) removeUsers();
});

test('NOPASSWD: commands run as root (or another user); stdin reaches the command untouched', async (t) => {
  if (skipWithoutSshd(t)) return;
  const e = env as SshEnv;
  // a become password set for a NOPASSWD user must not leak into the command's stdin
  const host = await connect(e.target({ name: 'compute-1', user: NOPW, become: true, becomePassword: 'unused-password-1' }));
  t.after(() => host.close());
  assert.deepEqual(await host.exec('id -un'), { stdout: 'root\n', stderr: '', exitCode: 0, signal: undefined });
  assert.equal((await host.exec('id -un', { becomeUser: 'nobody' })).stdout, 'nobody\n');
  assert.equal((await host.exec('id -un', { become: false })).stdout, `${NOPW}\n`);
  assert.equal((await host.exec('cat', { stdin: 'line 1\nline 2\n' })).stdout, 'line 1\nline 2\n');
  const r = await host.exec('echo out; echo err >&2; exit 5');
  assert.deepEqual([r.stdout, r.stderr, r.exitCode], ['out\n', 'err\n', 5]);
});

test('with a password: sent on stdin at the prompt, never in any process argv, stdin still reaches the command', async (t) => {
  if (skipWithoutSshd(t)) return;
  const e = env as SshEnv;
  const host = await connect(e.target({ name: 'compute-2', user: PW, become: true, becomePassword: PASSWORD }));
  t.after(() => host.close());
  assert.ok(secrets.mask(`pw=${PASSWORD}`).includes('********'), 'the password is registered as a secret');
  let seenInArgv = false;
  let scans = 0;
  const running = host.exec('id -un; sleep 1');
  const scan = setInterval(() => {
    scans++;
    if (allCmdlines().some((c) => c.includes(PASSWORD))) seenInArgv = true;
  }, 25);
  const r = await running;
  clearInterval(scan);
  assert.equal(r.stdout, 'root\n');
  assert.equal(r.stderr, '');
  assert.ok(scans > 10);
  assert.equal(seenInArgv, false, 'the password appeared in a command line');
  assert.equal((await host.exec('cat', { stdin: 'payload\n' })).stdout, 'payload\n');
});

test('sudo wants a password and none is set: BecomeError naming the host and what to do', async (t) => {
  if (skipWithoutSshd(t)) return;
  const e = env as SshEnv;
  const host = await connect(e.target({ name: 'compute-3', user: PW, become: true }));
  t.after(() => host.close());
  await assert.rejects(host.exec('id -un'), (err: unknown) => {
    assert.ok(err instanceof BecomeError);
    assert.equal(err.host, 'compute-3');
    assert.equal(err.message, 'compute-3: sudo needs a password to run commands as root');
    assert.match(err.hint ?? '', /ansible_become_password/);
    return true;
  });
});

test('a wrong password: "sudo password rejected", at once, and not tried again', async (t) => {
  if (skipWithoutSshd(t)) return;
  const e = env as SshEnv;
  const wrong = 'not-the-password-7';
  const host = await connect(e.target({ name: 'compute-4', user: PW, become: true, becomePassword: wrong }));
  t.after(() => host.close());
  await assert.rejects(host.exec('id -un'), (err: unknown) => {
    assert.ok(err instanceof BecomeError);
    assert.equal(err.message, 'compute-4: sudo password rejected');
    assert.ok(!`${err.message} ${err.hint}`.includes(wrong));
    return true;
  });
  // the second command is refused before it reaches sudo: the message says so
  await assert.rejects(host.exec('id -un'), /compute-4: sudo password rejected \(earlier in this run; not trying again\)/);
});

test('askSecret supplies the sudo password, asked once per host and user', async (t) => {
  if (skipWithoutSshd(t)) return;
  const e = env as SshEnv;
  const prompts: string[] = [];
  const askSecret = async (p: string) => {
    prompts.push(p);
    return PASSWORD;
  };
  const host = await connect(e.target({ name: 'compute-5', user: PW, become: true }), { askSecret });
  t.after(() => host.close());
  assert.equal((await host.exec('id -un')).stdout, 'root\n');
  assert.equal((await host.exec('id -un')).stdout, 'root\n');
  assert.deepEqual(prompts, [`[sudo] password for ${PW}@127.0.2.20: `]);
});
