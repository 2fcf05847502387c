// Hosts behind one jump host share one connection to it: real OpenSSH sshd
// as the bastion, with its default MaxStartups (10:30:100), which drops
// unauthenticated connections beyond 10 at once; and a bastion without
// credentials, whose error says it is the jump host and how to fix it.

import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import { test } from 'node:test';
import { AuthError } from '../../src/errors.ts';
import { connect } from '../../src/ssh/connection.ts';
import { JumpPool } from '../../src/ssh/jump-pool.ts';
import type { RemoteHost } from '../../src/ssh/types.ts';
import { skipWithoutSshd, sshEnv, startSshd } from './sshd-fixture.ts';

const HOSTS = 100;

test(`${HOSTS} hosts behind one bastion with the default MaxStartups: one bastion connection, every host reached, 5 runs out of 5`, { timeout: 600_000 }, async (t) => {
  if (skipWithoutSshd(t)) return;
  // the hosts: one sshd answering under 100 names (it is not what is under test: it may take them all)
  const tgt = await sshEnv('127.0.2.21', { extra: ['MaxStartups 300', 'MaxSessions 10'] });
  t.after(() => tgt.dispose());
  const bastion = await startSshd({ address: '127.0.2.22', authorizedKeys: [tgt.key.pub] });
  t.after(() => bastion.dispose());
  appendFileSync(tgt.knownHosts, `${bastion.knownHostsLine()}\n`);
  const jump = tgt.target({ name: 'bastion', host: bastion.address, port: bastion.port, connectTimeoutMs: 120_000 });

  for (let run = 1; run <= 5; run++) {
    const pool = new JumpPool();
    const before = (bastion.log.match(/Accepted publickey/g) ?? []).length;
    const hosts = await Promise.allSettled(
      Array.from({ length: HOSTS }, (_, i) => connect(tgt.target({ name: `cmp${String(i + 1).padStart(3, '0')}`, jumps: [jump], connectTimeoutMs: 120_000 }), { jumpPool: pool })),
    );
    const failed = hosts.flatMap((h) => (h.status === 'rejected' ? [String(h.reason)] : []));
    assert.deepEqual(failed, [], `run ${run}: every host is reached`);
    const up = hosts.map((h) => (h as PromiseFulfilledResult<RemoteHost>).value);
    const outs = await Promise.all(up.map((h) => h.exec('echo ok')));
    assert.ok(outs.every((o) => o.exitCode === 0 && o.stdout === 'ok\n'), `run ${run}: every host runs a command`);
    assert.equal((bastion.log.match(/Accepted publickey/g) ?? []).length - before, 1, `run ${run}: the bastion saw one login, not ${HOSTS}`);
    assert.equal(pool.size, 1);
    await Promise.all(up.map((h) => h.close()));
    pool.closeAll();
  }
});

test('a bastion without credentials: the error says it is the jump host, and how to give it a key', async (t) => {
  if (skipWithoutSshd(t)) return;
  const tgt = await sshEnv('127.0.2.23');
  t.after(() => tgt.dispose());
  const bastion = await startSshd({ address: '127.0.2.24', authorizedKeys: [] });
  t.after(() => bastion.dispose());
  appendFileSync(tgt.knownHosts, `${bastion.knownHostsLine()}\n`);
  const jump = tgt.target({ name: 'bastion', host: bastion.address, port: bastion.port, identityFiles: [], agent: undefined });
  const pool = new JumpPool();
  const attempts = await Promise.allSettled(['gpu01', 'gpu02'].map((name) => connect(tgt.target({ name, jumps: [jump] }), { jumpPool: pool })));
  for (const [i, a] of attempts.entries()) {
    assert.equal(a.status, 'rejected');
    const err = (a as PromiseRejectedResult).reason as AuthError;
    assert.ok(err instanceof AuthError, String(err));
    const name = `gpu0${i + 1}`;
    assert.equal(err.host, name);
    assert.match(err.message, new RegExp(`^${name}: jump host bastion \\(root@127\\.0\\.2\\.24:\\d+\\), on the way to this host: cannot log in as root@127\\.0\\.2\\.24:\\d+: no credentials to offer`));
    assert.match(err.hint ?? '', /IdentityFile .* "Host bastion" block of ~\/\.ssh\/config.*ssh-agent/);
  }
  assert.equal(pool.size, 0, 'a failed jump connection is not kept');
});
