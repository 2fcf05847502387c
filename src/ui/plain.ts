// Plain renderer: one line per event worth a line, stamped to the
// millisecond, for CI logs and pipes. Nothing is redrawn; every line is
// masked before it is written.
//
//   12:01:00.012 PLAY [pci-passthrough] 13 hosts in 3 batches
//   12:01:00.013 batch 1/3: compute-1, compute-2
//   12:01:02.481 [compute-1] kernel arguments: changed (add intel_iommu=on)
//   12:01:02.502 [compute-1] reboot to enable the IOMMU: going down
//   --- /etc/default/grub (before)        <- with diff: true or in check mode
//   ...

import type { EngineEvent, EventBus, StepOutcome } from '../engine/events.ts';
import type { SecretRegistry } from '../util/secrets.ts';
import { painter, type Paint } from './color.ts';
import { renderDiffs } from './diff.ts';
import { clock, describeOutcome, duration, restLines, STATUS_STYLE } from './format.ts';
import type { Renderer } from './renderer.ts';

export interface PlainRendererOptions {
  out: NodeJS.WritableStream;
  /** print unified diffs after a step line (always on in check mode) */
  diff: boolean;
  /** also print step starts, host starts/ends and skipped steps' notes */
  verbose?: boolean | undefined;
  secrets: SecretRegistry;
  color?: boolean | undefined;
}

export function createPlainRenderer(bus: EventBus, opts: PlainRendererOptions): Renderer {
  const paint: Paint = painter(opts.color ?? false);
  const verbose = opts.verbose ?? false;
  let check = false;
  let ended = false;
  let resolveEnd: () => void = () => {};
  const endSeen = new Promise<void>((resolve) => {
    resolveEnd = resolve;
  });
  const batchCount = new Map<string, number>();
  const hostStart = new Map<string, number>();

  const write = (text: string): void => {
    opts.out.write(opts.secrets.mask(text) + '\n');
  };
  const at = (time: number): string => paint('gray', clock(time));
  const tag = (host: string): string => `[${paint('bold', host)}]`;

  const stepEnd = (host: string, step: string, o: StepOutcome, time: number): void => {
    write(`${at(time)} ${tag(host)} ${step}: ${describeOutcome(o, paint)}`);
    for (const l of restLines(o.error)) write(`    ${l}`);
    if (o.hint && (o.status === 'failed' || o.status === 'unreachable')) write(`    ${paint('yellow', 'hint:')} ${o.hint}`);
    for (const n of o.notes) write(`    note: ${n}`);
    if ((opts.diff || check) && o.diffs.length > 0) {
      const text = renderDiffs(o.diffs, opts.secrets, opts.color ?? false);
      if (text !== '') write(text);
    }
  };

  const onEvent = (e: EngineEvent): void => {
    switch (e.type) {
      case 'run-start': {
        check = e.check;
        const mode = e.check ? ' (check mode: nothing will be changed)' : '';
        const plays = `${e.plays.length} play${e.plays.length === 1 ? '' : 's'}`;
        const hosts = `${e.hosts.length} host${e.hosts.length === 1 ? '' : 's'}`;
        write(`${at(e.time)} passthru: ${plays} on ${hosts}${mode}`);
        return;
      }
      case 'play-start': {
        batchCount.set(e.play, e.batches.length);
        const hosts = `${e.hosts.length} host${e.hosts.length === 1 ? '' : 's'}`;
        const batches = e.batches.length > 1 ? ` in ${e.batches.length} batches` : '';
        write(`${at(e.time)} ${paint('bold', `PLAY [${e.play}]`)} ${hosts}${batches}`);
        return;
      }
      case 'batch-start': {
        const n = batchCount.get(e.play) ?? 1;
        if (n > 1) write(`${at(e.time)} batch ${e.index + 1}/${n}: ${e.hosts.join(', ')}`);
        return;
      }
      case 'batch-end': {
        if (e.failed.length === 0) return;
        const n = batchCount.get(e.play) ?? 1;
        const which = n > 1 ? `batch ${e.index + 1}/${n}` : 'batch';
        const hosts = `${e.failed.length} host${e.failed.length === 1 ? '' : 's'}`;
        write(`${at(e.time)} ${which} done: ${paint('red', `${hosts} failed`)} (${e.failed.join(', ')})`);
        return;
      }
      case 'host-start':
        hostStart.set(e.host, e.time);
        if (verbose) write(`${at(e.time)} ${tag(e.host)} start`);
        return;
      case 'step-start':
        if (verbose) write(`${at(e.time)} ${tag(e.host)} ${e.step} ...`);
        return;
      case 'step-apply':
        // a reboot is worth a line when it really starts: the host is down from here on
        if (e.kind === 'reboot') write(`${at(e.time)} ${tag(e.host)} ${e.step}: going down`);
        return;
      case 'step-end':
        stepEnd(e.host, e.step, e.outcome, e.time);
        return;
      case 'host-end': {
        // a failure is always worth a line (it may have happened outside any step, e.g. connecting)
        if (!verbose && e.status !== 'failed' && e.status !== 'unreachable') return;
        const started = hostStart.get(e.host);
        const took = started === undefined ? '' : ` in ${duration(e.time - started)}`;
        const word = e.status === 'failed' || e.status === 'unreachable' ? e.status.toUpperCase() : e.status;
        write(`${at(e.time)} ${tag(e.host)} ${e.play}: ${paint(STATUS_STYLE[e.status], word)}${took}`);
        return;
      }
      case 'play-end':
        if (e.aborted) write(`${at(e.time)} ${paint('red', `PLAY [${e.play}] aborted`)}: ${e.aborted}`);
        return;
      case 'warning':
        write(`${at(e.time)} ${e.host ? `${tag(e.host)} ` : ''}${paint('yellow', 'WARNING')}: ${e.message}`);
        return;
      case 'run-end':
        if (e.interrupted) write(`${at(e.time)} ${paint('red', 'INTERRUPTED')}`);
        ended = true;
        resolveEnd();
        return;
    }
  };
  bus.on(onEvent);

  return {
    // plain lines are never redrawn: nothing to hand back
    start: () => undefined,
    stop: () => undefined,
    async done(): Promise<void> {
      if (!ended) await endSeen;
      // wait until everything written so far has been handed to the stream
      await new Promise<void>((resolve) => {
        opts.out.write('', () => resolve());
      });
    },
  };
}
