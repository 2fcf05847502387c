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

export interface RunResult {
  tool: Tool;
  /** computes in the lab (plus one controller) */
  computes: number;
  phase: Phase;
  /** 'real' = real-sshd lab, 'embedded' = passthru's in-process lab */
  lab: 'real' | 'embedded';
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
  /** reboots the hosts went through during this run (lab boot counters) */
  reboots?: number | undefined;
  logPath?: string | undefined;
  /** --forks of the run, when it is not the default 50 */
  forks?: number | undefined;
  /** 1-minute load average of the machine just before the run (other work perturbs the figures) */
  loadBefore?: number | undefined;
}

export interface TargetResult {
  id: string;
  target: string;
  measured: string;
  status: 'PASS' | 'MISS' | 'n/a';
  note?: string;
}

/** The issue's Ansible figures on this machine (12 computes, 3 s reboots), for when Ansible is not run. */
export const ISSUE_ANSIBLE_12: Record<Phase, number> = { apply: 78.9, rerun: 48.5, check: 44.6 };

export const TARGETS = {
  apply12MaxS: 6,
  apply12MinRatio: 13,
  rerun12MaxS: 1,
  check12MaxS: 1,
  scale100MaxFactor: 2.5,
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

function find(results: readonly RunResult[], tool: Tool, computes: number, phase: Phase, lab: RunResult['lab'] = 'real'): RunResult | undefined {
  return results.find((r) => r.tool === tool && r.computes === computes && r.phase === phase && r.lab === lab);
}

function ok(r: RunResult | undefined): r is RunResult {
  return r !== undefined && r.exitCode === 0;
}

function failedNote(r: RunResult | undefined): string | undefined {
  if (r === undefined) return 'not run';
  if (r.exitCode !== 0) return `run failed (exit ${r.exitCode}${r.failedHosts ? `, ${r.failedHosts} host${r.failedHosts === 1 ? '' : 's'} failed` : ''})`;
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

/** Every target of the issue that the results can decide. */
export function evaluateTargets(results: readonly RunResult[]): TargetResult[] {
  const t = TARGETS;
  const out: TargetResult[] = [];
  const p = (c: number, ph: Phase) => find(results, 'passthru', c, ph);
  const a = (c: number, ph: Phase) => find(results, 'ansible', c, ph);
  const has12 = PHASES.some((ph) => p(12, ph) !== undefined);
  const has100 = PHASES.some((ph) => p(100, ph) !== undefined);

  if (has12) {
    out.push(atMost('apply-12', `first apply, 12 computes <= ${t.apply12MaxS} s`, p(12, 'apply'), t.apply12MaxS, (r) => r.wallS, 's'));
    const pa = p(12, 'apply');
    const aa = a(12, 'apply');
    if (ok(pa)) {
      if (ok(aa)) {
        const r = ratio(aa.wallS, pa.wallS)!;
        out.push({ id: 'ratio-12', target: `first apply, 12 computes: >= ${t.apply12MinRatio}x faster than Ansible`, measured: fmtRatio(r), status: r >= t.apply12MinRatio ? 'PASS' : 'MISS' });
      } else {
        const r = ratio(ISSUE_ANSIBLE_12.apply, pa.wallS)!;
        out.push({
          id: 'ratio-12',
          target: `first apply, 12 computes: >= ${t.apply12MinRatio}x faster than Ansible`,
          measured: `${fmtRatio(r)} vs the issue's ${ISSUE_ANSIBLE_12.apply} s`,
          status: 'n/a',
          note: aa !== undefined ? `Ansible run failed (exit ${(aa as RunResult).exitCode})` : 'Ansible not run in this benchmark',
        });
      }
    } else {
      out.push({ id: 'ratio-12', target: `first apply, 12 computes: >= ${t.apply12MinRatio}x faster than Ansible`, measured: '-', status: pa ? 'MISS' : 'n/a', ...(failedNote(pa) ? { note: `passthru ${failedNote(pa)}` } : {}) });
    }
    out.push(atMost('rerun-12', `rerun, 12 computes <= ${t.rerun12MaxS} s`, p(12, 'rerun'), t.rerun12MaxS, (r) => r.wallS, 's'));
    out.push(atMost('check-12', `check, 12 computes <= ${t.check12MaxS} s`, p(12, 'check'), t.check12MaxS, (r) => r.wallS, 's'));
  }
  if (has12 && has100) {
    for (const ph of PHASES) {
      const small = p(12, ph);
      const big = p(100, ph);
      const id = `scale-${ph}`;
      const target = `${PHASE_TITLES[ph]}, 100 computes <= ${t.scale100MaxFactor}x the time of 12`;
      if (!ok(small) || !ok(big)) {
        const note = !ok(big) ? failedNote(big) : `12 computes: ${failedNote(small)}`;
        out.push({ id, target, measured: '-', status: small && big ? 'MISS' : 'n/a', ...(note ? { note } : {}) });
        continue;
      }
      const f = big.wallS / small.wallS;
      out.push({ id, target, measured: `${f.toFixed(2)}x (${fmtS(big.wallS)} s / ${fmtS(small.wallS)} s)`, status: f <= t.scale100MaxFactor ? 'PASS' : 'MISS' });
    }
  }
  if (has100) {
    const runs = PHASES.map((ph) => p(100, ph)).filter((r): r is RunResult => r !== undefined);
    const peak = Math.max(...runs.map((r) => r.peakRssMB ?? Number.NaN).filter(Number.isFinite));
    const failed = runs.find((r) => r.exitCode !== 0);
    out.push({
      id: 'rss-100',
      target: `peak RSS, 100 computes < ${t.rss100MaxMB} MB`,
      measured: Number.isFinite(peak) ? `${fmtMB(peak)} MB` : '-',
      status: !Number.isFinite(peak) ? 'n/a' : peak < t.rss100MaxMB ? (failed ? 'MISS' : 'PASS') : 'MISS',
      ...(failed ? { note: `the ${PHASE_TITLES[failed.phase]} run failed (exit ${failed.exitCode})` } : {}),
    });
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

/** The main table: one row per lab size and phase. */
export function resultsTable(results: readonly RunResult[]): string {
  const sizes = [...new Set(results.filter((r) => r.lab === 'real').map((r) => r.computes))].sort((x, y) => x - y);
  const lines = [
    row(['computes', 'phase', 'passthru s', 'ansible s', 'ansible / passthru', 'passthru peak RSS MB', 'passthru CPU s', 'ansible CPU s', 'changed hosts (passthru / ansible)', 'reboots (passthru / ansible)']),
    row(['---:', '---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:']),
  ];
  for (const n of sizes) {
    for (const ph of PHASES) {
      const p = find(results, 'passthru', n, ph);
      const a = find(results, 'ansible', n, ph);
      if (!p && !a) continue;
      const r = ok(p) && ok(a) ? ratio(a.wallS, p.wallS) : undefined;
      const pair = (x: number | undefined, y: number | undefined): string => `${x ?? '-'} / ${y ?? '-'}`;
      lines.push(
        row([
          String(n),
          PHASE_TITLES[ph],
          cellRun(p),
          cellRun(a),
          fmtRatio(r),
          fmtMB(p?.peakRssMB),
          fmtS(p?.cpuS),
          fmtS(a?.cpuS),
          pair(p?.changedHosts, a?.changedHosts),
          pair(p?.reboots, a?.reboots),
        ]),
      );
    }
  }
  const emb = results.filter((r) => r.lab === 'embedded');
  for (const r of emb) {
    lines.push(row([`${r.computes} (embedded lab${r.forks !== undefined ? `, -f ${r.forks}` : ''})`, PHASE_TITLES[r.phase], cellRun(r), '-', '-', fmtMB(r.peakRssMB), fmtS(r.cpuS), '-', `${r.changedHosts ?? '-'} / -`, `${r.reboots ?? '-'} / -`]));
  }
  return lines.join('\n');
}

export function targetsTable(targets: readonly TargetResult[]): string {
  const lines = [row(['target', 'measured', 'result']), row(['---', '---', '---'])];
  for (const t of targets) lines.push(row([t.target, t.measured, t.note ? `${t.status} (${t.note})` : t.status]));
  return lines.join('\n');
}
