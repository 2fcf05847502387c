// Live renderer for a terminal: a listr2 task list, one group per play, one
// line per host with its current step and elapsed time, live host counts in
// the play's title; finished hosts keep a line with their status.
//
// Event-driven, not task-driven: the engine runs the hosts; here every host is a
// listr2 task whose promise settles on that host's host-end event. Events only
// update a small model (cheap, synchronous); the screen is redrawn from the
// model at most every 100-400 ms (refreshInterval) by a DefaultRenderer subclass that coalesces
// listr2's refresh requests, so 100 hosts reporting at once never wait on the
// terminal. The host lines also tick (elapsed time) on the spinner's beat.
//
// After the list ends, what cannot live in a redrawn frame is printed once:
// warnings, failures with their hints, and (with --diff or in check mode) diffs.

import {
  DefaultRenderer,
  Listr,
  ListrDefaultRendererLogLevels,
  ListrLogger,
  ProcessOutput,
  Spinner,
  type ListrTask,
} from 'listr2';
import type { EngineEvent, EventBus, HostStatus, StepOutcome } from '../engine/events.ts';
import type { SecretRegistry } from '../util/secrets.ts';
import { painter, type Paint } from './color.ts';
import { renderDiffs } from './diff.ts';
import { duration, firstLine, maskText, restLines, STATUS_STYLE } from './format.ts';
import type { Renderer } from './renderer.ts';

/** Minimum time between two redraws of the live view; more hosts, fewer frames. */
export function refreshInterval(hosts: number): number {
  return Math.min(400, Math.max(100, hosts * 2));
}

export interface LiveRendererOptions {
  out: NodeJS.WritableStream;
  diff: boolean;
  verbose?: boolean | undefined;
  secrets: SecretRegistry;
  color: boolean;
  now?: (() => number) | undefined;
}

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
}

function deferred(): Deferred {
  let resolve: () => void = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** The part of a listr2 task wrapper used here. */
interface TaskHandle {
  title: string;
  output: string;
  skip(message?: string): void;
  task: { title?: string | undefined };
}

type RowState = 'waiting' | 'running' | 'done' | 'not-run' | 'interrupted';

export interface HostRow {
  host: string;
  state: RowState;
  /** 1-based batch number, when the play has more than one */
  batch?: number | undefined;
  step?: string | undefined;
  stepStart?: number | undefined;
  hostStart?: number | undefined;
  hostEnd?: number | undefined;
  status?: HostStatus | undefined;
  failedStep?: string | undefined;
  error?: string | undefined;
  changedSteps: number;
  handle?: TaskHandle | undefined;
  finish: Deferred;
}

export interface PlayGroup {
  name: string;
  index: number;
  state: 'pending' | 'running' | 'done' | 'not-run';
  hosts: string[];
  batches: number;
  batch: number;
  aborted?: string | undefined;
  rows: Map<string, HostRow>;
  handle?: TaskHandle | undefined;
  /** what the bottom bar shows (the title again, when the list is taller than the terminal) */
  bottom?: string | undefined;
  start: Deferred;
}

/** Things printed once after the live list, in order. */
interface Afterword {
  warnings: string[];
  failures: string[];
  diffs: string[];
}

// ---------------------------------------------------------------- titles

export interface TitleContext {
  paint: Paint;
  now: number;
  check: boolean;
  /** width the host names are padded to */
  width: number;
}

export function hostTitle(row: HostRow, c: TitleContext): string {
  const name = c.paint('bold', row.host.padEnd(c.width));
  const since = (t: number | undefined): string => (t === undefined ? '' : `  ${c.paint('gray', duration(c.now - t))}`);
  const took = row.hostStart !== undefined && row.hostEnd !== undefined ? `  ${c.paint('gray', duration(row.hostEnd - row.hostStart))}` : '';
  switch (row.state) {
    case 'waiting':
      return `${name}  ${c.paint('dim', row.batch !== undefined ? `waiting for batch ${row.batch}` : 'waiting')}`;
    case 'running':
      return row.step === undefined
        ? `${name}  ${c.paint('dim', 'connecting')}${since(row.hostStart)}`
        : `${name}  ${row.step}${since(row.stepStart)}`;
    case 'not-run':
      return `${name}  ${c.paint('dim', 'not run')}`;
    case 'interrupted':
      return `${name}  ${c.paint('red', 'interrupted')}${row.step !== undefined ? ` during ${row.step}` : ''}`;
    case 'done': {
      const status = row.status ?? 'ok';
      const style = STATUS_STYLE[status];
      switch (status) {
        case 'ok':
          return `${name}  ${c.paint(style, 'ok')}${took}`;
        case 'changed': {
          const n = row.changedSteps;
          const what = n > 0 ? ` (${n} step${n === 1 ? '' : 's'})` : '';
          return `${name}  ${c.paint(style, c.check ? 'would change' : 'changed')}${what}${took}`;
        }
        case 'skipped':
          return `${name}  ${c.paint(style, 'skipped')}${took}`;
        case 'failed':
          return `${name}  ${c.paint(style, 'FAILED')}${row.failedStep !== undefined ? ` at ${row.failedStep}` : ''}${row.error !== undefined ? `: ${row.error}` : ''}${took}`;
        case 'unreachable':
          return `${name}  ${c.paint(style, 'UNREACHABLE')}${row.error !== undefined ? `: ${row.error}` : ''}${took}`;
      }
    }
  }
}

export function playTitle(g: PlayGroup, c: TitleContext): string {
  const counts = { ok: 0, changed: 0, failed: 0, unreachable: 0 };
  let running = 0;
  let waiting = 0;
  for (const row of g.rows.values()) {
    if (row.state === 'running') running++;
    else if (row.state === 'waiting') waiting++;
    else if (row.state === 'interrupted') counts.failed++;
    else if (row.state === 'done') {
      const s = row.status ?? 'ok';
      if (s === 'ok' || s === 'changed' || s === 'failed' || s === 'unreachable') counts[s]++;
    }
  }
  const p = c.paint;
  const n = (label: keyof typeof counts, style: Parameters<Paint>[0]): string => {
    const text = `${label}=${counts[label]}`;
    return counts[label] > 0 ? p(style, text) : text;
  };
  let title = `${p('bold', `PLAY [${g.name}]`)}${c.check ? ' (check)' : ''}  ${n('ok', 'green')} ${n('changed', 'yellow')} ${n('failed', 'red')} ${n('unreachable', 'red')}`;
  const busy: string[] = [];
  if (running > 0) busy.push(`${running} running`);
  if (waiting > 0) busy.push(`${waiting} waiting`);
  if (g.state === 'running' && g.batches > 1) busy.push(`batch ${g.batch}/${g.batches}`);
  if (busy.length > 0) title += `  ${p('dim', busy.join(', '))}`;
  if (g.aborted !== undefined) title += `  ${p('red', `aborted: ${g.aborted}`)}`;
  return title;
}

// ---------------------------------------------------------------- renderer

/**
 * listr2's DefaultRenderer redraws on every title/state change. This subclass
 * coalesces those requests into at most one frame per interval, and refreshes
 * the titles from the model just before each frame.
 */
function throttledRenderer(beforeDraw: () => void, intervalMs: number): typeof DefaultRenderer {
  return class ThrottledRenderer extends DefaultRenderer {
    // the caller decided this is a terminal (opts.tty); do not look at process.stdout
    static override nonTTY = true;
    private lastDraw = 0;
    private timer: NodeJS.Timeout | undefined;

    override update(): void {
      if (this.timer !== undefined) return;
      const wait = this.lastDraw + intervalMs - Date.now();
      if (wait <= 0) {
        this.draw();
        return;
      }
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.draw();
      }, wait);
      this.timer.unref();
    }

    private draw(): void {
      this.lastDraw = Date.now();
      beforeDraw();
      super.update();
    }

    override end(): void {
      if (this.timer !== undefined) clearTimeout(this.timer);
      this.timer = undefined;
      beforeDraw();
      super.end();
    }
  };
}

/**
 * listr2's spinner, on a timer that does not keep the process alive: if a run
 * ends without run-end (a crash), the process can still exit.
 */
class UnrefSpinner extends Spinner {
  private timer: NodeJS.Timeout | undefined;
  override start(cb?: () => void, interval = 100): void {
    this.timer = setInterval(() => {
      this.spin();
      cb?.();
    }, interval);
    this.timer.unref();
  }
  override stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
  override isRunning(): boolean {
    return this.timer !== undefined;
  }
}

/** listr2 colors its icons itself; without colors, every level is left plain. */
function plainStyles(): Partial<Record<ListrDefaultRendererLogLevels, (m?: string) => string>> {
  const out: Partial<Record<ListrDefaultRendererLogLevels, (m?: string) => string>> = {};
  for (const level of Object.values(ListrDefaultRendererLogLevels)) out[level] = (m?: string) => m ?? '';
  return out;
}

// ---------------------------------------------------------------- wiring

export function createLiveRenderer(bus: EventBus, opts: LiveRendererOptions): Renderer {
  const paint = painter(opts.color);
  const now = opts.now ?? Date.now;
  const mask = (t: string): string => maskText(opts.secrets, t);
  const showDiffs = (check: boolean): boolean => opts.diff || check;

  let check = false;
  let width = 0;
  const groups: PlayGroup[] = [];
  /** play name -> the group of that name currently running (names may repeat) */
  const current = new Map<string, PlayGroup>();
  const after: Afterword = { warnings: [], failures: [], diffs: [] };
  let listrRun: Promise<unknown> | undefined;
  let ended = false;
  const endSeen = deferred();

  const ctx = (): TitleContext => ({ paint, now: now(), check, width });

  // rows of the terminal; a taller list is cut at the top, so the counts of the
  // running play are repeated in the bottom bar, which stays in view
  const rows = (opts.out as { rows?: number }).rows ?? 24;
  const refresh = (): void => {
    const c = ctx();
    let lines = 0;
    for (const g of groups) lines += 1 + g.rows.size;
    for (const g of groups) {
      const title = mask(playTitle(g, c));
      if (g.handle) {
        g.handle.task.title = title;
        if (g.state === 'running' && lines > rows - 2 && g.bottom !== title) {
          g.bottom = title;
          g.handle.output = title;
        }
      }
      for (const row of g.rows.values()) if (row.handle) row.handle.task.title = mask(hostTitle(row, c));
    }
  };

  const hostTask = (row: HostRow): ListrTask => ({
    title: row.host,
    task: async (_ctx, wrapper): Promise<void> => {
      const handle = wrapper as unknown as TaskHandle;
      row.handle = handle;
      await row.finish.promise;
      const title = mask(hostTitle(row, ctx()));
      handle.title = title;
      if (row.state === 'not-run' || (row.state === 'done' && row.status === 'skipped')) {
        handle.skip(title);
        return;
      }
      if (row.state === 'interrupted' || row.status === 'failed' || row.status === 'unreachable') throw new Error(title);
    },
  });

  const playTask = (g: PlayGroup): ListrTask => ({
    title: `PLAY [${g.name}]`,
    rendererOptions: { bottomBar: 1 },
    task: async (_ctx, wrapper) => {
      const handle = wrapper as unknown as TaskHandle;
      g.handle = handle;
      await g.start.promise;
      if (g.state === 'not-run') {
        handle.skip(mask(`PLAY [${g.name}]: not run`));
        return;
      }
      handle.title = mask(playTitle(g, ctx()));
      return wrapper.newListr(
        g.hosts.map((h) => hostTask(rowOf(g, h))),
        { concurrent: true, exitOnError: false },
      );
    },
  });

  const rowOf = (g: PlayGroup, host: string): HostRow => {
    let row = g.rows.get(host);
    if (!row) {
      row = { host, state: 'waiting', changedSteps: 0, finish: deferred() };
      g.rows.set(host, row);
      if (!g.hosts.includes(host)) g.hosts.push(host);
    }
    return row;
  };

  const rowFor = (play: string, host: string): HostRow | undefined => {
    const g = current.get(play);
    return g ? rowOf(g, host) : undefined;
  };

  const finishRow = (row: HostRow, state: RowState): void => {
    row.state = state;
    row.finish.resolve();
  };

  const start = (plays: string[], hostCount: number): void => {
    plays.forEach((name, index) => {
      groups.push({ name, index, state: 'pending', hosts: [], batches: 1, batch: 0, rows: new Map(), start: deferred() });
    });
    const Renderer = throttledRenderer(refresh, refreshInterval(hostCount));
    const out = opts.out as NodeJS.WriteStream;
    const logger = new ListrLogger({ useIcons: true, processOutput: new ProcessOutput(out, out) });
    const listr = new Listr(
      groups.map((g) => playTask(g)),
      {
        concurrent: false,
        exitOnError: false,
        registerSignalListeners: false, // the engine handles ^C and ends the run with run-end
        renderer: Renderer,
        rendererOptions: {
          logger,
          spinner: new UnrefSpinner(),
          collapseSubtasks: false,
          collapseErrors: true,
          showErrorMessage: true,
          formatOutput: 'truncate',
          ...(opts.color ? {} : { color: plainStyles() }),
        },
      },
    );
    listrRun = listr.run().catch(() => undefined);
  };

  const recordStep = (host: string, step: string, o: StepOutcome): void => {
    if (o.status === 'failed' || o.status === 'unreachable') {
      const lines = [`${paint('bold', host)} | ${step}: ${paint('red', o.status === 'failed' ? 'FAILED' : 'UNREACHABLE')}${o.error ? `: ${firstLine(o.error)}` : ''}`];
      for (const l of restLines(o.error)) lines.push(`    ${l}`);
      if (o.hint) lines.push(`    ${paint('yellow', 'hint:')} ${o.hint}`);
      after.failures.push(opts.secrets.mask(lines.join('\n')));
    }
    if (showDiffs(check) && o.diffs.length > 0) {
      const text = renderDiffs(o.diffs, opts.secrets, opts.color);
      if (text !== '') after.diffs.push(mask(`${paint('bold', `[${host}] ${step}`)}\n${text}`));
    }
  };

  const onEvent = (e: EngineEvent): void => {
    switch (e.type) {
      case 'run-start':
        check = e.check;
        width = Math.max(0, ...e.hosts.map((h) => h.length));
        if (listrRun === undefined) start(e.plays, e.hosts.length);
        return;
      case 'play-start': {
        const g = groups[e.index]?.name === e.play && groups[e.index]?.state === 'pending' ? groups[e.index] : groups.find((x) => x.name === e.play && x.state === 'pending');
        if (!g) return; // a play that run-start did not announce: not shown live
        g.state = 'running';
        g.hosts = [...e.hosts];
        g.batches = Math.max(1, e.batches.length);
        e.batches.forEach((batch, i) => {
          for (const h of batch) rowOf(g, h).batch = e.batches.length > 1 ? i + 1 : undefined;
        });
        for (const h of e.hosts) rowOf(g, h);
        width = Math.max(width, ...g.hosts.map((h) => h.length));
        current.set(e.play, g);
        g.start.resolve();
        return;
      }
      case 'batch-start': {
        const g = current.get(e.play);
        if (g) g.batch = e.index + 1;
        return;
      }
      case 'host-start': {
        const row = rowFor(e.play, e.host);
        if (!row) return;
        row.state = 'running';
        row.hostStart = e.time;
        return;
      }
      case 'step-start': {
        const row = rowFor(e.play, e.host);
        if (!row) return;
        if (row.state === 'waiting') row.state = 'running';
        row.hostStart ??= e.time;
        row.step = e.step;
        row.stepStart = e.time;
        return;
      }
      case 'step-end': {
        recordStep(e.host, e.step, e.outcome);
        const row = rowFor(e.play, e.host);
        if (!row) return;
        if (e.outcome.changed) row.changedSteps++;
        if ((e.outcome.status === 'failed' || e.outcome.status === 'unreachable') && row.failedStep === undefined) {
          row.failedStep = e.step;
          if (e.outcome.error) row.error = firstLine(e.outcome.error);
        }
        return;
      }
      case 'host-end': {
        const row = rowFor(e.play, e.host);
        if (!row) return;
        row.status = e.status;
        row.hostEnd = e.time;
        row.hostStart ??= e.time;
        finishRow(row, 'done');
        return;
      }
      case 'play-end': {
        const g = current.get(e.play);
        if (!g) return;
        g.state = 'done';
        if (e.aborted !== undefined) g.aborted = e.aborted;
        // hosts of batches that never ran (the play was aborted)
        for (const row of g.rows.values()) if (row.state === 'waiting') finishRow(row, 'not-run');
        for (const row of g.rows.values()) if (row.state === 'running') finishRow(row, 'interrupted');
        return;
      }
      case 'warning': {
        const line = `${e.host ? `${paint('bold', e.host)} | ` : ''}${paint('yellow', 'WARNING')}: ${e.message}`;
        after.warnings.push(opts.secrets.mask(line));
        if (opts.verbose && e.host) {
          const row = [...current.values()].map((g) => g.rows.get(e.host ?? '')).find((r) => r?.state === 'running');
          if (row?.handle) row.handle.output = opts.secrets.mask(e.message);
        }
        return;
      }
      case 'run-end':
        for (const g of groups) {
          if (g.state === 'pending') {
            g.state = 'not-run';
            g.start.resolve();
          }
          for (const row of g.rows.values()) {
            if (row.state === 'running') finishRow(row, e.interrupted ? 'interrupted' : 'done');
            else if (row.state === 'waiting') finishRow(row, 'not-run');
          }
        }
        ended = true;
        endSeen.resolve();
        return;
    }
  };
  bus.on(onEvent);

  const write = (text: string): Promise<void> =>
    new Promise((resolve) => {
      opts.out.write(text, () => resolve());
    });

  return {
    async done(): Promise<void> {
      if (!ended) await endSeen.promise;
      if (listrRun) await listrRun;
      const sections: string[] = [];
      if (after.warnings.length > 0) sections.push(after.warnings.join('\n'));
      if (after.failures.length > 0) sections.push(after.failures.join('\n'));
      if (after.diffs.length > 0) sections.push(after.diffs.join('\n\n'));
      await write(sections.length > 0 ? `\n${sections.join('\n\n')}\n` : '');
    },
  };
}
