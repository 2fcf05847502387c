// The embedded lab: one in-process SSH server per simulated host on
// 127.0.0.1, plus the files a client needs to reach them (a client key,
// known_hosts, an Ansible INI inventory).
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import ssh2 from 'ssh2';
import type { ParsedKey } from 'ssh2';
import type { HostSpec, LabFs, Role } from '../types.ts';
import type { SudoRule } from './commands/context.ts';
import { SimHost } from './host.ts';
import { NodePool } from './vfs.ts';
import { collectNow } from './memory.ts';
import { hostModel } from './model.ts';

export interface EmbeddedClusterHost {
  name: string;
  port: number;
  address: '127.0.0.1';
  spec: HostSpec;
}

export interface EmbeddedCluster {
  dir: string;
  inventoryPath: string;
  knownHostsPath: string;
  identityFile: string;
  hosts: EmbeddedClusterHost[];
  fs(name: string): LabFs;
  stop(): Promise<void>;
}

export interface EmbeddedClusterOptions {
  /** where the key, known_hosts and inventory go (default: a new temporary directory) */
  dir?: string | undefined;
  /** seconds every host stays down on reboot (overrides the specs' rebootSeconds; without either: 2) */
  rebootSeconds?: number | undefined;
  /** make `ops` need this password for sudo (default: NOPASSWD) */
  sudoPassword?: string | undefined;
  /** sshd's AcceptEnv (default Debian's: LANG LC_*) */
  acceptEnv?: string[] | undefined;
}

export const DEFAULT_REBOOT_SECONDS = 2;

/**
 * An ed25519 key pair that parses back. ssh2's generator drops a leading
 * zero byte of the public key now and then (about 1 key in 200), and such a
 * key is rejected by ssh2 and OpenSSH alike: generate again.
 */
export function generateEd25519(comment?: string): { private: string; public: string } {
  for (;;) {
    const keys = ssh2.utils.generateKeyPairSync('ed25519', comment === undefined ? {} : { comment });
    if (!(ssh2.utils.parseKey(keys.private) instanceof Error) && !(ssh2.utils.parseKey(keys.public) instanceof Error)) return keys;
  }
}
export const LOGIN_USERS = ['root', 'ops'] as const;
export const DEFAULT_ACCEPT_ENV = ['LANG', 'LC_*'];

/** Group of the inventory for each role. */
const GROUPS: Record<Role, string> = { controller: 'controller', compute: 'compute', guest: 'guests' };

function iniValue(v: string): string {
  return /[\s'"#;=]/.test(v) ? `"${v.replace(/(["\\])/g, '\\$1')}"` : v;
}

export function renderInventory(hosts: EmbeddedClusterHost[], dir: string): string {
  const identity = join(dir, 'id_ed25519');
  const knownHosts = join(dir, 'known_hosts');
  const described = new Set<string>();
  let out = '# The embedded passthru lab (passthru lab up): simulated hosts on 127.0.0.1\n';
  for (const role of ['controller', 'compute', 'guest'] as const) {
    const members = hosts.filter((h) => h.spec.roles.includes(role));
    out += `\n[${GROUPS[role]}]\n`;
    for (const h of members) {
      if (described.has(h.name)) {
        out += `${h.name}\n`;
        continue;
      }
      described.add(h.name);
      out += `${h.name} ansible_host=${h.address} ansible_port=${h.port} ansible_user=root ansible_ssh_private_key_file=${iniValue(identity)}\n`;
    }
  }
  const orphans = hosts.filter((h) => !described.has(h.name));
  if (orphans.length > 0) {
    out += '\n[ungrouped]\n';
    for (const h of orphans) out += `${h.name} ansible_host=${h.address} ansible_port=${h.port} ansible_user=root ansible_ssh_private_key_file=${iniValue(identity)}\n`;
  }
  out += `\n[all:vars]\nansible_ssh_common_args='-o UserKnownHostsFile=${knownHosts} -o StrictHostKeyChecking=yes'\n`;
  return out;
}

export async function startEmbeddedCluster(specs: HostSpec[], opts: EmbeddedClusterOptions = {}): Promise<EmbeddedCluster> {
  const names = new Set<string>();
  for (const s of specs) {
    if (names.has(s.name)) throw new Error(`two lab hosts are named ${s.name}`);
    names.add(s.name);
  }
  const dir = resolve(opts.dir ?? mkdtempSync(join(tmpdir(), 'passthru-lab-')));
  mkdirSync(dir, { recursive: true });

  const client = generateEd25519('passthru-lab');
  const identityFile = join(dir, 'id_ed25519');
  writeFileSync(identityFile, client.private, { mode: 0o600 });
  chmodSync(identityFile, 0o600);
  writeFileSync(`${identityFile}.pub`, `${client.public}\n`, { mode: 0o644 });
  const parsed = ssh2.utils.parseKey(client.public);
  if (parsed instanceof Error) throw parsed;
  const clientKey = (Array.isArray(parsed) ? parsed[0] : parsed) as ParsedKey;

  const sudoers: SudoRule[] = [{ user: 'ops', password: opts.sudoPassword }];
  const acceptEnv = opts.acceptEnv ?? DEFAULT_ACCEPT_ENV;
  // identical hosts share their file contents, paths and unchanged rootfs nodes
  const internTable = new Map<string, string>();
  const intern = (s: string): string => {
    const known = internTable.get(s);
    if (known !== undefined) return known;
    internTable.set(s, s);
    return s;
  };
  const sharing = { intern, pool: new NodePool() };

  const hosts: SimHost[] = [];
  const publicKeys: string[] = [];
  const peers = new Map<string, SimHost>();
  for (const spec of specs) {
    const keys = generateEd25519();
    publicKeys.push(keys.public.split(' ').slice(0, 2).join(' '));
    hosts.push(
      new SimHost({
        spec,
        model: hostModel(spec, specs),
        hostKey: keys.private,
        clientKey,
        rebootSeconds: opts.rebootSeconds ?? spec.rebootSeconds ?? DEFAULT_REBOOT_SECONDS,
        loginUsers: LOGIN_USERS,
        sudoers,
        acceptEnv,
        sharing,
        peers: (name) => {
          const h = peers.get(name);
          return h && { spec: h.spec, fs: h.store };
        },
      }),
    );
    peers.set(spec.name, hosts[hosts.length - 1] as SimHost);
  }
  internTable.clear();
  if (specs.length >= 100) collectNow();

  const started: SimHost[] = [];
  try {
    // listeners in parallel; the hosts booted already
    await Promise.all(
      hosts.map(async (h) => {
        await h.start();
        started.push(h);
      }),
    );
  } catch (e) {
    await Promise.all(started.map((h) => h.stop()));
    throw e;
  }

  const list: EmbeddedClusterHost[] = hosts.map((h) => ({ name: h.name, port: h.port, address: '127.0.0.1', spec: h.spec }));
  const knownHostsPath = join(dir, 'known_hosts');
  writeFileSync(knownHostsPath, hosts.map((h, i) => `[127.0.0.1]:${h.port} ${publicKeys[i]}\n`).join(''), { mode: 0o644 });
  const inventoryPath = join(dir, 'inventory.ini');
  writeFileSync(inventoryPath, renderInventory(list, dir), { mode: 0o644 });

  const byName = new Map(hosts.map((h) => [h.name, h]));
  let stopped: Promise<void> | undefined;
  return {
    dir,
    inventoryPath,
    knownHostsPath,
    identityFile,
    hosts: list,
    fs(name: string): LabFs {
      const h = byName.get(name);
      if (h === undefined) throw new Error(`no lab host named ${name}`);
      return h.store;
    },
    stop(): Promise<void> {
      stopped ??= Promise.all(hosts.map((h) => h.stop())).then(() => undefined);
      return stopped;
    },
  };
}

