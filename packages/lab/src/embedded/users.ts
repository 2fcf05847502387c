// Users and groups of a simulated host, read from its own /etc/passwd and
// /etc/group (so `nova` exists exactly where the rootfs says so), with the
// lab's two login users as a fallback when the rootfs lacks those files.

export interface Cred {
  user: string;
  uid: number;
  /** primary group */
  group: string;
  gid: number;
  /** every group the user is in, primary first */
  groups: string[];
  home: string;
  shell: string;
}

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
}

export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

export interface UserDb {
  users: PasswdEntry[];
  groups: GroupEntry[];
}

const FALLBACK_USERS: PasswdEntry[] = [
  { name: 'root', uid: 0, gid: 0, home: '/root', shell: '/bin/bash' },
  { name: 'ops', uid: 1000, gid: 1000, home: '/home/ops', shell: '/bin/bash' },
];
const FALLBACK_GROUPS: GroupEntry[] = [
  { name: 'root', gid: 0, members: [] },
  { name: 'ops', gid: 1000, members: [] },
];

export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 7 || line.startsWith('#')) continue;
    out.push({ name: f[0] ?? '', uid: Number(f[2]), gid: Number(f[3]), home: f[5] ?? '/', shell: f[6] ?? '/bin/sh' });
  }
  return out;
}

export function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 4 || line.startsWith('#')) continue;
    out.push({ name: f[0] ?? '', gid: Number(f[2]), members: (f[3] ?? '').split(',').filter((m) => m !== '') });
  }
  return out;
}

/** The user database of a host; `read` reads a file of that host (undefined when missing). */
export function userDb(read: (path: string) => string | undefined): UserDb {
  const passwd = read('/etc/passwd');
  const group = read('/etc/group');
  const users = passwd === undefined ? [] : parsePasswd(passwd);
  const groups = group === undefined ? [] : parseGroup(group);
  for (const u of FALLBACK_USERS) if (!users.some((x) => x.name === u.name)) users.push(u);
  for (const g of FALLBACK_GROUPS) if (!groups.some((x) => x.name === g.name)) groups.push(g);
  return { users, groups };
}

export function credFor(db: UserDb, user: string): Cred | undefined {
  const u = db.users.find((x) => x.name === user);
  if (u === undefined) return undefined;
  const primary = db.groups.find((g) => g.gid === u.gid);
  const groups = [primary?.name ?? String(u.gid)];
  for (const g of db.groups) if (g.members.includes(user) && !groups.includes(g.name)) groups.push(g.name);
  return { user: u.name, uid: u.uid, group: primary?.name ?? String(u.gid), gid: u.gid, groups, home: u.home, shell: u.shell };
}

export function uidOf(db: UserDb, name: string): number | undefined {
  if (/^\d+$/.test(name)) return Number(name);
  return db.users.find((u) => u.name === name)?.uid;
}

export function gidOf(db: UserDb, name: string): number | undefined {
  if (/^\d+$/.test(name)) return Number(name);
  return db.groups.find((g) => g.name === name)?.gid;
}

export function userName(db: UserDb, uid: number): string | undefined {
  return db.users.find((u) => u.uid === uid)?.name;
}

export function groupName(db: UserDb, gid: number): string | undefined {
  return db.groups.find((g) => g.gid === gid)?.name;
}
