// known_hosts as OpenSSH reads it: plain and hashed (|1|salt|hash) host
// fields, comma-separated patterns with * ? and !negation, [host]:port for
// ports other than 22, @revoked (refuse) and @cert-authority (ignored: no
// certificate support) markers. ssh2 hands the hostVerifier the raw key blob;
// it is compared byte for byte with the blob of each matching line.

import { createHash, createHmac } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { HostKeyError } from '../errors.ts';
import { quoteArg as shellWord } from '../util/shell.ts';

export type StrictHostKeyChecking = 'yes' | 'no' | 'accept-new';

export interface KnownHostEntry {
  file: string;
  /** 1-based line number in `file` */
  line: number;
  marker?: 'revoked' | 'cert-authority' | undefined;
  /** the host field as written (patterns, or |1|salt|hash) */
  hosts: string;
  keyType: string;
  key: Buffer;
}

/** Parse a known_hosts file; lines that cannot be parsed are skipped, as OpenSSH does. */
export function parseKnownHosts(text: string, file: string): KnownHostEntry[] {
  const out: KnownHostEntry[] = [];
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (fields[0]?.startsWith('@')) {
      const m = fields.shift();
      if (m === '@revoked') marker = 'revoked';
      else if (m === '@cert-authority') marker = 'cert-authority';
      else return; // unknown marker: OpenSSH skips the line
    }
    const [hosts, keyType, b64] = fields;
    if (hosts === undefined || keyType === undefined || b64 === undefined) return;
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return;
    const key = Buffer.from(b64, 'base64');
    if (key.length < 4 || blobKeyType(key) !== keyType) return;
    out.push({ file, line: i + 1, marker, hosts, keyType, key });
  });
  return out;
}

/** The name OpenSSH looks up: `host` on port 22, `[host]:port` otherwise. */
export function hostLookupName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** Does the host field of a known_hosts line match `name` (from hostLookupName)? */
export function hostFieldMatches(field: string, name: string): boolean {
  const lname = name.toLowerCase();
  if (field.startsWith('|1|')) {
    const [, , salt, hash] = field.split('|');
    if (salt === undefined || hash === undefined) return false;
    const mac = createHmac('sha1', Buffer.from(salt, 'base64')).update(lname).digest('base64');
    return mac === hash;
  }
  let matched = false;
  for (const pat of field.split(',')) {
    if (pat === '') continue;
    const negated = pat.startsWith('!');
    const p = (negated ? pat.slice(1) : pat).toLowerCase();
    if (wildcardMatch(p, lname)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

function wildcardMatch(pattern: string, s: string): boolean {
  // OpenSSH match_pattern: only * and ? are special
  const re = new RegExp('^' + pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$', 's');
  return re.test(s);
}

/** The key type name stored inside an SSH public key blob ("ssh-ed25519", "ssh-rsa", ...). */
export function blobKeyType(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined;
  const len = blob.readUInt32BE(0);
  if (len === 0 || len > 64 || 4 + len > blob.length) return undefined;
  return blob.subarray(4, 4 + len).toString('latin1');
}

/** OpenSSH's fingerprint: SHA256:<base64 without padding>. */
export function fingerprint(blob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}

export type HostKeyVerdict =
  | { status: 'ok'; entry: KnownHostEntry }
  | { status: 'revoked'; entry: KnownHostEntry }
  | { status: 'changed'; entry: KnownHostEntry }
  | { status: 'unknown'; otherTypes: string[] };

/** Read the files (missing ones are skipped) and judge `key` for host:port. */
export function lookupHostKey(files: readonly string[], host: string, port: number, key: Buffer): HostKeyVerdict {
  const name = hostLookupName(host, port);
  const type = blobKeyType(key);
  const entries = files.flatMap(readEntries);
  const revoked = entries.find((e) => e.marker === 'revoked' && e.key.equals(key));
  if (revoked) return { status: 'revoked', entry: revoked };
  const mine = entries.filter((e) => e.marker === undefined && hostFieldMatches(e.hosts, name));
  const same = mine.find((e) => e.key.equals(key));
  if (same) return { status: 'ok', entry: same };
  const changed = mine.find((e) => e.keyType === type);
  if (changed) return { status: 'changed', entry: changed };
  return { status: 'unknown', otherTypes: [...new Set(mine.map((e) => e.keyType))] };
}

/** Key types known for host:port, in file order (to prefer them in key exchange, as OpenSSH does). */
export function knownKeyTypes(files: readonly string[], host: string, port: number): string[] {
  const name = hostLookupName(host, port);
  const types = files
    .flatMap(readEntries)
    .filter((e) => e.marker === undefined && hostFieldMatches(e.hosts, name))
    .map((e) => e.keyType);
  return [...new Set(types)];
}

const DEFAULT_HOST_KEY_ALGOS = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];

/** Host key algorithms for ssh2, the ones whose keys known_hosts holds first. */
export function preferredHostKeyAlgorithms(knownTypes: readonly string[]): string[] {
  const first: string[] = [];
  for (const t of knownTypes) {
    const algos = t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [t];
    for (const a of algos) if (DEFAULT_HOST_KEY_ALGOS.includes(a) && !first.includes(a)) first.push(a);
  }
  return [...first, ...DEFAULT_HOST_KEY_ALGOS.filter((a) => !first.includes(a))];
}

function readEntries(file: string): KnownHostEntry[] {
  let text: string;
  try {
    if (!statSync(file).isFile()) return [];
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return parseKnownHosts(text, file);
}

export interface HostKeyCheck {
  /** inventory name: every error names it */
  name: string;
  host: string;
  port: number;
  knownHostsFiles: readonly string[];
  strictHostKeyChecking: StrictHostKeyChecking;
  /** how the checked host is called in messages (default "host:port"); e.g. "jump host bastion (10.0.0.1:22)" */
  label?: string | undefined;
}

export type HostKeyOutcome =
  | { status: 'ok'; file: string; line: number }
  | { status: 'added'; file: string }
  | { status: 'unchecked' };

/**
 * Judge the key the server presented; throws HostKeyError when it must be
 * refused. Under 'accept-new' an unknown key is appended (plain, not hashed)
 * to the first known_hosts file.
 */
export function verifyHostKey(check: HostKeyCheck, key: Buffer): HostKeyOutcome {
  const label = check.label ?? `${check.host}:${check.port}`;
  const type = blobKeyType(key) ?? 'unknown-type';
  const fp = fingerprint(key);
  if (check.strictHostKeyChecking === 'no') return { status: 'unchecked' };
  const verdict = lookupHostKey(check.knownHostsFiles, check.host, check.port, key);
  const rName = hostLookupName(check.host, check.port);
  switch (verdict.status) {
    case 'ok':
      return { status: 'ok', file: verdict.entry.file, line: verdict.entry.line };
    case 'revoked':
      throw new HostKeyError(
        check.name,
        `${label} presented host key ${type} ${fp}, which ${verdict.entry.file} line ${verdict.entry.line} marks @revoked; refusing to connect`,
        `The host must get a new host key; it can then be added to known_hosts.`,
        verdict.entry.file,
        verdict.entry.line,
      );
    case 'changed': {
      const { file, line } = verdict.entry;
      throw new HostKeyError(
        check.name,
        `HOST KEY CHANGED for ${label}: the server now presents ${type} ${fp}, but ${file} line ${line} holds a different ${type} key. ` +
          `Someone could be intercepting the connection (man-in-the-middle), or the host was reinstalled.`,
        `If the host was reinstalled and ${fp} is its real key, remove the old entry (${file}:${line}) with: ` +
          `ssh-keygen -R ${shellWord(rName)} -f ${shellWord(file)} - then connect again.`,
        file,
        line,
      );
    }
    case 'unknown': {
      if (check.strictHostKeyChecking === 'accept-new') {
        const file = check.knownHostsFiles[0];
        if (file === undefined || file === '/dev/null') return { status: 'unchecked' };
        appendKnownHost(file, rName, key);
        return { status: 'added', file };
      }
      const files = check.knownHostsFiles.length ? check.knownHostsFiles.join(' or ') : 'any known_hosts file (none configured)';
      const other = verdict.otherTypes.length ? ` (known_hosts has its ${verdict.otherTypes.join(', ')} key, not this type)` : '';
      const scanType = type.replace(/^ssh-/, '').replace(/^ecdsa-sha2-nistp\d+$/, 'ecdsa');
      const userFile = check.knownHostsFiles[0] ?? '~/.ssh/known_hosts';
      throw new HostKeyError(
        check.name,
        `unknown host key for ${label}: ${type} ${fp} is not in ${files}${other}`,
        `Check the fingerprint with the host's administrator, then add it: ` +
          `ssh-keyscan -p ${check.port} -t ${scanType} ${shellWord(check.host)} >> ${shellWord(userFile)} ` +
          `- or let passthru record new hosts: -o StrictHostKeyChecking=accept-new (ansible_ssh_common_args, or StrictHostKeyChecking accept-new in ~/.ssh/config).`,
      );
    }
  }
}

/** Append `name keytype base64` to a known_hosts file (creating it and its directory). */
export function appendKnownHost(file: string, name: string, key: Buffer): void {
  const type = blobKeyType(key);
  if (type === undefined) throw new Error('not an SSH public key blob');
  const dir = dirname(file);
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
  let prefix = '';
  if (existsSync(file)) {
    const cur = readFileSync(file);
    if (cur.length > 0 && cur[cur.length - 1] !== 0x0a) prefix = '\n';
  }
  appendFileSync(file, `${prefix}${name} ${type} ${key.toString('base64')}\n`, { mode: 0o600 });
}
