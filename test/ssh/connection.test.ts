// The connection against a real OpenSSH sshd on 127.0.2.1 / 127.0.2.2.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CommandTimeoutError, ConnectionLostError, UnreachableError } from '../../src/errors.ts';
import { connect, SshHost } from '../../src/ssh/connection.ts';
import { allCmdlines, killMarked, killQuiet, skipWithoutSshd, sleepMarker, sshdSkipReason, sshEnv, waitFor } from './sshd-fixture.ts';
import type { SshEnv } from './sshd-fixture.ts';

let env: SshEnv | undefined;
before(async () => {
  if (sshdSkipReason() === undefined) env = await sshEnv('127.0.2.1');
});
after(async () => {
  await env?.dispose();
});

test('exec returns stdout, stderr and the exit code, and feeds stdin', async (t) => {
  if (skipWithoutSshd(t)) return;
  const e = env as SshEnv;
  const host = await connect(e.target());
  t.after(() => host.close());
  assert.equal(host.name, 'node-127.0.2.1');
  assert.equal(host.connected, true);

  const r = await host.exec("echo out; echo 'to err' >&2; exit 3");
  assert.deepEqual({ stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode }, { stdout: 'out\n', stderr: 'to err\n', exitCode: 3 });

  const c = await host.exec('tr a-z A-Z', { stdin: 'hello\nworld' });
  assert.equal(c.stdout, 'HELLO\nWORLD');
  assert.equal(c.exitCode, 0);

  // multi-byte characters split across SSH packets come back whole
  const big = 'é€'.repeat(100_000);
  const b = await host.exec('cat', { stdin: big });
  assert.equal(b.stdout, big);

  // root asked to become root: no sudo in between
  assert.equal((await host.exec('echo "[$SUDO_USER]"', { become: true })).stdout, '[]\n');

  // a command killed by a signal: exit 255 and the signal name
  const k = await host.exec('kill -KILL $$');
  assert.equal(k.exitCode, 255);
  assert.equal(k.signal, 'SIGKILL');
});

test('30 commands at once share one connection, never more than 10 channels open on the server', async (t) => {
  if (skipWithoutSshd(t)) return;
  const e = env as SshEnv;
  const logins = () => (e.sshd.log.match(/Accepted publickey/g) ?? []).length;
  const loginsBefore = logins();
  const host = (await connect(e.target())) as SshHost;
  t.after(() => host.close());
  const log = join(e.dir, 'concurrency.log');
  let clientPeak = 0;
  const sampler = setInterval(() => (clientPeak = Math.max(clientPeak, host.channelsInUse)), 5);
  const results = await Promise.all(
    Array.from({ length: 30 }, (_, i) => host.exec(`echo "+ ${i}" >> ${log}; sleep 0.5; echo "- ${i}" >> ${log}; echo ${i}`)),
  );
  clearInterval(sampler);
  assert.deepEqual(
    results.map((r) => r.stdout.trim()),
    Array.from({ length: 30 }, (_, i) => String(i)),
  );
  // server side: how many commands were between their "+" and "-" at once
  let running = 0;
  let serverPeak = 0;
  for (const line of readFileSync(log, 'utf8').trim().split('\n')) {
    running += line.startsWith('+') ? 1 : -1;
    serverPeak = Math.max(serverPeak, running);
  }
  assert.ok(serverPeak <= 10, `server saw ${serverPeak} commands at once`);
  assert.ok(serverPeak >= 5, `commands were not pipelined: at most ${serverPeak} at once`);
  assert.ok(clientPeak <= 10, `client held ${clientPeak} channels`);
  assert.equal(logins() - loginsBefore, 1, 'one SSH connection for all 30 commands');
});

test('a command past its timeout fails with CommandTimeoutError, is killed on the host, and frees its channel', async (t) => {
  if (skipWithoutSshd(t)) return;
  const e = env as SshEnv;
  const host = (await connect(e.target())) as SshHost;
  t.after(() => host.close());
  const marker = sleepMarker(30);
  t.after(() => killMarked(`sleep ${marker}`));
  // left alone, `sleep 30` would succeed: a rejection at all is the timeout at work
  await assert.rejects(host.exec(`sleep ${marker}`, { timeoutMs: 300 }), (err: unknown) => {
    assert.ok(err instanceof CommandTimeoutError);
    assert.match(err.message, /^node-127\.0\.2\.1: command timed out after 0\.3 s/);
    return true;
  });
  await waitFor(() => !allCmdlines().some((c) => c.includes(`sleep ${marker}`)), 3000, 'the remote sleep to be killed');
  assert.equal((await host.exec('echo still here')).stdout, 'still here\n');
});

test('ten stuck commands at once: all time out, are killed, and the next commands run at once', async (t) => {
  if (skipWithoutSshd(t)) return;
  const e = env as SshEnv;
  const host = (await connect(e.target())) as SshHost;
  t.after(() => host.close());
  // an hour each: the next commands can only get channels if the stuck ones were stopped and freed theirs
  const marker = sleepMarker(3600);
  t.after(() => killMarked(`sleep ${marker}`));
  const stuck = await Promise.allSettled(Array.from({ length: 10 }, () => host.exec(`sleep ${marker}`, { timeoutMs: 300 })));
  assert.ok(stuck.every((r) => r.status === 'rejected' && r.reason instanceof CommandTimeoutError));
  const next = await Promise.all(Array.from({ length: 10 }, (_, i) => host.exec(`echo ${i}`)));
  assert.deepEqual(next.map((r) => r.stdout), Array.from({ length: 10 }, (_, i) => `${i}\n`));
  await waitFor(() => !allCmdlines().some((c) => c.includes(`sleep ${marker}`)), 3000, 'the remote sleeps to be killed');
});

test('an aborted command stops at once', async (t) => {
  if (skipWithoutSshd(t)) return;
  const e = env as SshEnv;
  const host = await connect(e.target());
  t.after(() => host.close());
  const ac = new AbortController();
  setTimeout(() => ac.abort(new Error('user pressed Ctrl-C')), 200);
  const marker = sleepMarker(20);
  t.after(() => killMarked(`sleep ${marker}`));
  await assert.rejects(host.exec(`sleep ${marker}`, { signal: ac.signal }), /user pressed Ctrl-C/);
  await waitFor(() => !allCmdlines().some((c) => c.includes(`sleep ${marker}`)), 3000, 'the remote sleep to be killed');
  assert.equal((await host.exec('echo ok')).stdout, 'ok\n');
});

test('a dropped connection fails running and queued commands with ConnectionLostError; reconnect brings it back', async (t) => {
  if (skipWithoutSshd(t)) return;
  const e = env as SshEnv;
  const before = new Set(e.sshd.sessionPids());
  const host = await connect(e.target());
  t.after(() => host.close());
  const marker = sleepMarker(20);
  t.after(() => killMarked(`sleep ${marker}`));
  const running = Array.from({ length: 12 }, () => host.exec(`sleep ${marker}`));
  await waitFor(() => e.sshd.sessionPids().some((p) => !before.has(p)), 3000, 'the session to start');
  await new Promise((r) => setTimeout(r, 300));
  // kill this connection's sshd processes (not the listener)
  for (const pid of e.sshd.sessionPids()) if (!before.has(pid)) killQuiet(pid, 'SIGKILL');
  const results = await Promise.allSettled(running);
  for (const r of results) {
    assert.equal(r.status, 'rejected');
    assert.ok(r.reason instanceof ConnectionLostError, String(r.reason));
    assert.match(r.reason.message, /^node-127\.0\.2\.1: connection lost/);
    // noticed by the closed socket at once, not by keepalives running out
    assert.doesNotMatch(r.reason.message, /keepalive/);
  }
  assert.equal(host.connected, false);
  await assert.rejects(host.exec('true'), ConnectionLostError);
  await host.reconnect({ timeoutMs: 5000 });
  assert.equal(host.connected, true);
  assert.equal((await host.exec('echo back')).stdout, 'back\n');
});

test('a peer that stops answering (no FIN, no RST) is detected by keepalives', async (t) => {
  if (skipWithoutSshd(t)) return;
  const e = await sshEnv('127.0.2.2');
  t.after(() => e.dispose());
  const host = await connect(e.target({ keepaliveIntervalMs: 300 }));
  t.after(() => host.close());
  const marker = sleepMarker(30);
  t.after(() => killMarked(`sleep ${marker}`));
  const cmd = host.exec(`sleep ${marker}`);
  await new Promise((r) => setTimeout(r, 300));
  const frozen = e.sshd.sessionPids();
  for (const pid of frozen) killQuiet(pid, 'SIGSTOP');
  t.after(() => {
    for (const pid of frozen) killQuiet(pid, 'SIGKILL');
    for (const pid of frozen) killQuiet(pid, 'SIGCONT');
  });
  // the stopped server never answers again: only the keepalives can end this command
  await assert.rejects(cmd, (err: unknown) => {
    assert.ok(err instanceof ConnectionLostError);
    assert.match(err.message, /keepalive/);
    return true;
  });
  assert.equal(host.connected, false);
});

test('reconnect keeps trying through the refused connections of a restart, and succeeds once sshd is back', async (t) => {
  if (skipWithoutSshd(t)) return;
  const e = await sshEnv('127.0.2.2');
  t.after(() => e.dispose());
  const host = await connect(e.target({ connectTimeoutMs: 2000 }));
  t.after(() => host.close());
  const bootId = (await host.exec('cat /proc/sys/kernel/random/boot_id')).stdout;
  assert.match(bootId, /^[0-9a-f-]{36}\n$/);
  const marker = sleepMarker(10);
  t.after(() => killMarked(`sleep ${marker}`));
  const inFlight = assert.rejects(host.exec(`sleep ${marker}`), ConnectionLostError);
  await new Promise((r) => setTimeout(r, 200));
  await e.sshd.stop(); // "reboot": listener and sessions gone
  await inFlight;

  let up = false;
  const restart = (async () => {
    await new Promise((r) => setTimeout(r, 700));
    await e.sshd.start();
    up = true;
  })();
  await host.reconnect({ timeoutMs: 60_000, attemptTimeoutMs: 1000 });
  const upWhenReconnected = up;
  await restart;
  assert.ok(upWhenReconnected, 'reconnected only once sshd was back');
  assert.equal((await host.exec('echo up')).stdout, 'up\n');
});

test('reconnect through a reboot whose port first accepts TCP and says nothing (a port forward to a booting guest)', async (t) => {
  if (skipWithoutSshd(t)) return;
  const e = await sshEnv('127.0.2.2');
  t.after(() => e.dispose());
  const host = await connect(e.target());
  t.after(() => host.close());
  await e.sshd.stop();
  // the forwarder answers TCP on the same port while the guest boots
  const sockets: Socket[] = [];
  const silent = createServer((sock) => sockets.push(sock));
  await new Promise<void>((r) => silent.listen(e.sshd.port, '127.0.2.2', r));
  const boot = (async () => {
    await new Promise((r) => setTimeout(r, 1200));
    await new Promise<void>((r) => {
      silent.close(() => r());
      for (const sock of sockets) sock.destroy();
    });
    await e.sshd.start();
  })();
  await host.reconnect({ timeoutMs: 60_000, attemptTimeoutMs: 500 });
  await boot;
  // an unbounded attempt would have stayed on the first silent connection until timeoutMs
  assert.ok(sockets.length >= 2, `bounded attempts were repeated (${sockets.length} silent connections)`);
  assert.equal((await host.exec('echo booted')).stdout, 'booted\n');
});

test('reconnect gives up after timeoutMs with UnreachableError naming the host', async (t) => {
  if (skipWithoutSshd(t)) return;
  const e = await sshEnv('127.0.2.2');
  t.after(() => e.dispose());
  const host = await connect(e.target());
  t.after(() => host.close());
  await e.sshd.stop();
  await assert.rejects(host.reconnect({ timeoutMs: 800, attemptTimeoutMs: 300 }), (err: unknown) => {
    assert.ok(err instanceof UnreachableError);
    assert.match(err.message, /^node-127\.0\.2\.2: did not come back within 0\.8 s \(\d+ attempts; last: connection refused/);
    return true;
  });
});

test('close() ends the connection; exec afterwards is refused', async (t) => {
  if (skipWithoutSshd(t)) return;
  const e = env as SshEnv;
  const host = await connect(e.target());
  await host.close();
  assert.equal(host.connected, false);
  await assert.rejects(host.exec('true'), /node-127\.0\.2\.1: connection closed/);
});
