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
  watch,
  writeFileSync,
  type FSWatcher,
} from 'node:fs';
import { setMaxListeners } from 'node:events';
import { rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import pLimit from 'p-limit';
import type { FileMeta, HostSpec, LabFs } from '../types.ts';
import { LAB_LOGIN_USERS, hashPassword, labAccounts, LAB_SUDO_PASSWORD, type LabAccounts } from './accounts.ts';
import { allocateBase, blocksNeeded, hostAddress, type Allocation } from './addresses.ts';
import { onProcessExit } from './cleanup.ts';
import { fstabPath, prepareBoot, type BootHostData, type BootTimings } from './bootprep.ts';
import { BOOT_WORKER_ENTRY, startBootPool, type BootPool } from './bootpool.ts';
import { bootHost } from '../boot.ts';
import {
  FRESH_TOPS,
  OVERLAY_TOPS,
  RUNTIME_TOPS,
  SYS_DIRS,
  canonicalPath,
  hostFileHashes,
  topOf,
  writeModelFile,
  type Ids,
  type ModelFile,
} from './files.ts';
import { inventoryIni } from './inventory.ts';
import { realLabUnavailable } from './preflight.ts';
import { ControlServer, fstabLine, Holder, HostNamespace, killPid, SUPERVISOR_SCRIPT, supervisorConf } from './namespace.ts';
import { AUTHORIZED_KEYS_DIR, HOST_KEY, generateKey, knownHostsLine, sshdConfig } from './sshd.ts';
import { bundleTools, execToolLine, installWrappers, SPEC_IN_HOST, TOOLS_DIR_IN_HOST, wrapperScript, writeToolsDir } from './tools.ts';
import { serverWrapperScript } from './toolserver.ts';
import { hideMachineNova } from './machine-nova.ts';
import { withContainerExec } from './container-exec.ts';
import type { FromWorker, ToWorker, WorkerData, WorkerHost } from './toolworker.ts';

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
  /**
   * worker-thread entry doing the boots' file work with this model's bootHost
   * and makeFs; default: test/lab/real/bootworker.ts when bootHost is
   * src/lab/boot.ts's (that worker runs it over NodeFs); `null`, or another
   * bootHost without an entry: boots run on the lab's main thread
   */
  bootWorkerEntry?: string | null;
}

export const DEFAULT_FILE_HASH_PATHS = ['/etc', '/boot', '/root', '/var/lib/lab'];
const BOOT_TIMEOUT_MS = 60_000;
/** boot workers: the boots' file work is syscalls, in parallel on the machine's cores */
const BOOT_WORKERS = Math.max(1, Math.min(2, availableParallelism()));
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
    if (signal?.aborted) return r();
    const onAbort = (): void => {
      clearTimeout(t);
      r();
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      r();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
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
  /** what its boots need (sent to the boot workers); set once its accounts are written */
  bootData: BootHostData | undefined;
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

interface ToolWorker {
  worker: Worker;
  address: string;
  port: number;
  register(hosts: WorkerHost[]): Promise<void>;
  /** start the worker's nova checker; resolves once it can answer (false: the JS model answers) */
  warmNova(): Promise<boolean>;
  /** kill the worker's nova checker */
  stopNova(): Promise<void>;
}

/**
 * Bundle and start the tool server worker; resolves once it listens.
 * `onCheckerPid` hears of every nova checker process the worker starts.
 */
async function startToolWorker(
  entry: string,
  bundlePath: string,
  address: string,
  novaCheckScript: string,
  onCheckerPid: (pid: number) => void,
): Promise<ToolWorker> {
  writeFileSync(bundlePath, await bundleTools(entry));
  const workerData: WorkerData = { address, novaCheckScript };
  const worker = new Worker(bundlePath, { workerData, execArgv: [] });
  worker.unref();
  // replies, in the order asked; 'nova-pid' comes at any time
  const waiting: Array<{ type: FromWorker['type']; resolve(m: FromWorker): void; reject(e: Error): void }> = [];
  let failed: Error | undefined;
  const next = (type: FromWorker['type']): Promise<FromWorker> =>
    new Promise((resolve, reject) => {
      if (failed) reject(failed);
      else waiting.push({ type, resolve, reject });
    });
  worker.on('message', (m: FromWorker) => {
    if (m.type === 'nova-pid') {
      onCheckerPid(m.pid);
      return;
    }
    const i = m.type === 'error' ? 0 : waiting.findIndex((w) => w.type === m.type);
    const w = i >= 0 ? waiting.splice(i, 1)[0] : undefined;
    if (m.type === 'error') w?.reject(new Error(`real lab: tool server: ${m.message}`));
    else w?.resolve(m);
  });
  const fail = (e: Error): void => {
    failed ??= e;
    for (const w of waiting.splice(0)) w.reject(e);
  };
  worker.on('error', (e) => {
    fail(e);
    process.stderr.write(`real lab: tool server failed: ${e.message}\n`);
  });
  worker.on('exit', () => fail(new Error('real lab: the tool server worker exited')));
  const ready = await next('ready');
  if (ready.type !== 'ready') throw new Error('real lab: tool server did not start');
  return {
    worker,
    address,
    port: ready.port,
    register: async (hosts) => {
      const done = next('registered');
      worker.postMessage({ type: 'register', hosts } satisfies ToWorker);
      await done;
    },
    warmNova: async () => {
      const done = next('nova-warm');
      worker.postMessage({ type: 'warm-nova' } satisfies ToWorker);
      const m = await done;
      return m.type === 'nova-warm' && m.available;
    },
    stopNova: async () => {
      const done = next('nova-stopped');
      worker.postMessage({ type: 'stop-nova' } satisfies ToWorker);
      await done;
    },
  };
}

/** the nova checker process `pid`, if it still runs (a pid the system gave to another process is left alone) */
function isNovaChecker(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('nova_check.py');
  } catch {
    return false;
  }
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
  setMaxListeners(0, aborter.signal); // every host waiting out a reboot listens to it
  let monitor: NodeJS.Timeout | undefined;
  const lowerCache = new Map<string, string>();
  let worker: Worker | undefined; // the tool server, on <base>.255 (never a host's address)
  let bootPool: BootPool | undefined; // the boots' file work
  let control: ControlServer | undefined; // where the hosts' namespaces connect to (on <base>.255)
  let checkerPid: number | undefined; // the tool server's nova checker (python3), the latest started
  const killChecker = (): void => {
    if (checkerPid !== undefined && isNovaChecker(checkerPid)) killPid(checkerPid);
  };

  const killEverythingNow = (): void => {
    stopped = true;
    aborter.abort();
    if (monitor) clearInterval(monitor);
    for (const h of hosts) h.ns?.killNow();
    for (const h of hosts) killPid(h.holder?.pid);
    killChecker();
    void worker?.terminate();
    void bootPool?.terminate();
    void control?.close();
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
    created.push(
      identityFile,
      `${identityFile}.pub`,
      knownHostsPath,
      inventoryPath,
      toolsDir,
      supervisor,
      join(dir, 'hosts'),
      join(dir, 'toolworker.mjs'),
      join(dir, 'bootworker.mjs'),
    );

    const useServer = (opts.tools ?? 'server') === 'server' && model.toolWorkerEntry !== undefined;
    const bootWorkerEntry = model.bootWorkerEntry === undefined ? (model.bootHost === bootHost ? BOOT_WORKER_ENTRY : undefined) : model.bootWorkerEntry;
    const [clientKey, , opspHash, toolServer, , controlServer] = await Promise.all([
      generateKey(identityFile, 'passthru-lab'),
      writeToolsDir(toolsDir, model.toolsEntry),
      hashPassword(LAB_SUDO_PASSWORD),
      useServer && model.toolWorkerEntry
        ? startToolWorker(model.toolWorkerEntry, join(dir, 'toolworker.mjs'), `${allocation.base}.255`, join(toolsDir, 'nova_check.py'), (pid) => {
            checkerPid = pid;
            if (stopped) killChecker();
          }).then((w) => {
            worker = w.worker;
            return w;
          })
        : undefined,
      bootWorkerEntry
        ? startBootPool(bootWorkerEntry, join(dir, 'bootworker.mjs'), BOOT_WORKERS).then((p) => {
            bootPool = p;
            if (stopped) void p.terminate();
          })
        : undefined,
      ControlServer.start(`${allocation.base}.255`).then((c) => {
        control = c;
        if (stopped) void c.close();
        return c;
      }),
    ]);
    debug('keys, bundle, hash');
    // nova's import (~1 s of CPU) while the hosts are prepared and booted, not at the first unit start
    const novaWarm = toolServer?.warmNova().then(
      (available) => debug(`nova checker ${available ? 'warm' : 'not used (JS model)'}`),
      () => {},
    );
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
        bootData: undefined,
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
      // /run, /dev, /proc and /sys of the host: tmpfs (in the holder, like the overlays), as a
      // kernel's are; a boot rewrites them, and on a disk that is the most of a boot's cost
      for (const top of RUNTIME_TOPS) {
        mkdirSync(join(stateDir, 'root', top), { recursive: true });
        overlayLines.push(fstabLine(`lab-${spec.name}-${top}`, join(stateDir, 'root', top), 'tmpfs', 'mode=0755'));
      }
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
        // kolla: the mount point of a container's own /etc/nova for `docker exec` (container-exec.ts)
        if (host.spec.kolla) mkdirSync(join(root, 'etc/nova'), { recursive: true, mode: 0o755 });
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
          (tool) => withContainerExec(tool, toolServer ? serverWrapperScript(tool, toolServer, host.token, execToolLine(tool)) : wrapperScript(tool)),
        );
        put(SPEC_IN_HOST, `${JSON.stringify(host.spec, null, 2)}\n`, 0o644);
        mkdirSync(join(root, TOOLS_DIR_IN_HOST), { recursive: true });
        writeFileSync(
          join(host.stateDir, 'boot.conf'),
          supervisorConf({
            fstab: fstabPath(host),
            hostname: host.name,
            log: join(host.stateDir, 'sshd.log'),
            detach: [join(host.stateDir, 'machine-dev'), ...[...host.overlayTops, ...RUNTIME_TOPS].map((t) => join(host.stateDir, 'root', t))],
            tmp: join(host.stateDir, 'root', 'tmp'),
            hide: dir,
          }),
        );
        host.bootData = {
          name: host.name,
          spec: host.spec,
          stateDir: host.stateDir,
          rootDir: host.rootDir,
          overlayTops: host.overlayTops,
          runtimeFiles: [...host.rootfs].filter(([path]) => (RUNTIME_TOPS as readonly string[]).includes(topOf(path))),
          passwd: accounts.passwd,
          group: accounts.group,
          toolsDir,
          toolsDirInHost: TOOLS_DIR_IN_HOST,
        };
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

    /** the boot's file work (bootprep.ts): in a boot worker, or here when the model has none */
    async function prepare(host: Host, bootId: string): Promise<BootTimings> {
      const data = host.bootData;
      if (!data) throw new Error(`real lab: ${host.name} is not prepared`);
      const req = { bootId, first: host.boots === 0 };
      if (bootPool) return bootPool.prepare(data, req);
      return prepareBoot(model, data, req, host.ids);
    }

    /**
     * Wait until sshd accepts connections. sshd logs "Server listening on"
     * once it listens: a change of its log wakes the check at once (a
     * connect costs the main thread ~0.1-1 ms, so no tight polling: 75 hosts
     * booting together would spend a core on it); besides, it checks at
     * once, then after 25, 50, 100, 200, 200, ... ms.
     */
    async function waitPort(host: Host, ns: HostNamespace, timeoutMs: number): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      const log = join(host.stateDir, 'sshd.log');
      let changed = false;
      let wake: (() => void) | undefined;
      const poke = (): void => {
        changed = true;
        wake?.();
      };
      let watcher: FSWatcher | undefined;
      try {
        watcher = watch(log, { persistent: false }, poke);
        watcher.on('error', () => {});
      } catch {
        // no log yet: the timer alone
      }
      void ns.done.then(poke);
      try {
        let delay = 25;
        for (;;) {
          if (!ns.running) {
            throw new Error(`real lab: ${host.name}: sshd did not start:\n${tail(log)}`);
          }
          changed = false;
          if (await portOpen(host.address, host.port)) return;
          if (Date.now() > deadline) {
            throw new Error(`real lab: ${host.name}: sshd not answering on ${host.address}:${host.port} after ${timeoutMs} ms:\n${tail(log)}`);
          }
          if (!changed) {
            await new Promise<void>((r) => {
              const t = setTimeout(r, delay);
              wake = () => {
                clearTimeout(t);
                r();
              };
            });
            wake = undefined;
          }
          delay = Math.min(delay * 2, 200);
        }
      } finally {
        watcher?.close();
      }
    }

    /**
     * Boot the host: its files (in a boot worker), its namespace with the
     * mounts, then at `upAt` (the end of a reboot's down time; at once for a
     * power-on) sshd. Everything before sshd happens while the host is still
     * down, so a reboot costs max(down time, that work) + sshd's start.
     */
    async function boot(host: Host, upAt = 0): Promise<void> {
      if (stopped) return;
      host.state = 'booting';
      host.rebootPending = false;
      const bootId = randomUUID();
      const t0 = Date.now();
      const files = await prepare(host, bootId);
      if (stopped) return;
      const t1 = Date.now();
      const ns = await HostNamespace.start({
        holder: host.holder!,
        control: controlServer,
        supervisor,
        conf: join(host.stateDir, 'boot.conf'),
        log: join(host.stateDir, 'sshd.log'),
        hostname: host.name,
        hold: true,
      });
      host.ns = ns;
      void ns.done.then(() => onNamespaceExit(host, ns));
      if (!stopped && upAt > Date.now()) await sleep(upAt - Date.now(), aborter.signal);
      if (stopped) {
        await ns.kill();
        return;
      }
      const t2 = Date.now();
      host.bootId = bootId;
      ns.powerOn();
      await waitPort(host, ns, BOOT_TIMEOUT_MS);
      if (DEBUG) {
        const f = `reset ${Math.round(files.reset)} + bootHost ${Math.round(files.bootHost)} + fstab ${Math.round(files.fstab)}`;
        const down = upAt ? `; down ${Date.now() - (upAt - rebootDelayMs(host))} ms` : '';
        debug(`${host.name} boot: files ${t1 - t0} ms (${f}), namespace ${t2 - t1} ms${upAt ? ' (with the down time)' : ''}, sshd ${Date.now() - t2} ms${down}`);
      }
      host.boots++;
      host.state = 'running';
      wakeWaiters(host);
    }

    /** The namespace died without the lab killing it (e.g. /sbin/reboot -f inside): the host reboots. */
    function onNamespaceExit(host: Host, ns: HostNamespace): void {
      if (stopped || host.ns !== ns || host.state !== 'running') return;
      host.ns = undefined;
      const downSince = Date.now();
      enqueue(host, () => rebootSteps(host, false, downSince)).catch(() => {});
    }

    /**
     * Reboot: pid 1 killed (every process of the host dies, every connection
     * drops); the host is down for rebootDelayMs from then. Its disk is final
     * once its processes are gone: the next boot's files and namespace are
     * made during the down time.
     */
    async function rebootSteps(host: Host, kill: boolean, downSince = Date.now()): Promise<void> {
      if (stopped || host.state === 'stopped') return;
      host.state = 'rebooting';
      const ns = host.ns;
      host.ns = undefined;
      const tk = Date.now();
      if (kill && ns) await ns.kill();
      if (DEBUG) debug(`${host.name} reboot: kill ${Date.now() - tk} ms`);
      await boot(host, downSince + rebootDelayMs(host));
    }

    /** waitUp's wake-ups when a host is up again */
    const upWaiters = new Map<Host, Array<() => void>>();
    function wakeWaiters(host: Host): void {
      for (const w of upWaiters.get(host)?.splice(0) ?? []) w();
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
    await novaWarm;

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
        await new Promise<void>((r) => {
          const list = upWaiters.get(host) ?? [];
          upWaiters.set(host, list);
          const t = setTimeout(() => {
            const i = list.indexOf(wake);
            if (i >= 0) list.splice(i, 1);
            r();
          }, 50);
          const wake = (): void => {
            clearTimeout(t);
            r();
          };
          list.push(wake);
        });
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
        await Promise.race([toolServer?.stopNova().catch(() => {}), sleep(2000)]);
        killChecker();
        await worker?.terminate();
        await bootPool?.terminate();
        await control?.close();
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
