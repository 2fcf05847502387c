// The embedded cluster through a real SSH client (ssh2's Client): what a
// user of `passthru lab up` notices.
import assert from 'node:assert/strict';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { after, before, test } from 'node:test';
import ssh2 from 'ssh2';
import type { Client as ClientType, ClientChannel } from 'ssh2';
import { startEmbeddedCluster, type EmbeddedCluster } from '../../src/embedded/cluster.ts';
import { MAX_SESSIONS } from '../../src/embedded/host.ts';
import { demoCluster } from '../../src/specs.ts';
import type { HostSpec } from '../../src/types.ts';

let cluster: EmbeddedCluster;
const specs: HostSpec[] = demoCluster();
const open: ClientType[] = [];

before(async () => {
  cluster = await startEmbeddedCluster(specs, { rebootSeconds: 0.5 });
});

after(async () => {
  for (const c of open) c.end();
  await cluster?.stop();
  if (cluster) rmSync(cluster.dir, { recursive: true, force: true });
});

function port(name: string): number {
  const h = cluster.hosts.find((x) => x.name === name);
  assert.ok(h);
  return h.port;
}

function hostKeyOf(name: string): string {
  const line = readFileSync(cluster.knownHostsPath, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`[127.0.0.1]:${port(name)} `));
  assert.ok(line, `known_hosts has ${name}`);
  return line.split(' ')[2] as string;
}

function connect(name: string, username = 'root'): Promise<ClientType> {
  return new Promise((resolve, reject) => {
    const c = new ssh2.Client();
    const expected = hostKeyOf(name);
    c.on('ready', () => {
      open.push(c);
      c.setNoDelay(true);
      resolve(c);
    });
    c.on('error', reject);
    c.connect({
      host: '127.0.0.1',
      port: port(name),
      username,
      privateKey: readFileSync(cluster.identityFile),
      hostVerifier: (key: Buffer) => key.toString('base64') === expected,
      readyTimeout: 5000,
    });
  });
}

interface Result {
  stdout: string;
  stderr: string;
  code: number | null;
  signal: string | undefined;
}

function exec(c: ClientType, command: string, opts: { stdin?: string; env?: Record<string, string> } = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    c.exec(command, opts.env ? { env: opts.env } : {}, (err, s: ClientChannel) => {
      if (err) return reject(err);
      let stdout = '';
      let stderr = '';
      let code: number | null = null;
      let signal: string | undefined;
      s.on('data', (d: Buffer) => (stdout += d.toString()));
      s.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      s.on('exit', (c2: number | null, sig?: string) => {
        code = c2;
        signal = sig;
      });
      s.on('close', () => resolve({ stdout, stderr, code, signal }));
      s.end(opts.stdin ?? '');
    });
  });
}

const computes = () => specs.filter((s) => s.roles.includes('compute'));

test('the lab dir holds a 0600 client key, known_hosts and an Ansible INI inventory', () => {
  assert.equal(statSync(cluster.identityFile).mode & 0o777, 0o600);
  const kh = readFileSync(cluster.knownHostsPath, 'utf8').trim().split('\n');
  assert.equal(kh.length, specs.length);
  for (const line of kh) assert.match(line, /^\[127\.0\.0\.1\]:\d+ ssh-ed25519 [A-Za-z0-9+/=]+$/);
  const inv = readFileSync(cluster.inventoryPath, 'utf8');
  assert.match(inv, /^\[controller\]$/m);
  assert.match(inv, /^\[compute\]$/m);
  for (const h of cluster.hosts) {
    assert.ok(
      inv.includes(`${h.name} ansible_host=127.0.0.1 ansible_port=${h.port} ansible_user=root ansible_ssh_private_key_file=${cluster.identityFile}`),
      `inventory line of ${h.name}`,
    );
  }
  assert.ok(inv.includes(`[all:vars]\nansible_ssh_common_args='-o UserKnownHostsFile=${cluster.knownHostsPath} -o StrictHostKeyChecking=yes'`));
});

test('exec: stdout, stderr on the extended stream, exit status, stdin, accepted env', async () => {
  const c = await connect(specs[0]!.name);
  const r = await exec(c, 'echo out; echo err >&2; exit 7');
  assert.deepEqual(r, { stdout: 'out\n', stderr: 'err\n', code: 7, signal: undefined });
  const s = await exec(c, 'wc -l', { stdin: 'a\nb\nc\n' });
  assert.equal(s.stdout, '3\n');
  const e = await exec(c, 'echo "$LC_ALL/$FOO"', { env: { LC_ALL: 'C', FOO: 'bar' } });
  assert.equal(e.stdout, 'C/\n', "like Debian's sshd: AcceptEnv LANG LC_*");
});

test('an unknown command: bash: X: command not found, status 127', async () => {
  const c = await connect(specs[0]!.name);
  const r = await exec(c, 'no-such-tool --version');
  assert.deepEqual([r.stderr, r.code], ['bash: no-such-tool: command not found\n', 127]);
});

test('every host has its own files', async () => {
  const [a, b] = computes();
  assert.ok(a && b);
  const ca = await connect(a.name);
  const cb = await connect(b.name);
  await exec(ca, 'echo only-on-a > /root/marker');
  assert.equal((await exec(ca, 'cat /root/marker')).stdout, 'only-on-a\n');
  const other = await exec(cb, 'cat /root/marker');
  assert.equal(other.code, 1);
  assert.equal((await exec(cb, 'hostname')).stdout, `${b.name}\n`);
  assert.equal(cluster.fs(a.name).readFile('/root/marker'), 'only-on-a\n');
  assert.equal(cluster.fs(b.name).exists('/root/marker'), false);
});

test("stat on the lab's nova.conf: root:nova 640", async () => {
  const h = computes()[0]!;
  const c = await connect(h.name);
  assert.equal((await exec(c, "stat -c '%U:%G %a' /etc/nova/nova.conf")).stdout, 'root:nova 640\n');
});

test(`${MAX_SESSIONS} channels run at once on one connection; the next one is refused like sshd's MaxSessions`, async () => {
  const c = await connect(specs[0]!.name);
  const running = Array.from({ length: MAX_SESSIONS }, (_, i) => exec(c, `sleep 0.4; echo ${i}`));
  await new Promise((r) => setTimeout(r, 150));
  await assert.rejects(exec(c, 'echo eleventh'), /Channel open failure/);
  const done = await Promise.all(running);
  assert.deepEqual(
    done.map((d) => d.stdout),
    Array.from({ length: MAX_SESSIONS }, (_, i) => `${i}\n`),
  );
  assert.equal((await exec(c, 'echo free again')).stdout, 'free again\n');
});

test('the login user ops: own home, sudo -n to root (NOPASSWD), public key only', async () => {
  const c = await connect(specs[0]!.name, 'ops');
  const r = await exec(c, 'pwd; id -un; sudo -n id -un');
  assert.equal(r.stdout, '/home/ops\nops\nroot\n');
  await assert.rejects(connect(specs[0]!.name, 'nova'), /authentication methods failed/);
});

test('a killed command reports exit-signal (kill of its process group from another channel)', async () => {
  const c = await connect(specs[0]!.name);
  const slow = new Promise<Result>((resolve, reject) => {
    c.exec('echo pid:$$ >&2\nsleep 10', (err, s) => {
      if (err) return reject(err);
      let stderr = '';
      let code: number | null = null;
      let signal: string | undefined;
      let killed = false;
      s.on('data', () => undefined);
      s.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        const m = /pid:(\d+)/.exec(stderr);
        if (m && !killed) {
          killed = true;
          void exec(c, `kill -TERM -${m[1]}`);
        }
      });
      s.on('exit', (c2: number | null, sig?: string) => {
        code = c2;
        signal = sig;
      });
      s.on('close', () => resolve({ stdout: '', stderr, code, signal }));
      s.end();
    });
  });
  const r = await slow;
  assert.equal(r.signal, 'SIGTERM', 'ssh2 reports exit-signal TERM as SIGTERM');
  assert.equal(r.code, null);
  assert.equal(r.stderr.replace(/^pid:\d+\n/, ''), '', 'nothing after the kill');
});

test('reboot: the connection drops, the host refuses connections, then comes back with a new boot_id and the new kernel arguments', async () => {
  const h = computes().find((s) => s.distro.startsWith('ubuntu'))!;
  const c = await connect(h.name);
  const before = (await exec(c, 'cat /proc/sys/kernel/random/boot_id')).stdout.trim();
  const grub = await exec(c, `sed -i 's/^GRUB_CMDLINE_LINUX="/&intel_iommu=on iommu=pt /' /etc/default/grub && update-grub`);
  assert.equal(grub.code, 0, grub.stderr);
  assert.doesNotMatch((await exec(c, 'cat /proc/cmdline')).stdout, /intel_iommu=on/, 'not before the reboot');
  const dropped = new Promise<void>((resolve) => c.once('close', () => resolve()));
  const r = await exec(c, 'reboot');
  assert.equal(r.code, 0);
  await dropped;
  await assert.rejects(connect(h.name), /ECONNREFUSED/);
  let back: ClientType | undefined;
  // polled until it answers (up to 600 tries, 30 s: a hang guard, not a speed limit)
  for (let i = 0; i < 600 && back === undefined; i++) {
    try {
      back = await connect(h.name);
    } catch {
      await new Promise((r2) => setTimeout(r2, 50));
    }
  }
  assert.ok(back, 'the host answers again');
  const after = (await exec(back, 'cat /proc/sys/kernel/random/boot_id')).stdout.trim();
  assert.match(after, /^[0-9a-f-]{36}$/);
  assert.notEqual(after, before);
  assert.match((await exec(back, 'cat /proc/cmdline')).stdout, /\bintel_iommu=on iommu=pt\b/);
  assert.notEqual((await exec(back, 'ls /sys/class/iommu')).stdout, '', 'the IOMMU is on now');
});
