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
  return fieldMatcher(field)(name.toLowerCase());
}

/** The host field compiled once: a test of a lower-cased lookup name. */
function fieldMatcher(field: string): (lname: string) => boolean {
  if (field.startsWith('|1|')) {
    const [, , salt, hash] = field.split('|');
    if (salt === undefined || hash === undefined) return () => false;
    const key = Buffer.from(salt, 'base64');
    return (lname) => createHmac('sha1', key).update(lname).digest('base64') === hash;
  }
  const pats = field
    .split(',')
    .filter((pat) => pat !== '')
    .map((pat) => {
      const negated = pat.startsWith('!');
      return { negated, test: patternTest((negated ? pat.slice(1) : pat).toLowerCase()) };
    });
  return (lname) => {
    let matched = false;
    for (const p of pats) {
      if (!p.test(lname)) continue;
      if (p.negated) return false;
      matched = true;
    }
    return matched;
  };
}

function patternTest(pattern: string): (s: string) => boolean {
  // OpenSSH match_pattern: only * and ? are special
  if (!/[*?]/.test(pattern)) return (s) => s === pattern;
  const re = new RegExp('^' + pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$', 's');
  return (s) => re.test(s);
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
  const type = blobKeyType(key);
  const indexes = files.flatMap((f) => fileIndex(f) ?? []);
  for (const ix of indexes) {
    const revoked = ix.revoked.find((e) => e.key.equals(key));
    if (revoked) return { status: 'revoked', entry: revoked };
  }
  const mine = matching(indexes, hostLookupName(host, port));
  const same = mine.find((e) => e.key.equals(key));
  if (same) return { status: 'ok', entry: same };
  const changed = mine.find((e) => e.keyType === type);
  if (changed) return { status: 'changed', entry: changed };
  return { status: 'unknown', otherTypes: [...new Set(mine.map((e) => e.keyType))] };
}

/** Key types known for host:port, in file order (to prefer them in key exchange, as OpenSSH does). */
export function knownKeyTypes(files: readonly string[], host: string, port: number): string[] {
  const indexes = files.flatMap((f) => fileIndex(f) ?? []);
  return [...new Set(matching(indexes, hostLookupName(host, port)).map((e) => e.keyType))];
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

/**
 * One known_hosts file, parsed once for as long as it does not change (a run
 * looks a host up at every connection and every reconnect, and the file may
 * hold thousands of hosts): the host lines by literal name, the ones with
 * wildcards, negations or hashes apart, and what each name matched.
 */
interface FileIndex {
  /** the stat this was read at: any change to the file reads it again */
  version: string;
  revoked: KnownHostEntry[];
  /** host lines (no marker) by each of their literal names, lower-cased, in file order */
  byName: Map<string, KnownHostEntry[]>;
  /** host lines with a hashed field, a wildcard or a negation, with their compiled test */
  others: Array<{ entry: KnownHostEntry; test: (lname: string) => boolean }>;
  /** lower-cased lookup name -> its host lines, in file order */
  found: Map<string, KnownHostEntry[]>;
}

const indexes = new Map<string, FileIndex>();

function fileIndex(file: string): FileIndex | undefined {
  let text: string;
  let version: string;
  try {
    const st = statSync(file, { bigint: true });
    if (!st.isFile()) return undefined;
    version = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
    const cached = indexes.get(file);
    if (cached?.version === version) return cached;
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const ix: FileIndex = { version, revoked: [], byName: new Map(), others: [], found: new Map() };
  for (const e of parseKnownHosts(text, file)) {
    if (e.marker === 'revoked') ix.revoked.push(e);
    if (e.marker !== undefined) continue;
    const names = e.hosts.split(',').filter((p) => p !== '');
    if (e.hosts.startsWith('|1|') || names.some((p) => /[*?!]/.test(p))) {
      ix.others.push({ entry: e, test: fieldMatcher(e.hosts) });
      continue;
    }
    for (const n of new Set(names.map((p) => p.toLowerCase()))) {
      const list = ix.byName.get(n);
      if (list) list.push(e);
      else ix.byName.set(n, [e]);
    }
  }
  indexes.set(file, ix);
  return ix;
}

/** The host lines (no marker) of these files that match `name`, file by file in line order. */
function matching(files: readonly FileIndex[], name: string): KnownHostEntry[] {
  const lname = name.toLowerCase();
  return files.flatMap((ix) => {
    let found = ix.found.get(lname);
    if (!found) {
      found = [...(ix.byName.get(lname) ?? []), ...ix.others.filter((o) => o.test(lname)).map((o) => o.entry)].sort((a, b) => a.line - b.line);
      ix.found.set(lname, found);
    }
    return found;
  });
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
