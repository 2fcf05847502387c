// Linux namespaces for the real lab.
//
//  - One *holder* per host: a small bash in its own mount namespace. The
//    host's overlay mounts (/etc, /var, /usr over this machine's) and its
//    tmpfs (/run, /dev, /proc, /sys) live there, so nothing is mounted in the
//    machine's own namespace, everything vanishes with the holder, and the
//    mounts survive the host's reboots. The lab reads a host's files through
//    /proc/<holder>/root/... The holder also starts the host's namespaces
//    (a line on its stdin each boot): the fork is a small shell's, not the
//    lab's (a fork of the lab's big process costs its main thread 3-20 ms).
//  - One *host namespace* per running host: started by its holder,
//    `unshare --mount --pid --uts --fork --mount-proc`; its pid 1 is a small
//    supervisor that bind-mounts the host's directories and files over /etc,
//    /var, /proc/cmdline, /sys/class/iommu, ... and keeps sshd running.
//    Killing pid 1 kills every process in it: all SSH connections drop.
//
// The holder is spawned through `setpriv --pdeathsig KILL`, each namespace
// by the holder through `setpriv --pdeathsig KILL` again, and the host's
// pid 1 through `unshare --kill-child`: if the lab's process dies, even by
// SIGKILL, its holders die, and the namespaces with them.
//
// Nothing here polls. A holder says on its stdout when its mounts are there.
// A namespace talks to the lab over a TCP connection (ControlServer) its
// holder opens with bash's /dev/tcp before it starts it, as fd 3: pid 1 says
// when it runs and when the host's files are mounted, starts sshd when the
// lab writes a line (a host is made ready while it is still "down"), then
// closes its fd 3. The connection ends when the last process holding it,
// the `unshare` waiting for pid 1, exits: every process of the host is gone.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';

const ENV = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8' };

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function killPid(pid: number | undefined, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** One fstab line (bind mount or overlay). Paths must not contain whitespace. */
export function fstabLine(source: string, target: string, type: string, options: string): string {
  for (const p of [source, target, options]) {
    if (/\s/.test(p)) throw new Error(`lab: path with whitespace cannot be mounted: ${p}`);
  }
  return `${source} ${target} ${type} ${options} 0 0`;
}

/** how long a holder or a host's pid 1 may take to say it runs */
const START_TIMEOUT_MS = 30_000;

/**
 * A holder: mounts its fstab, says `ready`, then starts a host namespace for
 * every line on its stdin (see HostNamespace.start), its output in the host's
 * log, its fd 3 connected to the lab.
 */
export const HOLDER_SCRIPT = `
[ -z "$1" ] || mount --all --fstab "$1" || exit 1
echo ready
exec >/dev/null 2>&1
while read -r addr port token log supervisor conf; do
  (
    exec >>"$log" 2>&1 </dev/null 3<>"/dev/tcp/$addr/$port"
    echo "ns $token $BASHPID" >&3
    exec setpriv --pdeathsig KILL -- unshare --mount --pid --uts --fork --kill-child --propagation private --mount-proc -- /bin/sh "$supervisor" "$conf"
  ) &
done
`;

export class Holder {
  private constructor(
    readonly pid: number,
    private readonly child: ChildProcess,
    /** resolves when the holder has exited */
    readonly exited: Promise<void>,
  ) {}

  /** Start a mount-namespace holder, mounting every entry of `fstab` in it first. */
  static async start(fstab?: string): Promise<Holder> {
    const child = spawn(
      'setpriv',
      ['--pdeathsig', 'KILL', '--', 'unshare', '--mount', '--propagation', 'private', '--', '/bin/bash', '-c', HOLDER_SCRIPT, 'holder', fstab ?? ''],
      { env: ENV, stdio: ['pipe', 'pipe', 'pipe'] },
    );
    const pid = child.pid;
    if (pid === undefined) throw new Error('lab: could not start unshare (util-linux) for a mount namespace holder');
    const exited = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('exit', () => resolve());
    });
    child.stdin?.on('error', () => {}); // the holder is gone: HostNamespace.start says so
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const up = await new Promise<boolean>((resolve) => {
      let out = '';
      const timer = setTimeout(() => resolve(false), START_TIMEOUT_MS);
      child.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('ready\n')) {
          clearTimeout(timer);
          resolve(true);
        }
      });
      void exited.then(() => {
        clearTimeout(timer);
        resolve(false);
      });
    });
    child.stdout?.destroy();
    child.stderr?.destroy();
    if (up) return new Holder(pid, child, exited);
    killPid(pid);
    await exited;
    throw new Error(`lab: mount namespace holder failed (${child.exitCode ?? child.signalCode}): ${stderr.trim()}`);
  }

  /** Ask the holder to start a namespace: one line of whitespace-free fields (HOLDER_SCRIPT). */
  command(fields: string[]): void {
    for (const f of fields) if (f === '' || /\s/.test(f)) throw new Error(`lab: not usable in a holder command: ${JSON.stringify(f)}`);
    this.child.stdin?.write(`${fields.join(' ')}\n`);
  }

  /** A path of this machine as seen inside the holder's mount namespace. */
  path(p: string): string {
    return `/proc/${this.pid}/root${p}`;
  }

  async stop(): Promise<void> {
    killPid(this.pid);
    await this.exited;
  }
}

/** The lines one namespace says on its connection, and its end. */
class Channel {
  private readonly lines: string[] = [];
  private readonly waiters: Array<{ match(line: string): boolean; resolve(line: string): void }> = [];
  private buf = '';
  /** resolves once the connection is closed (every process holding it is gone) */
  readonly closed: Promise<void>;
  isClosed = false;

  constructor(readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('error', () => {}); // a reset is an end like any other
    socket.on('data', (d: Buffer) => {
      this.buf += d.toString();
      for (let nl = this.buf.indexOf('\n'); nl >= 0; nl = this.buf.indexOf('\n')) {
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        this.lines.push(line);
        for (let i = this.waiters.length - 1; i >= 0; i--) {
          const w = this.waiters[i]!;
          if (w.match(line)) {
            this.waiters.splice(i, 1);
            w.resolve(line);
          }
        }
      }
    });
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.isClosed = true;
        resolve();
      }),
    );
  }

  /** the first line (said already or to come) that `match` accepts; undefined once closed without one */
  hear(match: (line: string) => boolean): Promise<string | undefined> {
    const said = this.lines.find(match);
    if (said !== undefined) return Promise.resolve(said);
    if (this.isClosed) return Promise.resolve(undefined);
    return Promise.race([
      new Promise<string>((resolve) => this.waiters.push({ match, resolve })),
      this.closed.then(() => this.lines.find(match)),
    ]);
  }
}

/**
 * Where the lab's namespaces connect to (a holder opens the connection, with
 * a token the lab gave it, before it starts a namespace).
 */
export class ControlServer {
  private readonly waiting = new Map<string, (c: { channel: Channel; pid: number }) => void>();

  private constructor(
    private readonly server: Server,
    readonly address: string,
    readonly port: number,
  ) {
    server.on('connection', (socket) => {
      const channel = new Channel(socket);
      const timer = setTimeout(() => socket.destroy(), START_TIMEOUT_MS);
      void channel.hear((l) => l.startsWith('ns ')).then((line) => {
        clearTimeout(timer);
        const [, token = '', pid = ''] = (line ?? '').split(' ');
        const w = this.waiting.get(token);
        if (!w || !/^\d+$/.test(pid)) {
          socket.destroy();
          return;
        }
        this.waiting.delete(token);
        w({ channel, pid: Number(pid) });
      });
    });
  }

  static start(address: string): Promise<ControlServer> {
    return new Promise((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, address, () => {
        const a = server.address();
        if (!a || typeof a === 'string') return reject(new Error('lab: control server has no port'));
        resolve(new ControlServer(server, address, a.port));
      });
    });
  }

  /** a token for one namespace, and its connection once the namespace has it */
  expect(): { token: string; connected: Promise<{ channel: Channel; pid: number }>; cancel(): void } {
    const token = randomBytes(16).toString('hex');
    const connected = new Promise<{ channel: Channel; pid: number }>((resolve) => this.waiting.set(token, resolve));
    return { token, connected, cancel: () => this.waiting.delete(token) };
  }

  /** stop listening (the connections of running namespaces stay) */
  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** The supervisor's config (SUPERVISOR_SCRIPT's $1): one value a line. */
export function supervisorConf(c: {
  fstab: string;
  hostname: string;
  log: string;
  /** mounts only needed while mounting (this machine's /dev, the holder's mounts), detached afterwards */
  detach: string[];
  /** bound over /tmp once everything else is mounted */
  tmp: string;
  /** covered by an empty tmpfs at last (the lab dir: hosts see nothing of the lab) */
  hide: string;
}): string {
  const values = [c.fstab, c.hostname, c.log, c.detach.join(' '), c.tmp, c.hide];
  for (const v of [c.fstab, c.hostname, c.log, ...c.detach, c.tmp, c.hide]) {
    if (/\s/.test(v)) throw new Error(`lab: path with whitespace cannot be used by a host's pid 1: ${v}`);
  }
  return values.map((v) => `${v}\n`).join('');
}

/**
 * pid 1 of a host namespace: mounts, hostname, then (once the lab writes a
 * line on fd 3) sshd forever, restarted when killed. On fd 3 it says
 * `pid1` when it runs and `mounted` when the host's files are mounted.
 */
export const SUPERVISOR_SCRIPT = `#!/bin/sh
# passthru real lab: pid 1 of one host, started by its holder.
#   $1   its config, a value a line: fstab, hostname, log, mounts to detach once
#        mounted (space-separated), the host's own /tmp, the lab dir (hidden from the host)
#   fd 3 the lab: pid 1 says "pid1", then "mounted"; a line from the lab starts sshd
echo pid1 >&3
{ read -r lab_fstab; read -r lab_hostname; read -r lab_log; read -r lab_detach; read -r lab_tmp; read -r lab_hide; } <"$1" ||
  { echo "lab: cannot read $1"; exit 97; }
exec >>"$lab_log" 2>&1 </dev/null
mount --all --fstab "$lab_fstab" || { echo "lab: mounting the host's files failed"; exit 97; }
# shellcheck disable=SC2086
[ -z "$lab_detach" ] || umount --lazy $lab_detach
[ -z "$lab_tmp" ] || mount --bind "$lab_tmp" /tmp || exit 97
[ -z "$lab_hide" ] || [ ! -d "$lab_hide" ] || mount -t tmpfs -o size=4k,mode=0755 lab-hidden "$lab_hide" || exit 97
hostname "$lab_hostname"
echo mounted >&3
# the lab powers the host on (EOF: the lab is gone)
read -r _ <&3 || exit 0
exec 3>&-
while :; do
  /usr/sbin/sshd -D -e -f /etc/ssh/sshd_config
  sleep 0.3
done
`;

export class HostNamespace {
  private poweredOn = false;

  private constructor(
    /** pid of the `unshare` process (a child of the holder) */
    readonly unsharePid: number,
    /** pid (in our namespace) of the host's pid 1 */
    readonly initPid: number,
    /** resolves once every process of the namespace is gone */
    readonly done: Promise<void>,
    /** resolves once pid 1 has mounted the host's files (never, when it failed) */
    readonly mounted: Promise<void>,
    private readonly channel: Channel,
  ) {}

  /**
   * Start a host namespace from its holder (in the holder's mount
   * namespace); resolves once its pid 1 runs. With `hold`, sshd only starts
   * at powerOn(): the namespace and its mounts are made while the host is
   * still down.
   */
  static async start(opts: {
    holder: Holder;
    control: ControlServer;
    supervisor: string;
    /** the supervisor's config (supervisorConf) */
    conf: string;
    log: string;
    /** for messages */
    hostname: string;
    /** start sshd only at powerOn() */
    hold?: boolean;
  }): Promise<HostNamespace> {
    const failed = (): Error => new Error(`lab: host namespace for ${opts.hostname} did not start (see ${opts.log})`);
    const expected = opts.control.expect();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), START_TIMEOUT_MS)));
    try {
      opts.holder.command([opts.control.address, String(opts.control.port), expected.token, opts.log, opts.supervisor, opts.conf]);
      const conn = await Promise.race([expected.connected, opts.holder.exited.then(() => undefined), timeout]);
      if (!conn) throw failed();
      const { channel, pid } = conn;
      // pid 1 of the new pid namespace is the child `unshare --fork` made; it runs once it speaks
      const said = await Promise.race([channel.hear((l) => l === 'pid1'), timeout]);
      let init = 0;
      if (said !== undefined) {
        try {
          init = Number(readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)[0]);
        } catch {
          // exited meanwhile
        }
      }
      if (!(init > 0)) {
        killPid(pid);
        channel.socket.destroy();
        throw failed();
      }
      const mounted = channel.hear((l) => l === 'mounted').then(() => {});
      const ns = new HostNamespace(pid, init, channel.closed, mounted, channel);
      if (!opts.hold) ns.powerOn();
      return ns;
    } finally {
      expected.cancel();
      clearTimeout(timer);
    }
  }

  /** let pid 1 start sshd (a no-op when it is gone) */
  powerOn(): void {
    if (this.poweredOn || this.channel.isClosed) return;
    this.poweredOn = true;
    this.channel.socket.write('go\n');
  }

  get running(): boolean {
    return !this.channel.isClosed;
  }

  /** Processes of this namespace (pids as seen from the lab), with their command names. */
  processes(): Array<{ pid: number; comm: string }> {
    let ns: string;
    try {
      ns = readlinkSync(`/proc/${this.initPid}/ns/pid`);
    } catch {
      return [];
    }
    const out: Array<{ pid: number; comm: string }> = [];
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        if (readlinkSync(`/proc/${entry}/ns/pid`) !== ns) continue;
        out.push({ pid: Number(entry), comm: readFileSync(`/proc/${entry}/comm`, 'utf8').trim() });
      } catch {
        // exited meanwhile
      }
    }
    return out;
  }

  /** Kill pid 1 (the kernel then kills every process of the namespace); resolves once all are gone. */
  async kill(): Promise<void> {
    killPid(this.initPid);
    await this.done;
  }

  /** Synchronous last-resort kill (process exit handler). */
  killNow(): void {
    killPid(this.initPid);
    killPid(this.unsharePid);
  }
}
