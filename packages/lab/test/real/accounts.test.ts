import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { LAB_SUDO_PASSWORD, hashPassword, labAccounts, parsePasswd } from '../../src/real/accounts.ts';

// Real files of a Debian 12 machine (trimmed): root locked with '!' as some images ship it.
const machine = {
  passwd: [
    'root:x:0:0:root:/root:/bin/bash',
    'daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin',
    'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin',
    'cloudsdk:x:1000:1000::/home/cloudsdk:/bin/bash',
    'sshd:x:102:65534::/run/sshd:/usr/sbin/nologin',
  ].join('\n') + '\n',
  group: ['root:x:0:', 'shadow:x:42:', 'sudo:x:27:', 'nogroup:x:65534:', 'cloudsdk:x:1000:'].join('\n') + '\n',
  shadow: ['root:!:20228:0:99999:7:::', 'daemon:*:20228:0:99999:7:::', 'sshd:!:20781::::::'].join('\n') + '\n',
  gshadow: ['root:*::', 'shadow:*::'].join('\n') + '\n',
};
const RDO_PASSWD = 'nova:x:162:162:OpenStack Nova Daemons:/var/lib/nova:/sbin/nologin\n';
const RDO_GROUP = 'nova:x:162:nova\n';

test('hosts keep every account of the machine and gain ops, opsp and nova', () => {
  const a = labAccounts(machine, { opspHash: '$6$salt$hash', today: 20000 });
  const users = parsePasswd(a.passwd);
  assert.deepEqual(users.slice(0, 5).map((u) => u.name), ['root', 'daemon', 'nobody', 'cloudsdk', 'sshd']);
  const ops = users.find((u) => u.name === 'ops');
  const opsp = users.find((u) => u.name === 'opsp');
  assert.equal(ops?.shell, '/bin/bash');
  assert.equal(ops?.home, '/home/ops');
  assert.equal(opsp?.home, '/home/opsp');
  assert.ok(ops && ops.uid >= 1001 && ops.uid !== opsp?.uid, 'ops gets a free uid of its own');
  assert.equal(a.uid('nova'), a.gid('nova'));
  assert.match(a.group, /^nova:x:\d+:$/m);
  assert.deepEqual(a.homes.map((h) => h.home), ['/home/ops', '/home/opsp']);
});

test('sudo: ops without password, opsp with one', () => {
  const a = labAccounts(machine, { opspHash: '$6$salt$hash', today: 20000 });
  assert.match(a.sudoers, /^ops ALL=\(ALL:ALL\) NOPASSWD: ALL$/m);
  assert.match(a.sudoers, /^opsp ALL=\(ALL:ALL\) ALL$/m);
  assert.match(a.shadow, /^opsp:\$6\$salt\$hash:20000:/m);
});

test('sshd without PAM would refuse a locked root or force a password change: neither happens', () => {
  const a = labAccounts(machine, { opspHash: 'H', today: 20000 });
  assert.match(a.shadow, /^root:\*:20228:/m, "root's '!' becomes '*' (no password, not locked)");
  assert.match(a.shadow, /^ops:\*:20000:/m, 'ops has no password and a real last-change day');
  assert.match(a.shadow, /^sshd:!:/m, 'system accounts stay locked');
});

test("the model's nova uid (RDO: 162) is kept", () => {
  const a = labAccounts(machine, { opspHash: 'H', modelPasswd: RDO_PASSWD, modelGroup: RDO_GROUP });
  assert.equal(a.uid('nova'), 162);
  assert.equal(a.gid('nova'), 162);
  assert.equal(parsePasswd(a.passwd).filter((u) => u.name === 'nova').length, 1);
});

test('a uid the machine already uses is not handed out twice', () => {
  const a = labAccounts(machine, { opspHash: 'H', modelPasswd: 'nova:x:1000:1000::/var/lib/nova:/sbin/nologin\n', modelGroup: 'nova:x:1000:\n' });
  assert.notEqual(a.uid('nova'), 1000);
  assert.equal(a.uid('cloudsdk'), 1000);
});

test('the opsp hash is a SHA-512 crypt of LAB_SUDO_PASSWORD', async () => {
  const hash = await hashPassword(LAB_SUDO_PASSWORD);
  const salt = hash.split('$')[2] ?? '';
  assert.match(hash, /^\$6\$/);
  const again = execFileSync('openssl', ['passwd', '-6', '-salt', salt, LAB_SUDO_PASSWORD], { encoding: 'utf8' }).trim();
  assert.equal(again, hash);
});
