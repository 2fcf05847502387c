// The accounts of a real-lab host: a copy of this machine's /etc/passwd,
// group, shadow and gshadow plus the lab's users, and the sudoers drop-in.
//   root  - login by the lab key
//   ops   - non-root, passwordless sudo
//   opsp  - non-root, sudo asks for LAB_SUDO_PASSWORD
//   nova  - system user/group owning /etc/nova (no login)
import { execFile } from 'node:child_process';

/** The sudo password of the `opsp` user on every real-lab host. */
export const LAB_SUDO_PASSWORD = 'passthru-lab-sudo';

/** Users that log in with the lab's client key. */
export const LAB_LOGIN_USERS = ['root', 'ops', 'opsp'] as const;

export interface PasswdEntry {
  name: string;
  passwd: string;
  uid: number;
  gid: number;
  gecos: string;
  home: string;
  shell: string;
}

export interface GroupEntry {
  name: string;
  passwd: string;
  gid: number;
  members: string[];
}

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
}

export function parsePasswd(text: string): PasswdEntry[] {
  return lines(text).map((line) => {
    const f = line.split(':');
    return {
      name: f[0] ?? '',
      passwd: f[1] ?? 'x',
      uid: Number(f[2]),
      gid: Number(f[3]),
      gecos: f[4] ?? '',
      home: f[5] ?? '/',
      shell: f[6] ?? '/usr/sbin/nologin',
    };
  });
}

export function parseGroup(text: string): GroupEntry[] {
  return lines(text).map((line) => {
    const f = line.split(':');
    return {
      name: f[0] ?? '',
      passwd: f[1] ?? 'x',
      gid: Number(f[2]),
      members: (f[3] ?? '').split(',').filter((m) => m !== ''),
    };
  });
}

const formatPasswd = (e: PasswdEntry): string =>
  [e.name, e.passwd, e.uid, e.gid, e.gecos, e.home, e.shell].join(':');
const formatGroup = (g: GroupEntry): string => [g.name, g.passwd, g.gid, g.members.join(',')].join(':');

/** SHA-512 crypt hash (the `$6$` format of /etc/shadow), made by openssl. */
export function hashPassword(password: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('openssl', ['passwd', '-6', '-stdin'], { encoding: 'utf8' }, (err, stdout) => {
      if (err) reject(err);
      else resolve(stdout.trim());
    });
    child.stdin?.end(password + '\n');
  });
}

export interface MachineAccounts {
  passwd: string;
  group: string;
  shadow: string;
  gshadow: string;
}

export interface LabAccounts {
  passwd: string;
  group: string;
  shadow: string;
  gshadow: string;
  /** /etc/sudoers.d/passthru-lab (mode 0440) */
  sudoers: string;
  /** numeric ids by name, for chown of files owned by e.g. nova */
  uid(name: string): number | undefined;
  gid(name: string): number | undefined;
  /** home directories to create: /home/ops, /home/opsp */
  homes: Array<{ user: string; uid: number; gid: number; home: string }>;
}

export interface LabAccountsOptions {
  /** crypt hash of LAB_SUDO_PASSWORD for opsp */
  opspHash: string;
  /** days since the epoch for the shadow "last change" field (0 would force a password change) */
  today?: number;
  /** passwd/group files the host model ships (e.g. a distro's nova uid): users and groups missing here are added */
  modelPasswd?: string | undefined;
  modelGroup?: string | undefined;
}

/** Build the host's account files: the machine's, plus the model's extra users, plus nova/ops/opsp. */
export function labAccounts(machine: MachineAccounts, opts: LabAccountsOptions): LabAccounts {
  const today = opts.today ?? Math.floor(Date.now() / 86_400_000);
  const users = parsePasswd(machine.passwd);
  const groups = parseGroup(machine.group);
  const shadow = lines(machine.shadow).map((l) => l.split(':'));
  const gshadow = lines(machine.gshadow).map((l) => l.split(':'));

  const freeId = (taken: Set<number>, preferred: number | undefined, from: number): number => {
    if (preferred !== undefined && Number.isInteger(preferred) && !taken.has(preferred)) return preferred;
    let id = from;
    while (taken.has(id)) id++;
    return id;
  };

  const addGroup = (name: string, preferred?: number): GroupEntry => {
    const existing = groups.find((g) => g.name === name);
    if (existing) return existing;
    const g: GroupEntry = { name, passwd: 'x', gid: freeId(new Set(groups.map((x) => x.gid)), preferred, 1001), members: [] };
    groups.push(g);
    gshadow.push([name, '!', '', '']);
    return g;
  };
  const addUser = (
    u: Omit<PasswdEntry, 'uid' | 'gid' | 'passwd'> & { uid?: number; group: string; gidPreferred?: number },
    hash: string,
  ): PasswdEntry => {
    const existing = users.find((x) => x.name === u.name);
    if (existing) return existing;
    const group = addGroup(u.group, u.gidPreferred ?? u.uid);
    const uid = freeId(new Set(users.map((x) => x.uid)), u.uid, 1001);
    const entry: PasswdEntry = { name: u.name, passwd: 'x', uid, gid: group.gid, gecos: u.gecos, home: u.home, shell: u.shell };
    users.push(entry);
    shadow.push([u.name, hash, String(today), '0', '99999', '7', '', '', '']);
    return entry;
  };

  // Users and groups the host model knows (e.g. nova with the distro's uid).
  const modelGroups = opts.modelGroup ? parseGroup(opts.modelGroup) : [];
  for (const g of modelGroups) addGroup(g.name, g.gid);
  if (opts.modelPasswd) {
    for (const u of parsePasswd(opts.modelPasswd)) {
      const groupName = modelGroups.find((g) => g.gid === u.gid)?.name ?? u.name;
      addUser({ name: u.name, uid: u.uid, group: groupName, gidPreferred: u.gid, gecos: u.gecos, home: u.home, shell: u.shell }, '*');
    }
  }

  addUser({ name: 'nova', uid: 64060, group: 'nova', gecos: 'OpenStack Nova', home: '/var/lib/nova', shell: '/usr/sbin/nologin' }, '*');
  const ops = addUser({ name: 'ops', group: 'ops', gecos: 'lab operator (passwordless sudo)', home: '/home/ops', shell: '/bin/bash' }, '*');
  const opsp = addUser({ name: 'opsp', group: 'opsp', gecos: 'lab operator (sudo with password)', home: '/home/opsp', shell: '/bin/bash' }, opts.opspHash);

  // Without PAM, sshd refuses accounts whose shadow password starts with '!'
  // (locked) and forces a password change when the last change is day 0.
  for (const row of shadow) {
    if (!LAB_LOGIN_USERS.includes(row[0] as (typeof LAB_LOGIN_USERS)[number])) continue;
    if (row[0] === 'opsp') row[1] = opts.opspHash;
    else if ((row[1] ?? '').startsWith('!')) row[1] = '*';
    if (row[2] === '0' || row[2] === '') row[2] = String(today);
  }

  const sudoers =
    '# passthru lab: ops needs no password, opsp does\n' +
    'ops ALL=(ALL:ALL) NOPASSWD: ALL\n' +
    'opsp ALL=(ALL:ALL) ALL\n';

  return {
    passwd: users.map(formatPasswd).join('\n') + '\n',
    group: groups.map(formatGroup).join('\n') + '\n',
    shadow: shadow.map((r) => r.join(':')).join('\n') + '\n',
    gshadow: gshadow.map((r) => r.join(':')).join('\n') + '\n',
    sudoers,
    uid: (name) => users.find((u) => u.name === name)?.uid,
    gid: (name) => groups.find((g) => g.name === name)?.gid,
    homes: [ops, opsp].map((u) => ({ user: u.name, uid: u.uid, gid: u.gid, home: u.home })),
  };
}
