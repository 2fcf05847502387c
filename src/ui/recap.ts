// The recap printed after a run, in the manner of Ansible's PLAY RECAP:
//
//   PLAY RECAP
//   compute-1 : ok=7  changed=3 unreachable=0 failed=0 skipped=1 ignored=0
//   ctl-1     : ok=10 changed=0 unreachable=0 failed=0 skipped=0 ignored=1
//
//   slowest steps
//     compute-1  reboot            93.2s
//
//   OK: 2 hosts, 1 changed, 1 unchanged (2m03s)
//
// Per host, as in Ansible: ok counts the steps that succeeded (changed ones
// included), changed those that changed something, ignored the steps that
// failed with ignore_errors (counted in ok too, and never in failed).

import type { HostStatus } from '../engine/events.ts';
import { painter, type Paint } from './color.ts';
import { secrets as globalSecrets, type SecretRegistry } from '../util/secrets.ts';
import { duration, maskText, STATUS_STYLE } from './format.ts';
import type { Report, ReportHost } from './report.ts';

export interface RecapOptions {
  color: boolean;
  /** how many of the slowest steps to list (default 5, 0 for none) */
  slowest?: number | undefined;
  /** defaults to the process-wide registry */
  secrets?: SecretRegistry | undefined;
}

interface Counts {
  ok: number;
  changed: number;
  unreachable: number;
  failed: number;
  skipped: number;
  ignored: number;
}

const COLUMNS = ['ok', 'changed', 'unreachable', 'failed', 'skipped', 'ignored'] as const;

export function hostCounts(h: ReportHost): Counts {
  const c: Counts = { ok: 0, changed: 0, unreachable: 0, failed: 0, skipped: 0, ignored: 0 };
  for (const s of h.steps) {
    if (s.status === 'ok' || s.status === 'changed' || s.status === 'ignored') c.ok++;
    if (s.status === 'changed' || (s.status === 'ignored' && s.changed)) c.changed++;
    if (s.status === 'ignored') c.ignored++;
    if (s.status === 'failed') c.failed++;
    if (s.status === 'unreachable') c.unreachable++;
    if (s.status === 'skipped') c.skipped++;
  }
  // a host can fail outside any step (e.g. while connecting): still counted once
  if (h.status === 'unreachable' && c.unreachable === 0) c.unreachable = 1;
  if (h.status === 'failed' && c.failed === 0) c.failed = 1;
  return c;
}

const COUNT_STYLE: Record<(typeof COLUMNS)[number], Parameters<Paint>[0]> = {
  ok: 'green',
  changed: 'yellow',
  unreachable: 'red',
  failed: 'red',
  skipped: 'cyan',
  ignored: 'yellow',
};

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function recapLines(report: Report, paint: Paint): string[] {
  const names = Object.keys(report.hosts);
  const width = Math.max(0, ...names.map((n) => n.length));
  const rows = names.map((name) => ({ name, host: report.hosts[name] as ReportHost, counts: hostCounts(report.hosts[name] as ReportHost) }));
  const colWidth = Object.fromEntries(
    COLUMNS.map((k) => [k, Math.max(0, ...rows.map((r) => `${k}=${r.counts[k]}`.length))]),
  ) as Record<(typeof COLUMNS)[number], number>;
  const lines = [paint('bold', 'PLAY RECAP')];
  for (const r of rows) {
    const name = paint(STATUS_STYLE[r.host.status], r.name.padEnd(width));
    const cells = COLUMNS.map((k, i) => {
      const text = `${k}=${r.counts[k]}`;
      const padded = i === COLUMNS.length - 1 ? text : text.padEnd(colWidth[k]);
      return r.counts[k] > 0 && k !== 'ok' ? paint(COUNT_STYLE[k], padded) : r.counts[k] > 0 ? paint('green', padded) : padded;
    });
    lines.push(`${name} : ${cells.join(' ')}`);
  }
  return lines;
}

function slowestLines(report: Report, n: number, paint: Paint): string[] {
  if (n <= 0) return [];
  const all = Object.entries(report.hosts).flatMap(([host, h]) => h.steps.map((s) => ({ host, step: s.name, ms: s.duration_ms })));
  const top = all.filter((s) => s.ms > 0).sort((a, b) => b.ms - a.ms).slice(0, n);
  if (top.length === 0) return [];
  const hw = Math.max(...top.map((s) => s.host.length));
  const sw = Math.max(...top.map((s) => s.step.length));
  const tw = Math.max(...top.map((s) => `${(s.ms / 1000).toFixed(1)}s`.length));
  return [
    paint('bold', 'slowest steps'),
    ...top.map((s) => `  ${s.host.padEnd(hw)}  ${s.step.padEnd(sw)}  ${`${(s.ms / 1000).toFixed(1)}s`.padStart(tw)}`),
  ];
}

/** Hosts with a given status, in report order. */
function withStatus(report: Report, status: HostStatus): string[] {
  return Object.entries(report.hosts)
    .filter(([, h]) => h.status === status)
    .map(([n]) => n);
}

/** At most 10 names, then how many more. */
function names(list: string[]): string {
  return list.length <= 10 ? list.join(', ') : `${list.slice(0, 10).join(', ')} and ${list.length - 10} more`;
}

function verdict(report: Report, paint: Paint): string[] {
  const s = report.summary;
  const took = duration(report.duration_ms);
  if (report.interrupted) {
    const lines = [`${paint('red', 'INTERRUPTED')} after ${took}; where each host got to:`];
    const names = Object.keys(report.hosts);
    const width = Math.max(0, ...names.map((n) => n.length));
    for (const name of names) {
      const last = report.hosts[name]?.last_step;
      const where = last ? `${last.play} / ${last.step} (${last.done ? 'finished' : 'running when interrupted'})` : 'not started';
      lines.push(`  ${name.padEnd(width)} : ${where}`);
    }
    return lines;
  }
  const bad: string[] = [];
  if (s.failed > 0) bad.push(`${s.failed} failed (${names(withStatus(report, 'failed'))})`);
  if (s.unreachable > 0) bad.push(`${s.unreachable} unreachable (${names(withStatus(report, 'unreachable'))})`);
  if (bad.length > 0) {
    const retry = report.limit_retry.length <= 160 ? `; retry them with --limit ${report.limit_retry}` : '; retry them with --limit @REPORT.json (--json)';
    return [`${paint('red', s.failed > 0 ? 'FAILED' : 'UNREACHABLE')}: ${bad.join(', ')} of ${plural(s.hosts, 'host')} (${took})${retry}`];
  }
  const skipped = s.skipped > 0 ? `, ${s.skipped} skipped` : '';
  if (report.check) {
    return [`${paint('green', 'CHECK OK')}: ${s.changed} of ${plural(s.hosts, 'host')} would change, ${s.ok} already as wanted${skipped} (${took}); nothing was changed`];
  }
  return [`${paint('green', 'OK')}: ${plural(s.hosts, 'host')}, ${s.changed} changed, ${s.ok} unchanged${skipped} (${took})`];
}

/** What passthru left held on hosts it could not finish (a compute still disabled in the scheduler), and how to undo it. */
function heldLines(report: Report, paint: Paint): string[] {
  const held = Object.entries(report.hosts).filter(([, h]) => (h.held?.length ?? 0) > 0);
  if (held.length === 0) return [];
  const lines = [paint('yellow', 'left as they are (the host did not finish; undo by hand once it is fixed, or run again):')];
  for (const [name, h] of held) {
    for (const x of h.held ?? []) lines.push(`  ${name}: ${x.what}`, `    ${x.undo}`);
  }
  return lines;
}

export function formatRecap(report: Report, opts: RecapOptions): string {
  const paint = painter(opts.color);
  const sections = [recapLines(report, paint), slowestLines(report, opts.slowest ?? 5, paint), heldLines(report, paint), verdict(report, paint)].filter((l) => l.length > 0);
  return maskText(opts.secrets ?? globalSecrets, sections.map((l) => l.join('\n')).join('\n\n'));
}
