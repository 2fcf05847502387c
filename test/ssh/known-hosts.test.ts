// known_hosts: the parser and matcher against real OpenSSH files (a hashed
// file written by `ssh-keygen -H`), and the host key check on connections to
// a real sshd on 127.0.2.7 (port 22) and 127.0.2.8.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { HostKeyError } from '../../src/errors.ts';
import { connect } from '../../src/ssh/connection.ts';
import {
  fingerprint,
  hostFieldMatches,
  knownKeyTypes,
  lookupHostKey,
  parseKnownHosts,
  preferredHostKeyAlgorithms,
  verifyHostKey,
} from '../../src/ssh/known-hosts.ts';
import { makeKey, skipWithoutSshd, sshEnv, tempDir } from './sshd-fixture.ts';

const HASHED = fileURLToPath(new URL('./fixtures/known_hosts.hashed', import.meta.url));
// the key hashed into that file, for 127.0.2.7 and [127.0.2.8]:2222 (ssh-keygen -H)
const HK1 = 'AAAAC3NzaC1lZDI1NTE5AAAAIMpbScGL8L+A36gOAc4/8FYV1CEGqt4X0IiwW5N4M9tf';
const HK1_FP = 'SHA256:BcwSKFLpCpLqV2Gbe8xUrEWSO3fCzsKxBXyMjrYoJIA'; // ssh-keygen -lf
const hk1 = Buffer.from(HK1, 'base64');

test('hashed entries written by ssh-keygen -H match their host, [host]:port for other ports', () => {
  const entries = parseKnownHosts(readFileSync(HASHED, 'utf8'), HASHED);
  assert.equal(entries.length, 2);
  const [a, b] = entries;
  assert.ok(a && b);
  assert.ok(hostFieldMatches(a.hosts, '127.0.2.7'));
  assert.ok(!hostFieldMatches(a.hosts, '127.0.2.70'));
  assert.ok(hostFieldMatches(b.hosts, '[127.0.2.8]:2222'));
  assert.ok(!hostFieldMatches(b.hosts, '127.0.2.8'), 'port 2222 is not port 22');
  assert.deepEqual(lookupHostKey([HASHED], '127.0.2.8', 2222, hk1), { status: 'ok', entry: b });
  assert.equal(lookupHostKey([HASHED], '127.0.2.8', 22, hk1).status, 'unknown');
  assert.equal(fingerprint(hk1), HK1_FP);
});

test('plain entries: comma lists, wildcards, negation, markers, comments and broken lines', (t) => {
  const dir = tempDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const other = makeKey(dir, 'k', 'ed25519');
  const text = [
    '# comment',
    '',
    `web1,10.0.0.1,[bastion.example.com]:2222 ssh-ed25519 ${HK1} web1`,
    `*.compute.example.com,!bad.compute.example.com ssh-ed25519 ${HK1}`,
    'garbage line',
    `@cert-authority *.example.com ssh-ed25519 ${HK1}`,
    `@revoked * ${other.pub}`,
    `WEB2 ssh-ed25519 ${HK1}`,
    `web3 ssh-rsa ${HK1}`, // type field does not match the blob: skipped
  ].join('\n');
  const entries = parseKnownHosts(text, '/k');
  assert.deepEqual(
    entries.map((e) => [e.line, e.marker, e.hosts]),
    [
      [3, undefined, 'web1,10.0.0.1,[bastion.example.com]:2222'],
      [4, undefined, '*.compute.example.com,!bad.compute.example.com'],
      [6, 'cert-authority', '*.example.com'],
      [7, 'revoked', '*'],
      [8, undefined, 'WEB2'],
    ],
  );
  const f = (i: number) => entries[i]?.hosts ?? '';
  assert.ok(hostFieldMatches(f(0), '10.0.0.1'));
  assert.ok(hostFieldMatches(f(0), '[bastion.example.com]:2222'));
  assert.ok(!hostFieldMatches(f(0), 'bastion.example.com'));
  assert.ok(hostFieldMatches(f(1), 'n7.compute.example.com'));
  assert.ok(!hostFieldMatches(f(1), 'bad.compute.example.com'));
  assert.ok(hostFieldMatches(f(4), 'web2'), 'host names compare case-insensitively');
});

test('verifyHostKey: a changed key names the file and line and shows the new fingerprint', (t) => {
  const dir = tempDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const kh = join(dir, 'known_hosts');
  const presented = makeKey(dir, 'new_host_key');
  writeFileSync(kh, `other ssh-ed25519 ${HK1}\n[127.0.2.8]:2200 ssh-ed25519 ${HK1}\n`);
  const realFp = execFileSync('ssh-keygen', ['-lf', presented.pubPath], { encoding: 'utf8' }).split(' ')[1];
  assert.throws(
    () => verifyHostKey({ name: 'compute-3', host: '127.0.2.8', port: 2200, knownHostsFiles: [kh], strictHostKeyChecking: 'accept-new' }, presented.blob),
    (err: unknown) => {
      assert.ok(err instanceof HostKeyError);
      assert.equal(err.knownHostsFile, kh);
      assert.equal(err.knownHostsLine, 2);
      assert.match(err.message, /^compute-3: HOST KEY CHANGED for 127\.0\.2\.8:2200/);
      assert.ok(err.message.includes(`${kh} line 2`));
      assert.ok(err.message.includes(realFp as string), 'fingerprint as ssh-keygen -l prints it');
      assert.ok((err.hint ?? '').includes(`ssh-keygen -R '[127.0.2.8]:2200' -f ${kh}`));
      return true;
    },
  );
  assert.equal(readFileSync(kh, 'utf8').split('\n').length, 3, 'accept-new did not add the changed key');
  // StrictHostKeyChecking=no accepts anything
  assert.deepEqual(
    verifyHostKey({ name: 'c', host: '127.0.2.8', port: 2200, knownHostsFiles: [kh], strictHostKeyChecking: 'no' }, presented.blob),
    { status: 'unchecked' },
  );
});

test('a revoked key is refused even under accept-new', (t) => {
  const dir = tempDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const kh = join(dir, 'known_hosts');
  const k = makeKey(dir, 'revoked_key');
  writeFileSync(kh, `@revoked * ${k.pub}\n`);
  assert.throws(
    () => verifyHostKey({ name: 'n1', host: 'n1', port: 22, knownHostsFiles: [kh], strictHostKeyChecking: 'accept-new' }, k.blob),
    (err: unknown) => err instanceof HostKeyError && /@revoked/.test(err.message) && err.knownHostsLine === 1,
  );
});

test('lookups in a large known_hosts: file order across plain and wildcard lines; an edit of the file is seen at once', (t) => {
  const dir = tempDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const kh = join(dir, 'known_hosts');
  const rsa = makeKey(dir, 'rsa_host_key', 'rsa');
  const ed = makeKey(dir, 'ed_host_key', 'ed25519');
  const filler = Array.from({ length: 3000 }, (_, i) => `node${i} ssh-ed25519 ${HK1}`);
  // the wildcard line comes before the plain one: its key type is negotiated first
  writeFileSync(kh, [`cmp-* ${rsa.pub}`, ...filler, `cmp-7 ${ed.pub}`, ''].join('\n'));
  const last = filler.length + 2;
  assert.deepEqual(knownKeyTypes([kh], 'cmp-7', 22), ['ssh-rsa', 'ssh-ed25519']);
  assert.deepEqual(lookupHostKey([kh], 'CMP-7', 22, ed.blob), { status: 'ok', entry: parseKnownHosts(readFileSync(kh, 'utf8'), kh).at(-1) });
  assert.equal(lookupHostKey([kh], 'node2999', 22, hk1).status, 'ok');
  // every host of a large file found (how fast: the benchmark's 1000-host runs)
  const found = Array.from({ length: 3000 }, (_, i) => lookupHostKey([kh], `node${i}`, 22, hk1).status);
  assert.deepEqual(new Set(found), new Set(['ok']));
  // the host was reinstalled: its line is replaced (same size, written within the same millisecond)
  const b64 = (pub: string): string => pub.split(/\s+/)[1] ?? '';
  const replaced = readFileSync(kh, 'utf8').replace(b64(ed.pub), b64(makeKey(dir, 'ed_host_key_2', 'ed25519').pub));
  writeFileSync(kh, replaced);
  const verdict = lookupHostKey([kh], 'cmp-7', 22, ed.blob);
  assert.equal(verdict.status, 'changed');
  assert.equal(verdict.status === 'changed' ? verdict.entry.line : 0, last);
  rmSync(kh);
  assert.deepEqual(knownKeyTypes([kh], 'cmp-7', 22), [], 'a removed file holds no keys');
});

test('the key types known_hosts holds for a host are negotiated first', () => {
  assert.deepEqual(preferredHostKeyAlgorithms(['ssh-rsa']).slice(0, 3), ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
  assert.equal(preferredHostKeyAlgorithms([])[0], 'ssh-ed25519');
  assert.equal(preferredHostKeyAlgorithms(['ecdsa-sha2-nistp256'])[0], 'ecdsa-sha2-nistp256');
});

test('connect: plain entry on port 22, and a hashed [host]:port entry', async (t) => {
  if (skipWithoutSshd(t)) return;
  const e = await sshEnv('127.0.2.7', { port: 22 });
  t.after(() => e.dispose());
  writeFileSync(e.knownHosts, `127.0.2.7 ${e.sshd.hostKey.pub}\n`);
  const h22 = await connect(e.target());
  await h22.close();

  const e2 = await sshEnv('127.0.2.8');
  t.after(() => e2.dispose());
  execFileSync('ssh-keygen', ['-q', '-H', '-f', e2.knownHosts], { stdio: 'ignore' });
  assert.match(readFileSync(e2.knownHosts, 'utf8'), /^\|1\|/);
  const h = await connect(e2.target());
  assert.equal((await h.exec('echo ok')).stdout, 'ok\n');
  await h.close();
});

test('connect: unknown host under strict checking is refused with the ssh-keyscan hint', async (t) => {
  if (skipWithoutSshd(t)) return;
  const e = await sshEnv('127.0.2.8');
  t.after(() => e.dispose());
  writeFileSync(e.knownHosts, '');
  await assert.rejects(connect(e.target({ name: 'compute-9' })), (err: unknown) => {
    assert.ok(err instanceof HostKeyError);
    assert.equal(err.exitCode, 4);
    assert.equal(
      err.message,
      `compute-9: unknown host key for 127.0.2.8:${e.sshd.port}: ssh-ed25519 ${fingerprint(e.sshd.hostKey.blob)} is not in ${e.knownHosts}`,
    );
    assert.ok((err.hint ?? '').includes(`ssh-keyscan -p ${e.sshd.port} -t ed25519 127.0.2.8 >> ${e.knownHosts}`));
    assert.ok((err.hint ?? '').includes('StrictHostKeyChecking=accept-new'));
    return true;
  });
  assert.doesNotMatch(e.sshd.log, /Accepted publickey/, 'no credentials were sent to an unverified host');
});

test('connect: accept-new records the key, after which strict checking passes', async (t) => {
  if (skipWithoutSshd(t)) return;
  const e = await sshEnv('127.0.2.8');
  t.after(() => e.dispose());
  writeFileSync(e.knownHosts, '# mine\n');
  const h = await connect(e.target({ strictHostKeyChecking: 'accept-new' }));
  await h.close();
  const [type, b64] = e.sshd.hostKey.pub.split(' ');
  assert.equal(readFileSync(e.knownHosts, 'utf8'), `# mine\n[127.0.2.8]:${e.sshd.port} ${type} ${b64}\n`);
  // OpenSSH's own ssh-keygen finds it there
  assert.match(execFileSync('ssh-keygen', ['-F', `[127.0.2.8]:${e.sshd.port}`, '-f', e.knownHosts], { encoding: 'utf8' }), /found: line 2/);
  const h2 = await connect(e.target());
  await h2.close();
});

test('connect: a changed host key is refused, naming the known_hosts file and line', async (t) => {
  if (skipWithoutSshd(t)) return;
  const e = await sshEnv('127.0.2.8');
  t.after(() => e.dispose());
  const old = makeKey(e.dir, 'old_host_key');
  writeFileSync(e.knownHosts, `web1 ${old.pub}\n\n[127.0.2.8]:${e.sshd.port} ${old.pub}\n`);
  await assert.rejects(connect(e.target({ name: 'compute-2', strictHostKeyChecking: 'accept-new' })), (err: unknown) => {
    assert.ok(err instanceof HostKeyError);
    assert.equal(err.knownHostsFile, e.knownHosts);
    assert.equal(err.knownHostsLine, 3);
    assert.ok(err.message.includes(`${e.knownHosts} line 3`));
    assert.ok(err.message.includes(fingerprint(e.sshd.hostKey.blob)));
    return true;
  });
  assert.doesNotMatch(e.sshd.log, /Accepted publickey/);
});

test('connect: only the RSA key of a host with several keys is known: RSA is negotiated', async (t) => {
  if (skipWithoutSshd(t)) return;
  const dir = tempDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const rsa = makeKey(dir, 'host_rsa', 'rsa');
  const e = await sshEnv('127.0.2.8', { extra: [`HostKey ${rsa.path}`] });
  t.after(() => e.dispose());
  writeFileSync(e.knownHosts, `[127.0.2.8]:${e.sshd.port} ${rsa.pub}\n`);
  const h = await connect(e.target());
  await h.close();
});
