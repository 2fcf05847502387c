// The plan shown before an applying run changes anything: per host, one line
// per change (`~`), a line per step that would fail (`!`) or that waits on
// an earlier change (`?`), the diffs with --diff; then what the question is
// about. Every line is masked.
//
//   Plan (nothing has been changed yet): play 'Roll out'
//     gpu01
//       ~ kernel arguments: add intel_iommu=on to GRUB_CMDLINE_LINUX
//       ~ reboot to enable the IOMMU: reboot and wait until the host is back
//     cpu01: no change
//   Later plays (Verify) are planned when they start: they depend on these changes.
//   2 of 3 hosts would change.

import { changingHosts, type RunPlan } from '../engine/plan.ts';
import type { SecretRegistry } from '../util/secrets.ts';
import { painter } from './color.ts';
import { renderDiffs } from './diff.ts';
import { firstLine, maskText } from './format.ts';

export interface PlanTextOptions {
  diff: boolean;
  color: boolean;
  secrets: SecretRegistry;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

export function formatPlan(plan: RunPlan, o: PlanTextOptions): string {
  const paint = painter(o.color);
  const lines: string[] = [];
  const changing = changingHosts(plan);
  const last = plan.plays[plan.plays.length - 1];
  const before = plan.plays.slice(0, -1);
  lines.push(paint('bold', `Plan (nothing has been changed yet): play '${last ?? ''}'`) + (before.length > 0 ? ` (after ${before.map((p) => `'${p}'`).join(', ')}, which change${before.length === 1 ? 's' : ''} nothing)` : ''));
  const width = Math.max(0, ...plan.hosts.map((h) => h.host.length));
  for (const h of plan.hosts) {
    if (h.steps.length === 0) {
      const why = h.status === 'skipped' ? 'nothing to do' : 'no change';
      lines.push(`  ${paint('bold', h.host.padEnd(width))}  ${paint('green', why)}`);
      continue;
    }
    lines.push(`  ${paint('bold', h.host)}`);
    for (const s of h.steps) {
      for (const c of s.changes) lines.push(`    ${paint('yellow', '~')} ${s.step}: ${c}`);
      if (s.status === 'failed' || s.status === 'unreachable') {
        lines.push(`    ${paint('red', '!')} ${s.step}: ${paint('red', s.status === 'failed' ? 'would FAIL' : 'UNREACHABLE')}${s.error ? `: ${firstLine(s.error)}` : ''}`);
        if (s.hint) lines.push(`      ${paint('yellow', 'hint:')} ${s.hint}`);
      } else if (s.pending !== undefined && s.changes.length === 0) {
        lines.push(`    ${paint('cyan', '?')} ${s.step}: planned after the changes above`);
      }
    }
    if (o.diff) {
      const diffs = h.steps.flatMap((s) => s.diffs);
      const text = diffs.length > 0 ? renderDiffs(diffs, o.secrets, o.color) : '';
      if (text !== '') lines.push(text.replace(/^/gm, '      '));
    }
  }
  if (plan.later.length > 0) {
    lines.push(`Later plays (${plan.later.map((p) => `'${p}'`).join(', ')}) are planned when they start: they depend on these changes.`);
  }
  lines.push(paint('bold', `${changing.length} of ${plural(plan.hosts.length, 'host')} would change.`));
  return maskText(o.secrets, lines.join('\n')) + '\n';
}
