// One frame of the live view, as lines that fit `width` x `height`:
//
//   passthru rollout · 3 plays · 200 hosts · 1m12s
//   ✓ PLAY [Preflight and GPU discovery]  ok=199 failed=1  4.1s
//   ▸ PLAY [Roll out]  batch 1/1
//     ████████████░░░░░░░░░░░░  81/199 hosts  41%  ETA 38s
//     81 done · 1 failed · 12 rebooting · 105 running · 0 waiting
//     ✗ cmp006   preflight checks: CPU flag 'vmx' is missing from /proc/cpuinfo…
//     ↻ cmp012   rebooting, down 12.3s
//     ▸ cmp013   kernel arguments  2.1s
//     … 93 more running
//   · PLAY [Verify]
//
// Finished plays are one line with their counts. In the running play, every
// failed host comes first, then the hosts down for a reboot, then as many
// running hosts as fit; whatever does not fit is counted on the last line.

import type { Paint } from '../color.ts';
import { duration } from '../format.ts';
import { clean, fit } from '../text-width.ts';
import { doneCount, eta, type LiveHost, type LiveModel, type LivePlay } from './model.ts';

export interface FrameOptions {
  width: number;
  height: number;
  now: number;
  paint: Paint;
  /** masks secrets in a line of text */
  mask: (text: string) => string;
}

const COUNT_STYLE = { ok: 'green', changed: 'yellow', failed: 'red', unreachable: 'red', skipped: 'cyan' } as const;

export function countsText(p: LivePlay, paint: Paint): string {
  const parts: string[] = [];
  for (const k of ['ok', 'changed', 'failed', 'unreachable', 'skipped'] as const) {
    const n = p.counts[k];
    if (n > 0 || k === 'ok') parts.push(paint(n > 0 ? COUNT_STYLE[k] : 'dim', `${k}=${n}`));
  }
  return parts.join(' ');
}

/** A finished (or not run) play on one line. */
export function playLine(p: LivePlay, paint: Paint, check: boolean): string {
  const name = `PLAY [${p.name}]`;
  if (p.state === 'pending') return `${paint('dim', '·')} ${paint('dim', name)}`;
  if (p.state === 'not-run') return `${paint('dim', '·')} ${paint('dim', `${name}  not run`)}`;
  const bad = p.counts.failed + p.counts.unreachable > 0 || p.aborted !== undefined;
  const took = p.start !== undefined && p.end !== undefined ? `  ${paint('gray', duration(p.end - p.start))}` : '';
  const aborted = p.aborted !== undefined ? `  ${paint('red', `aborted: ${p.aborted}`)}` : '';
  return `${paint(bad ? 'red' : 'green', bad ? '✗' : '✓')} ${paint('bold', name)}${check ? ' (check)' : ''}  ${countsText(p, paint)}${took}${aborted}`;
}

function bar(done: number, total: number, width: number): string {
  const w = Math.max(5, width);
  const filled = total === 0 ? w : Math.round((done / total) * w);
  return `${'█'.repeat(filled)}${'░'.repeat(w - filled)}`;
}

function hostCell(name: string, width: number): string {
  return name.length >= width ? name : name.padEnd(width);
}

function runningPlayLines(m: LiveModel, p: LivePlay, o: FrameOptions, room: number): string[] {
  const { paint, now, width } = o;
  const done = doneCount(p);
  const batch = p.batches > 1 ? `  batch ${p.batch}/${p.batches}` : '';
  const head = `${paint('yellow', '▸')} ${paint('bold', `PLAY [${p.name}]`)}${m.check ? ' (check)' : ''}${batch}  ${paint('gray', duration(now - (p.start ?? now)))}`;
  const pct = p.total === 0 ? 100 : Math.floor((done / p.total) * 100);
  const left = eta(p, now);
  const tail = `  ${done}/${p.total} hosts  ${pct}%${left !== undefined ? `  ETA ${duration(left)}` : ''}`;
  const progress = `  ${paint('green', bar(done, p.total, Math.min(40, width - 4 - tail.length)))}${tail}`;

  const failed: LiveHost[] = [];
  const rebooting: LiveHost[] = [];
  const running: LiveHost[] = [];
  let waiting = 0;
  for (const h of p.hosts.values()) {
    if (h.state === 'waiting') waiting++;
    else if (h.state === 'running') (h.rebootStart !== undefined ? rebooting : running).push(h);
  }
  // failed hosts of the whole run: a host that failed in an earlier play still needs attention
  const failures = m.failures;
  const bad = new Set(failures.map((f) => f.host)).size;
  const summary = [
    `${done} done`,
    bad > 0 ? paint('red', `${bad} failed in the run`) : '0 failed',
    `${rebooting.length} rebooting`,
    `${running.length} running`,
    `${waiting} waiting`,
  ].join(' · ');
  const lines = [head, progress, `  ${summary}`];

  // the details: failures, then reboots (longest down first), then running hosts (longest in their step first)
  rebooting.sort((a, b) => (a.rebootStart ?? 0) - (b.rebootStart ?? 0));
  running.sort((a, b) => (a.stepStart ?? a.hostStart ?? 0) - (b.stepStart ?? b.hostStart ?? 0));
  const nameWidth = Math.min(24, Math.max(0, ...failures.map((f) => f.host.length), ...rebooting.map((h) => h.name.length), ...running.map((h) => h.name.length)));
  const details: Array<{ kind: 'failed' | 'rebooting' | 'running'; text: () => string }> = [
    ...failures.map((f) => ({
      kind: 'failed' as const,
      text: () => `  ${paint('red', '✗')} ${paint('bold', hostCell(f.host, nameWidth))}  ${paint('red', f.status === 'unreachable' ? 'UNREACHABLE' : 'FAILED')} ${f.step}: ${f.error}`,
    })),
    ...rebooting.map((h) => ({
      kind: 'rebooting' as const,
      text: () => `  ${paint('magenta', '↻')} ${paint('bold', hostCell(h.name, nameWidth))}  ${h.step ?? 'reboot'}: ${paint('magenta', `down ${duration(now - (h.rebootStart ?? now))}`)}`,
    })),
    ...running.map((h) => ({
      kind: 'running' as const,
      text: () => `  ${paint('cyan', '▸')} ${paint('bold', hostCell(h.name, nameWidth))}  ${h.step ?? paint('dim', 'connecting')}  ${paint('gray', duration(now - (h.stepStart ?? h.hostStart ?? now)))}`,
    })),
  ];
  const space = room - lines.length;
  if (space <= 0) return lines.slice(0, Math.max(1, room));
  const shown = details.length <= space ? details : details.slice(0, space - 1);
  for (const d of shown) lines.push(d.text());
  if (shown.length < details.length) {
    const rest = { failed: 0, rebooting: 0, running: 0 };
    for (const d of details.slice(shown.length)) rest[d.kind]++;
    const parts = (['failed', 'rebooting', 'running'] as const).filter((k) => rest[k] > 0).map((k) => (k === 'failed' ? paint('red', `${rest[k]} failed`) : `${rest[k]} ${k}`));
    lines.push(`  ${paint('dim', '…')} not shown (the terminal has ${o.height} lines): ${parts.join(', ')}`);
  }
  return lines;
}

/** The frame: at most `height` lines, none wider than `width` columns. */
export function frame(m: LiveModel, o: FrameOptions): string[] {
  const { paint, width, height } = o;
  const plays = m.plays;
  const elapsed = m.started !== undefined ? duration(o.now - m.started) : '';
  const title = `${paint('bold', 'passthru')} ${m.check ? 'dry run' : 'rollout'} · ${plays.length} play${plays.length === 1 ? '' : 's'} · ${m.hostCount} host${m.hostCount === 1 ? '' : 's'} · ${elapsed}`;
  const current = m.running();
  const finished = plays.filter((p) => p.state === 'done' || p.state === 'not-run');
  const pending = plays.filter((p) => p.state === 'pending');
  // the running play needs 3 lines and wants a few more; the others are one line each, or one for all
  let before = finished.map((p) => playLine(p, paint, m.check));
  let after = pending.map((p) => playLine(p, paint, m.check));
  const want = 1 + (current ? 6 : 0);
  if (1 + before.length + after.length + want > height) {
    if (after.length > 1) after = [paint('dim', `· ${after.length} more plays`)];
  }
  if (1 + before.length + after.length + want > height && before.length > 1) {
    const keep = Math.max(0, height - 1 - after.length - want - 1);
    const hidden = before.length - keep;
    before = [paint('dim', `✓ ${hidden} earlier play${hidden === 1 ? '' : 's'} done`), ...before.slice(before.length - keep)];
  }
  const lines = [title, ...before];
  if (current) lines.push(...runningPlayLines(m, current, o, height - lines.length - after.length));
  lines.push(...after);
  return lines.slice(0, height).map((l) => fit(o.mask(clean(l)), width));
}
