// Private keys (ed25519, ECDSA, RSA; OpenSSH and PEM formats, through
// ssh2's parser) and the keys of a running ssh-agent.
//
// An encrypted key is unlocked only when authentication reaches it, with
// its passphrase asked once per run (cached per askSecret function and key
// file, so parallel connections to many hosts share one prompt).

import { readFileSync } from 'node:fs';
import ssh2 from 'ssh2';
import type { ParsedKey } from 'ssh2';
import { AuthError } from '../errors.ts';
import { secrets } from '../util/secrets.ts';

const { utils, createAgent } = ssh2;

export type AskSecret = (prompt: string) => Promise<string>;

export interface Identity {
  path: string;
  encrypted: boolean;
  /** the private key, when the file is not encrypted */
  key?: ParsedKey | undefined;
  /** public key blob: from the key, the OpenSSH header of an encrypted key, or PATH.pub */
  publicBlob?: Buffer | undefined;
  data: Buffer;
}

/** Read one identity file. A missing, unreadable or unparsable file is an AuthError naming the file. */
export function loadIdentity(path: string, host: string): Identity {
  let data: Buffer;
  try {
    data = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not readable (permission denied)' : `cannot be read (${code ?? String(e)})`;
    throw new AuthError(
      host,
      `private key file ${path} ${why}`,
      'Fix ansible_ssh_private_key_file (or IdentityFile in ~/.ssh/config) to name an existing private key.',
    );
  }
  const parsed = parseOnce(path, data);
  if (!(parsed instanceof Error)) {
    if (!parsed.isPrivateKey()) {
      throw new AuthError(host, `${path} holds a public key, not a private key`, `Point ansible_ssh_private_key_file at the private key (usually the same name without .pub).`);
    }
    return { path, encrypted: false, key: parsed, publicBlob: parsed.getPublicSSH(), data };
  }
  if (/passphrase/i.test(parsed.message)) {
    return { path, encrypted: true, publicBlob: openSshHeaderPublicKey(data) ?? pubFileBlob(path), data };
  }
  throw new AuthError(
    host,
    `cannot use private key ${path}: ${parsed.message}`,
    'passthru reads OpenSSH and PEM private keys (ed25519, ECDSA, RSA). Convert others with ssh-keygen -p -f FILE.',
  );
}

/** the last parse of each key file: every connection (and reconnection) of a run reads the same key */
const parsedKeys = new Map<string, { data: Buffer; parsed: ParsedKey | Error }>();

/** The key in `data`, parsed again only when the file's bytes changed. */
function parseOnce(path: string, data: Buffer): ParsedKey | Error {
  const known = parsedKeys.get(path);
  if (known && known.data.equals(data)) return known.parsed;
  const parsed = first(utils.parseKey(data));
  parsedKeys.set(path, { data, parsed });
  return parsed;
}

function first(k: ParsedKey | ParsedKey[] | Error): ParsedKey | Error {
  if (Array.isArray(k)) return k[0] ?? new Error('no key in file');
  return k;
}

/** The unencrypted public key stored in the header of an "openssh-key-v1" private key. */
export function openSshHeaderPublicKey(data: Buffer): Buffer | undefined {
  const m = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END OPENSSH PRIVATE KEY-----/.exec(data.toString('latin1'));
  if (!m) return undefined;
  const bin = Buffer.from((m[1] ?? '').replace(/\s+/g, ''), 'base64');
  const magic = 'openssh-key-v1\0';
  if (bin.subarray(0, magic.length).toString('latin1') !== magic) return undefined;
  let off = magic.length;
  const str = (): Buffer | undefined => {
    if (off + 4 > bin.length) return undefined;
    const len = bin.readUInt32BE(off);
    off += 4;
    if (off + len > bin.length) return undefined;
    const s = bin.subarray(off, off + len);
    off += len;
    return s;
  };
  if (!str() || !str() || !str()) return undefined; // cipher, kdf, kdf options
  if (off + 4 > bin.length || bin.readUInt32BE(off) < 1) return undefined;
  off += 4;
  return str();
}

function pubFileBlob(path: string): Buffer | undefined {
  try {
    const k = first(utils.parseKey(readFileSync(`${path}.pub`)));
    return k instanceof Error ? undefined : k.getPublicSSH();
  } catch {
    return undefined;
  }
}

export type Unlocked = { key: ParsedKey } | { problem: string };

const passphraseCache = new WeakMap<AskSecret, Map<string, Promise<Unlocked>>>();

/** The hint for an encrypted key that cannot be unlocked here. */
export function encryptedKeyProblem(path: string): string {
  return `key ${path} is encrypted: load it into ssh-agent (ssh-add ${path}) or run from a terminal`;
}

/**
 * The private key of an identity, asking for the passphrase of an encrypted
 * one (once per run and file). Never throws: a key that cannot be used gives
 * a `problem` that ends up in the AuthError if no other credential works.
 */
export function unlockIdentity(id: Identity, askSecret?: AskSecret): Promise<Unlocked> {
  if (id.key) return Promise.resolve({ key: id.key });
  if (!askSecret) return Promise.resolve({ problem: encryptedKeyProblem(id.path) });
  let cache = passphraseCache.get(askSecret);
  if (!cache) passphraseCache.set(askSecret, (cache = new Map()));
  let p = cache.get(id.path);
  if (!p) {
    p = (async (): Promise<Unlocked> => {
      let pass: string;
      try {
        pass = await askSecret(`Enter passphrase for key '${id.path}': `);
      } catch (e) {
        return { problem: `${encryptedKeyProblem(id.path)} (no passphrase: ${e instanceof Error ? e.message : String(e)})` };
      }
      secrets.add(pass);
      const k = first(utils.parseKey(id.data, pass));
      if (k instanceof Error) return { problem: `wrong passphrase for key ${id.path}` };
      return { key: k };
    })();
    cache.set(id.path, p);
  }
  return p;
}

export type AgentKeys = { keys: ParsedKey[] } | { problem: string };

/** The keys an ssh-agent holds (bounded: a stuck agent does not stall the connection). */
export function listAgentKeys(socket: string, timeoutMs = 3000): Promise<AgentKeys> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: AgentKeys) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(r);
    };
    const timer = setTimeout(() => finish({ problem: `ssh-agent at ${socket} did not answer within ${timeoutMs} ms` }), timeoutMs);
    try {
      createAgent(socket).getIdentities((err, keys) => {
        if (err) finish({ problem: `ssh-agent at ${socket} not usable: ${err.message}` });
        else finish({ keys: (keys ?? []).filter((k): k is ParsedKey => typeof k === 'object' && k !== null && !Buffer.isBuffer(k)) });
      });
    } catch (e) {
      finish({ problem: `ssh-agent at ${socket} not usable: ${e instanceof Error ? e.message : String(e)}` });
    }
  });
}
