// The benchmark's figures -> ratios, targets (PASS/MISS) and markdown tables.
// Pure functions: no processes, no files.

export type Tool = 'passthru' | 'ansible';
export type Phase = 'apply' | 'rerun' | 'check';
export const PHASES: readonly Phase[] = ['apply', 'rerun', 'check'];
export const PHASE_TITLES: Record<Phase, string> = {
  apply: 'first apply',
  rerun: 'rerun (idempotent)',
  check: 'check',
};

/** the real lab's cluster: every compute reboots (rebootCluster), or only some do (benchCluster) */
export type Cluster = 'reboot' | 'mixed';
export const CLUSTER_TITLES: Record<Cluster, string> = { reboot: 'every compute reboots', mixed: 'mixed' };

export interface RunResult {
  tool: Tool;
  /** computes in the lab (plus one controller) */
  computes: number;
  phase: Phase;
  /** 'real' = real-sshd lab, 'embedded' = passthru's in-process lab */
  lab: 'real' | 'embedded';
  /** the real lab's cluster (default 'mixed') */
  cluster?: Cluster | undefined;
  /** 1, 2, ...: the how-manieth first apply of this size on a fresh lab (--repeat-apply) */
  attempt?: number | undefined;
  wallS: number;
  cpuS: number;
  /** passthru: peak RSS of its process */
  peakRssMB: number | undefined;
  /** summed RSS of the process tree (Ansible: forks + ssh clients) */
  treePeakRssMB?: number | undefined;
  exitCode: number;
  changedHosts?: number | undefined;
  failedHosts?: number | undefined;
  unreachableHosts?: number | undefined;
  /** hosts in the run's recap */
  hosts?: number | undefined;
  /** reboots the hosts went through during this run (lab boot counters) */
  reboots?: number | undefined;
  logPath?: string | undefined;
  /** --forks of the run, when it is not the default 50 */
  forks?: number | undefined;
  /** 1-minute load average of the machine just before the run (other work perturbs the figures) */
  loadBefore?: number | undefined;
}

/**
 * The floor of a lab, measured in the same benchmark on a lab of its own:
 * `reboot` = every compute rebooted at once with plain OpenSSH (`ssh host
 * reboot`) until each answers with a new boot_id; `exec` = `passthru exec all
 * -- cat /proc/sys/kernel/random/boot_id` (median of a few); `facts` =
 * `passthru exec all -- <each host's facts script>`, the script a rerun sends
 * each host as its one round trip (median of a few): the exec floor plus
 * what reading the facts costs the hosts, before passthru does anything of
 * its own.
 */
export interface Floor {
  cluster: Cluster;
  computes: number;
  rebootS: number;
  execS: number;
  /** the facts floor; undefined when not measured */
  factsS?: number | undefined;
  loadBefore?: number | undefined;
}

export interface TargetResult {
  id: string;
  target: string;
  measured: string;
  status: 'PASS' | 'MISS' | 'n/a';
  note?: string;
}

export const TARGETS = {
  /** first apply <= this x the reboot floor */
  applyMaxFloor: 1.5,
  /** rerun and check (12 computes) <= this x the exec floor */
  rerunMaxExecFloor: 1.5,
  /** the lab size whose every first apply must reach and converge every host */
  convergeComputes: 100,
  rss100MaxMB: 400,
  embedded1000MaxS: 60,
  embedded1000MaxMB: 500,
} as const;

/** ansible / passthru, or undefined when either is missing or passthru's time is 0. */
export function ratio(ansibleS: number | undefined, passthruS: number | undefined): number | undefined {
  if (ansibleS === undefined || passthruS === undefined || !(passthruS > 0) || !Number.isFinite(ansibleS)) return undefined;
  return ansibleS / passthruS;
}

export function fmtS(s: number | undefined): string {
  if (s === undefined || !Number.isFinite(s)) return '-';
  return s < 10 ? s.toFixed(2) : s.toFixed(1);
}

export function fmtMB(mb: number | undefined): string {
  return mb === undefined || !Number.isFinite(mb) ? '-' : String(Math.round(mb));
}

export function fmtRatio(r: number | undefined): string {
  return r === undefined ? '-' : `${r < 10 ? r.toFixed(1) : Math.round(r)}x`;
}

const clusterOf = (r: { cluster?: Cluster | undefined }): Cluster => r.cluster ?? 'mixed';

function find(results: readonly RunResult[], tool: Tool, computes: number, phase: Phase, cluster: Cluster): RunResult | undefined {
  return results.find((r) => r.tool === tool && r.computes === computes && r.phase === phase && r.lab === 'real' && clusterOf(r) === cluster && (r.attempt ?? 1) === 1);
}

function floorOf(floors: readonly Floor[], cluster: Cluster, computes: number): Floor | undefined {
  return floors.find((f) => f.cluster === cluster && f.computes === computes);
}

function ok(r: RunResult | undefined): r is RunResult {
  return r !== undefined && r.exitCode === 0;
}

function failedNote(r: RunResult | undefined): string | undefined {
  if (r === undefined) return 'not run';
  if (r.exitCode !== 0) return `run failed (exit ${r.exitCode}${r.failedHosts ? `, ${r.failedHosts} host${r.failedHosts === 1 ? '' : 's'} failed` : ''}${r.unreachableHosts ? `, ${r.unreachableHosts} unreachable` : ''})`;
  return undefined;
}

function atMost(id: string, target: string, r: RunResult | undefined, max: number, value: (r: RunResult) => number | undefined, unit: 's' | 'MB'): TargetResult {
  const why = failedNote(r);
  if (!ok(r)) return { id, target, measured: '-', status: r === undefined ? 'n/a' : 'MISS', ...(why ? { note: why } : {}) };
  const v = value(r);
  if (v === undefined || !Number.isFinite(v)) return { id, target, measured: '-', status: 'n/a', note: 'not measured' };
  const measured = unit === 's' ? `${fmtS(v)} s` : `${fmtMB(v)} MB`;
  return { id, target, measured, status: v <= max ? 'PASS' : 'MISS' };
}

/** a run's time as a multiple of a floor, against a limit */
function withinFloor(id: string, target: string, r: RunResult | undefined, floorS: number | undefined, max: number): TargetResult {
  if (!ok(r)) {
    const why = failedNote(r);
    return { id, target, measured: '-', status: r === undefined ? 'n/a' : 'MISS', ...(why ? { note: why } : {}) };
  }
  if (floorS === undefined || !(floorS > 0)) return { id, target, measured: `${fmtS(r.wallS)} s`, status: 'n/a', note: 'floor not measured' };
  const x = r.wallS / floorS;
  return { id, target, measured: `${x.toFixed(2)}x (${fmtS(r.wallS)} s / ${fmtS(floorS)} s)`, status: x <= max ? 'PASS' : 'MISS' };
}

/** Every target of the issue that the results can decide. */
export function evaluateTargets(results: readonly RunResult[], floors: readonly Floor[] = []): TargetResult[] {
  const t = TARGETS;
  const out: TargetResult[] = [];
  const real = results.filter((r) => r.lab === 'real' && r.tool === 'passthru');
  const clusters = [...new Set(real.map(clusterOf))];
  for (const c of clusters) {
    const sizes = [...new Set(real.filter((r) => clusterOf(r) === c).map((r) => r.computes))].sort((x, y) => x - y);
    for (const n of sizes) {
      const p = (ph: Phase) => find(results, 'passthru', n, ph, c);
      const f = floorOf(floors, c, n);
      const lab = `${n} computes (${CLUSTER_TITLES[c]})`;
      if (p('apply')) out.push(withinFloor(`apply-${c}-${n}`, `first apply, ${lab} <= ${t.applyMaxFloor}x the reboot floor`, p('apply'), f?.rebootS, t.applyMaxFloor));
      if (n <= 12) {
        for (const ph of ['rerun', 'check'] as const) {
          if (p(ph)) out.push(withinFloor(`${ph}-${c}-${n}`, `${PHASE_TITLES[ph]}, ${lab} <= ${t.rerunMaxExecFloor}x the exec floor`, p(ph), f?.execS, t.rerunMaxExecFloor));
        }
      }
      if (n >= t.convergeComputes) {
        const applies = real.filter((r) => clusterOf(r) === c && r.computes === n && r.phase === 'apply');
        const good = applies.filter((r) => r.exitCode === 0 && !r.unreachableHosts && !r.failedHosts);
        const bad = applies.filter((r) => !good.includes(r)).map((r) => `run ${r.attempt ?? 1}: ${failedNote(r) ?? `${r.unreachableHosts ?? 0} unreachable, ${r.failedHosts ?? 0} failed`}`);
        out.push({
          id: `converge-${c}-${n}`,
          target: `first apply, ${lab}: every host reached and converged, every run`,
          measured: `${good.length} of ${applies.length} runs`,
          status: applies.length === 0 ? 'n/a' : good.length === applies.length ? 'PASS' : 'MISS',
          ...(bad.length ? { note: bad.join('; ') } : {}),
        });
        const runs = real.filter((r) => clusterOf(r) === c && r.computes === n);
        const peak = Math.max(...runs.map((r) => r.peakRssMB ?? Number.NaN).filter(Number.isFinite));
        out.push({
          id: `rss-${c}-${n}`,
          target: `peak RSS, ${lab} < ${t.rss100MaxMB} MB`,
          measured: Number.isFinite(peak) ? `${fmtMB(peak)} MB` : '-',
          status: !Number.isFinite(peak) ? 'n/a' : peak < t.rss100MaxMB ? 'PASS' : 'MISS',
        });
      }
    }
  }
  const emb = results.find((r) => r.lab === 'embedded' && r.tool === 'passthru' && r.phase === 'apply');
  if (emb) {
    const hosts = emb.computes + 1;
    out.push(atMost('embedded-time', `embedded lab, ${hosts} hosts: first apply <= ${t.embedded1000MaxS} s`, emb, t.embedded1000MaxS, (r) => r.wallS, 's'));
    const rss = atMost('embedded-rss', `embedded lab, ${hosts} hosts: peak RSS < ${t.embedded1000MaxMB} MB`, emb, t.embedded1000MaxMB, (r) => r.peakRssMB, 'MB');
    if (rss.status === 'PASS' && (emb.peakRssMB ?? 0) >= t.embedded1000MaxMB) rss.status = 'MISS';
    out.push(rss);
  }
  return out;
}

function row(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`;
}

function cellRun(r: RunResult | undefined): string {
  if (!r) return '-';
  const s = fmtS(r.wallS);
  return r.exitCode === 0 ? s : `${s} (exit ${r.exitCode})`;
}

/** a time and its multiple of the floor: `12.3 (1.4x)` */
function cellX(r: RunResult | undefined, floorS: number | undefined): string {
  if (!r) return '-';
  const base = cellRun(r);
  return floorS && floorS > 0 ? `${base} (${fmtRatio(r.wallS / floorS)})` : base;
}

/** the facts floor and its multiple of the exec floor: `0.73 (1.6x)` */
function cellFacts(f: Floor | undefined): string {
  if (f?.factsS === undefined || !Number.isFinite(f.factsS)) return '-';
  return f.execS > 0 ? `${fmtS(f.factsS)} (${fmtRatio(f.factsS / f.execS)})` : fmtS(f.factsS);
}

/**
 * The main table: one row per cluster, lab size and phase, with the floor
 * the phase is held against (first apply: the reboot floor; rerun and
 * check: the exec floor), beside it for a rerun and a check the facts floor,
 * and each tool's time as a multiple of the floor it is held against.
 */
export function resultsTable(results: readonly RunResult[], floors: readonly Floor[] = []): string {
  const real = results.filter((r) => r.lab === 'real');
  const labs = [...new Map(real.map((r) => [`${clusterOf(r)} ${r.computes}`, { c: clusterOf(r), n: r.computes }])).values()].sort((x, y) => (x.c === y.c ? x.n - y.n : x.c === 'reboot' ? -1 : 1));
  const lines = [
    row(['lab', 'computes', 'phase', 'floor s', 'facts floor s (x exec)', 'passthru s (x floor)', 'ansible s (x floor)', 'passthru peak RSS MB', 'passthru CPU s', 'ansible CPU s', 'changed hosts (passthru / ansible)', 'reboots (passthru / ansible)', 'load']),
    row(['---', '---:', '---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:']),
  ];
  for (const { c, n } of labs) {
    const f = floorOf(floors, c, n);
    for (const ph of PHASES) {
      const p = find(results, 'passthru', n, ph, c);
      const a = find(results, 'ansible', n, ph, c);
      if (!p && !a) continue;
      const floorS = ph === 'apply' ? f?.rebootS : f?.execS;
      const pair = (x: number | undefined, y: number | undefined): string => `${x ?? '-'} / ${y ?? '-'}`;
      lines.push(
        row([
          CLUSTER_TITLES[c],
          String(n),
          PHASE_TITLES[ph],
          floorS !== undefined ? `${fmtS(floorS)} (${ph === 'apply' ? 'reboot' : 'exec'})` : '-',
          ph === 'apply' ? '-' : cellFacts(f),
          cellX(p, floorS),
          cellX(a, floorS),
          fmtMB(p?.peakRssMB),
          fmtS(p?.cpuS),
          fmtS(a?.cpuS),
          pair(p?.changedHosts, a?.changedHosts),
          pair(p?.reboots, a?.reboots),
          (p ?? a)?.loadBefore?.toFixed(1) ?? '-',
        ]),
      );
    }
    const more = real.filter((r) => clusterOf(r) === c && r.computes === n && r.phase === 'apply' && (r.attempt ?? 1) > 1);
    for (const r of more) {
      lines.push(row([CLUSTER_TITLES[c], String(n), `first apply, run ${r.attempt}`, f ? `${fmtS(f.rebootS)} (reboot)` : '-', '-', cellX(r, f?.rebootS), '-', fmtMB(r.peakRssMB), fmtS(r.cpuS), '-', `${r.changedHosts ?? '-'} / -`, `${r.reboots ?? '-'} / -`, r.loadBefore?.toFixed(1) ?? '-']));
    }
  }
  const emb = results.filter((r) => r.lab === 'embedded');
  for (const r of emb) {
    lines.push(row([`embedded${r.forks !== undefined ? `, -f ${r.forks}` : ''}`, String(r.computes), PHASE_TITLES[r.phase], '-', '-', cellRun(r), '-', fmtMB(r.peakRssMB), fmtS(r.cpuS), '-', `${r.changedHosts ?? '-'} / -`, `${r.reboots ?? '-'} / -`, r.loadBefore?.toFixed(1) ?? '-']));
  }
  return lines.join('\n');
}

export function targetsTable(targets: readonly TargetResult[]): string {
  const lines = [row(['target', 'measured', 'result']), row(['---', '---', '---'])];
  for (const t of targets) lines.push(row([t.target, t.measured, t.note ? `${t.status} (${t.note})` : t.status]));
  return lines.join('\n');
}

/** A passthru rerun or check, split by the floors: the exec floor, the facts on the hosts, passthru's own. */
export interface FactsSplit {
  cluster: Cluster;
  computes: number;
  phase: Exclude<Phase, 'apply'>;
  /** the run's wall clock */
  wallS: number;
  execS: number;
  factsS: number;
  /** what reading the facts adds to the exec floor: facts floor - exec floor */
  hostsS: number;
  /** the rest of the run: wall clock - facts floor (below 0: the run beat the floor, noise) */
  ownS: number;
}

/** Every passthru rerun and check (that succeeded) of a lab whose exec and facts floors were measured. */
export function factsSplits(results: readonly RunResult[], floors: readonly Floor[]): FactsSplit[] {
  const out: FactsSplit[] = [];
  const real = results.filter((r) => r.lab === 'real' && r.tool === 'passthru');
  const labs = [...new Map(real.map((r) => [`${clusterOf(r)} ${r.computes}`, { c: clusterOf(r), n: r.computes }])).values()].sort((x, y) => (x.c === y.c ? x.n - y.n : x.c === 'reboot' ? -1 : 1));
  for (const { c, n } of labs) {
    const f = floorOf(floors, c, n);
    if (!f || !(f.execS > 0) || f.factsS === undefined || !Number.isFinite(f.factsS)) continue;
    for (const phase of ['rerun', 'check'] as const) {
      const r = find(results, 'passthru', n, phase, c);
      if (!ok(r)) continue;
      out.push({ cluster: c, computes: n, phase, wallS: r.wallS, execS: f.execS, factsS: f.factsS, hostsS: f.factsS - f.execS, ownS: r.wallS - f.factsS });
    }
  }
  return out;
}

const splitLab = (s: FactsSplit): string => `${s.computes} computes (${CLUSTER_TITLES[s.cluster]})`;
/** to the hundredth, as printed: the parts printed add up to the whole printed */
const cs = (x: number): number => Math.round(x * 100) / 100;
const f2 = (x: number): string => (Object.is(x, -0) ? 0 : x).toFixed(2);

/** Under the results table: each passthru rerun and check as the sum of the floors and passthru's own time. */
export function factsSplitLines(splits: readonly FactsSplit[]): string[] {
  return splits.map((s) => {
    const [wall, exec, facts] = [cs(s.wallS), cs(s.execS), cs(s.factsS)];
    return `- ${PHASE_TITLES[s.phase]}, ${splitLab(s)}: passthru ${f2(wall)} s = exec floor ${f2(exec)} s + facts on the hosts ${f2(facts - exec)} s + passthru's own ${f2(wall - facts)} s`;
  });
}

/**
 * Under the targets: what "rerun and check within 1.5x the exec floor"
 * leaves for passthru's own work once the facts floor is paid (at the
 * target's lab sizes).
 */
export function factsBudgetLines(splits: readonly FactsSplit[]): string[] {
  const max = TARGETS.rerunMaxExecFloor;
  return splits
    .filter((s) => s.computes <= 12)
    .map((s) => {
      const [wall, exec, facts] = [cs(s.wallS), cs(s.execS), cs(s.factsS)];
      const limit = cs(max * exec);
      const left = limit - facts;
      const head = `- ${PHASE_TITLES[s.phase]}, ${splitLab(s)}: ${max}x the exec floor is ${f2(limit)} s; the facts floor (${f2(facts)} s, ${fmtRatio(s.factsS / s.execS)} the exec floor)`;
      return left >= 0
        ? `${head} leaves ${f2(left)} s for passthru's own work, which took ${f2(wall - facts)} s`
        : `${head} is already ${f2(-left)} s over it: nothing is left for passthru's own work (${f2(wall - facts)} s) while the hosts read the facts this way`;
    });
}
