// The simulated shell of an embedded host, without SSH: what the commands
// passthru sends print and change, on the rootfs of the host model.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import ssh2 from 'ssh2';
import type { ParsedKey } from 'ssh2';
import { generateEd25519 } from '../../src/embedded/cluster.ts';
import { SimHost } from '../../src/embedded/host.ts';
import { hostModel } from '../../src/embedded/model.ts';
import { runShell } from '../../src/embedded/shell.ts';
import { mixedCluster } from '../../src/specs.ts';
import type { HostSpec } from '../../src/types.ts';

const specs = mixedCluster();
const keys = generateEd25519();
const clientKey = ssh2.utils.parseKey(generateEd25519().public) as ParsedKey;

function host(pick: (s: HostSpec) => boolean, sudoPassword?: string): SimHost {
  const spec = specs.find(pick);
  assert.ok(spec, 'the mixed cluster has such a host');
  const h = new SimHost({
    spec,
    model: hostModel(spec, specs),
    hostKey: keys.private,
    clientKey,
    rebootSeconds: 0,
    loginUsers: ['root', 'ops'],
    sudoers: [{ user: 'ops', password: sudoPassword }],
    acceptEnv: ['LANG', 'LC_*'],
  });
  // booted, but no listener: the shell alone is under test
  (h as unknown as { boot(): void }).boot();
  return h;
}

const compute = () => host((s) => s.roles.includes('compute') && s.nova !== undefined && s.distro.startsWith('ubuntu'));

async function run(h: SimHost, command: string, user = 'root', stdin?: string) {
  return runShell(h, { user, command, stdin });
}

test('stdout, stderr and the exit status of a command line', async () => {
  const h = compute();
  const r = await run(h, 'echo out; echo err >&2; exit 3');
  assert.deepEqual([r.stdout, r.stderr, r.exitCode], ['out\n', 'err\n', 3]);
  assert.equal((await run(h, 'wc -l', 'root', 'one\ntwo\n')).stdout, '2\n');
});

test('an unknown command is "command not found", status 127, never a pretend success', async () => {
  const h = compute();
  const r = await run(h, 'frobnicate --all');
  assert.equal(r.exitCode, 127);
  assert.equal(r.stderr, 'bash: frobnicate: command not found\n');
  assert.equal((await run(h, 'command -v grubby || echo none')).stdout, 'none\n', 'no grubby on Ubuntu');
  assert.match((await run(h, 'command -v update-grub')).stdout, /update-grub\n$/);
});

test("stat shows the real owner, group and mode of the lab's nova.conf", async () => {
  const h = compute();
  const r = await run(h, "stat -c '%U:%G %a' /etc/nova/nova.conf");
  assert.equal(r.stdout, 'root:nova 640\n');
  const n = await run(h, "stat -L -c '%u %g %s %F' /etc/nova/nova.conf");
  assert.match(n.stdout, /^0 64060 \d+ regular file\n$/);
  assert.equal((await run(h, 'stat /nonexistent')).stderr, "stat: cannot statx '/nonexistent': No such file or directory\n");
});

test('id, whoami, uname, hostname answer as the host and the login user', async () => {
  const h = compute();
  assert.equal((await run(h, 'id -u; id -un; id -g; id -gn; whoami')).stdout, '0\nroot\n0\nroot\nroot\n');
  assert.equal((await run(h, 'id', 'ops')).stdout, 'uid=1000(ops) gid=1000(ops) groups=1000(ops),27(sudo)\n');
  const u = await run(h, 'uname -s; uname -m; uname -r; hostname');
  const [s, m, rel, name] = u.stdout.trim().split('\n');
  assert.deepEqual([s, m, name], ['Linux', 'x86_64', h.name]);
  assert.equal(`${rel}\n`, h.store.readFile('/proc/sys/kernel/osrelease'), 'uname -r is the booted kernel');
});

test('chown/chmod --reference, cp -p and mv keep owner, group and mode', async () => {
  const h = compute();
  const r = await run(
    h,
    [
      'umask 077',
      't=$(mktemp /etc/nova/.nova.conf.XXXXXX)',
      "stat -c '%U:%G %a' \"$t\"",
      'chown --reference=/etc/nova/nova.conf "$t"',
      'chmod --reference=/etc/nova/nova.conf "$t"',
      "stat -c '%U:%G %a' \"$t\"",
      'cp -p /etc/nova/nova.conf /etc/nova/nova.conf.bak',
      "stat -c '%U:%G %a' /etc/nova/nova.conf.bak",
      'cp /etc/nova/nova.conf /tmp/plain',
      "stat -c '%U:%G %a' /tmp/plain",
      'echo new > "$t"',
      'mv -f "$t" /etc/nova/nova.conf',
      "stat -c '%U:%G %a' /etc/nova/nova.conf",
      'cat /etc/nova/nova.conf',
    ].join('\n'),
  );
  assert.equal(r.stderr, '');
  assert.equal(r.stdout, 'root:root 600\nroot:nova 640\nroot:nova 640\nroot:root 600\nroot:nova 640\nnew\n');
  assert.equal(h.store.readFile('/etc/nova/nova.conf.bak')?.includes('[DEFAULT]'), true);
});

test('ops may not read nova.conf; sudo -n lets it, and runs as root', async () => {
  const h = compute();
  const denied = await run(h, 'cat /etc/nova/nova.conf', 'ops');
  assert.equal(denied.exitCode, 1);
  assert.equal(denied.stderr, 'cat: /etc/nova/nova.conf: Permission denied\n');
  const w = await run(h, 'echo x > /etc/motd; echo "status $?"', 'ops');
  assert.equal(w.stdout, 'status 1\n');
  assert.equal(w.stderr, 'bash: /etc/motd: Permission denied\n');
  const s = await run(h, 'sudo -n id -un && sudo -n -u root -- sh -c \'touch /root/x; stat -c %U /root/x\'', 'ops');
  assert.equal(s.stdout, 'root\nroot\n');
  assert.equal((await run(h, 'sudo -u ops touch /tmp/mine; stat -c %U:%G /tmp/mine')).stdout, 'ops:ops\n');
});

test('sudo with a password: -n refuses, -S reads it from stdin, a wrong one is rejected', async () => {
  const h = host((s) => s.roles.includes('compute'), 'secret');
  const n = await run(h, 'sudo -n true', 'ops');
  assert.deepEqual([n.exitCode, n.stderr], [1, 'sudo: a password is required\n']);
  const ok = await run(h, "sudo -S -p 'pw:' -- sh -c 'id -un; cat'", 'ops', 'secret\nrest of stdin\n');
  assert.equal(ok.stdout, 'root\nrest of stdin\n');
  assert.equal(ok.stderr, 'pw:\n');
  const bad = await run(h, "sudo -S -p 'pw:' true", 'ops', 'wrong\nwrong\nwrong\n');
  assert.equal(bad.exitCode, 1);
  assert.match(bad.stderr, /Sorry, try again\.[\s\S]*sudo: 3 incorrect password attempts/);
});

test('exec CMD ends the script with CMD\'s status (passthru reads files with `exec cat`)', async () => {
  const h = compute();
  const r = await run(h, 'if test -e /etc/hostname; then\n  exec cat /etc/hostname\nfi\necho not reached\n');
  assert.equal(r.stdout, `${h.name}\n`);
  const f = await run(h, 'exec cat /nonexistent\necho not reached');
  assert.deepEqual([f.stdout, f.exitCode], ['', 1]);
  assert.equal((await run(h, "sh -c 'exec false; echo no'; echo $?")).stdout, '1\n');
});

test('trap: the EXIT handler runs when the line ends (also on exit and set -e), signal traps are accepted', async () => {
  const h = compute();
  const r = await run(h, 't=$(mktemp); echo "$t" > /tmp/name; trap \'rm -f "$t"\' EXIT; trap \'exit 130\' INT TERM HUP; exit 4');
  assert.equal(r.exitCode, 4);
  const name = h.store.readFile('/tmp/name')?.trim() ?? '';
  assert.match(name, /^\/tmp\/tmp\.\w{10}$/);
  assert.equal(h.store.exists(name), false, 'the temp file was removed by the trap');
  const e = await run(h, 'set -e; trap "echo cleanup" EXIT; false; echo not reached');
  assert.deepEqual([e.stdout, e.exitCode], ['cleanup\n', 1]);
});

test('mktemp makes 0600 files and 0700 directories owned by the caller', async () => {
  const h = compute();
  const r = await run(h, "f=$(mktemp); d=$(mktemp -d); stat -c '%U %a' \"$f\" \"$d\"; mktemp -p /var/tmp foo.XXXX", 'ops');
  const lines = r.stdout.trim().split('\n');
  assert.deepEqual(lines.slice(0, 2), ['ops 600', 'ops 700']);
  assert.match(lines[2] ?? '', /^\/var\/tmp\/foo\.\w{4}$/);
  assert.match((await run(h, 'mktemp foo.XX')).stderr, /too few X's/);
});

test('flock: -n fails at once while another command holds the lock, -w waits, the lock is freed afterwards', async () => {
  const h = compute();
  const holder = run(h, 'flock /var/lock/passthru sleep 0.3');
  await new Promise((r) => setTimeout(r, 50));
  const busy = await run(h, 'flock -n /var/lock/passthru echo got it');
  assert.deepEqual([busy.stdout, busy.exitCode], ['', 1]);
  const waited = await run(h, 'flock -w 5 /var/lock/passthru -c "echo waited"');
  assert.equal(waited.stdout, 'waited\n');
  await holder;
  assert.equal((await run(h, 'flock -n /var/lock/passthru echo free')).stdout, 'free\n');
});

test('kill stops another command line by its process group', async () => {
  const h = compute();
  let pid = 0;
  const slow = runShell(h, { user: 'root', command: 'sleep 5; echo finished', onStart: (p) => (pid = p) });
  await new Promise((r) => setTimeout(r, 50));
  const k = await run(h, `kill -TERM -${pid}`);
  assert.equal(k.exitCode, 0);
  const r = await slow;
  assert.equal(r.signal, 'TERM');
  assert.equal(r.stdout, '');
  assert.match((await run(h, `kill -0 ${pid}`)).stderr, /No such process/);
});

test('the model tools run: lspci lists the spec devices, systemctl knows the units', async () => {
  const h = compute();
  const l = await run(h, 'lspci -nn');
  assert.equal(l.exitCode, 0);
  for (const d of h.spec.devices) assert.ok(l.stdout.includes(d.address.slice(5)), `lspci shows ${d.address}`);
  const s = await run(h, 'systemctl is-active nova-compute');
  assert.equal(s.stdout, 'active\n');
});

test('ls -l shows the real mode, owner and group', async () => {
  const h = compute();
  const r = await run(h, 'ls -l /etc/nova');
  assert.match(r.stdout, /^-rw-r----- 1 root nova +\d+ .* nova\.conf$/m);
  assert.match((await run(h, 'ls -ld /etc/nova')).stdout, /^drwxr-x--- 1 root nova /);
});
