// One simulated host: its files, its boot cycle and its SSH server.
//
// The SSH server is ssh2's Server fed by our own listener on 127.0.0.1, so
// that a reboot can close the listener (connections are refused while the
// host is down, like a real one) and cut every open connection at once.
import { randomUUID } from 'node:crypto';
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import ssh2 from 'ssh2';
import type { Connection, ParsedKey, ServerChannel, Session } from 'ssh2';
import type { HostSpec, LabHostControl, LabPeer, Tool } from '../types.ts';
import type { RunningProc, ShellHost, SudoRule } from './commands/context.ts';
import { hostCred } from './commands/context.ts';
import { LockTable } from './commands/flock.ts';
import { binNames } from './commands/index.ts';
import { runShell } from './shell.ts';
import { ChannelStdin } from './stdin.ts';
import { trace, traceFile } from './trace.ts';
import { HostStore, type NodePool, type RootfsEntry } from './vfs.ts';

/** OpenSSH's default MaxSessions */
export const MAX_SESSIONS = 10;
/** after the command that asked for a reboot returns, the connections drop this much later */
export const REBOOT_DROP_MS = 100;
/** a reboot asked for by a command that does not return happens anyway after this */
export const REBOOT_FORCE_MS = 2000;

export interface HostModel {
  /** the host's static files (shared, immutable strings between identical hosts) */
  rootfs: Iterable<[string, RootfsEntry]>;
  /** writes the kernel state of one boot into the files */
  boot(fs: HostStore, spec: HostSpec, bootId: string): void;
  /** kernel release of the current boot */
  kernelRelease(fs: HostStore, spec: HostSpec): string;
  /** the machine-specific commands this host has */
  tools: Readonly<Record<string, Tool>>;
}

export interface SimHostOptions {
  spec: HostSpec;
  model: HostModel;
  /** OpenSSH private key (ed25519) */
  hostKey: string;
  /** the lab's client public key: the one key every login user accepts */
  clientKey: ParsedKey;
  rebootSeconds: number;
  loginUsers: readonly string[];
  sudoers: readonly SudoRule[];
  /** sshd's AcceptEnv patterns */
  acceptEnv: readonly string[];
  /** the other hosts of the cluster (LabHostControl.peer) */
  peers?: ((name: string) => LabPeer | undefined) | undefined;
    /** while a cluster is built: identical hosts share strings and rootfs nodes */
  sharing?: { intern: (s: string) => string; pool: NodePool } | undefined;
}

type HostState = 'down' | 'up' | 'rebooting' | 'stopped';

function envAccepted(patterns: readonly string[], name: string): boolean {
  return patterns.some((p) => (p.endsWith('*') ? name.startsWith(p.slice(0, -1)) : p === name));
}

export class SimHost implements ShellHost {
  readonly name: string;
  readonly spec: HostSpec;
  readonly store: HostStore;
  readonly locks = new LockTable();
  readonly procs = new Map<number, RunningProc>();
  readonly tools: Readonly<Record<string, Tool>>;
  readonly control: LabHostControl;
  readonly sudoers: readonly SudoRule[];
  port = 0;
  bootId = '';
  /** boots so far (the first one when the host is made) */
  boots = 0;
  private state: HostState = 'down';
  private readonly ssh: ssh2.Server;
  private listener: NetServer | undefined;
  private readonly sockets = new Set<Socket>();
  private rebootPending = false;
  private rebootTimer: NodeJS.Timeout | undefined;
  private downTimer: NodeJS.Timeout | undefined;
  private rebooting: Promise<void> | undefined;
  private readonly volatile: Array<[string, RootfsEntry]> = [];
  private readonly opts: Omit<SimHostOptions, 'model' | 'sharing'>;
  private readonly model: Omit<HostModel, 'rootfs'>;

  constructor(options: SimHostOptions) {
    // the rootfs is loaded once and not kept: its strings live on in the store
    const { model, sharing, ...opts } = options;
    this.opts = opts;
    this.model = { boot: model.boot, kernelRelease: model.kernelRelease, tools: model.tools };
    this.name = opts.spec.name;
    this.spec = opts.spec;
    this.sudoers = opts.sudoers;
    this.tools = model.tools;
    this.store = new HostStore();
    this.store.sharing = sharing;
    const files: Array<[string, RootfsEntry]> = [];
    for (const entry of model.rootfs) {
      files.push(entry);
      if (entry[0].startsWith('/tmp/') || entry[0].startsWith('/run/')) this.volatile.push(entry);
    }
    this.store.load(files);
    const intern = sharing?.intern;
    if (intern !== undefined) {
      for (let i = 0; i < this.volatile.length; i++) {
        const [path, entry] = this.volatile[i] as [string, RootfsEntry];
        this.volatile[i] = [intern(path), { content: intern(entry.content), meta: entry.meta }];
      }
    }
    this.addLoginHomes();
    // the first boot happens now, while identical hosts still share what they can
    this.boot();
    this.store.sharing = undefined;
    this.store.binNames = binNames(Object.keys(this.tools));
    this.control = {
      spec: opts.spec,
      requestReboot: () => this.requestReboot(),
      peer: (name) => opts.peers?.(name),
    };
    this.ssh = new ssh2.Server({ hostKeys: [opts.hostKey], ident: 'OpenSSH_9.2p1 passthru-lab' }, (client, info) => this.onConnection(client, info));
  }

  /** What every host needs beyond its rootfs: /tmp, bin directories, the login users' homes. */
  private addLoginHomes(): void {
    const s = this.store;
    for (const d of ['/tmp', '/var/tmp']) {
      if (!s.exists(d)) s.mkdirp(d);
      s.setMeta(d, { mode: 0o1777 });
    }
    for (const d of ['/usr/bin', '/usr/sbin', '/bin', '/sbin', '/usr/local/bin', '/dev', '/var/lock']) if (!s.exists(d)) s.mkdirp(d);
    for (const user of this.opts.loginUsers) {
      const cred = hostCred(s, user);
      if (cred === undefined || s.exists(cred.home)) continue;
      s.mkdirp(cred.home);
      s.setMeta(cred.home, { owner: cred.user, group: cred.group, mode: 0o750 });
    }
  }

  get isUp(): boolean {
    return this.state === 'up';
  }

  kernelRelease(): string {
    return this.model.kernelRelease(this.store, this.spec);
  }

  /** Listen on 127.0.0.1 (port 0: the OS picks one). The host booted when it was made. */
  async start(port = 0): Promise<number> {
    await this.listen(port);
    return this.port;
  }

  private boot(): void {
    this.bootId = randomUUID();
    this.model.boot(this.store, this.spec, this.bootId);
    this.boots++;
  }

  private listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const server = createServer({ noDelay: true }, (socket) => this.onSocket(socket));
      const onError = (e: Error) => {
        server.close();
        reject(e);
      };
      server.once('error', onError);
      server.listen({ port, host: '127.0.0.1', backlog: 128 }, () => {
        server.removeListener('error', onError);
        server.on('error', () => undefined);
        const addr = server.address();
        if (addr !== null && typeof addr === 'object') this.port = addr.port;
        this.listener = server;
        this.state = 'up';
        resolve();
      });
    });
  }

  private onSocket(socket: Socket): void {
    socket.on('error', () => undefined);
    if (this.state !== 'up') {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    this.ssh.injectSocket(socket);
  }

  // ---- reboot ---------------------------------------------------------------

  private requestReboot(): void {
    if (this.rebootPending || this.state !== 'up') return;
    this.rebootPending = true;
    this.rebootTimer = setTimeout(() => void this.reboot(), REBOOT_FORCE_MS);
  }

  /** A command finished: if it asked for a reboot, the host goes down now. */
  private commandDone(): void {
    if (!this.rebootPending || this.rebooting !== undefined) return;
    if (this.rebootTimer !== undefined) clearTimeout(this.rebootTimer);
    this.rebootTimer = setTimeout(() => void this.reboot(), REBOOT_DROP_MS);
  }

  /** Go down (refuse and drop connections, kill every command), stay down rebootSeconds, boot again. */
  reboot(): Promise<void> {
    if (this.rebooting !== undefined) return this.rebooting;
    if (this.rebootTimer !== undefined) clearTimeout(this.rebootTimer);
    this.rebootTimer = undefined;
    this.rebooting = (async () => {
      this.state = 'rebooting';
      this.goDown();
      await new Promise<void>((resolve) => {
        this.downTimer = setTimeout(resolve, this.opts.rebootSeconds * 1000);
      });
      this.downTimer = undefined;
      if (this.state !== 'rebooting') return;
      this.resetVolatile();
      this.rebootPending = false;
      this.boot();
      for (let attempt = 0; ; attempt++) {
        try {
          await this.listen(this.port);
          break;
        } catch (e) {
          // the port is briefly taken (a client's ephemeral port): try again
          if (attempt > 50 || this.state !== 'rebooting') {
            process.stderr.write(`lab: ${this.name} cannot listen on 127.0.0.1:${this.port} again after its reboot: ${e instanceof Error ? e.message : String(e)}\n`);
            throw e;
          }
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    })().finally(() => {
      this.rebooting = undefined;
    });
    this.rebooting.catch(() => undefined);
    return this.rebooting;
  }

  private goDown(): void {
    this.listener?.close();
    this.listener = undefined;
    for (const p of [...this.procs.values()]) p.kill('KILL');
    for (const s of [...this.sockets]) s.destroy();
    this.sockets.clear();
    this.locks.clear();
  }

  /** /tmp and /run do not survive a reboot. */
  private resetVolatile(): void {
    for (const dir of ['/tmp', '/run']) {
      for (const name of this.store.readdir(dir)) this.store.remove(`${dir}/${name}`);
    }
    this.store.load(this.volatile);
  }

  async stop(): Promise<void> {
    this.state = 'stopped';
    if (this.rebootTimer !== undefined) clearTimeout(this.rebootTimer);
    if (this.downTimer !== undefined) clearTimeout(this.downTimer);
    this.rebootTimer = undefined;
    this.downTimer = undefined;
    const listener = this.listener;
    this.goDown();
    if (listener !== undefined) await new Promise<void>((r) => listener.close(() => r()));
  }

  // ---- SSH ------------------------------------------------------------------

  private onConnection(client: Connection, info: { ip: string; port: number }): void {
    let user: string | undefined;
    client.on('error', () => undefined);
    client.on('authentication', (ctx) => {
      if (ctx.method !== 'publickey') return ctx.reject(['publickey']);
      const key = this.opts.clientKey;
      if (!this.opts.loginUsers.includes(ctx.username) || hostCred(this.store, ctx.username) === undefined) return ctx.reject(['publickey']);
      if (ctx.key.algo !== key.type || !ctx.key.data.equals(key.getPublicSSH())) return ctx.reject(['publickey']);
      if (ctx.signature === undefined || ctx.blob === undefined) return ctx.accept();
      if (key.verify(ctx.blob, ctx.signature, ctx.hashAlgo) !== true) return ctx.reject(['publickey']);
      user = ctx.username;
      ctx.accept();
    });
    client.on('ready', () => {
      let open = 0;
      client.on('session', (accept, reject) => {
        if (open >= MAX_SESSIONS || this.state !== 'up') return reject();
        open++;
        const session = accept();
        session.once('close', () => open--);
        this.onSession(session, user ?? 'root', `${info.ip} ${info.port} 127.0.0.1 ${this.port}`);
      });
    });
  }

  private onSession(session: Session, user: string, sshConnection: string): void {
    const env: Record<string, string> = {};
    let running: RunningProc | undefined;
    let pid: number | undefined;
    session.on('env', (accept, reject, info) => {
      if (envAccepted(this.opts.acceptEnv, info.key)) {
        env[info.key] = info.val;
        accept?.();
      } else reject?.();
    });
    let pty = false;
    session.on('pty', (accept) => {
      pty = true;
      accept?.();
    });
    session.on('window-change', (accept) => accept?.());
    session.on('signal', (accept, reject, info) => {
      // like sshd: a root session cannot be signalled ("session signalling requires privilege separation")
      if (user === 'root' || pid === undefined) return reject?.();
      running = this.procs.get(pid);
      running?.kill(info.name);
      accept?.();
    });
    session.on('exec', (accept, _reject, info) => {
      const stream = accept();
      void this.runExec(stream, user, info.command, env, sshConnection, (p) => (pid = p));
    });
    session.on('shell', (accept) => {
      const stream = accept();
      void this.runShellSession(stream, user, env, sshConnection, pty);
    });
    session.on('subsystem', (_accept, reject) => reject());
    session.on('sftp', (_accept, reject) => reject());
  }

  private async runExec(stream: ServerChannel, user: string, command: string, env: Record<string, string>, sshConnection: string, onStart: (pid: number) => void): Promise<void> {
    const stdin = new ChannelStdin();
    const closed = new AbortController();
    const traced = traceFile();
    const sent: Buffer[] = [];
    const t0 = traced === undefined ? 0 : performance.now();
    stream.on('data', (chunk: Buffer) => {
      if (traced !== undefined) sent.push(chunk);
      stdin.push(chunk);
    });
    stream.on('end', () => stdin.end());
    stream.on('close', () => {
      stdin.end();
      closed.abort();
    });
    stream.on('error', () => undefined);
    stream.stderr.on('error', () => undefined);
    const write = (s: string) => {
      if (!closed.signal.aborted && s !== '') stream.write(Buffer.from(s, 'utf8'));
    };
    const writeErr = (s: string) => {
      if (!closed.signal.aborted && s !== '') stream.stderr.write(Buffer.from(s, 'utf8'));
    };
    try {
      const r = await runShell(this, {
        user,
        command,
        env,
        io: { stdin, stdout: write, stderr: writeErr },
        signal: closed.signal,
        sshConnection,
        onStart,
      });
      if (traced !== undefined) trace(traced, { host: this.name, user, command, stdin: Buffer.concat(sent), exit: r.exitCode, ms: Math.round(performance.now() - t0) });
      if (!closed.signal.aborted && this.state === 'up') {
        write(r.stdout);
        writeErr(r.stderr);
        if (r.signal !== undefined) stream.exit(r.signal, false, '');
        else stream.exit(r.exitCode);
        stream.end();
      }
    } catch (e) {
      if (!closed.signal.aborted) {
        writeErr(`lab: ${e instanceof Error ? e.message : String(e)}\n`);
        stream.exit(255);
        stream.end();
      }
    }
    this.commandDone();
  }

  /**
   * `ssh host` without a command: a simple line shell. Each line runs like an
   * exec, from the home directory (no state carries over between lines). With
   * a pty: prompt, echo, backspace, ^C, ^D; without: lines from stdin until EOF.
   */
  private async runShellSession(stream: ServerChannel, user: string, env: Record<string, string>, sshConnection: string, pty: boolean): Promise<void> {
    const prompt = () => (pty ? `${user}@${this.name}:${user === 'root' ? '#' : '$'} ` : '');
    const nl = (text: string) => (pty ? text.replace(/\r?\n/g, '\r\n') : text);
    let line = '';
    let closed = false;
    let ended = false;
    let status = 0;
    let busy = Promise.resolve();
    const finish = () => {
      if (ended || closed) return;
      ended = true;
      stream.exit(status);
      stream.end();
    };
    const submit = (cmd: string) => {
      busy = busy.then(async () => {
        if (closed || ended) return;
        if (/^\s*(exit|logout)\s*$/.test(cmd)) return finish();
        if (cmd.trim() !== '') {
          const r = await runShell(this, { user, command: cmd, env, sshConnection });
          status = r.exitCode;
          if (closed) return;
          stream.write(nl(r.stdout));
          stream.stderr.write(nl(r.stderr));
          this.commandDone();
        }
        if (!closed && !ended) stream.write(prompt());
      });
    };
    stream.on('close', () => (closed = true));
    stream.on('error', () => undefined);
    stream.stderr.on('error', () => undefined);
    stream.on('end', () => {
      if (line !== '') submit(line);
      line = '';
      void busy.then(finish);
    });
    stream.write(prompt());
    stream.on('data', (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') {
          if (pty) stream.write('\r\n');
          const cmd = line;
          line = '';
          submit(cmd);
        } else if (pty && (ch === '\x7f' || ch === '\b')) {
          if (line.length > 0) {
            line = line.slice(0, -1);
            stream.write('\b \b');
          }
        } else if (pty && ch === '\x03') {
          line = '';
          stream.write(`^C\r\n${prompt()}`);
        } else if (pty && ch === '\x04') {
          if (line === '') void busy.then(finish);
        } else if (ch >= ' ' || ch === '\t') {
          line += ch;
          if (pty) stream.write(ch);
        }
      }
    });
  }
}
