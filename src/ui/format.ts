// Small text helpers shared by the renderers, the recap and the report.

import type { StepOutcome, StepStatus, HostStatus } from '../engine/events.ts';
import type { SecretRegistry } from '../util/secrets.ts';
import type { Paint, Style } from './color.ts';

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** Local wall-clock time of an event to the millisecond, `12:01:02.345`: hosts working in parallel are told apart. */
export function clock(time: number): string {
  const d = new Date(time);
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

/** A duration for humans: `0.4s`, `12.3s`, `1m03s`, `2h05m`. */
export function duration(ms: number): string {
  const safe = Math.max(0, ms);
  if (safe < 60_000) return `${(safe / 1000).toFixed(1)}s`;
  const totalSeconds = Math.round(safe / 1000);
  const s = totalSeconds % 60;
  const totalMinutes = Math.floor(totalSeconds / 60);
  if (totalMinutes < 60) return `${totalMinutes}m${pad2(s)}s`;
  return `${Math.floor(totalMinutes / 60)}h${pad2(totalMinutes % 60)}m`;
}

export const STATUS_STYLE: Record<StepStatus | HostStatus, Style> = {
  ok: 'green',
  changed: 'yellow',
  failed: 'red',
  ignored: 'yellow',
  unreachable: 'red',
  skipped: 'cyan',
};

/** How a finished step reads after its name: `changed (add intel_iommu=on)`, `FAILED: ...`. One line. */
export function describeOutcome(o: StepOutcome, paint: Paint): string {
  const style = STATUS_STYLE[o.status];
  switch (o.status) {
    case 'ok':
      return paint(style, 'ok') + (o.pending ? ` (pending: ${o.pending})` : '');
    case 'changed': {
      const what = o.changes.length > 0 ? ` (${o.changes.join('; ')})` : '';
      const pending = o.pending ? ` (pending: ${o.pending})` : '';
      return paint(style, 'changed') + what + pending;
    }
    case 'skipped':
      return paint(style, 'skipped') + (o.skipReason ? ` (${o.skipReason})` : '');
    case 'failed':
      return paint(style, 'FAILED') + (o.error ? `: ${firstLine(o.error)}` : '');
    case 'ignored':
      return paint(style, 'failed, ignored') + (o.error ? `: ${firstLine(o.error)}` : '') + ' (ignore_errors)';
    case 'unreachable':
      return paint(style, 'UNREACHABLE') + (o.error ? `: ${firstLine(o.error)}` : '');
  }
}

/** The first line of a text (error messages may span lines; the rest goes below, indented). */
export function firstLine(text: string): string {
  const i = text.indexOf('\n');
  return i === -1 ? text : text.slice(0, i);
}

/** The lines after the first, for printing indented under a one-line summary. */
export function restLines(text: string | undefined): string[] {
  if (!text) return [];
  return text.split('\n').slice(1).filter((l) => l.trim() !== '');
}

/**
 * Mask registered secret values and URL passwords in text that is not a file
 * (a recap row, a live title). Each line is guarded so that a host name at its
 * start (`secret-store-1 : ok=3`) is not mistaken for a secret key.
 */
export function maskText(secrets: SecretRegistry, text: string): string {
  return text
    .split('\n')
    .map((line) => secrets.mask(`\u0001${line}`).slice(1))
    .join('\n');
}
