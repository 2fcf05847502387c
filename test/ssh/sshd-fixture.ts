// Real OpenSSH sshd processes for the transport tests, on loopback
// addresses 127.0.2.1-127.0.2.50. Each runs in the foreground (-D -e) from a
// temp directory with its own host key and authorized_keys, and is stopped by
// pid (with every session process it forked).

import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { ConnectTarget } from '../../src/ssh/types.ts';

export const SSHD = '/usr/sbin/sshd';

/** Why sshd tests cannot run here, or undefined when they can. */
export function sshdSkipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (sshd is started on 127.0.2.x with its own config)';
  if (!existsSync(SSHD)) return `needs OpenSSH server (${SSHD} missing; apt-get install openssh-server)`;
  if (!existsSync('/usr/bin/ssh-keygen')) return 'needs ssh-keygen';
  return undefined;
}

/**
 * A test that cannot run here for `why` (no root, no sshd, no real-sshd lab):
 * skipped loudly for an ordinary user; where every test must run
 * (PASSTHRU_TEST_NO_SKIPS=1, as .ci/run sets as root) it fails at once
 * instead, naming what is missing: CI never skips it.
 */
export function skipLoudly(t: TestContext, why: string): void {
  if (process.env['PASSTHRU_TEST_NO_SKIPS'] === '1') throw new Error(`${t.name} cannot run here (${why}), and PASSTHRU_TEST_NO_SKIPS=1 says every test must`);
  process.stderr.write(`\n!!! SKIPPED ${t.name}: ${why} !!!\n\n`);
  t.skip(`SKIPPED: ${why}`);
}

/** Skip the test loudly when sshd cannot run (skipLoudly); returns true when skipped. */
export function skipWithoutSshd(t: TestContext): boolean {
  const why = sshdSkipReason();
  if (why === undefined) return false;
  skipLoudly(t, why);
  return true;
}

/** A temp directory readable by everyone (sshd reads authorized_keys as the login user). */
export function tempDir(prefix = 'passthru-ssh-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(d, 0o755);
  return d;
}

export interface KeyPair {
  path: string;
  pubPath: string;
  /** the .pub line: "ssh-ed25519 AAAA... comment" */
  pub: string;
  /** public key blob */
  blob: Buffer;
}

export type KeyType = 'ed25519' | 'ecdsa' | 'rsa';

/** A key pair made by ssh-keygen (real OpenSSH files). */
export function makeKey(dir: string, name: string, type: KeyType = 'ed25519', opts: { passphrase?: string; pem?: boolean } = {}): KeyPair {
  const path = join(dir, name);
  const args = ['-q', '-t', type, '-N', opts.passphrase ?? '', '-C', `${name}@passthru-test`, '-f', path];
  if (type === 'rsa') args.push('-b', '2048');
  if (opts.pem) args.push('-m', 'PEM');
  execFileSync('ssh-keygen', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const pub = readFileSync(`${path}.pub`, 'utf8').trim();
  return { path, pubPath: `${path}.pub`, pub, blob: Buffer.from(pub.split(/\s+/)[1] ?? '', 'base64') };
}

export async function freePort(address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, address, () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export interface SshdOptions {
  address: string;
  port?: number;
  /** lines of authorized_keys (one file for every user) */
  authorizedKeys: string[];
  hostKeyType?: KeyType;
  /** extra sshd_config lines (they win over the fixture's defaults) */
  extra?: string[];
  /**
   * run sshd in its own mount namespace after this sh snippet (e.g. mounts
   * that only its sessions see: a full tmpfs, a read-only bind mount)
   */
  namespacePreamble?: string;
}

export class Sshd {
  readonly dir: string;
  readonly address: string;
  port = 0;
  readonly hostKey: KeyPair;
  private proc: ChildProcess | undefined;
  private stderr = '';

  constructor(private readonly opts: SshdOptions) {
    this.address = opts.address;
    this.dir = tempDir('passthru-sshd-');
    this.hostKey = makeKey(this.dir, 'host_key', opts.hostKeyType ?? 'ed25519');
    writeFileSync(join(this.dir, 'authorized_keys'), opts.authorizedKeys.join('\n') + '\n', { mode: 0o644 });
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** a path as the sshd's sessions see it (through its mount namespace) */
  seen(path: string): string {
    return this.opts.namespacePreamble && this.proc?.pid ? `/proc/${this.proc.pid}/root${path}` : path;
  }

  get log(): string {
    return this.stderr;
  }

  /** `[addr]:port type base64` for known_hosts */
  knownHostsLine(hostField = `[${this.address}]:${this.port}`): string {
    const [type, b64] = this.hostKey.pub.split(/\s+/);
    return `${hostField} ${type} ${b64}`;
  }

  /** A ConnectTarget for this sshd (strict host key checking against `knownHostsFile`). */
  target(o: Partial<ConnectTarget> & { identityFiles: string[]; knownHostsFiles: string[] }): ConnectTarget {
    return {
      name: `node-${this.address}`,
      host: this.address,
      port: this.port,
      user: 'root',
      strictHostKeyChecking: 'yes',
      jumps: [],
      connectTimeoutMs: 5000,
      keepaliveIntervalMs: 5000,
      become: false,
      ...o,
    };
  }

  async start(): Promise<void> {
    if (!existsSync('/run/sshd')) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    if (this.port === 0) this.port = this.opts.port ?? (await freePort(this.address));
    // sshd keeps the first value it reads: extra lines override the defaults below
    const config = [
      ...(this.opts.extra ?? []),
      `ListenAddress ${this.address}:${this.port}`,
      `HostKey ${this.hostKey.path}`,
      'PidFile none',
      'StrictModes no',
      'UsePAM no',
      `AuthorizedKeysFile ${join(this.dir, 'authorized_keys')}`,
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin prohibit-password',
      'LogLevel VERBOSE',
      'Subsystem sftp internal-sftp',
      // bash sources ~/.bashrc when started by sshd unless SHLVL says it is not a top-level shell:
      // keep the tests away from root's dotfiles (pyenv init there takes a lock and can stall for 60 s)
      'SetEnv SHLVL=1',
    ];
    const cfgPath = join(this.dir, 'sshd_config');
    writeFileSync(cfgPath, config.join('\n') + '\n');
    this.stderr = '';
    const argv = [SSHD, '-D', '-e', '-f', cfgPath];
    const proc = this.opts.namespacePreamble
      ? spawn('unshare', ['-m', '--propagation', 'private', 'sh', '-c', `${this.opts.namespacePreamble}\nexec "$0" "$@"`, ...argv], { stdio: ['ignore', 'ignore', 'pipe'] })
      : spawn(SSHD, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
    this.proc = proc;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`sshd on ${this.address}:${this.port} did not start: ${this.stderr}`)), 5000);
      proc.stderr?.on('data', (d: Buffer) => {
        this.stderr += d.toString();
        if (this.stderr.includes('Server listening on')) {
          clearTimeout(timer);
          resolve();
        }
      });
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`sshd exited (${code}): ${this.stderr}`));
      });
    });
  }

  /** pids of the processes sshd forked for sessions (all descendants) */
  sessionPids(): number[] {
    const root = this.proc?.pid;
    if (root === undefined) return [];
    return descendants(root);
  }

  /** Kill the listener and every session process. */
  async stop(): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) {
      this.proc = undefined;
      return;
    }
    const kids = this.sessionPids();
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    proc.kill('SIGKILL');
    for (const pid of kids) killQuiet(pid, 'SIGKILL');
    await exited;
    this.proc = undefined;
  }

  /** Stop sshd and remove its directory. */
  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export async function startSshd(opts: SshdOptions): Promise<Sshd> {
  const s = new Sshd(opts);
  await s.start();
  return s;
}

export function killQuiet(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

/** all descendants of a process, from /proc */
export function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parent.set(Number(d), ppid);
    } catch {
      /* exited */
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [pid, pp] of parent) if (pp === p) {
      out.push(pid);
      walk(pid);
    }
  };
  walk(root);
  return out;
}

/** every process's argv joined with spaces (to prove a secret is not in it) */
export function allCmdlines(): string[] {
  const out: string[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      out.push(readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').join(' '));
    } catch {
      /* exited */
    }
  }
  return out;
}

/** Wait until `cond` holds (polling), or fail after `ms`. */
export async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface SshEnv {
  dir: string;
  /** the client key (ed25519, in authorized_keys) */
  key: KeyPair;
  sshd: Sshd;
  /** a known_hosts file holding the sshd's key */
  knownHosts: string;
  /** a target for root@sshd with the client key and strict checking against `knownHosts` */
  target(o?: Partial<ConnectTarget>): ConnectTarget;
  dispose(): Promise<void>;
}

/** A temp dir, a client key, a running sshd accepting it, and a known_hosts file for it. */
export async function sshEnv(address: string, opts: Partial<SshdOptions> = {}): Promise<SshEnv> {
  const dir = tempDir();
  const key = makeKey(dir, 'id_ed25519');
  const sshd = await startSshd({ ...opts, address, authorizedKeys: [key.pub, ...(opts.authorizedKeys ?? [])] });
  const knownHosts = join(dir, 'known_hosts');
  writeFileSync(knownHosts, sshd.knownHostsLine() + '\n');
  return {
    dir,
    key,
    sshd,
    knownHosts,
    target: (o = {}) => sshd.target({ identityFiles: [key.path], knownHostsFiles: [knownHosts], ...o }),
    dispose: async () => {
      await sshd.dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A namespacePreamble that gives the sshd's sessions a sudoers drop-in of
 * their own: /etc/sudoers.d is a tmpfs in its mount namespace holding only
 * `text` (checked with visudo first). The machine's /etc is never written:
 * the real-sshd labs of other test files see this machine's /etc through
 * their overlays.
 */
export function sudoersPreamble(dir: string, text: string): string {
  const src = join(dir, 'sudoers-dropin');
  writeFileSync(src, text, { mode: 0o440 });
  execFileSync('visudo', ['-c', '-q', '-f', src]);
  return `mount -t tmpfs -o mode=0755 tmpfs /etc/sudoers.d && install -m 0440 -o root -g root ${src} /etc/sudoers.d/passthru-test`;
}

/** SIGKILL every process whose argv contains `marker` (a unique string the test put in its command). */
export function killMarked(marker: string): void {
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').join(' ').includes(marker)) killQuiet(Number(d), 'SIGKILL');
    } catch {
      /* exited */
    }
  }
}

/** a number-like unique marker to put in a `sleep` command, e.g. "20.4817" */
export function sleepMarker(seconds: number): string {
  return `${seconds}.${String(Math.floor(Math.random() * 9000) + 1000)}`;
}
