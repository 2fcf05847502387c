// Credentials that do not work: a changed host key, a wrong sudo password, a
// key file that is missing, an encrypted key with no agent to unlock it.
// Each gives one clear message and the right exit code, and passthru does
// not hammer the host (sshd's own log counts the connections; sudo's log
// counts the password attempts).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { demoCluster } from '@passthru/lab/specs.ts';
import type { RealLab } from '@passthru/lab/real/lab.ts';
import { assertNoStack, cliEnv, hostFile, labInventory, labUnavailable, runCli, scratch, startFaultLab, type CliResult } from './helpers.ts';

const unavailable = labUnavailable('test/faults/auth.test.ts');

const PLAYBOOK = `
- name: needs root
  hosts: all
  become: true
  steps:
    - name: first root step
      copy: { dest: /root/auth-ok.txt, content: "ok\\n" }
    - name: second root step
      command: [id, -u]
`;

const WRONG_SUDO_PASSWORD = 'not-the-sudo-password-41';
const KEY_PASSPHRASE = 'key-passphrase-77';

describe('credentials that do not work', { skip: unavailable ? `SKIPPED: ${unavailable}` : false }, () => {
  let lab: RealLab;
  const tmp = scratch();
  const rotated = 'controller';
  const sudo = 'gpu-rtx';
  const missing = 'gpu-t4';
  const encrypted = 'cpu-only';
  let inventory = '';
  let playbook = '';
  const encryptedKey = join(tmp.dir, 'id_encrypted');

  before(async () => {
    lab = await startFaultLab(demoCluster().filter((s) => [rotated, sudo, missing, encrypted].includes(s.name)));
    await lab.rotateHostKey(rotated);
    // sudo logs every password attempt to a file on that host
    const sudoers = join(lab.host(sudo).rootDir, 'etc/sudoers.d/zz-fault-log');
    writeFileSync(sudoers, 'Defaults logfile=/var/log/sudo-fault.log\n');
    chmodSync(sudoers, 0o440);
    // an encrypted key the host would accept, if only it could be unlocked
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', KEY_PASSPHRASE, '-C', 'fault-test', '-f', encryptedKey]);
    appendFileSync(join(lab.host(encrypted).rootDir, 'etc/ssh/authorized_keys/root'), readFileSync(`${encryptedKey}.pub`));
    inventory = tmp.file(
      'inventory.ini',
      labInventory(
        lab,
        '[faulty]\n' +
          `${sudo} ansible_user=opsp ansible_become_password=${WRONG_SUDO_PASSWORD}\n` +
          `${missing} ansible_ssh_private_key_file=${tmp.dir}/no-such-key\n` +
          `${encrypted} ansible_ssh_private_key_file=${encryptedKey}\n`,
      ),
    );
    playbook = tmp.file('root.yaml', PLAYBOOK);
  });
  after(async () => {
    await lab?.stop();
    tmp.remove();
  });

  const sshdLog = (host: string): string => readFileSync(join(lab.host(host).stateDir, 'sshd.log'), 'utf8');
  /** client connections sshd saw (its log names each by the client's port) */
  const connections = (log: string): number => new Set([...log.matchAll(/ from 127\.0\.0\.1 port (\d+)| by (?:\S+ )*127\.0\.0\.1 port (\d+)/g)].map((m) => m[1] ?? m[2])).size;

  async function run(host: string): Promise<CliResult & { log: string }> {
    const before = sshdLog(host).length;
    const r = await runCli(['run', playbook, '-i', inventory, '--yes', '--limit', host], { env: cliEnv(tmp.dir) });
    assertNoStack(r.stdout + r.stderr);
    return { ...r, log: sshdLog(host).slice(before) };
  }

  it('host key changed: refuses to connect, says which known_hosts line, exit 4, one connection', async () => {
    const r = await run(rotated);
    const out = r.stdout + r.stderr;
    assert.equal(r.code, 4, out);
    assert.match(out, new RegExp(`\\[${rotated}\\] connect: UNREACHABLE: ${rotated}: HOST KEY CHANGED for [\\d.]+:22: the server now presents ssh-ed25519 SHA256:\\S+, but ${lab.knownHostsPath.replace(/[.]/g, '\\.')} line \\d+ holds a different ssh-ed25519 key`));
    assert.match(out, /man-in-the-middle/);
    assert.match(out, /hint: If the host was reinstalled .* remove the old entry/);
    assert.equal(hostFile(lab, rotated, '/root/auth-ok.txt'), undefined);
    assert.equal(connections(r.log), 1, `sshd log of the run:\n${r.log}`);
  });

  it('sudo password wrong: one clear message, exit 2, one password attempt, no second step tried', async () => {
    const r = await run(sudo);
    const out = r.stdout + r.stderr;
    assert.equal(r.code, 2, out);
    assert.match(out, new RegExp(`\\[${sudo}\\] connect: FAILED: ${sudo}: sudo password rejected`));
    assert.match(out, /hint: Check ansible_become_password .*passthru does not retry/);
    assert.doesNotMatch(out, /second root step/);
    assert.ok(!out.includes(WRONG_SUDO_PASSWORD), 'the password is not printed');
    const sudoLog = hostFile(lab, sudo, '/var/log/sudo-fault.log') ?? '';
    const attempts = [...sudoLog.matchAll(/(\d+) incorrect password attempts?/g)].map((m) => Number(m[1]));
    assert.deepEqual(attempts, [1], `sudo log:\n${sudoLog}`);
    assert.equal(hostFile(lab, sudo, '/root/auth-ok.txt'), undefined);
    assert.equal(connections(r.log), 1, `sshd log of the run:\n${r.log}`);
  });

  it('key file missing: names the file, exit 4, no connection at all', async () => {
    const r = await run(missing);
    const out = r.stdout + r.stderr;
    assert.equal(r.code, 4, out);
    assert.match(out, new RegExp(`\\[${missing}\\] connect: UNREACHABLE: ${missing}: private key file ${tmp.dir}/no-such-key does not exist`));
    assert.match(out, /hint: Fix ansible_ssh_private_key_file/);
    assert.equal(connections(r.log), 0, r.log);
  });

  it('key encrypted, no agent, no terminal: says how to unlock it, exit 4, one connection', async () => {
    const r = await run(encrypted);
    const out = r.stdout + r.stderr;
    assert.equal(r.code, 4, out);
    assert.match(out, new RegExp(`\\[${encrypted}\\] connect: UNREACHABLE: ${encrypted}: cannot log in as root@[\\d.]+:22: key ${encryptedKey} is encrypted: load it into ssh-agent \\(ssh-add ${encryptedKey}\\) or run from a terminal`));
    assert.equal(hostFile(lab, encrypted, '/root/auth-ok.txt'), undefined);
    assert.equal(connections(r.log), 1, `sshd log of the run:\n${r.log}`);
  });
});
