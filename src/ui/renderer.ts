// Picks the output for a run: the live view on a terminal, plain lines with
// millisecond times otherwise (CI logs, pipes, tests).

import type { EventBus } from '../engine/events.ts';
import type { SecretRegistry } from '../util/secrets.ts';
import { colorEnabled } from './color.ts';
import { createPlainRenderer } from './plain.ts';

export interface Renderer {
  /**
   * (Re)start drawing. The live view starts by itself at the engine's first
   * event; after stop() it draws again only once start() is called.
   */
  start(): void;
  /** Stop drawing and give the terminal back (e.g. to ask a question); events are still taken in. */
  stop(): void;
  /** Resolves once run-end has been drawn and everything is written to `out`. */
  done(): Promise<void>;
}

export interface RendererOptions {
  /** `out` is a terminal: live view (and colors unless NO_COLOR is set) */
  tty: boolean;
  out: NodeJS.WritableStream;
  /** print unified diffs of changed files (always on in check mode) */
  diff: boolean;
  verbose?: boolean | undefined;
  secrets: SecretRegistry;
  /** clock for elapsed times in the live view */
  now?: (() => number) | undefined;
}

export async function createRenderer(bus: EventBus, opts: RendererOptions): Promise<Renderer> {
  const color = colorEnabled(opts.tty);
  if (opts.tty) {
    // the live view only where there is a terminal to draw on: a run in a pipe does not load it
    const { createLiveRenderer } = await import('./live.ts');
    return createLiveRenderer(bus, {
      out: opts.out,
      diff: opts.diff,
      verbose: opts.verbose,
      secrets: opts.secrets,
      color,
      now: opts.now,
    });
  }
  return createPlainRenderer(bus, { out: opts.out, diff: opts.diff, verbose: opts.verbose, secrets: opts.secrets, color });
}
