// Acceptance: Ansible's connection flags on real OpenSSH hosts (the real-sshd
// lab), the CLI run as a child process. The inventory holds addresses and
// ports only; who logs in, with which key, which known_hosts, and who sudo
// becomes come from -u, --private-key, --ssh-common-args and --become-user,
// except where the inventory sets its own (Ansible's precedence: a host var
// beats the command line). -vv and -vvv show commands and connection
// details, with secrets masked.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mixedCluster } from '@passthru/lab/specs.ts';
import { LAB_SUDO_PASSWORD, realLabUnavailable, startRealLab, type RealLab } from '@passthru/lab/real/lab.ts';

const BIN = fileURLToPath(new URL('../../bin/passthru.js', import.meta.url));
const STACK = /^\s+at .+(:\d+:\d+\)?|\(native\))$/m;

const unavailable = realLabUnavailable();
if (unavailable) process.stderr.write(`\n*** SKIPPED test/commands/cli-connection.test.ts: ${unavailable} ***\n\n`);

interface Cli {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `node bin/passthru.js ARGS` as a child (never spawnSync: the lab serves the hosts' tools from this process). */
function passthru(args: string[], env: NodeJS.ProcessEnv): Promise<Cli> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
const show = (r: Cli): string => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

/** exec's `host | CHANGED | rc=0 >>` blocks: host -> its output */
function outputs(stdout: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /^(\S+) \| \w+ \| rc=\d+ >>\n([^]*?)(?=^\S+ \| |\nRECAP )/gm;
  for (const m of stdout.matchAll(re)) out.set(m[1] ?? '', (m[2] ?? '').trim());
  return out;
}

describe('connection flags on real sshd hosts', { skip: unavailable ? `SKIPPED: ${unavailable}` : false }, () => {
  let lab: RealLab;
  let work: string;
  let env: NodeJS.ProcessEnv;
  let bare: string;
  let names: string[];
  /** what the lab's own inventory says in [all:vars], as flags */
  let reach: string[];

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'passthru-cli-connection-'));
    const specs = mixedCluster().filter((s) => ['ubuntu', 'nogpu'].includes(s.name));
    lab = await startRealLab(specs, { rebootSeconds: 0.5 });
    names = lab.hosts.map((h) => h.name).sort();
    // an empty HOME and no agent: the only key passthru can use is the one the flags name
    const home = join(work, 'home');
    execFileSync('mkdir', ['-p', join(home, '.ssh')]);
    env = { ...process.env, HOME: home, NO_COLOR: '1' };
    delete env['SSH_AUTH_SOCK'];
    bare = join(work, 'bare.ini');
    writeFileSync(bare, `[compute]\n${lab.hosts.map((h) => `${h.name} ansible_host=${h.address} ansible_port=${h.port}`).join('\n')}\n`);
    reach = ['--private-key', lab.identityFile, '--ssh-common-args', `-o UserKnownHostsFile=${lab.knownHostsPath} -o StrictHostKeyChecking=yes`];
  });
  after(async () => {
    await lab?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('-u logs in as that user on every host; --private-key and --ssh-common-args are what make the login work', async () => {
    for (const user of ['ops', 'opsp', 'root']) {
      const r = await passthru(['exec', '-i', bare, 'compute', '-u', user, ...reach, '--', 'id -un'], env);
      assert.equal(r.code, 0, show(r));
      const out = outputs(r.stdout);
      assert.deepEqual([...out.keys()].sort(), names, show(r));
      for (const n of names) assert.equal(out.get(n), user, `${n} logged in as ${user}: ${show(r)}`);
    }
    // without the key: no way in (empty HOME, no agent)
    const noKey = await passthru(['exec', '-i', bare, 'compute', '-u', 'ops', '--ssh-common-args', reach[3] ?? '', '--', 'id -un'], env);
    assert.equal(noKey.code, 4, show(noKey));
    // another key than the lab's: refused, so --private-key is the key offered
    const other = join(work, 'other_ed25519');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
    const wrongKey = await passthru(['exec', '-i', bare, 'compute', '-u', 'ops', '--private-key', other, '--ssh-common-args', reach[3] ?? '', '--', 'id -un'], env);
    assert.equal(wrongKey.code, 4, show(wrongKey));
    assert.match(wrongKey.stdout, /UNREACHABLE/);
    // without the known_hosts of --ssh-common-args the host keys are unknown: refused
    const noKnownHosts = await passthru(['exec', '-i', bare, 'compute', '-u', 'ops', '--private-key', lab.identityFile, '--', 'id -un'], env);
    assert.equal(noKnownHosts.code, 4, show(noKnownHosts));
  });

  it('--ssh-extra-args is used too; --ssh-config is read, below the flags; --task-timeout stops a command', async () => {
    const extra = await passthru(['exec', '-i', bare, 'compute', '-u', 'ops', '--private-key', lab.identityFile, '--ssh-extra-args', reach[3] ?? '', '--', 'id -un'], env);
    assert.equal(extra.code, 0, show(extra));
    for (const n of names) assert.equal(outputs(extra.stdout).get(n), 'ops', show(extra));
    // everything from an ssh config file; -u beats its User, as the inventory would
    const config = join(work, 'ssh_config');
    writeFileSync(config, `Host *\n  User opsp\n  IdentityFile ${lab.identityFile}\n  UserKnownHostsFile ${lab.knownHostsPath}\n  StrictHostKeyChecking yes\n`);
    const fromConfig = await passthru(['exec', '-i', bare, 'compute', '--ssh-config', config, '--', 'id -un'], env);
    assert.equal(fromConfig.code, 0, show(fromConfig));
    for (const n of names) assert.equal(outputs(fromConfig.stdout).get(n), 'opsp', show(fromConfig));
    const flagWins = await passthru(['exec', '-i', bare, 'compute', '--ssh-config', config, '-u', 'ops', '--', 'id -un'], env);
    for (const n of names) assert.equal(outputs(flagWins.stdout).get(n), 'ops', show(flagWins));
    const slow = await passthru(['exec', '-i', bare, 'compute', '-u', 'ops', ...reach, '--task-timeout', '1', '--', 'sleep 30'], env);
    assert.equal(slow.code, 2, show(slow));
    for (const n of names) assert.match(slow.stdout, new RegExp(`^${n} \\| FAILED! =>.*(timed out|timeout)`, 'mi'), show(slow));
  });

  it("the inventory's ansible_user, key and ssh args beat the flags, host by host (Ansible's precedence)", async () => {
    const [first, second] = names as [string, string];
    const inv = join(work, 'mixed.ini');
    const line = (n: string): string => {
      const h = lab.host(n);
      return `${n} ansible_host=${h.address} ansible_port=${h.port}`;
    };
    // first: its own user; second: its own wrong key and no known_hosts, so the flags' would have worked
    const other = join(work, 'other2_ed25519');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
    writeFileSync(inv, `[compute]\n${line(first)} ansible_user=opsp\n${line(second)} ansible_ssh_private_key_file=${other}\n`);
    const r = await passthru(['exec', '-i', inv, 'compute', '-u', 'ops', ...reach, '--', 'id -un'], env);
    assert.equal(r.code, 4, show(r));
    assert.equal(outputs(r.stdout).get(first), 'opsp', show(r));
    assert.match(r.stdout, new RegExp(`^${second} \\| UNREACHABLE!`, 'm'), show(r));
  });

  it('--become-user: sudo to that user with -b, unless the inventory sets ansible_become_user', async () => {
    const r = await passthru(['exec', '-i', bare, 'compute', '-u', 'ops', ...reach, '-b', '--become-user', 'opsp', '--', 'id -un'], env);
    assert.equal(r.code, 0, show(r));
    for (const n of names) assert.equal(outputs(r.stdout).get(n), 'opsp', show(r));
    const [first] = names as [string];
    const inv = join(work, 'become.ini');
    writeFileSync(inv, `[compute]\n${lab.hosts.map((h) => `${h.name} ansible_host=${h.address} ansible_port=${h.port}${h.name === first ? ' ansible_become_user=root' : ''}`).join('\n')}\n`);
    const r2 = await passthru(['exec', '-i', inv, 'compute', '-u', 'ops', ...reach, '-b', '--become-user', 'opsp', '--', 'id -un'], env);
    assert.equal(r2.code, 0, show(r2));
    for (const n of names) assert.equal(outputs(r2.stdout).get(n), n === first ? 'root' : 'opsp', show(r2));
  });

  it('-vv shows each command and its exit code; -vvv how each host is reached and the output; secrets masked at every level', async () => {
    const inv = join(work, 'secret.ini');
    writeFileSync(inv, `[compute]\n${lab.hosts.map((h) => `${h.name} ansible_host=${h.address} ansible_port=${h.port}`).join('\n')}\n[compute:vars]\nansible_become_password=${LAB_SUDO_PASSWORD}\n`);
    const cmd = `echo the password is ${LAB_SUDO_PASSWORD}; id -un`;
    const base = ['exec', '-i', inv, 'compute', '-u', 'opsp', ...reach, '-b'];
    const quiet = await passthru([...base, '--', cmd], env);
    assert.equal(quiet.code, 0, show(quiet));
    assert.doesNotMatch(quiet.stdout, /\] \$ /, 'no command lines without -vv');

    const vv = await passthru([...base, '-vv', '--', cmd], env);
    assert.equal(vv.code, 0, show(vv));
    for (const n of names) {
      assert.match(vv.stdout, new RegExp(`^\\[${n}\\] \\$ sudo echo the password is \\*+; id -un$`, 'm'), show(vv));
      assert.match(vv.stdout, new RegExp(`^\\[${n}\\]   rc=0 in \\d+ ms$`, 'm'));
    }
    assert.doesNotMatch(vv.stdout, /\] ssh opsp@/, '-vv does not show connection details');

    const vvv = await passthru([...base, '-vvv', '--', cmd], env);
    assert.equal(vvv.code, 0, show(vvv));
    for (const h of lab.hosts) {
      const line = new RegExp(`^\\[${h.name}\\] ssh opsp@${h.address.replace(/\./g, '\\.')}:${h.port}; keys: ${lab.identityFile}; known_hosts: ${lab.knownHostsPath}.* \\(StrictHostKeyChecking yes\\); connect timeout 10s, sudo to root$`, 'm');
      assert.match(vvv.stdout, line, show(vvv));
      assert.match(vvv.stdout, new RegExp(`^\\[${h.name}\\] connected in \\d+ ms$`, 'm'));
    }
    assert.match(vvv.stdout, /^ {4}stdout:\n {6}the password is \*+\n {6}root$/m, show(vvv));
    for (const r of [quiet, vv, vvv]) {
      assert.ok(!(r.stdout + r.stderr).includes(LAB_SUDO_PASSWORD), `the sudo password is shown:\n${show(r)}`);
      assert.doesNotMatch(r.stdout + r.stderr, STACK);
    }
  });

  it('run: -u and the connection flags reach the playbook\'s steps; -v shows every step result, -vv the commands', async () => {
    const playbook = join(work, 'whoami.yaml');
    writeFileSync(playbook, "- name: who\n  hosts: compute\n  steps:\n    - name: whoami\n      assert: {command: [id, -un], stdout_matches: '^ops\\s*$'}\n");
    const r = await passthru(['run', playbook, '-i', bare, '-u', 'ops', ...reach, '-vv'], env);
    assert.equal(r.code, 0, show(r));
    for (const n of names) {
      assert.match(r.stdout, new RegExp(`^\\[${n}\\] \\$ id -un$`, 'm'), show(r));
      assert.match(r.stdout, new RegExp(`\\[${n}\\] whoami: `), show(r));
    }
    // as another user the assertion fails: the user really is the one of -u
    const other = await passthru(['run', playbook, '-i', bare, '-u', 'opsp', ...reach], env);
    assert.equal(other.code, 2, show(other));
  });
});
