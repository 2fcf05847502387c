// The stdin of an exec channel on the embedded lab, through a real SSH client:
// whatever the client sends arrives, however late (a loaded client sends its
// stdin seconds after the command was accepted), and a command that does not
// read its stdin does not wait for it.
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { after, before, test } from 'node:test';
import ssh2 from 'ssh2';
import type { Client as ClientType, ClientChannel } from 'ssh2';
import { startEmbeddedCluster, type EmbeddedCluster } from '../../src/embedded/cluster.ts';
import { demoCluster } from '../../src/specs.ts';

let cluster: EmbeddedCluster;
const open: ClientType[] = [];

before(async () => {
  cluster = await startEmbeddedCluster(demoCluster().slice(0, 1), { rebootSeconds: 0.2, sudoPassword: 'pw' });
});

after(async () => {
  for (const c of open) c.end();
  await cluster?.stop();
  if (cluster) rmSync(cluster.dir, { recursive: true, force: true });
});

function connect(username = 'root'): Promise<ClientType> {
  const h = cluster.hosts[0];
  assert.ok(h);
  return new Promise((resolve, reject) => {
    const c = new ssh2.Client();
    c.on('ready', () => {
      open.push(c);
      resolve(c);
    });
    c.on('error', reject);
    c.connect({ host: '127.0.0.1', port: h.port, username, privateKey: readFileSync(cluster.identityFile), hostVerifier: () => true, readyTimeout: 5000 });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Run `command`; `feed` writes the channel's stdin (and may never close it).
 * Resolves with the output when the channel closes, or 'timeout' after `limitMs`.
 */
function exec(c: ClientType, command: string, feed: (s: ClientChannel) => void | Promise<void>, limitMs = 10_000): Promise<{ stdout: string; stderr: string; code: number | null } | 'timeout'> {
  return new Promise((resolve, reject) => {
    c.exec(command, (err, s) => {
      if (err) return reject(err);
      let stdout = '';
      let stderr = '';
      let code: number | null = null;
      const t = setTimeout(() => {
        resolve('timeout');
        s.close();
      }, limitMs);
      s.on('data', (d: Buffer) => (stdout += d.toString()));
      s.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      s.on('exit', (x: number | null) => (code = x));
      s.on('close', () => {
        clearTimeout(t);
        resolve({ stdout, stderr, code });
      });
      void feed(s);
    });
  });
}

test('stdin sent long after the command was accepted still arrives', async () => {
  const c = await connect();
  const r = await exec(c, 'cat > /tmp/late; wc -c < /tmp/late', async (s) => {
    await sleep(2500);
    s.end('x'.repeat(5000));
  });
  assert.ok(r !== 'timeout');
  assert.equal(r.stdout.trim(), '5000');
});

test('stdin that pauses halfway arrives whole', async () => {
  const c = await connect();
  const r = await exec(c, 'wc -c', async (s) => {
    s.write('a'.repeat(1000));
    await sleep(700);
    s.write('b'.repeat(1000));
    await sleep(700);
    s.end('c'.repeat(1000));
  });
  assert.ok(r !== 'timeout');
  assert.equal(r.stdout.trim(), '3000');
});

test("passthru's remote file write with a late stdin: every byte arrives", async () => {
  // the same shape as src/ssh/files.ts: the pid line first, then the write script
  const c = await connect();
  const data = 'line\n'.repeat(400);
  const script = `echo pid:$$ >&2\nt=/tmp/.w.tmp; n=${data.length}\ncat > "$t" || exit 1\ns=$(wc -c < "$t")\ntest "$s" -eq "$n" || { echo "only $s of $n bytes arrived" >&2; exit 1; }\nmv -f "$t" /tmp/w\necho written`;
  const r = await exec(c, script, async (s) => {
    await sleep(1500);
    s.write(data.slice(0, 700));
    await sleep(400);
    s.end(data.slice(700));
  });
  assert.ok(r !== 'timeout');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'written\n');
  assert.equal(cluster.fs(cluster.hosts[0]!.name).readFile('/tmp/w'), data);
});

test('a command that does not read stdin runs without waiting for EOF', async () => {
  const c = await connect();
  for (const command of ['cat /proc/cmdline', 'echo hi; uname -r', 'grep -c . /etc/hostname', 'sh -c "cat /etc/hostname </dev/null"', 'if [ -e /etc/passwd ]; then echo yes; fi']) {
    // stdin is never closed: a command waiting for its EOF would never end (the helper gives up after 10 s)
    const r = await exec(c, command, () => undefined);
    assert.ok(r !== 'timeout', `${command} waited for an EOF that never came`);
    assert.equal(r.code, 0, `${command}: ${r.stderr}`);
  }
});

test('a command that reads stdin waits for all of it, however long', async () => {
  const c = await connect();
  const r = await exec(c, 'echo start\nx=$(cat)\necho "got $x"', async (s) => {
    await sleep(1200);
    s.end('abcdef');
  });
  assert.ok(r !== 'timeout');
  assert.equal(r.stdout, 'start\ngot abcdef\n');
});

test('sudo -S as ops: the password is read as it comes, the command runs without an EOF when it reads no stdin', async () => {
  const c = await connect('ops');
  const r = await exec(c, "sudo -S -p 'pw:' id -un", (s) => {
    s.stderr.once('data', () => s.write('pw\n'));
  });
  assert.ok(r !== 'timeout', 'sudo waited for EOF although id reads no stdin');
  assert.equal(r.stdout, 'root\n');
  const late = await exec(c, "sudo -S -p 'pw:' sh -c 'cat > /tmp/sudo-late; wc -c < /tmp/sudo-late'", (s) => {
    s.stderr.once('data', () => {
      s.write('pw\n');
      setTimeout(() => s.end('z'.repeat(3000)), 1500);
    });
  });
  assert.ok(late !== 'timeout');
  assert.equal(late.stdout.trim(), '3000');
});
