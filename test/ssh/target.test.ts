// Inventory connection vars + ~/.ssh/config -> ConnectTarget.

import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { ConfigError } from '../../src/errors.ts';
import type { HostConnectionVars } from '../../src/inventory/types.ts';
import { parseProxyJump, resolveTarget } from '../../src/ssh/target.ts';
import { tempDir } from './sshd-fixture.ts';

/** a temp HOME with ~/.ssh and the given (dummy) key files; the config file is not written */
function home(t: TestContext, keys: string[] = ['id_ed25519', 'id_rsa']): { home: string; config: string; env: NodeJS.ProcessEnv } {
  const h = tempDir('passthru-home-');
  t.after(() => rmSync(h, { recursive: true, force: true }));
  mkdirSync(join(h, '.ssh'));
  for (const k of keys) writeFileSync(join(h, '.ssh', k), 'key');
  return { home: h, config: join(h, '.ssh', 'config'), env: { HOME: h, USER: 'operator', SSH_AUTH_SOCK: '/run/user/1000/agent.sock' } };
}

function vars(o: Partial<HostConnectionVars> & { name: string }): HostConnectionVars {
  return { host: o.name, identityFiles: [], become: false, ...o };
}

function withConfig(t: TestContext, text: string, keys?: string[]) {
  const h = home(t, keys);
  writeFileSync(h.config, text);
  return h;
}

test('defaults: port 22, the local user, existing default keys, both known_hosts files, strict, 10 s, keepalive 5 s', (t) => {
  const h = home(t);
  const target = resolveTarget(vars({ name: 'compute-1', host: '10.0.0.11' }), { env: h.env });
  assert.deepEqual(target, {
    name: 'compute-1',
    host: '10.0.0.11',
    port: 22,
    user: 'operator',
    identityFiles: [join(h.home, '.ssh/id_ed25519'), join(h.home, '.ssh/id_rsa')],
    agent: '/run/user/1000/agent.sock',
    knownHostsFiles: [join(h.home, '.ssh/known_hosts'), '/etc/ssh/ssh_known_hosts'],
    strictHostKeyChecking: 'yes',
    jumps: [],
    connectTimeoutMs: 10_000,
    keepaliveIntervalMs: 5_000,
    become: false,
  });
});

const CONFIG = `# ~/.ssh/config of an operator
Host bastion
    HostName 192.0.2.10
    User jump
    Port 2222

Host compute-*
    HostName %h.cloud.example.com
    User ops
    IdentityFile ~/.ssh/id_%r_%h
    IdentityFile ~/.ssh/id_missing
    UserKnownHostsFile ~/.ssh/known_hosts_cloud
    StrictHostKeyChecking accept-new
    ConnectTimeout 4
    ProxyJump bastion

Host *
    User nobody-wins-here
    Port 2200
    ServerAliveInterval 15
`;

test('~/.ssh/config: Host patterns, HostName with %h, first value wins, tokens in IdentityFile, missing config keys skipped', (t) => {
  const h = withConfig(t, CONFIG, ['id_ops_compute-7.cloud.example.com']);
  const target = resolveTarget(vars({ name: 'compute-7', become: true, becomeUser: 'nova' }), { env: h.env, sshConfigPath: h.config });
  assert.equal(target.host, 'compute-7.cloud.example.com');
  assert.equal(target.user, 'ops');
  assert.equal(target.port, 2200);
  assert.deepEqual(target.identityFiles, [join(h.home, '.ssh/id_ops_compute-7.cloud.example.com')]);
  assert.deepEqual(target.knownHostsFiles, [join(h.home, '.ssh/known_hosts_cloud'), '/etc/ssh/ssh_known_hosts']);
  assert.equal(target.strictHostKeyChecking, 'accept-new');
  assert.equal(target.connectTimeoutMs, 4000);
  assert.equal(target.keepaliveIntervalMs, 15_000);
  assert.equal(target.become, true);
  assert.equal(target.becomeUser, 'nova');
  assert.deepEqual(
    target.jumps.map((j) => [j.name, j.host, j.port, j.user, j.jumps.length]),
    [['bastion', '192.0.2.10', 2222, 'jump', 0]],
  );
});

test('inventory values win over ~/.ssh/config', (t) => {
  const h = withConfig(t, CONFIG, ['id_ops_compute-7.cloud.example.com', 'inventory_key']);
  const target = resolveTarget(
    vars({
      name: 'compute-7',
      user: 'admin',
      port: 22,
      identityFiles: ['~/.ssh/inventory_key', '/keys/missing_but_explicit'],
      strictHostKeyChecking: 'yes',
      userKnownHostsFile: '/srv/known_hosts',
      connectTimeout: 30,
      proxyJump: 'root@other-bastion:2022',
    }),
    { env: h.env, sshConfigPath: h.config },
  );
  assert.equal(target.user, 'admin');
  assert.equal(target.port, 22);
  // the inventory's key first; an explicit missing key is kept (connect names it); config's %r now expands to admin
  assert.deepEqual(target.identityFiles, [join(h.home, '.ssh/inventory_key'), '/keys/missing_but_explicit']);
  assert.equal(target.strictHostKeyChecking, 'yes');
  assert.deepEqual(target.knownHostsFiles, ['/srv/known_hosts', '/etc/ssh/ssh_known_hosts']);
  assert.equal(target.connectTimeoutMs, 30_000);
  assert.deepEqual(
    target.jumps.map((j) => [j.host, j.port, j.user, j.strictHostKeyChecking, j.knownHostsFiles[0]]),
    [['other-bastion', 2022, 'root', 'yes', '/srv/known_hosts']],
  );
});

test('ProxyJump chains: every hop resolved through the config; the first hop keeps its own ProxyJump', (t) => {
  const h = withConfig(
    t,
    `Host gw1
    HostName 198.51.100.1
    ProxyJump edge
Host gw2
    HostName 198.51.100.2
    ProxyJump ignored-for-second-hops
Host edge
    HostName 203.0.113.9
    User edge
Host *
    User root
`,
  );
  const target = resolveTarget(vars({ name: 'n1', host: '10.1.1.1', proxyJump: 'gw1,ops@gw2:2201' }), { env: h.env, sshConfigPath: h.config });
  assert.deepEqual(
    target.jumps.map((j) => `${j.user}@${j.host}:${j.port}`),
    ['edge@203.0.113.9:22', 'root@198.51.100.1:22', 'ops@198.51.100.2:2201'],
  );
  assert.deepEqual(resolveTarget(vars({ name: 'n2', proxyJump: 'none' }), { env: h.env, sshConfigPath: h.config }).jumps, []);
});

test('ProxyJump syntax: user@host:port, ssh:// URIs, IPv6 in brackets; garbage is a ConfigError', () => {
  assert.deepEqual(parseProxyJump('a@b:22, ssh://c@d:2200,[2001:db8::1]:2222,e'), [
    { user: 'a', host: 'b', port: 22 },
    { user: 'c', host: 'd', port: 2200 },
    { user: undefined, host: '2001:db8::1', port: 2222 },
    { user: undefined, host: 'e', port: undefined },
  ]);
  assert.throws(() => resolveTarget(vars({ name: 'n', proxyJump: 'x:99999' }), { env: { HOME: '/nonexistent' } }), ConfigError);
});

test('config errors name the config file: ProxyCommand, a bad Port, a bad StrictHostKeyChecking', (t) => {
  const cases: Array<[string, RegExp]> = [
    ['Host n\n  ProxyCommand nc %h %p\n', /ProxyCommand for host n is not supported/],
    ['Host n\n  Port twenty-two\n', /Port "twenty-two" is not a port number/],
    ['Host n\n  StrictHostKeyChecking maybe\n', /StrictHostKeyChecking "maybe"/],
  ];
  for (const [text, re] of cases) {
    const h = withConfig(t, text);
    assert.throws(
      () => resolveTarget(vars({ name: 'n' }), { env: h.env, sshConfigPath: h.config }),
      (err: unknown) => err instanceof ConfigError && err.location.file === h.config && re.test(err.message) && err.message.startsWith(`${h.config}: `),
    );
  }
});

test('Include files are read; IdentityAgent none turns the agent off; a missing config file is an empty one', (t) => {
  const h = withConfig(t, 'Include config.d/*.conf\nHost *\n  IdentityAgent none\n');
  mkdirSync(join(h.home, '.ssh/config.d'));
  writeFileSync(join(h.home, '.ssh/config.d/10-lab.conf'), 'Host lab-*\n  User labuser\n  Port 2022\n');
  const target = resolveTarget(vars({ name: 'lab-3' }), { env: h.env, sshConfigPath: h.config });
  assert.deepEqual([target.user, target.port, target.agent], ['labuser', 2022, undefined]);
  const none = resolveTarget(vars({ name: 'x' }), { env: h.env, sshConfigPath: join(h.home, 'nope') });
  assert.equal(none.port, 22);
});

test('defaults can be given by the caller', (t) => {
  const h = home(t, []);
  const target = resolveTarget(vars({ name: 'x' }), {
    env: h.env,
    defaults: { user: 'root', port: 2222, strictHostKeyChecking: 'accept-new', connectTimeoutMs: 3000, keepaliveIntervalMs: 1000, knownHostsFiles: ['/tmp/kh'] },
  });
  assert.deepEqual(
    [target.user, target.port, target.strictHostKeyChecking, target.connectTimeoutMs, target.keepaliveIntervalMs, target.knownHostsFiles, target.identityFiles],
    ['root', 2222, 'accept-new', 3000, 1000, ['/tmp/kh'], []],
  );
});
