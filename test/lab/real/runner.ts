// The real lab: one Debian OpenSSH sshd per simulated host, each in its own
// mount, pid and uts namespace on its own 127.0.x.y, sharing the network
// namespace. See test/lab/README.md.
import { randomBytes, randomUUID } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import pLimit from 'p-limit';
import type { FileMeta, HostSpec, LabFs } from '../../../src/lab/types.ts';
import { LAB_LOGIN_USERS, hashPassword, labAccounts, LAB_SUDO_PASSWORD, type LabAccounts } from './accounts.ts';
import { allocateBase, blocksNeeded, hostAddress, type Allocation } from './addresses.ts';
import { onProcessExit } from './cleanup.ts';
import {
  FRESH_TOPS,
  OVERLAY_TOPS,
  RUNTIME_TOPS,
  DEV_NODES,
  SYS_DIRS,
  canonicalPath,
  makeDevSkeleton,
  hostFileHashes,
  pseudoFsBinds,
  topOf,
  writeModelFile,
  type Ids,
  type ModelFile,
} from './files.ts';
import { inventoryIni } from './inventory.ts';
import { realLabUnavailable } from './preflight.ts';
import { fstabLine, Holder, HostNamespace, killPid, SUPERVISOR_SCRIPT } from './namespace.ts';
import { AUTHORIZED_KEYS_DIR, HOST_KEY, generateKey, knownHostsLine, sshdConfig } from './sshd.ts';
import { bundleTools, execToolLine, installWrappers, SPEC_IN_HOST, TOOLS_DIR_IN_HOST, wrapperScript, writeToolsDir } from './tools.ts';
import { serverWrapperScript } from './toolserver.ts';
import { hideMachineNova } from './machine-nova.ts';
import type { FromWorker, WorkerHost } from './toolworker.ts';

export { LAB_SUDO_PASSWORD };

export interface RealLabOptions {
  /** first three octets of the hosts' addresses, e.g. '127.0.10' (default: a free block of 127.0.10-60.x) */
  base?: string;
  /** sshd port of every host (default 22) */
  port?: number;
  /** lab directory (default: a new mkdtemp under /tmp, removed by stop()) */
  dir?: string;
  /** seconds every reboot takes before the host boots again; overrides the specs' rebootSeconds (default: the spec's, else 3) */
  rebootSeconds?: number;
  /**
   * How a host runs the machine tools: 'server' (default) asks the lab's tool
   * server (a worker thread of this process) over bash's /dev/tcp, ~5 ms a
   * call; 'exec' starts node on the bundled CLI, ~60-90 ms of CPU a call.
   */
  tools?: 'server' | 'exec';
}

export interface RealLabHost {
  name: string;
  address: string;
  port: number;
  spec: HostSpec;
  /** the host's state directory on this machine (logs, overlay layers, fstab) */
  stateDir: string;
  /** the host's root as the lab process can read it: rootDir + '/etc/default/grub' is the host's file */
  rootDir: string;
}

export interface RealLab {
  dir: string;
  inventoryPath: string;
  knownHostsPath: string;
  identityFile: string;
  hosts: RealLabHost[];
  host(name: string): RealLabHost;
  /** reboot now (every connection drops); resolves when sshd answers again */
  reboot(name: string): Promise<void>;
  /** kill every sshd process of the host (all connections drop); it restarts, the host keeps running */
  killSshd(name: string): void;
  /** power the host off; it stays off until startHost */
  stopHost(name: string): Promise<void>;
  /** power a stopped host on; resolves when sshd answers */
  startHost(name: string): Promise<void>;
  /** give the host a new host key (known_hosts keeps the old one: clients must refuse) */
  rotateHostKey(name: string): Promise<void>;
  /** resolves when the host is up and sshd accepts connections (after a reboot the host asked for itself) */
  waitUp(name: string, timeoutMs?: number): Promise<void>;
  /** a file of the host as the host sees it */
  readFile(name: string, path: string): string;
  /** sha256 of every regular file under /etc, /boot, /root, /var/lib/lab (or `paths`) of the host */
  fileHashes(name: string, paths?: string[]): Record<string, string>;
  bootCount(name: string): number;
  /** the host's current boot_id */
  bootId(name: string): string;
  stop(): Promise<void>;
}

/** What the lab needs of the host model (src/lab/). */
export interface LabModel {
  /** the host's files; keys ending in '/' are directories; `cluster` lets computes name their controller */
  buildRootfs(spec: HostSpec, cluster?: HostSpec[]): Map<string, { content: string; meta: FileMeta }>;
  bootHost(fs: LabFs, spec: HostSpec, bootId: string): unknown;
  makeFs(rootDir: string): LabFs;
  /** entry of the machine tools' CLI (src/lab/tools/cli.ts) */
  toolsEntry: string;
  /** the tools a host has (by distro and role) */
  toolNames(spec: HostSpec): string[];
  /** every tool name the model knows */
  allToolNames: readonly string[];
  /** worker-thread entry serving the tools (test/lab/real/toolworker.ts); without it tools are always exec'd */
  toolWorkerEntry?: string;
}

export const DEFAULT_FILE_HASH_PATHS = ['/etc', '/boot', '/root', '/var/lib/lab'];
const BOOT_TIMEOUT_MS = 60_000;
const DEBUG = process.env['PASSTHRU_LAB_DEBUG'] === '1';
const t0 = Date.now();
const debug = (msg: string): void => {
  if (DEBUG) process.stderr.write(`[real-lab +${Date.now() - t0}ms] ${msg}\n`);
};
/** model files the lab merges into its own account files instead of writing as they are */
const ACCOUNT_FILES = new Set(['/etc/passwd', '/etc/group', '/etc/shadow', '/etc/gshadow']);
/** release files of this machine a host only has when its model says so (removing one in the overlay hides it) */
const RELEASE_FILES = [
  '/etc/debian_version',
  '/etc/lsb-release',
  '/etc/redhat-release',
  '/etc/centos-release',
  '/etc/rocky-release',
  '/etc/system-release',
  '/etc/system-release-cpe',
];

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((r) => {
    const t = setTimeout(r, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      r();
    });
  });

type HostState = 'new' | 'booting' | 'running' | 'rebooting' | 'stopped';

interface Host extends RealLabHost {
  index: number;
  rootfs: Map<string, ModelFile>;
  overlayTops: string[];
  tools: string[];
  state: HostState;
  ns: HostNamespace | undefined;
  /** keeps the host's overlay mounts (its mount namespace outlives reboots) */
  holder: Holder | undefined;
  boots: number;
  bootId: string;
  publicKey: string;
  queue: Promise<unknown>;
  /** set when a reboot request file has been seen, until the reboot ran */
  rebootPending: boolean;
  /** identifies the host to the tool server */
  token: string;
  /** uid/gid by name in the host's own accounts */
  ids: Ids;
}

function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function portOpen(address: string, port: number): Promise<boolean> {
  return new Promise((resolvePort) => {
    const sock = connect({ host: address, port });
    const done = (ok: boolean): void => {
      sock.destroy();
      resolvePort(ok);
    };
    sock.setTimeout(1000, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/** Bundle and start the tool server worker; resolves once it listens. */
async function startToolWorker(
  entry: string,
  bundlePath: string,
  address: string,
): Promise<{ worker: Worker; address: string; port: number; register(hosts: WorkerHost[]): Promise<void> }> {
  writeFileSync(bundlePath, await bundleTools(entry));
  const worker = new Worker(bundlePath, { workerData: { address }, execArgv: [] });
  worker.unref();
  const next = (): Promise<FromWorker> =>
    new Promise((resolve, reject) => {
      const onError = (e: Error): void => reject(e);
      worker.once('error', onError);
      worker.once('message', (m: FromWorker) => {
        worker.off('error', onError);
        if (m.type === 'error') reject(new Error(`real lab: tool server: ${m.message}`));
        else resolve(m);
      });
    });
  const ready = await next();
  if (ready.type !== 'ready') throw new Error('real lab: tool server did not start');
  worker.on('error', (e) => process.stderr.write(`real lab: tool server failed: ${e.message}\n`));
  return {
    worker,
    address,
    port: ready.port,
    register: async (hosts) => {
      const done = next();
      worker.postMessage({ type: 'register', hosts });
      await done;
    },
  };
}

export async function startRealLabWith(model: LabModel, specs: HostSpec[], opts: RealLabOptions = {}): Promise<RealLab> {
  const unavailable = realLabUnavailable();
  if (unavailable) throw new Error(`real lab: ${unavailable}`);
  const names = new Set<string>();
  for (const s of specs) {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(s.name)) throw new Error(`real lab: host name not usable as a hostname: ${JSON.stringify(s.name)}`);
    if (names.has(s.name)) throw new Error(`real lab: host name used twice: ${s.name}`);
    names.add(s.name);
  }

  const port = opts.port ?? 22;
  const allocation: Allocation = opts.base
    ? { base: opts.base, release: () => {} }
    : allocateBase(blocksNeeded(specs.length));
  const ownDir = opts.dir === undefined;
  const dir = resolve(opts.dir ?? mkdtempSync('/tmp/passthru-lab-'));
  for (const top of [...OVERLAY_TOPS, 'proc', 'sys']) {
    if (dir === `/${top}` || dir.startsWith(`/${top}/`)) throw new Error(`real lab: the lab dir cannot be under /${top}: ${dir}`);
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const created: string[] = []; // what stop() removes when the dir is the caller's

  const hosts: Host[] = [];
  let stopped = false;
  const aborter = new AbortController();
  let monitor: NodeJS.Timeout | undefined;
  const lowerCache = new Map<string, string>();
  let worker: Worker | undefined; // the tool server, on <base>.255 (never a host's address)

  const killEverythingNow = (): void => {
    stopped = true;
    aborter.abort();
    if (monitor) clearInterval(monitor);
    for (const h of hosts) h.ns?.killNow();
    for (const h of hosts) killPid(h.holder?.pid);
    void worker?.terminate();
    try {
      if (ownDir) rmSync(dir, { recursive: true, force: true });
      else for (const p of created) rmSync(p, { recursive: true, force: true });
    } catch {
      // best effort
    }
    allocation.release();
  };
  const unregisterExit = onProcessExit(killEverythingNow);

  try {
    debug('start');

    // -- lab-wide files --------------------------------------------------------
    const identityFile = join(dir, 'id_ed25519');
    const knownHostsPath = join(dir, 'known_hosts');
    const inventoryPath = join(dir, 'inventory.ini');
    const toolsDir = join(dir, 'tools');
    const supervisor = join(dir, 'supervisor.sh');
    created.push(identityFile, `${identityFile}.pub`, knownHostsPath, inventoryPath, toolsDir, supervisor, join(dir, 'hosts'), join(dir, 'toolworker.mjs'));

    const useServer = (opts.tools ?? 'server') === 'server' && model.toolWorkerEntry !== undefined;
    const [clientKey, , opspHash, toolServer] = await Promise.all([
      generateKey(identityFile, 'passthru-lab'),
      writeToolsDir(toolsDir, model.toolsEntry),
      hashPassword(LAB_SUDO_PASSWORD),
      useServer && model.toolWorkerEntry
        ? startToolWorker(model.toolWorkerEntry, join(dir, 'toolworker.mjs'), `${allocation.base}.255`).then((w) => {
            worker = w.worker;
            return w;
          })
        : undefined,
    ]);
    debug('keys, bundle, hash');
    writeFileSync(supervisor, SUPERVISOR_SCRIPT, { mode: 0o755 });

    // -- hosts: state dirs and overlays ----------------------------------------
    specs.forEach((spec, index) => {
      const stateDir = join(dir, 'hosts', spec.name);
      const rootfs = model.buildRootfs(spec, specs);
      const overlayTops = new Set<string>(OVERLAY_TOPS);
      const canonical = new Map<string, ModelFile>();
      for (const [path, file] of rootfs) {
        const p = canonicalPath(path);
        const top = topOf(p);
        canonical.set(p, file);
        if ((FRESH_TOPS as readonly string[]).includes(top) || (RUNTIME_TOPS as readonly string[]).includes(top) || overlayTops.has(top)) continue;
        let isDir = false;
        try {
          isDir = lstatSync(`/${top}`).isDirectory();
        } catch {
          // missing
        }
        if (!isDir || top === 'tmp') {
          throw new Error(`real lab: ${spec.name}: the model writes ${path}, but this machine has no /${top} to give each host a copy of`);
        }
        overlayTops.add(top);
      }
      const host: Host = {
        name: spec.name,
        address: hostAddress(allocation.base, index),
        port,
        spec,
        stateDir,
        rootDir: '', // set once its holder runs
        holder: undefined,
        index,
        rootfs: canonical,
        overlayTops: [...overlayTops],
        tools: model.toolNames(spec),
        state: 'new',
        ns: undefined,
        boots: 0,
        bootId: '',
        publicKey: '',
        queue: Promise.resolve(),
        rebootPending: false,
        token: randomBytes(16).toString('hex'),
        ids: { uid: () => undefined, gid: () => undefined },
      };
      hosts.push(host);
      const overlayLines: string[] = [];
      for (const top of host.overlayTops) {
        for (const d of ['upper', 'work', 'root']) mkdirSync(join(stateDir, d, top), { recursive: true });
        overlayLines.push(
          fstabLine(
            `lab-${spec.name}-${top}`,
            join(stateDir, 'root', top),
            'overlay',
            `lowerdir=/${top},upperdir=${join(stateDir, 'upper', top)},workdir=${join(stateDir, 'work', top)}`,
          ),
        );
      }
      for (const top of FRESH_TOPS) mkdirSync(join(stateDir, 'root', top), { recursive: true });
      mkdirSync(join(stateDir, 'root', 'tmp'), { recursive: true });
      chmodSync(join(stateDir, 'root', 'tmp'), 0o1777);
      mkdirSync(join(stateDir, 'machine-dev'), { recursive: true });
      writeFileSync(join(stateDir, 'overlays.fstab'), overlayLines.join('\n') + '\n');
    });
    debug('rootfs built');
    const holders = pLimit(16);
    await Promise.all(
      hosts.map((host) =>
        holders(async () => {
          if (stopped) throw new Error('real lab: stopped while starting');
          host.holder = await Holder.start(join(host.stateDir, 'overlays.fstab'));
          host.rootDir = host.holder.path(join(host.stateDir, 'root'));
        }),
      ),
    );
    debug('overlays mounted');

    // -- hosts: accounts, model files, sshd, keys, tools -------------------------
    const machine = {
      passwd: readFileSync('/etc/passwd', 'utf8'),
      group: readFileSync('/etc/group', 'utf8'),
      shadow: readFileSync('/etc/shadow', 'utf8'),
      gshadow: existsSync('/etc/gshadow') ? readFileSync('/etc/gshadow', 'utf8') : '',
    };
    const labHostsLines = `# passthru lab hosts\n${hosts.map((h) => `${h.address}\t${h.name}`).join('\n')}\n`;
    const keygen = pLimit(8);
    const ttyGid = new Map<string, number>();

    await Promise.all(
      hosts.map(async (host) => {
        const accounts: LabAccounts = labAccounts(machine, {
          opspHash,
          modelPasswd: host.rootfs.get('/etc/passwd')?.content,
          modelGroup: host.rootfs.get('/etc/group')?.content,
        });
        host.ids = accounts;
        const root = host.rootDir;
        const put = (path: string, content: string, mode: number, owner = 'root', group = 'root'): void =>
          writeModelFile(root, path, { content, meta: { mode, owner, group } }, accounts);

        put('/etc/passwd', accounts.passwd, 0o644);
        put('/etc/group', accounts.group, 0o644);
        put('/etc/shadow', accounts.shadow, 0o640, 'root', 'shadow');
        put('/etc/gshadow', accounts.gshadow, 0o640, 'root', 'shadow');
        put('/etc/sudoers.d/passthru-lab', accounts.sudoers, 0o440);
        for (const [path, file] of host.rootfs) {
          if (ACCOUNT_FILES.has(path) || (RUNTIME_TOPS as readonly string[]).includes(topOf(path))) continue;
          writeModelFile(root, path, file, accounts);
        }
        // This machine's release files must not contradict the model's distro.
        for (const f of RELEASE_FILES) if (!host.rootfs.has(f)) rmSync(join(root, f), { force: true });
        // nor this machine's nova packages the model's nova version
        hideMachineNova(root, new Set(host.rootfs.keys()));
        const osRelease = host.rootfs.get('/etc/os-release');
        if (osRelease && !host.rootfs.has('/usr/lib/os-release')) writeModelFile(root, '/usr/lib/os-release', osRelease, accounts);
        put('/etc/hostname', `${host.name}\n`, 0o644);
        const modelHosts = host.rootfs.get('/etc/hosts')?.content ?? '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n';
        put('/etc/hosts', modelHosts + labHostsLines, 0o644);
        put('/etc/ssh/sshd_config', sshdConfig(host.address, host.port), 0o644);
        for (const user of LAB_LOGIN_USERS) put(`${AUTHORIZED_KEYS_DIR}/${user}`, `${clientKey}\n`, 0o644);
        if (!host.rootfs.has('/root/')) chmodSync(join(root, 'root'), 0o700);
        for (const h of accounts.homes) {
          mkdirSync(join(root, h.home), { recursive: true });
          chownSync(join(root, h.home), h.uid, h.gid);
          chmodSync(join(root, h.home), 0o750);
        }
        installWrappers(
          root,
          host.tools,
          model.allToolNames,
          toolServer ? (tool) => serverWrapperScript(tool, toolServer, host.token, execToolLine(tool)) : wrapperScript,
        );
        put(SPEC_IN_HOST, `${JSON.stringify(host.spec, null, 2)}\n`, 0o644);
        mkdirSync(join(root, TOOLS_DIR_IN_HOST), { recursive: true });
        ttyGid.set(host.name, accounts.gid('tty') ?? 5);
        host.publicKey = await keygen(() => generateKey(join(root, HOST_KEY), `root@${host.name}`));
      }),
    );
    if (toolServer) await toolServer.register(hosts.map((h) => ({ token: h.token, spec: h.spec, rootDir: h.rootDir })));
    debug('hosts prepared');
    writeKnownHosts();
    writeFileSync(
      inventoryPath,
      inventoryIni(
        hosts.map((h) => ({ name: h.name, address: h.address, port: h.port, roles: h.spec.roles })),
        { identityFile, knownHostsPath },
      ),
    );

    function writeKnownHosts(): void {
      writeFileSync(knownHostsPath, hosts.map((h) => knownHostsLine(h.address, h.port, h.publicKey)).join('\n') + '\n');
    }

    // -- boot ------------------------------------------------------------------
    const rebootDelayMs = (h: Host): number => 1000 * (opts.rebootSeconds ?? h.spec.rebootSeconds ?? 3);

    function resetRuntime(host: Host, accounts: Ids): void {
      const root = host.rootDir;
      // /run and /dev start empty, as tmpfs/devtmpfs do; /proc and /sys keep the
      // last boot's files (bootHost rewrites what a kernel shows, and falls
      // back to the previous command line when it finds no boot entry).
      for (const top of ['run', 'dev']) rmSync(join(root, top), { recursive: true, force: true });
      mkdirSync(join(root, 'run/sshd'), { recursive: true, mode: 0o755 });
      mkdirSync(join(root, 'run/lab'), { recursive: true, mode: 0o755 });
      mkdirSync(join(root, 'run/lock'), { recursive: true });
      chmodSync(join(root, 'run/lock'), 0o1777);
      writeFileSync(join(root, 'run/utmp'), '', { mode: 0o664 });
      for (const d of SYS_DIRS) mkdirSync(join(root, d), { recursive: true });
      mkdirSync(join(root, 'proc/sys/kernel/random'), { recursive: true });
      makeDevSkeleton(join(root, 'dev'));
      // the model's /proc and /sys files are written once (they stay); /run and /dev ones at every boot
      const tops: readonly string[] = host.boots === 0 ? RUNTIME_TOPS : ['run', 'dev'];
      for (const [path, file] of host.rootfs) {
        if (tops.includes(topOf(path))) writeModelFile(root, path, file, accounts);
      }
    }

    function hostFstab(host: Host): string {
      const R = join(host.stateDir, 'root');
      const lines: string[] = [];
      const bind = (src: string, target: string, ro = false): void => {
        lines.push(fstabLine(src, target, 'none', ro ? 'bind,ro' : 'bind'));
      };
      // /dev: the host's own dir, with this machine's device nodes, pts and a fresh shm
      const machineDev = join(host.stateDir, 'machine-dev');
      lines.push(fstabLine('/dev', machineDev, 'none', 'rbind'));
      bind(join(R, 'dev'), '/dev');
      for (const node of DEV_NODES) bind(join(machineDev, node), `/dev/${node}`);
      // a devpts of its own (ptys for sshd and sudo's use_pty); /dev/ptmx is a link to pts/ptmx
      lines.push(fstabLine(`lab-${host.name}-pts`, '/dev/pts', 'devpts', `newinstance,ptmxmode=0666,mode=0620,gid=${ttyGid.get(host.name) ?? 5}`));
      lines.push(fstabLine(`lab-${host.name}-shm`, '/dev/shm', 'tmpfs', 'mode=1777,nosuid,nodev'));
      for (const top of host.overlayTops) bind(join(R, top), `/${top}`);
      for (const top of FRESH_TOPS) bind(join(R, top), `/${top}`);
      bind(toolsDir, TOOLS_DIR_IN_HOST, true);
      for (const p of pseudoFsBinds(join(R, 'proc'), '/proc')) bind(join(R, p), p, true);
      for (const p of pseudoFsBinds(join(R, 'sys'), '/sys', SYS_DIRS)) bind(join(R, p), p, true);
      return lines.join('\n') + '\n';
    }

    async function waitPort(host: Host, ns: HostNamespace, timeoutMs: number): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      let delay = 10;
      for (;;) {
        if (!ns.running) {
          throw new Error(`real lab: ${host.name}: sshd did not start:\n${tail(join(host.stateDir, 'sshd.log'))}`);
        }
        if (await portOpen(host.address, host.port)) return;
        if (Date.now() > deadline) {
          throw new Error(`real lab: ${host.name}: sshd not answering on ${host.address}:${host.port} after ${timeoutMs} ms:\n${tail(join(host.stateDir, 'sshd.log'))}`);
        }
        await sleep(delay);
        delay = Math.min(delay * 2, 100);
      }
    }

    async function boot(host: Host): Promise<void> {
      if (stopped) return;
      host.state = 'booting';
      host.rebootPending = false;
      host.bootId = randomUUID();
      resetRuntime(host, host.ids);
      model.bootHost(model.makeFs(host.rootDir), host.spec, host.bootId);
      const fstab = join(host.stateDir, 'fstab');
      writeFileSync(fstab, hostFstab(host));
      const ns = await HostNamespace.start({
        holder: host.holder!,
        supervisor,
        fstab,
        hostname: host.name,
        log: join(host.stateDir, 'sshd.log'),
        detach: [join(host.stateDir, 'machine-dev'), ...host.overlayTops.map((t) => join(host.stateDir, 'root', t))],
        tmp: join(host.stateDir, 'root', 'tmp'),
        hide: dir,
      });
      host.ns = ns;
      void ns.done.then(() => onNamespaceExit(host, ns));
      if (stopped) {
        await ns.kill();
        return;
      }
      await waitPort(host, ns, BOOT_TIMEOUT_MS);
      host.boots++;
      host.state = 'running';
    }

    /** The namespace died without the lab killing it (e.g. /sbin/reboot -f inside): the host reboots. */
    function onNamespaceExit(host: Host, ns: HostNamespace): void {
      if (stopped || host.ns !== ns || host.state !== 'running') return;
      host.ns = undefined;
      enqueue(host, () => rebootSteps(host, false)).catch(() => {});
    }

    async function rebootSteps(host: Host, kill: boolean): Promise<void> {
      if (stopped || host.state === 'stopped') return;
      host.state = 'rebooting';
      const ns = host.ns;
      host.ns = undefined;
      if (kill && ns) await ns.kill();
      await sleep(rebootDelayMs(host), aborter.signal);
      await boot(host);
    }

    function enqueue<T>(host: Host, op: () => Promise<T>): Promise<T> {
      const p = host.queue.then(op, op);
      host.queue = p.catch(() => {});
      return p;
    }

    function requestFile(host: Host): string {
      return join(host.rootDir, 'run/lab/reboot-request');
    }

    // A host asks for a reboot by writing /run/lab/reboot-request (the lab's
    // `reboot`/`shutdown` tools do). Polled: stat of one file per host.
    monitor = setInterval(() => {
      for (const host of hosts) {
        if (host.state !== 'running' || host.rebootPending) continue;
        let request: string;
        try {
          request = readFileSync(requestFile(host), 'utf8');
        } catch {
          continue;
        }
        host.rebootPending = true;
        const poweroff = /^\s*(poweroff|halt)/i.test(request);
        // Let the `reboot` command return to its client first.
        setTimeout(() => {
          enqueue(host, async () => {
            if (poweroff) await stopSteps(host);
            else await rebootSteps(host, true);
          }).catch(() => {});
        }, 100);
      }
    }, 100);
    monitor.unref();

    async function stopSteps(host: Host): Promise<void> {
      host.state = 'stopped';
      const ns = host.ns;
      host.ns = undefined;
      await ns?.kill();
    }

    const limit = pLimit(16);
    await Promise.all(hosts.map((h) => limit(() => enqueue(h, () => boot(h)))));
    debug('all booted');

    // -- the API -----------------------------------------------------------------
    const byName = (name: string): Host => {
      const h = hosts.find((x) => x.name === name);
      if (!h) throw new Error(`real lab: no host named ${name} (hosts: ${hosts.map((x) => x.name).join(', ')})`);
      return h;
    };

    const hostPath = (host: Host, path: string): string => {
      const p = canonicalPath(path);
      const top = topOf(p);
      if (host.overlayTops.includes(top) || (FRESH_TOPS as readonly string[]).includes(top) || top === 'tmp' || top === 'dev') {
        return join(host.rootDir, p);
      }
      if (top === 'proc' || top === 'sys') {
        const own = join(host.rootDir, p);
        if (existsSync(own)) return own;
        let parent = p;
        while (parent !== '/') {
          parent = parent.slice(0, parent.lastIndexOf('/')) || '/';
          if (SYS_DIRS.includes(parent as (typeof SYS_DIRS)[number])) return own;
        }
      }
      return p;
    };

    const killSshdProcesses = (host: Host): number[] => {
      const pids = (host.ns?.processes() ?? []).filter((p) => p.comm === 'sshd').map((p) => p.pid);
      for (const pid of pids) killPid(pid);
      return pids;
    };

    const waitUp = async (name: string, timeoutMs = BOOT_TIMEOUT_MS + 30_000): Promise<void> => {
      const host = byName(name);
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (host.state === 'stopped') throw new Error(`real lab: ${name} is powered off`);
        const requested = host.state === 'running' && existsSync(requestFile(host)); // reboot asked, not yet seen
        if (host.state === 'running' && !host.rebootPending && !requested && host.ns && (await portOpen(host.address, host.port))) return;
        if (Date.now() > deadline) throw new Error(`real lab: ${name} not up after ${timeoutMs} ms`);
        await sleep(50);
      }
    };

    const lab: RealLab = {
      dir,
      inventoryPath,
      knownHostsPath,
      identityFile,
      hosts: hosts.map((h) => ({ name: h.name, address: h.address, port: h.port, spec: h.spec, stateDir: h.stateDir, rootDir: h.rootDir })),
      host: (name) => {
        const h = byName(name);
        return { name: h.name, address: h.address, port: h.port, spec: h.spec, stateDir: h.stateDir, rootDir: h.rootDir };
      },
      reboot: (name) => {
        const host = byName(name);
        return enqueue(host, () => rebootSteps(host, true));
      },
      killSshd: (name) => {
        killSshdProcesses(byName(name));
      },
      stopHost: (name) => {
        const host = byName(name);
        return enqueue(host, () => stopSteps(host));
      },
      startHost: (name) => {
        const host = byName(name);
        return enqueue(host, async () => {
          if (host.state === 'stopped') await boot(host);
        });
      },
      rotateHostKey: (name) => {
        const host = byName(name);
        return enqueue(host, async () => {
          host.publicKey = await generateKey(join(host.rootDir, HOST_KEY), `root@${host.name}`);
          if (host.state !== 'running' || !host.ns) return;
          const ns = host.ns;
          const pids = killSshdProcesses(host);
          while (pids.some((pid) => existsSync(`/proc/${pid}`))) await sleep(10);
          await waitPort(host, ns, BOOT_TIMEOUT_MS);
        });
      },
      waitUp,
      readFile: (name, path) => readFileSync(hostPath(byName(name), path), 'utf8'),
      fileHashes: (name, paths = DEFAULT_FILE_HASH_PATHS) => {
        const host = byName(name);
        return hostFileHashes(
          {
            hostPath: (p) => hostPath(host, p),
            upperPath: (p) => {
              const c = canonicalPath(p);
              const top = topOf(c);
              return host.overlayTops.includes(top) ? join(host.stateDir, 'upper', c) : undefined;
            },
            lowerCache,
          },
          paths,
        );
      },
      bootCount: (name) => byName(name).boots,
      bootId: (name) => byName(name).bootId,
      stop: async () => {
        if (stopped) return;
        stopped = true;
        aborter.abort();
        if (monitor) clearInterval(monitor);
        debug('stop');
        await Promise.all(hosts.map((h) => h.ns?.kill()));
        debug('namespaces gone');
        // let a boot or reboot in progress see `stopped` and give up
        await Promise.all(hosts.map((h) => h.queue));
        await Promise.all(hosts.map((h) => h.ns?.kill()));
        await Promise.all(hosts.map((h) => h.holder?.stop()));
        await worker?.terminate();
        debug('holders gone');
        if (ownDir) await rm(dir, { recursive: true, force: true });
        else for (const p of created) await rm(p, { recursive: true, force: true });
        allocation.release();
        unregisterExit();
        debug('stopped');
      },
    };
    return lab;
  } catch (err) {
    killEverythingNow();
    unregisterExit();
    throw err;
  }
}
