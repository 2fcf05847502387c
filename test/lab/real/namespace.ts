// Linux namespaces for the real lab.
//
//  - One *holder* per host: a `sleep` in its own mount namespace. The host's
//    overlay mounts (/etc, /var, /usr over this machine's) live there, so
//    nothing is mounted in the machine's own namespace, everything vanishes
//    with the holder, and the mounts survive the host's reboots. The lab reads
//    a host's files through /proc/<holder>/root/...
//  - One *host namespace* per running host: entered from its holder,
//    `unshare --mount --pid --uts --fork --mount-proc`; its pid 1 is a small
//    supervisor that bind-mounts the host's directories and files over /etc,
//    /var, /proc/cmdline, /sys/class/iommu, ... and keeps sshd running.
//    Killing pid 1 kills every process in it: all SSH connections drop.
//
// Every process is spawned through `setpriv --pdeathsig KILL`, and the host's
// pid 1 through `unshare --kill-child`: if the lab's process dies, even by
// SIGKILL, the namespaces die with it.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';

const ENV = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8' };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

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

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** One fstab line (bind mount or overlay). Paths must not contain whitespace. */
export function fstabLine(source: string, target: string, type: string, options: string): string {
  for (const p of [source, target, options]) {
    if (/\s/.test(p)) throw new Error(`lab: path with whitespace cannot be mounted: ${p}`);
  }
  return `${source} ${target} ${type} ${options} 0 0`;
}

export class Holder {
  private constructor(
    readonly pid: number,
    private readonly child: ChildProcess,
  ) {}

  /** Start a mount-namespace holder, mounting every entry of `fstab` in it first. */
  static async start(fstab?: string): Promise<Holder> {
    const inner = fstab
      ? ['sh', '-c', 'mount --all --fstab "$1" && exec sleep infinity', 'holder', fstab]
      : ['sleep', 'infinity'];
    const child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', 'unshare', '--mount', '--propagation', 'private', '--', ...inner], {
      env: ENV,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const pid = child.pid;
    if (pid === undefined) throw new Error('lab: could not start unshare (util-linux) for a mount namespace holder');
    const ownNs = readlinkSync('/proc/self/ns/mnt');
    for (let i = 0; i < 1000; i++) {
      if (child.exitCode !== null || child.signalCode !== null) {
        await new Promise((r) => setImmediate(r));
        throw new Error(`lab: mount namespace holder failed (${child.exitCode ?? child.signalCode}): ${stderr.trim()}`);
      }
      try {
        if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'sleep' && readlinkSync(`/proc/${pid}/ns/mnt`) !== ownNs) {
          child.stderr?.destroy();
          return new Holder(pid, child);
        }
      } catch {
        // not there yet
      }
      await sleep(i < 20 ? 2 : 10);
    }
    killPid(pid);
    throw new Error('lab: mount namespace holder did not come up');
  }

  /** A path of this machine as seen inside the holder's mount namespace. */
  path(p: string): string {
    return `/proc/${this.pid}/root${p}`;
  }

  async stop(): Promise<void> {
    killPid(this.pid);
    await exited(this.child);
  }
}

/** pid 1 of a host namespace: mounts, hostname, then sshd forever (restarted when killed). */
export const SUPERVISOR_SCRIPT = `#!/bin/sh
# passthru real lab: pid 1 of one host.
#   $1 fstab  $2 hostname  $3 log  $4 mounts to detach once mounted (space-separated)
#   $5 the host's own /tmp  $6 the lab dir, hidden from the host
exec >>"$3" 2>&1 </dev/null
mount --all --fstab "$1" || { echo "lab: mounting the host's files failed"; exit 97; }
# shellcheck disable=SC2086
[ -z "$4" ] || umount --lazy $4
[ -z "$5" ] || mount --bind "$5" /tmp || exit 97
[ -z "$6" ] || [ ! -d "$6" ] || mount -t tmpfs -o size=4k,mode=0755 lab-hidden "$6" || exit 97
hostname "$2"
while :; do
  /usr/sbin/sshd -D -e -f /etc/ssh/sshd_config
  sleep 0.3
done
`;

export class HostNamespace {
  private constructor(
    readonly child: ChildProcess,
    /** pid of the `unshare` process (our child) */
    readonly unsharePid: number,
    /** pid (in our namespace) of the host's pid 1 */
    readonly initPid: number,
    readonly done: Promise<number | null>,
  ) {}

  /** Start a host namespace from inside the holder's mount namespace. */
  static async start(opts: {
    holder: Holder;
    supervisor: string;
    fstab: string;
    hostname: string;
    log: string;
    /** mounts only needed while mounting (this machine's /dev, the holder's overlays), detached afterwards */
    detach?: string[];
    /** bound over /tmp once everything else is mounted */
    tmp?: string;
    /** covered by an empty tmpfs at last (the lab dir: hosts see nothing of the lab) */
    hide?: string;
  }): Promise<HostNamespace> {
    const logFd = openSync(opts.log, 'a');
    let child: ChildProcess;
    try {
      child = spawn(
        'setpriv',
        [
          '--pdeathsig', 'KILL', '--',
          'nsenter', `--mount=/proc/${opts.holder.pid}/ns/mnt`, '--',
          'unshare', '--mount', '--pid', '--uts', '--fork', '--kill-child', '--propagation', 'private', '--mount-proc', '--',
          '/bin/sh', opts.supervisor, opts.fstab, opts.hostname, opts.log, (opts.detach ?? []).join(' '), opts.tmp ?? '', opts.hide ?? '',
        ],
        { env: ENV, stdio: ['ignore', logFd, logFd] },
      );
    } finally {
      closeSync(logFd);
    }
    const pid = child.pid;
    if (pid === undefined) throw new Error('lab: could not spawn setpriv/nsenter/unshare');
    const done = exited(child);
    // pid 1 of the new pid namespace is the child `unshare --fork` makes.
    for (let i = 0; i < 1000; i++) {
      if (child.exitCode !== null || child.signalCode !== null) break;
      try {
        if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'unshare') {
          const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
          const init = Number(kids[0]);
          if (init > 0) return new HostNamespace(child, pid, init, done);
        }
      } catch {
        // racing with exec
      }
      await sleep(i < 50 ? 2 : 10);
    }
    killPid(pid);
    await done;
    throw new Error(`lab: host namespace for ${opts.hostname} did not start (see ${opts.log})`);
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
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
