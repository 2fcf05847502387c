// The benchmark: passthru against Ansible, side by side, on the same real
// OpenSSH hosts in the same run, then passthru alone on the embedded lab at
// 1000 hosts.
//
//   npm run bench                                   # 12 and 100 computes, Ansible if installed, embedded 1000
//   npm run bench -- --computes 12 --skip-embedded
//   npm run bench -- --only passthru
//
// For each cluster (--cluster: `reboot` = rebootCluster(N), 1 controller + N
// CentOS 7 computes with an RTX 2080 Ti each, every one of which needs the
// IOMMU and reboots; `mixed` = benchCluster(N), mixed distributions and GPUs,
// some computes reboot), each lab size N, every reboot taking
// --reboot-seconds: first the FLOORS, on a fresh lab of their own: every
// compute rebooted at once with plain OpenSSH (`ssh root@host reboot`), until
// each answers with a new boot_id (the reboot floor); then `passthru exec all
// -- cat /proc/sys/kernel/random/boot_id`, the median of 3 (the exec floor),
// taking turns with `passthru exec -b all -- <facts script>`, the median of 3
// (the facts floor), where each host runs the facts script `passthru run
// --check -vvv` of the playbook sent it first (its one round trip of a rerun,
// the read-only look at the host lock included; that run is not timed): the exec floor plus what
// reading the facts costs the hosts.
// Then for each tool, on a freshly started real lab (packages/lab/src/real/):
// first apply, idempotent rerun, check (passthru --check; ansible --check
// --diff); each figure is also given as a multiple of its floor (first apply:
// the reboot floor; rerun and check: the exec floor), and passthru's rerun
// and check as exec floor + facts on the hosts + passthru's own. Each run is
// a child process, timed by wall clock; CPU seconds from bash's `times`;
// passthru's peak RSS from /proc/<pid>/status (VmHWM). Then the embedded
// lab (its own process, not counted) with --embedded-computes computes:
// passthru's first apply. Prints markdown tables with ratios and the issue's
// targets (and what 1.5x the exec floor leaves passthru after the facts
// floor), and writes test/bench/results.json and test/bench/RESULTS.md.
//
// Options:
//   --computes 12,100         lab sizes (computes; one controller is added)
//   --cluster reboot,mixed    which labs: every compute reboots, and/or the mixed one
//   --repeat-apply 100=5      passthru's first apply this many times at that size (a fresh lab
//                             each): the target "every host reached and converged, 5 runs out of 5"
//   --no-floor                do not measure the floors (reboot, exec, facts)
//   --skip-ansible            do not run Ansible even when ansible-playbook is on PATH
//   --skip-embedded           no embedded-lab run
//   --only passthru|ansible   only this tool on the real lab
//   --ansible-computes 12     Ansible only at these lab sizes (default: every size; Ansible takes
//                             about 5 minutes a phase at 100 computes)
//   --embedded-computes 999   computes of the embedded lab (default 999: 1000 hosts)
//   --embedded-forks 250,50   passthru --forks for the embedded lab, one fresh lab each; the first
//                             decides the targets. A host holds its fork through its reboot (as
//                             in Ansible: -f 1 is one host at a time), so at -f 50 the 750
//                             rebooting hosts take 15 rounds of 3 s; 250 is what an operator of
//                             1000 hosts would pass (1000 at once is slower here: the lab's one
//                             process lags)
//   --forks 50                --forks of both tools on the real lab (50 is the default of both;
//                             100 computes need --forks 200 so that every compute reboots at once)
//   --cpu-prof                passthru's real-lab runs write a V8 CPU profile to the logs directory
//                             (and a --json report beside it: per-host phases and step times)
//   --reboot-seconds 3        how long a reboot keeps a lab host down
//   --base 127.0.70           first three octets of the real lab's addresses
//   --timeout 900             seconds before a single run is killed
//   --passthru-exec           harness check: run `passthru exec all -- cat boot_id` instead of the playbook
//   --no-write                do not write results.json / RESULTS.md
//   --logs DIR                where the runs' output goes (default: a new /tmp/passthru-bench-* dir)

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { benchCluster, rebootCluster } from '@passthru/lab/specs.ts';
import { pollSsh, ssh } from '@passthru/lab/real/client.ts';
import { realLabUnavailable, startRealLab, type RealLab } from '@passthru/lab/real/lab.ts';
import { killRunning, measure, type Measurement } from './measure.ts';
import { parseRecap } from './recap.ts';
import { keepStartupSection } from './startup-section.ts';
import { firstFactsCommands, perHostCommand } from './facts-floor.ts';
import { CLUSTER_TITLES, evaluateTargets, factsBudgetLines, factsSplitLines, factsSplits, fmtRatio, fmtS, PHASE_TITLES, PHASES, resultsTable, targetsTable, type Cluster, type Floor, type Phase, type RunResult, type Tool } from './table.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../..');
const PLAYBOOK = 'playbooks/pci-passthrough.yaml';
const ANSIBLE_PLAYBOOK = 'test/bench/ansible/pci-passthrough.yml';
const ANSIBLE_CFG = join(HERE, 'ansible/ansible.cfg');
/** an image the lab's cloud has (src/lab/openstack-state.ts) */
const IMAGE = 'ubuntu-22.04-server-cloudimg-amd64';
const FLAVOR = 'gpu.passthrough';

// ------------------------------------------------------------------ options

const { values } = parseArgs({
  options: {
    computes: { type: 'string', default: '12,100' },
    cluster: { type: 'string', default: 'reboot,mixed' },
    'repeat-apply': { type: 'string', default: '' },
    'no-floor': { type: 'boolean', default: false },
    'cpu-prof': { type: 'boolean', default: false },
    'skip-ansible': { type: 'boolean', default: false },
    'skip-embedded': { type: 'boolean', default: false },
    only: { type: 'string' },
    'ansible-computes': { type: 'string' },
    'embedded-computes': { type: 'string', default: '999' },
    'embedded-forks': { type: 'string', default: '250,50' },
    forks: { type: 'string', default: '50' },
    'reboot-seconds': { type: 'string', default: '3' },
    base: { type: 'string', default: '127.0.70' },
    timeout: { type: 'string', default: '900' },
    'passthru-exec': { type: 'boolean', default: false },
    'no-write': { type: 'boolean', default: false },
    logs: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  const head = readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n');
  process.stdout.write(`${head.slice(0, head.findIndex((l) => !l.startsWith('//'))).map((l) => l.replace(/^\/\/ ?/, '')).join('\n')}\n`);
  process.exit(0);
}

function positiveInt(v: string, name: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) {
    process.stderr.write(`bench: --${name} ${v}: expected a whole number >= 1\n`);
    process.exit(2);
  }
  return n;
}

/** `12,100` -> [12, 100] */
function positiveInts(v: string, name: string): number[] {
  return v.split(',').filter((x) => x.trim() !== '').map((x) => positiveInt(x.trim(), name));
}

const computesList = positiveInts(values.computes, 'computes');
const ansibleSizes = values['ansible-computes'] !== undefined ? positiveInts(values['ansible-computes'], 'ansible-computes') : undefined;
const clusters: Cluster[] = values.cluster.split(',').filter((c) => c.trim() !== '').map((c) => {
  if (c !== 'reboot' && c !== 'mixed') {
    process.stderr.write(`bench: --cluster ${c}: expected reboot or mixed\n`);
    process.exit(2);
  }
  return c;
});
/** `100=5` -> {100: 5} */
const repeatApply = new Map<number, number>(
  values['repeat-apply']
    .split(',')
    .filter((x) => x.trim() !== '')
    .map((x) => {
      const [n = '', k = ''] = x.split('=');
      return [positiveInt(n.trim(), 'repeat-apply'), positiveInt(k.trim(), 'repeat-apply')];
    }),
);
if (values.only !== undefined && values.only !== 'passthru' && values.only !== 'ansible') {
  process.stderr.write(`bench: --only ${values.only}: expected passthru or ansible\n`);
  process.exit(2);
}
const forks = positiveInt(values.forks, 'forks');
const rebootSeconds = Number(values['reboot-seconds']);
const timeoutMs = positiveInt(values.timeout, 'timeout') * 1000;
const embeddedComputes = positiveInt(values['embedded-computes'], 'embedded-computes');
const embeddedForksList = positiveInts(values['embedded-forks'], 'embedded-forks');
const execMode = values['passthru-exec'];
const write = !values['no-write'] && !execMode;
const logsDir = resolve(values.logs ?? mkdtempSync('/tmp/passthru-bench-'));
mkdirSync(logsDir, { recursive: true });

function say(msg: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

// ------------------------------------------------------------------ environment

function versionOf(argv: string[]): string | undefined {
  const r = spawnSync(argv[0] ?? '', argv.slice(1), { encoding: 'utf8', cwd: ROOT });
  if (r.error || r.status !== 0) return undefined;
  return (r.stdout || r.stderr).split('\n')[0]?.trim();
}

const ansibleVersion = versionOf(['ansible-playbook', '--version']);
const wantAnsible = !values['skip-ansible'] && values.only !== 'passthru';
const runAnsible = wantAnsible && ansibleVersion !== undefined;
if (wantAnsible && !runAnsible) say('ansible-playbook is not on PATH: Ansible side skipped');
const tools: Tool[] = [...(values.only !== 'ansible' ? (['passthru'] as const) : []), ...(runAnsible ? (['ansible'] as const) : [])];
const passthruVersion = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
// the CLI runs from dist/, which its first start after a source change rebuilds (bin/passthru.js):
// built here, so that no timed run pays for it
const warm = spawnSync(process.execPath, ['bin/passthru.js', '--version'], { cwd: ROOT, encoding: 'utf8' });
if (warm.status !== 0) say(`passthru --version failed (${warm.status}): ${warm.stderr.trim()}`);

// ------------------------------------------------------------------ commands

function execArgv(inventory: string, f: number): string[] {
  return [process.execPath, 'bin/passthru.js', 'exec', '-i', inventory, '-f', String(f), 'all', '--', 'cat', '/proc/sys/kernel/random/boot_id'];
}

function passthruArgv(inventory: string, phase: Phase, f: number, prof?: string, json?: string): string[] {
  if (execMode) return execArgv(inventory, f);
  return [
    process.execPath,
    ...(prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : []),
    'bin/passthru.js',
    'run',
    PLAYBOOK,
    '-i',
    inventory,
    '--yes',
    '-f',
    String(f),
    '-e',
    `image=${IMAGE}`,
    '-e',
    `flavor=${FLAVOR}`,
    ...(phase === 'check' ? ['--check'] : []),
    ...(json ? ['--json', json] : []),
  ];
}

/** `passthru run --check -vvv`: every remote command in the log, whole (the facts floor's scripts) */
function tracedCheckArgv(inventory: string, f: number): string[] {
  return [...passthruArgv(inventory, 'check', f), '-vvv'];
}

/** the facts floor: `line` (each host's facts script, test/bench/facts-floor.ts) on every host, through sudo when the run read them so */
function factsArgv(inventory: string, f: number, become: boolean, line: string): string[] {
  return [process.execPath, 'bin/passthru.js', 'exec', '-i', inventory, '-f', String(f), ...(become ? ['-b'] : []), 'all', '--', line];
}

function ansibleArgv(inventory: string, phase: Phase): string[] {
  return [
    'ansible-playbook',
    '-i',
    inventory,
    ANSIBLE_PLAYBOOK,
    '-f',
    String(forks),
    '-e',
    `image=${IMAGE}`,
    '-e',
    `flavor=${FLAVOR}`,
    ...(phase === 'check' ? ['--check', '--diff'] : []),
  ];
}

const ansibleEnv: NodeJS.ProcessEnv = {
  ...process.env,
  ANSIBLE_CONFIG: ANSIBLE_CFG,
  ANSIBLE_NOCOLOR: '1',
  // control sockets of this benchmark only (ControlPersist masters die with the lab's sshd)
  ANSIBLE_SSH_CONTROL_PATH_DIR: join(logsDir, 'ansible-cp'),
};
const passthruEnv: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };

// ------------------------------------------------------------------ lab state

type BootIds = Record<string, string>;

function realBootIds(lab: RealLab): BootIds {
  const out: BootIds = {};
  for (const h of lab.hosts) out[h.name] = lab.bootId(h.name);
  return out;
}

function rebootsBetween(before: BootIds, after: BootIds): number {
  return Object.keys(after).filter((h) => before[h] !== undefined && before[h] !== after[h]).length;
}

interface EndState {
  computes: number;
  /** computes whose running kernel has the IOMMU arguments (intel_iommu=on on Intel, iommu=pt) */
  computesWithIommuArgs: number;
  /** computes with a [pci] alias line in nova.conf */
  computesWithAlias: number;
  /** controller nova.conf enables PciPassthroughFilter */
  controllerFilter: boolean;
}

function endState(lab: RealLab): EndState {
  const st: EndState = { computes: 0, computesWithIommuArgs: 0, computesWithAlias: 0, controllerFilter: false };
  const safe = (name: string, path: string): string => {
    try {
      return lab.readFile(name, path);
    } catch {
      return '';
    }
  };
  for (const h of lab.hosts) {
    const nova = safe(h.name, '/etc/nova/nova.conf');
    if (h.spec.roles.includes('controller') && /^\s*enabled_filters\s*=.*\bPciPassthroughFilter\b/m.test(nova)) st.controllerFilter = true;
    if (!h.spec.roles.includes('compute')) continue;
    st.computes++;
    const cmdline = safe(h.name, '/proc/cmdline');
    const want = h.spec.cpu.vendor === 'intel' ? ['intel_iommu=on', 'iommu=pt'] : ['iommu=pt'];
    if (want.every((w) => cmdline.split(/\s+/).includes(w))) st.computesWithIommuArgs++;
    if (/^\s*alias\s*=/m.test(nova)) st.computesWithAlias++;
  }
  return st;
}

// ------------------------------------------------------------------ runs

const results: RunResult[] = [];
const floors: Floor[] = [];
const labInfo: Array<{ computes: number; tool: Tool; cluster: Cluster; startS: number; stopS: number; endState?: EndState }> = [];
let currentLab: RealLab | undefined;
let embeddedChild: ChildProcess | undefined;

function summarize(m: Measurement): Pick<RunResult, 'changedHosts' | 'failedHosts' | 'unreachableHosts' | 'hosts'> {
  let text = '';
  try {
    text = readFileSync(m.logPath, 'utf8');
  } catch {
    // no log
  }
  const recap = parseRecap(text);
  return recap ? { changedHosts: recap.changedHosts, failedHosts: recap.failedHosts, unreachableHosts: recap.unreachableHosts, hosts: recap.hosts } : {};
}

function logTail(path: string, lines = 15): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).map((l) => `    ${l}`).join('\n');
  } catch {
    return '    (no output)';
  }
}

function report(r: RunResult): void {
  const extra = [
    r.peakRssMB !== undefined ? `peak RSS ${Math.round(r.peakRssMB)} MB` : undefined,
    Number.isFinite(r.cpuS) ? `CPU ${fmtS(r.cpuS)} s` : undefined,
    r.changedHosts !== undefined ? `changed hosts ${r.changedHosts}` : undefined,
    r.reboots !== undefined ? `reboots ${r.reboots}` : undefined,
    r.unreachableHosts ? `UNREACHABLE ${r.unreachableHosts}` : undefined,
    r.failedHosts ? `failed ${r.failedHosts}` : undefined,
  ].filter(Boolean);
  const f = floors.find((x) => x.cluster === (r.cluster ?? 'mixed') && x.computes === r.computes);
  const floorS = r.lab === 'real' ? (r.phase === 'apply' ? f?.rebootS : f?.execS) : undefined;
  if (floorS) extra.unshift(`${fmtRatio(r.wallS / floorS)} the ${r.phase === 'apply' ? 'reboot' : 'exec'} floor${r.phase !== 'apply' && f?.factsS !== undefined ? `, facts floor ${fmtS(f.factsS)} s` : ''}`);
  if (r.loadBefore !== undefined) extra.push(`load before ${r.loadBefore.toFixed(1)}`);
  say(`${r.lab === 'embedded' ? 'embedded ' : `${r.cluster ?? 'mixed'} `}${r.computes} computes, ${r.tool} ${PHASE_TITLES[r.phase]}${r.attempt && r.attempt > 1 ? ` (run ${r.attempt})` : ''}: ${fmtS(r.wallS)} s, exit ${r.exitCode}${extra.length ? ` (${extra.join(', ')})` : ''}`);
  if (r.exitCode !== 0 && r.logPath) process.stderr.write(`  log: ${r.logPath}\n${logTail(r.logPath)}\n`);
}

function specsOf(cluster: Cluster, n: number) {
  return cluster === 'reboot' ? rebootCluster(n) : benchCluster(n);
}

/** the median of what succeeded (NaN when nothing did) */
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[Math.floor(s.length / 2)] ?? Number.NaN) : Number.NaN;
}

interface FloorCommand {
  argv: string[];
  /** `exec floor`: for messages */
  what: string;
  /** logs: `<logName>-<run>.log` */
  logName: string;
}

/**
 * Each command `runs` times on the floor lab, taking turns (a, b, a, b...):
 * the median wall clock of each command's runs that exited 0. Taking turns,
 * two floors see the same moments of a busy machine, and the difference of
 * their medians is the difference of the commands, not of the moments.
 */
async function mediansOf(commands: FloorCommand[], runs: number): Promise<Array<{ s: number; ok: number }>> {
  const walls: number[][] = commands.map(() => []);
  for (let i = 0; i < runs; i++) {
    for (const [k, c] of commands.entries()) {
      const m = await measure(c.argv, { cwd: ROOT, env: passthruEnv, logPath: join(logsDir, `${c.logName}-${i + 1}.log`), timeoutMs });
      if (m.exitCode !== 0) say(`  ${c.what} run ${i + 1} failed (exit ${m.exitCode}): ${m.logPath}`);
      else walls[k]?.push(m.wallS);
    }
  }
  return walls.map((w) => ({ s: median(w), ok: w.length }));
}

/**
 * The facts floor's command on this lab: `passthru run --check -vvv` (not
 * timed; --check, so nothing is written on a host; its script is a
 * rerun's, the read-only look at the host lock first), and from its log the first command each host was sent, its
 * facts round trip (test/bench/facts-floor.ts says why from the log). One
 * `passthru exec` line runs each host's own script: the controller's
 * differs from the computes'. Undefined, and said why, when it cannot be had.
 */
async function factsFloorCommand(lab: RealLab, n: number, cluster: Cluster): Promise<{ line: string; become: boolean } | undefined> {
  const logPath = join(logsDir, `${cluster}-${n}-facts-floor-script.log`);
  const m = await measure(tracedCheckArgv(lab.inventoryPath, forks), { cwd: ROOT, env: passthruEnv, logPath, timeoutMs });
  if (m.exitCode !== 0) {
    say(`  facts floor not measured: passthru run --check -vvv failed (exit ${m.exitCode}): ${logPath}`);
    return undefined;
  }
  try {
    const commands = firstFactsCommands(readFileSync(logPath, 'utf8'));
    const missing = lab.hosts.filter((h) => !commands.some((c) => c.host === h.name)).map((h) => h.name);
    if (missing.length > 0) throw new Error(`no facts script sent to ${missing.join(', ')}`);
    const line = perHostCommand(commands, lab.hosts);
    // one argument of execve: Linux takes at most 128 KiB (MAX_ARG_STRLEN)
    if (Buffer.byteLength(line) >= 128 * 1024) throw new Error(`the exec line (one branch per distinct script) is ${Buffer.byteLength(line)} bytes, over the 128 KiB one argument may have`);
    writeFileSync(join(logsDir, `${cluster}-${n}-facts-floor.sh`), `${line}\n`);
    return { line, become: commands.some((c) => c.become) };
  } catch (e) {
    say(`  facts floor not measured: ${e instanceof Error ? e.message : String(e)} (${logPath})`);
    return undefined;
  }
}

/**
 * The floors of a lab (see the top of this file), on a fresh lab of their own:
 * every compute rebooted at once with /usr/bin/ssh until each answers with a
 * new boot_id; then the facts floor's script (factsFloorCommand); then the
 * exec floor and the facts floor, their runs taking turns, the median of
 * `execRuns` each.
 */
async function measureFloor(n: number, cluster: Cluster, execRuns = 3): Promise<void> {
  say(`${cluster} ${n} computes: the floor, on a fresh lab`);
  const lab = await startRealLab(specsOf(cluster, n), { base: values.base, rebootSeconds });
  currentLab = lab;
  try {
    const computes = lab.hosts.filter((h) => h.spec.roles.includes('compute'));
    const before = Object.fromEntries(computes.map((h) => [h.name, lab.bootId(h.name)]));
    const loadBefore = loadavg()[0];
    const t0 = performance.now();
    await Promise.all(
      computes.map(async (h) => {
        await ssh(lab, h.name, 'reboot', { timeoutMs: 60_000 });
        await pollSsh(lab, h.name, 'cat /proc/sys/kernel/random/boot_id', (out) => out.trim() !== '' && out.trim() !== before[h.name], 600_000);
      }),
    );
    const rebootS = (performance.now() - t0) / 1000;
    await Promise.all(lab.hosts.map((h) => lab.waitUp(h.name, 60_000).catch(() => undefined)));
    // the facts floor's script first (a --check run, not timed), then the exec and facts floors taking turns
    const facts = await factsFloorCommand(lab, n, cluster);
    const [exec = { s: Number.NaN, ok: 0 }, factsFloor] = await mediansOf(
      [
        { argv: execArgv(lab.inventoryPath, forks), what: 'exec floor', logName: `${cluster}-${n}-exec-floor` },
        ...(facts ? [{ argv: factsArgv(lab.inventoryPath, forks, facts.become, facts.line), what: 'facts floor', logName: `${cluster}-${n}-facts-floor` }] : []),
      ],
      execRuns,
    );
    const factsS = factsFloor && factsFloor.ok > 0 ? factsFloor.s : undefined;
    floors.push({ cluster, computes: n, rebootS, execS: exec.s, ...(factsS !== undefined ? { factsS } : {}), loadBefore });
    say(
      `  floor: every compute rebooted and back in ${fmtS(rebootS)} s (plain ssh); passthru exec ${fmtS(exec.s)} s (median of ${exec.ok}); ` +
        `facts ${factsS !== undefined ? `${fmtS(factsS)} s (median of ${factsFloor?.ok})` : 'not measured'}; load before ${loadBefore?.toFixed(1)}`,
    );
  } finally {
    await lab.stop();
    currentLab = undefined;
  }
}

async function realLabRuns(n: number, tool: Tool, cluster: Cluster, attempt = 1): Promise<void> {
  say(`${cluster} ${n} computes: starting a fresh real lab for ${tool}${attempt > 1 ? ` (first apply, run ${attempt})` : ''} (${n + 1} hosts at ${values.base}.x, reboots ${rebootSeconds} s)`);
  const t0 = performance.now();
  const lab = await startRealLab(specsOf(cluster, n), { base: values.base, rebootSeconds });
  currentLab = lab;
  const startS = (performance.now() - t0) / 1000;
  say(`  lab up in ${fmtS(startS)} s`);
  let state: EndState | undefined;
  try {
    for (const phase of attempt > 1 ? (['apply'] as const) : PHASES) {
      const before = realBootIds(lab);
      const loadBefore = loadavg()[0];
      const name = `${cluster}-${n}-${tool}-${phase}${attempt > 1 ? `-${attempt}` : ''}`;
      const logPath = join(logsDir, `${name}.log`);
      const prof = values['cpu-prof'] ? join(logsDir, `${name}.cpuprofile.d`) : undefined;
      const m =
        tool === 'passthru'
          ? await measure(passthruArgv(lab.inventoryPath, phase, forks, prof, prof ? join(logsDir, `${name}.json`) : undefined), { cwd: ROOT, env: passthruEnv, logPath, timeoutMs })
          : await measure(ansibleArgv(lab.inventoryPath, phase), { cwd: ROOT, env: ansibleEnv, logPath, timeoutMs, treeRss: true });
      // a reboot the tool started may still be under way in the lab's bookkeeping: wait until every host is up
      await Promise.all(lab.hosts.map((h) => lab.waitUp(h.name, 60_000).catch(() => undefined)));
      const r: RunResult = {
        tool,
        computes: n,
        phase,
        lab: 'real',
        cluster,
        ...(attempt > 1 ? { attempt } : {}),
        wallS: m.wallS,
        cpuS: m.cpuS,
        peakRssMB: tool === 'passthru' ? m.peakRssMB : undefined,
        treePeakRssMB: m.treePeakRssMB,
        exitCode: m.timedOut ? 124 : m.exitCode,
        ...summarize(m),
        reboots: rebootsBetween(before, realBootIds(lab)),
        logPath,
        loadBefore,
      };
      results.push(r);
      report(r);
      if (phase === 'apply') state = endState(lab);
    }
  } finally {
    const t1 = performance.now();
    await lab.stop();
    currentLab = undefined;
    const stopS = (performance.now() - t1) / 1000;
    labInfo.push({ computes: n, tool, cluster, startS, stopS, ...(state ? { endState: state } : {}) });
    if (state) say(`  after the first apply: ${state.computesWithIommuArgs}/${state.computes} computes boot with the IOMMU arguments, ${state.computesWithAlias}/${state.computes} have [pci] alias, controller PciPassthroughFilter: ${state.controllerFilter}`);
  }
}

// ------------------------------------------------------------------ embedded lab

interface EmbeddedLab {
  inventoryPath: string;
  hosts: number;
  startupMs: number;
  rssMB: number;
  bootIds(): Promise<BootIds>;
  stop(): Promise<void>;
}

/** A fresh embedded lab in logs/`name`/ (one per run: its bench-lab.json says when it is up). */
async function startEmbedded(computes: number, name: string): Promise<EmbeddedLab> {
  const dir = join(logsDir, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const infoPath = join(dir, 'bench-lab.json');
  const log = join(logsDir, `${name}.log`);
  const child = spawn(process.execPath, ['--import', 'tsx', join(HERE, 'embedded-lab.ts'), '--computes', String(computes), '--dir', dir, '--reboot-seconds', String(rebootSeconds)], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  embeddedChild = child;
  let out = '';
  let err = '';
  const waiters: Array<() => void> = [];
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
    while (out.includes('\n')) {
      out = out.slice(out.indexOf('\n') + 1);
      waiters.shift()?.();
    }
  });
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
    writeFileSync(log, err);
  });
  let exited = false;
  child.on('exit', () => (exited = true));
  const deadline = Date.now() + 300_000;
  while (!existsSync(infoPath)) {
    if (exited) throw new Error(`embedded lab exited before it was up:\n${err.trim().split('\n').slice(-10).join('\n')}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('embedded lab did not come up within 300 s');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const info = JSON.parse(readFileSync(infoPath, 'utf8')) as { inventoryPath: string; hosts: number; startupMs: number; rssMB: number };
  let n = 0;
  return {
    ...info,
    bootIds: async () => {
      const path = join(dir, `boot-ids-${n++}.json`);
      const answered = new Promise<void>((r) => waiters.push(r));
      child.stdin?.write(`boot-ids ${path}\n`);
      await answered;
      return JSON.parse(readFileSync(path, 'utf8')) as BootIds;
    },
    stop: async () => {
      if (exited) return;
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      child.stdin?.end();
      const t = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await gone;
      clearTimeout(t);
      embeddedChild = undefined;
    },
  };
}

async function embeddedRun(computes: number, embeddedForks: number): Promise<void> {
  say(`embedded lab: starting ${computes + 1} hosts (its own process; reboots ${rebootSeconds} s) for passthru -f ${embeddedForks}`);
  const lab = await startEmbedded(computes, `embedded-lab-f${embeddedForks}`);
  say(`  embedded lab up in ${fmtS(lab.startupMs / 1000)} s (lab process RSS ${lab.rssMB} MB)`);
  try {
    const before = await lab.bootIds();
    const loadBefore = loadavg()[0];
    const logPath = join(logsDir, `embedded-${computes}-f${embeddedForks}-passthru-apply.log`);
    const m = await measure(passthruArgv(lab.inventoryPath, 'apply', embeddedForks), { cwd: ROOT, env: passthruEnv, logPath, timeoutMs });
    const r: RunResult = {
      tool: 'passthru',
      computes,
      phase: 'apply',
      lab: 'embedded',
      wallS: m.wallS,
      cpuS: m.cpuS,
      peakRssMB: m.peakRssMB,
      exitCode: m.timedOut ? 124 : m.exitCode,
      ...summarize(m),
      reboots: rebootsBetween(before, await lab.bootIds()),
      logPath,
      forks: embeddedForks,
      loadBefore,
    };
    results.push(r);
    report(r);
  } finally {
    await lab.stop();
  }
}

// ------------------------------------------------------------------ output

function machine(): string {
  const c = cpus();
  return `${c.length} CPU (${c[0]?.model.trim() ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GiB RAM`;
}

function loadNote(): string[] {
  const loads = results.map((r) => r.loadBefore).filter((x): x is number => x !== undefined);
  if (loads.length === 0) return [];
  const lo = Math.min(...loads).toFixed(1);
  const hi = Math.max(...loads).toFixed(1);
  return [`1-minute load average just before the runs: ${lo} to ${hi} on ${cpus().length} CPUs (anything else running on the machine slows both tools).`, ''];
}

/** each passthru rerun and check as exec floor + facts on the hosts + passthru's own, under the results table */
function splitMd(): string[] {
  if (execMode) return [];
  const lines = factsSplitLines(factsSplits(results, floors));
  return lines.length ? [...lines, ''] : [];
}

/** under the targets: what 1.5x the exec floor leaves for passthru after the facts floor */
function budgetMd(): string {
  if (execMode) return '';
  const lines = factsBudgetLines(factsSplits(results, floors));
  return lines.length ? `\n\nAfter the facts floor:\n\n${lines.join('\n')}` : '';
}

function reproduce(): string {
  // where this run's logs went is not part of the command that reproduces it
  const args = process.argv.slice(2).filter((a, i, all) => a !== '--logs' && all[i - 1] !== '--logs' && !a.startsWith('--logs='));
  return args.length ? `npm run bench -- ${args.join(' ')}` : 'npm run bench';
}

function resultsMarkdown(targetsMd: string, tableMd: string): string {
  const rel = (p: string | undefined) => (p ? relative(ROOT, p) : '');
  const states = labInfo
    .filter((l) => l.endState)
    .map((l) => {
      const s = l.endState!;
      return `| ${CLUSTER_TITLES[l.cluster]} | ${l.computes} | ${l.tool} | ${fmtS(l.startS)} | ${s.computesWithIommuArgs}/${s.computes} | ${s.computesWithAlias}/${s.computes} | ${s.controllerFilter ? 'yes' : 'no'} |`;
    });
  return [
    '# Benchmark: passthru vs Ansible',
    '',
    `Latest figures, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, on ${machine()}; node ${process.version}, passthru ${passthruVersion}, ${ansibleVersion ?? 'Ansible not installed'}.`,
    '',
    'Reproduce (as root, from the repository root):',
    '',
    '```',
    reproduce(),
    '```',
    '',
    `Real-sshd lab (packages/lab/src/real/): one Debian OpenSSH sshd per host on ${values.base}.x, every reboot keeps a host down ${rebootSeconds} s.`,
    '"every compute reboots" = `rebootCluster(N)`: 1 controller + N CentOS 7 computes (BIOS, Intel), an RTX 2080 Ti each, IOMMU off: every',
    'compute reboots on a first apply. "mixed" = `benchCluster(N)`: 1 controller + N computes (Ubuntu 22.04/24.04, Debian 12, Rocky 8/9;',
    'RTX 2080 Ti, A100, T4), three in four of them reboot. A fresh lab for each tool\'s first apply, and one for the floors.',
    '',
    '**Floors**, measured in the same run on a lab of their own: *reboot* = every compute rebooted at once with plain OpenSSH',
    '(`ssh root@host reboot`), until each answers `cat /proc/sys/kernel/random/boot_id` with a new boot_id (a 200 ms poll);',
    '*exec* = `passthru exec -i INV all -- cat /proc/sys/kernel/random/boot_id`, the median of 3. A first apply is held against',
    'the reboot floor, a rerun and a check against the exec floor ("x floor" in the table). *facts* = `passthru exec -i INV -b all --',
    '<facts script>`, the median of 3 (its runs taking turns with the exec floor\'s), where each host runs the script `passthru run',
    "--check` sends it as its facts round trip (a rerun's one round trip, the same script; the controller's differs from the",
    "computes'): the exec floor plus what reading the facts costs the hosts (\"x exec\" in the table). Below the table, each passthru",
    'rerun and check split by the two (test/bench/README.md, "The three floors").',
    '',
    `passthru: \`node bin/passthru.js run ${PLAYBOOK} -i INV --yes -f ${forks} -e image=${IMAGE} -e flavor=${FLAVOR}\``,
    `(check: \`--check\`); Ansible: \`ansible-playbook -i INV ${ANSIBLE_PLAYBOOK} -f ${forks} -e ...\` with test/bench/ansible/ansible.cfg`,
    '(pipelining, ControlPersist 60s, gathering explicit; check: `--check --diff`). Wall clock per run; CPU = user+sys of the',
    'command and the processes it waited for (Ansible\'s ControlPersist masters are not counted); passthru peak RSS = VmHWM.',
    '',
    'Every lab host runs on this same machine: whatever the hosts compute (sshd sessions, the lab\'s machine tools, nova\'s',
    'config checks at a restart) shares its CPUs with the tool being measured, where a real cluster would spread it over its hosts.',
    '',
    '## Results',
    '',
    tableMd,
    '',
    ...splitMd(),
    ...loadNote(),
    '## Targets',
    '',
    targetsMd,
    '',
    ...(states.length
      ? ['## End state after each first apply', '', '| lab | computes | tool | lab start s | computes booted with IOMMU args | computes with [pci] alias | controller PciPassthroughFilter |', '|---|---:|---|---:|---:|---:|---|', ...states, '']
      : []),
    `Logs of this run: ${logsDir} (${rel(join(HERE, 'results.json'))} has every figure).`,
    '',
  ].join('\n');
}

// ------------------------------------------------------------------ main

let interrupted = false;
async function cleanupAll(): Promise<void> {
  killRunning();
  if (embeddedChild) embeddedChild.kill('SIGKILL');
  if (currentLab) await currentLab.stop().catch(() => undefined);
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    interrupted = true;
    say(`${sig}: stopping`);
    void cleanupAll().finally(() => process.exit(130));
  });
}

async function main(): Promise<number> {
  say(`logs: ${logsDir}`);
  say(`tools: ${tools.join(', ') || 'none'}; computes: ${computesList.join(', ')}; forks ${forks}${execMode ? '; HARNESS CHECK: passthru exec instead of the playbook' : ''}`);
  if (tools.length > 0 && computesList.length > 0) {
    const why = realLabUnavailable();
    if (why) {
      say(`the real lab cannot start here: ${why}`);
      return 2;
    }
    for (const cluster of clusters) {
      for (const n of computesList) {
        if (interrupted) return 130;
        if (!values['no-floor'] && !execMode) await measureFloor(n, cluster);
        for (const tool of tools) {
          if (interrupted) return 130;
          if (tool === 'ansible' && ansibleSizes && !ansibleSizes.includes(n)) continue;
          await realLabRuns(n, tool, cluster);
        }
        for (let k = 2; tools.includes('passthru') && k <= (repeatApply.get(n) ?? 1); k++) {
          if (interrupted) return 130;
          await realLabRuns(n, 'passthru', cluster, k);
        }
      }
    }
  }
  if (!values['skip-embedded'] && values.only !== 'ansible') for (const f of embeddedForksList) await embeddedRun(embeddedComputes, f);

  // in the harness check passthru did not run the playbook: its figures decide no target
  const targets = evaluateTargets(execMode ? results.filter((r) => r.tool !== 'passthru') : results, floors);
  const tableMd = resultsTable(results, floors);
  const targetsMd = execMode
    ? '(harness check: passthru ran `exec all -- cat /proc/sys/kernel/random/boot_id`, not the playbook; no target is decided)'
    : `${targetsTable(targets)}${budgetMd()}`;
  const split = splitMd();
  process.stdout.write(`\n${tableMd}\n\n${split.length ? `${split.join('\n')}\n` : ''}${targetsMd}\n\n`);
  const json = {
    date: new Date().toISOString(),
    command: reproduce(),
    machine: machine(),
    versions: { node: process.version, passthru: passthruVersion, ansible: ansibleVersion ?? null },
    floors,
    options: { computes: computesList, clusters, repeatApply: Object.fromEntries(repeatApply), forks, embeddedComputes, embeddedForks: embeddedForksList, rebootSeconds, base: values.base, passthruExec: execMode, tools },
    labs: labInfo,
    runs: results.map((r) => ({ ...r, logPath: r.logPath ? relative(ROOT, r.logPath) : undefined })),
    targets,
  };
  const jsonPath = write ? join(HERE, 'results.json') : join(logsDir, 'results.json');
  const round = (_k: string, v: unknown): unknown => (typeof v === 'number' && !Number.isInteger(v) ? Math.round(v * 1000) / 1000 : v);
  writeFileSync(jsonPath, `${JSON.stringify(json, round, 2)}\n`);
  const mdPath = write ? join(HERE, 'RESULTS.md') : join(logsDir, 'RESULTS.md');
  // the startup figures (npm run bench:startup) stay
  writeFileSync(mdPath, keepStartupSection(resultsMarkdown(targetsMd, tableMd), existsSync(mdPath) ? readFileSync(mdPath, 'utf8') : undefined));
  say(`wrote ${relative(ROOT, jsonPath) || jsonPath} and ${relative(ROOT, mdPath) || mdPath}`);
  return results.some((r) => r.exitCode !== 0) ? 1 : 0;
}

try {
  process.exitCode = await main();
} catch (e) {
  say(`failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exitCode = 1;
} finally {
  await cleanupAll();
}
