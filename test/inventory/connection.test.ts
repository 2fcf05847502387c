import assert from 'node:assert/strict';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { connectionVars, loadInventory, parseInventory } from '../../src/inventory/index.ts';
import { parseSshArgs, SshArgsError } from '../../src/inventory/ssh-args.ts';
import { FIXTURES, throwsConfigError } from './helpers.ts';

const inv = await loadInventory(join(FIXTURES, 'ssh-args.ini'));
const home = homedir();

test('plain vars, and group vars reaching the host', () => {
  assert.deepEqual(connectionVars(inv, 'ctl01'), {
    name: 'ctl01',
    host: '10.20.0.11',
    port: undefined,
    user: 'stack',
    identityFiles: [],
    become: false,
    becomeUser: undefined,
    becomePassword: undefined,
    userKnownHostsFile: undefined,
    strictHostKeyChecking: undefined,
    proxyJump: 'stack@bastion.example.org',
    connectTimeout: undefined,
  });
});

test('the older ansible_ssh_* names', () => {
  const c = connectionVars(inv, 'ctl02');
  assert.equal(c.host, '10.20.0.12');
  assert.equal(c.port, 2222);
  assert.equal(c.user, 'heat-admin', 'ansible_ssh_user wins over the group ansible_user (set on the host)');
});

test('become, key file, timeout from group vars; ssh options from extra args', () => {
  const c = connectionVars(inv, 'cmp01');
  assert.equal(c.become, true, "ansible_become=yes (a string in INI) is true, as Ansible's boolean() reads it");
  assert.equal(c.becomeUser, 'root');
  assert.equal(c.becomePassword, 's3cr3t-sudo');
  assert.deepEqual(c.identityFiles, [join(home, '.ssh/openstack_ed25519')]);
  assert.equal(c.connectTimeout, 30);
  assert.equal(c.port, 22);
  assert.equal(c.strictHostKeyChecking, 'accept-new');
  assert.equal(c.userKnownHostsFile, '/dev/null');
  assert.equal(c.proxyJump, 'stack@bastion.example.org', 'the group common args still apply: extra args are another variable');
});

test('-J and -i in the host common args replace the group common args; key files add up', () => {
  const c = connectionVars(inv, 'cmp02');
  assert.equal(c.proxyJump, 'admin@bastion.example.org:2222');
  assert.deepEqual(c.identityFiles, [join(home, '.ssh/openstack_ed25519'), join(home, '.ssh/cmp02_ed25519')]);
});

test('a ProxyCommand that only hops through a bastion becomes a ProxyJump', () => {
  assert.equal(connectionVars(inv, 'cmp03').proxyJump, 'jump@10.20.0.1');
  const jump = (cmd: string): unknown => parseSshArgs(`-o ProxyCommand="${cmd}"`)[0];
  assert.deepEqual(jump('ssh -W %h:%p -p 2222 -l ops bastion'), { key: 'proxyJump', value: 'ops@bastion:2222' });
  assert.deepEqual(jump('ssh -q ops@bastion nc %h %p'), { key: 'proxyJump', value: 'ops@bastion' });
  assert.deepEqual(jump('/usr/bin/ssh -o StrictHostKeyChecking=no -W %h:%p bastion'), { key: 'proxyJump', value: 'bastion' });
  assert.throws(() => jump('nc -X 5 -x proxy:1080 %h %p'), (e: unknown) => e instanceof SshArgsError && /ProxyJump/.test(e.hint));
  assert.throws(() => jump('ssh bastion'), SshArgsError);
});

test('ssh takes the first value: ansible_port and the timeout beat -o Port / ConnectTimeout in the args', () => {
  const c = connectionVars(inv, 'cmp04');
  assert.equal(c.port, 2200, 'cmp04:2200 sets ansible_port, which Ansible puts before the args');
  assert.equal(c.connectTimeout, 30);
  assert.equal(c.proxyJump, undefined, 'the host common args replace the group ones');
  const bare = parseInventory("h1 ansible_ssh_common_args='-o Port=2299 -o ConnectTimeout=5 -o port=1'\n", 'x.ini');
  assert.equal(connectionVars(bare, 'h1').port, 2299);
  assert.equal(connectionVars(bare, 'h1').connectTimeout, 5);
});

test('aliases: where both are set, the ansible_ssh_* one wins (last in the ssh plugin\'s list)', () => {
  const both = parseInventory('h1 ansible_host=a ansible_ssh_host=b ansible_port=1 ansible_ssh_port=2 ansible_sudo_pass=s ansible_become_pass=p\n', 'x.ini');
  const c = connectionVars(both, 'h1');
  assert.equal(c.host, 'b');
  assert.equal(c.port, 2);
  assert.equal(c.becomePassword, 's');
  assert.equal(connectionVars(both, 'h1').name, 'h1');
});

test('ssh option forms: -oKey=value, "Key value", -p, -l, combined flags, StrictHostKeyChecking spellings', () => {
  assert.deepEqual(parseSshArgs('-C -4 -oPort=2201 -o "User ops" -p2202 -l x -vvv -i k1 -ik2'), [
    { key: 'port', value: 2201 },
    { key: 'user', value: 'ops' },
    { key: 'port', value: 2202 },
    { key: 'user', value: 'x' },
    { key: 'identityFile', value: 'k1' },
    { key: 'identityFile', value: 'k2' },
  ]);
  for (const [v, want] of [['yes', 'yes'], ['no', 'no'], ['off', 'no'], ['Accept-New', 'accept-new'], ['ask', 'yes'], ['false', 'no']]) {
    assert.deepEqual(parseSshArgs(`-o StrictHostKeyChecking=${v}`), [{ key: 'strictHostKeyChecking', value: want }]);
  }
  assert.deepEqual(parseSshArgs('-o ServerAliveInterval=30 -o ControlMaster=auto -o ControlPersist=60s'), [], 'others are accepted and ignored');
  assert.deepEqual(parseSshArgs('-o ProxyJump=none'), [{ key: 'proxyJump', value: undefined }]);
});

test('host key checking off in vars means StrictHostKeyChecking=no, before any args', () => {
  const i = parseInventory("h1 ansible_host_key_checking=False ansible_ssh_common_args='-o StrictHostKeyChecking=yes'\n", 'x.ini');
  assert.equal(connectionVars(i, 'h1').strictHostKeyChecking, 'no');
});

test('become spellings: True, true, yes, 1, false; and the default', () => {
  const i = parseInventory('a ansible_become=True\nb ansible_become=true\nc ansible_become=1\nd ansible_become=false\ne\n', 'x.ini');
  assert.deepEqual(['a', 'b', 'c', 'd', 'e'].map((h) => connectionVars(i, h).become), [true, true, true, false, false]);
});

test('a numeric password in INI (an int after literal_eval) is passed as text', () => {
  const i = parseInventory('h1 ansible_become_pass=1234\n', 'x.ini');
  assert.equal(connectionVars(i, 'h1').becomePassword, '1234');
});

test('wrong types are refused at load time with the line where they are set', () => {
  throwsConfigError(() => parseInventory('[g]\nh1\n[g:vars]\nansible_port=abc\n', 'inv.ini'), {
    file: 'inv.ini', line: 4, message: ["ansible_port on group 'g' must be a port number (1-65535), got 'abc'"], hint: ['ansible_port=22'],
  });
  throwsConfigError(() => parseInventory('all:\n  hosts:\n    h1:\n      ansible_port: 70000\n', 'inv.yml'), { line: 4, message: ['ansible_port', '70000'] });
  throwsConfigError(() => parseInventory('h1 ansible_become=maybe\n', 'inv.ini'), { line: 1, message: ['ansible_become', 'true or false'] });
  throwsConfigError(() => parseInventory('h1 ansible_ssh_timeout=soon\n', 'inv.ini'), { line: 1, message: ['ansible_ssh_timeout', 'seconds'] });
  throwsConfigError(() => parseInventory('h1 ansible_host="10.0.0.1 10.0.0.2"\n', 'inv.ini'), { line: 1, message: ['ansible_host'] });
  throwsConfigError(() => parseInventory("h1 ansible_ssh_common_args='-o StrictHostKeyChecking=sometimes'\n", 'inv.ini'), {
    line: 1, message: ['StrictHostKeyChecking=sometimes'], hint: ['accept-new'],
  });
  throwsConfigError(() => parseInventory("h1 ansible_ssh_extra_args='-o ProxyCommand=\"nc -x proxy %h %p\"'\n", 'inv.ini'), {
    line: 1, message: ['ProxyCommand'], hint: ['ProxyJump'],
  });
  throwsConfigError(() => parseInventory("h1 ansible_ssh_common_args='-o \"unclosed'\n", 'inv.ini'), { line: 1, message: ['No closing quotation'] });
  throwsConfigError(() => parseInventory('all:\n  hosts:\n    h1:\n      ansible_user: "{{ lookup(\'env\', \'USER\') }}"\n', 'inv.yml'), {
    line: 4, message: ['Jinja template'], hint: ['write the value itself'],
  });
  const e = throwsConfigError(() => parseInventory('all:\n  vars:\n    ansible_become_pass: !vault |\n      $ANSIBLE_VAULT;1.1;AES256\n      3132\n', 'inv.yml'), {
    line: 3, message: ['Ansible Vault'],
  });
  assert.ok(!e.message.includes('ANSIBLE_VAULT'));
});

test('vars passthru does not use are accepted whatever they hold', () => {
  const i = parseInventory('h1 ansible_python_interpreter=/usr/bin/python3 ansible_connection=local kolla_foo={{x}} nova_port=abc\n', 'x.ini');
  assert.equal(connectionVars(i, 'h1').host, 'h1');
});

test('an unknown host is a ConfigError', () => {
  throwsConfigError(() => connectionVars(inv, 'nope'), { message: ["no host named 'nope'"] });
});
