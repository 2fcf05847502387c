// The live view on a terminal: a model fed by the engine's events
// (live/model.ts), frames laid out to the terminal's size (live/layout.ts),
// drawn on the alternate screen (live/screen.ts) at most every 100-250 ms,
// and once a second for the clocks.
//
// Nothing is drawn before the first event, and start()/stop() hand the
// terminal back and forth (a question asked during the run is asked on the
// normal screen, with the view stopped). When the run ends, the view leaves
// the alternate screen and prints once, on the normal screen, what stays:
// one line per play with its counts, the changes of each host (up to 50
// hosts; the report has them all), warnings, failures with their hints,
// and (with --diff or in check mode) the diffs.

import type { EngineEvent, EventBus, StepOutcome } from '../engine/events.ts';
import type { SecretRegistry } from '../util/secrets.ts';
import { painter } from './color.ts';
import { renderDiffs } from './diff.ts';
import { describeOutcome, firstLine, maskText, restLines } from './format.ts';
import { frame, playLine } from './live/layout.ts';
import { LiveModel } from './live/model.ts';
import { Screen, type ScreenStream } from './live/screen.ts';
import type { Renderer } from './renderer.ts';

/** Minimum time between two frames; more hosts, fewer frames. */
export function refreshInterval(hosts: number): number {
  return Math.min(250, Math.max(100, hosts));
}

/** Hosts whose changes are listed after the run; above that, the report has them. */
const LIST_CHANGES_UP_TO = 50;

export interface LiveRendererOptions {
  out: NodeJS.WritableStream;
  diff: boolean;
  verbose?: boolean | undefined;
  secrets: SecretRegistry;
  color: boolean;
  now?: (() => number) | undefined;
}

export function createLiveRenderer(bus: EventBus, opts: LiveRendererOptions): Renderer {
  const paint = painter(opts.color);
  const now = opts.now ?? Date.now;
  const mask = (t: string): string => maskText(opts.secrets, t);
  const model = new LiveModel();
  const screen = new Screen(opts.out as ScreenStream);

  const warnings: string[] = [];
  const failures: string[] = [];
  const diffs: string[] = [];
  /** per host, in order of first change: what changed and the notes */
  const changes = new Map<string, string[]>();

  let held = false; // stop() was called: no drawing until start()
  let ended = false;
  let timer: NodeJS.Timeout | undefined;
  let drawnVersion = -1;
  let drawnAt = 0;
  let resolveEnd: () => void = () => {};
  const endSeen = new Promise<void>((r) => {
    resolveEnd = r;
  });

  const draw = (): void => {
    const { width, height } = screen.size;
    const t = now();
    screen.draw(frame(model, { width, height, now: t, paint, mask }));
    drawnVersion = model.version;
    drawnAt = t;
  };
  const tick = (): void => {
    // redraw when something changed, and every second for the clocks
    if (model.version !== drawnVersion || now() - drawnAt >= 1000) draw();
  };

  const start = (): void => {
    held = false;
    if (ended || screen.isActive || model.started === undefined) return;
    screen.enter(draw);
    draw();
    timer = setInterval(tick, refreshInterval(model.hostCount));
    timer.unref();
  };
  const stop = (): void => {
    held = true;
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
    screen.leave();
  };

  const recordStep = (host: string, step: string, o: StepOutcome): void => {
    if (o.status === 'failed' || o.status === 'unreachable') {
      const lines = [`${paint('bold', host)} | ${step}: ${paint('red', o.status === 'failed' ? 'FAILED' : 'UNREACHABLE')}${o.error ? `: ${firstLine(o.error)}` : ''}`];
      for (const l of restLines(o.error)) lines.push(`    ${l}`);
      if (o.hint) lines.push(`    ${paint('yellow', 'hint:')} ${o.hint}`);
      failures.push(mask(lines.join('\n')));
    }
    if (o.status === 'changed' || (o.notes.length > 0 && o.status !== 'skipped')) {
      const list = changes.get(host) ?? [];
      if (o.status === 'changed') list.push(`  ${step}: ${describeOutcome(o, paint)}`);
      for (const n of o.notes) list.push(`  ${step}: ${paint('gray', n)}`);
      changes.set(host, list);
    }
    if ((opts.diff || model.check) && o.diffs.length > 0) {
      const text = renderDiffs(o.diffs, opts.secrets, opts.color);
      if (text !== '') diffs.push(mask(`${paint('bold', `[${host}] ${step}`)}\n${text}`));
    }
  };

  const onEvent = (e: EngineEvent): void => {
    model.apply(e);
    switch (e.type) {
      case 'run-start':
        if (!held) start();
        return;
      case 'step-end':
        recordStep(e.host, e.step, e.outcome);
        return;
      case 'warning':
        warnings.push(mask(`${e.host ? `${paint('bold', e.host)} | ` : ''}${paint('yellow', 'WARNING')}: ${e.message}`));
        return;
      case 'run-end':
        ended = true;
        stop();
        resolveEnd();
        return;
      default:
        return;
    }
  };
  bus.on(onEvent);

  const transcript = (): string => {
    const sections: string[] = [model.plays.map((p) => mask(playLine(p, paint, model.check))).join('\n')];
    if (changes.size > 0) {
      if (changes.size <= LIST_CHANGES_UP_TO) {
        sections.push([...changes].map(([host, lines]) => mask(`${paint('bold', host)}\n${lines.join('\n')}`)).join('\n'));
      } else {
        sections.push(`${changes.size} hosts ${model.check ? 'would change' : 'changed'} something: every change, note and diff is in the report (--json FILE, --html FILE)`);
      }
    }
    if (warnings.length > 0) sections.push(warnings.join('\n'));
    if (failures.length > 0) sections.push(failures.join('\n'));
    if (diffs.length > 0) sections.push(diffs.join('\n\n'));
    return `${sections.filter((s) => s !== '').join('\n\n')}\n`;
  };

  return {
    start,
    stop,
    async done(): Promise<void> {
      if (!ended) await endSeen;
      const text = transcript();
      await new Promise<void>((resolve) => {
        opts.out.write(text, () => resolve());
      });
    },
  };
}
