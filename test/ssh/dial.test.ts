// Connection attempts: unreachable hosts of every kind, bounded attempts,
// jump host chains. Real sshd on 127.0.2.3-127.0.2.6; a silent TCP server on
// 127.0.2.49; nothing listening on 127.0.2.48.

import assert from 'node:assert/strict';
import { appendFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { UnreachableError } from '../../src/errors.ts';
import { connect } from '../../src/ssh/connection.ts';
import { resolveTarget } from '../../src/ssh/target.ts';
import type { ConnectTarget } from '../../src/ssh/types.ts';
import { freePort, skipWithoutSshd, sshEnv, startSshd } from './sshd-fixture.ts';

function bare(o: Partial<ConnectTarget> & { host: string; port: number }): ConnectTarget {
  return {
    name: 'web1',
    user: 'root',
    identityFiles: [],
    knownHostsFiles: [],
    strictHostKeyChecking: 'yes',
    jumps: [],
    connectTimeoutMs: 2000,
    keepaliveIntervalMs: 5000,
    become: false,
    ...o,
  };
}

test('a port that accepts TCP and never sends a banner fails within the connect timeout', async (t) => {
  const sockets: Socket[] = [];
  const server = createServer((s) => sockets.push(s)); // accept, say nothing
  await new Promise<void>((r) => server.listen(0, '127.0.2.49', r));
  t.after(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  const port = (server.address() as { port: number }).port;
  await assert.rejects(connect(bare({ host: '127.0.2.49', port, connectTimeoutMs: 1000 })), (err: unknown) => {
    assert.ok(err instanceof UnreachableError);
    assert.equal(err.host, 'web1');
    assert.match(err.message, /^web1: 127\.0\.2\.49:\d+ accepted the TCP connection but sent no SSH banner within 1 s/);
    assert.equal(err.exitCode, 4);
    return true;
  });
  assert.equal(sockets.length, 1, 'one TCP connection was made');
});

test('connection refused is reported at once, naming host and port', async () => {
  const port = await freePort('127.0.2.48');
  await assert.rejects(connect(bare({ host: '127.0.2.48', port })), (err: unknown) => {
    assert.ok(err instanceof UnreachableError);
    assert.equal(err.message, `web1: connection refused by 127.0.2.48:${port}`);
    assert.match(err.hint ?? '', new RegExp(`listening on port ${port}`));
    return true;
  });
});

test('a host name that does not resolve is an UnreachableError saying so', async () => {
  await assert.rejects(connect(bare({ host: 'no-such-host.invalid', port: 22 })), (err: unknown) => {
    assert.ok(err instanceof UnreachableError);
    assert.match(err.message, /^web1: cannot resolve host name "no-such-host\.invalid"/);
    return true;
  });
});

test('jump host chain: each hop forwards to the next, and only the chain reaches the target', async (t) => {
  if (skipWithoutSshd(t)) return;
  // target <- j2 (may only forward to the target) <- j1 (may only forward to j2)
  const tgt = await sshEnv('127.0.2.4');
  t.after(() => tgt.dispose());
  const j2Port = await freePort('127.0.2.6');
  const j2 = await startSshd({ address: '127.0.2.6', port: j2Port, authorizedKeys: [tgt.key.pub], extra: [`PermitOpen 127.0.2.4:${tgt.sshd.port}`] });
  t.after(() => j2.dispose());
  const j1 = await startSshd({ address: '127.0.2.3', authorizedKeys: [tgt.key.pub], extra: [`PermitOpen 127.0.2.6:${j2Port}`] });
  t.after(() => j1.dispose());
  appendFileSync(tgt.knownHosts, `${j1.knownHostsLine()}\n${j2.knownHostsLine()}\n`);
  const hop = (s: typeof j1, name: string) => tgt.target({ name, host: s.address, port: s.port });

  const host = await connect(tgt.target({ name: 'compute-7', jumps: [hop(j1, 'j1'), hop(j2, 'j2')] }));
  t.after(() => host.close());
  assert.equal((await host.exec('echo through the chain')).stdout, 'through the chain\n');
  assert.match(j1.log, /Accepted publickey/);
  assert.match(j2.log, /Accepted publickey/);

  // j1 alone may not open the target: the route above really went through both
  await assert.rejects(connect(tgt.target({ name: 'compute-7', jumps: [hop(j1, 'j1')] })), (err: unknown) => {
    assert.ok(err instanceof UnreachableError);
    assert.match(err.message, new RegExp(`^compute-7: jump host j1 could not open a connection to 127\\.0\\.2\\.4:${tgt.sshd.port}`));
    return true;
  });
});

test('ProxyJump from ~/.ssh/config: the jump is resolved through the config too', async (t) => {
  if (skipWithoutSshd(t)) return;
  const tgt = await sshEnv('127.0.2.5');
  t.after(() => tgt.dispose());
  const jump = await startSshd({ address: '127.0.2.3', authorizedKeys: [tgt.key.pub] });
  t.after(() => jump.dispose());
  appendFileSync(tgt.knownHosts, `${jump.knownHostsLine()}\n`);
  const config = join(tgt.dir, 'ssh_config');
  writeFileSync(
    config,
    [
      'Host bastion',
      '  HostName 127.0.2.3',
      `  Port ${jump.port}`,
      'Host compute-*',
      `  HostName 127.0.2.5`,
      `  Port ${tgt.sshd.port}`,
      '  ProxyJump bastion',
      'Host *',
      '  User root',
      `  IdentityFile ${tgt.key.path}`,
      `  UserKnownHostsFile ${tgt.knownHosts}`,
      '  ConnectTimeout 3',
      '',
    ].join('\n'),
  );
  const target = resolveTarget({ name: 'compute-1', host: 'compute-1', identityFiles: [], become: false }, { sshConfigPath: config, env: { HOME: tgt.dir, USER: 'root' } });
  assert.equal(target.jumps.length, 1);
  assert.equal(target.jumps[0]?.port, jump.port);
  const host = await connect(target);
  t.after(() => host.close());
  assert.equal((await host.exec('echo hi')).stdout, 'hi\n');
  assert.match(jump.log, /Accepted publickey for root/);
});
