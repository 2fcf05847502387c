// The report as the HTML page carries it: compact, and every repeated text
// (step names, notes, errors, diffs: a thousand computes mostly share them)
// stored once in a table and referred to by index. The page's script
// (client.ts) reads exactly this shape.

import type { Report } from '../report.ts';
import type { HostFacts } from '../facts-summary.ts';

/** What a lane segment stands for. */
export const SEG = { connect: 0, facts: 1, step: 2, reboot: 3, verify: 4 } as const;
const STATUS_CODE = { ok: 0, changed: 1, failed: 2, unreachable: 3, skipped: 4, ignored: 5 } as const;

/** Step kinds drawn as the verification. */
const VERIFY_KINDS = new Set(['iommu_verify', 'nova_units_active', 'assert']);

/** [segment kind, start (ms from the run's start), duration ms, status code, name (text index), error (text index or -1)] */
export type Segment = [number, number, number, number, number, number];

export interface PageHost {
  n: string;
  /** status code */
  s: number;
  g: number[];
  e: number;
  f: HostFacts | null;
  segs: Segment[];
  /** steps that changed something or said something: [name, status, changes, notes, diff, skip reason] (text indexes, -1 when none) */
  steps: Array<[number, number, number[], number[], number, number]>;
}

export interface PageData {
  run: Omit<Report, 'hosts'>;
  recap: string;
  texts: string[];
  groups: string[];
  hosts: PageHost[];
}

export function pageData(report: Report, recap: string): PageData {
  const texts: string[] = [];
  const index = new Map<string, number>();
  const t = (s: string | undefined): number => {
    if (s === undefined || s === '') return -1;
    let i = index.get(s);
    if (i === undefined) {
      i = texts.length;
      texts.push(s);
      index.set(s, i);
    }
    return i;
  };
  const groups: string[] = [];
  const groupIndex = new Map<string, number>();
  const g = (name: string): number => {
    let i = groupIndex.get(name);
    if (i === undefined) {
      i = groups.length;
      groups.push(name);
      groupIndex.set(name, i);
    }
    return i;
  };
  const t0 = Date.parse(report.started_at);
  const off = (iso: string): number => Math.max(0, Date.parse(iso) - t0);
  const hosts: PageHost[] = Object.entries(report.hosts).map(([name, h]) => {
    const segs: Segment[] = [];
    // a connection reused from an earlier play took no time: nothing to draw
    for (const p of h.phases) if (p.duration_ms > 0) segs.push([p.phase === 'connect' ? SEG.connect : SEG.facts, off(p.started_at), p.duration_ms, STATUS_CODE.ok, t(p.phase), -1]);
    const steps: PageHost['steps'] = [];
    for (const s of h.steps) {
      const kind = s.kind === 'reboot' && s.status !== 'skipped' ? SEG.reboot : s.kind !== undefined && VERIFY_KINDS.has(s.kind) ? SEG.verify : SEG.step;
      // a skipped step took no time: it is listed in the host's details, not drawn
      if (s.status !== 'skipped') segs.push([kind, off(s.started_at), s.duration_ms, STATUS_CODE[s.status], t(s.name), t(s.error)]);
      if (s.changes.length > 0 || s.notes.length > 0 || s.diff !== undefined || s.error !== undefined || s.skip_reason !== undefined) {
        steps.push([t(s.name), STATUS_CODE[s.status], s.changes.map(t), s.notes.map(t), t(s.diff), t(s.skip_reason)]);
      }
    }
    return { n: name, s: STATUS_CODE[h.status], g: h.groups.map(g), e: t(h.error), f: h.facts ?? null, segs, steps };
  });
  const { hosts: _hosts, ...run } = report;
  return { run, recap, texts, groups, hosts };
}

/** JSON that can sit inside a <script> element: no `</script>`, no `<!--`. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}
