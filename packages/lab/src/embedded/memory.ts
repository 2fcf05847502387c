// Keep a big lab's heap near its live size. Every command line allocates a
// lot of short-lived objects (the shell's parser and interpreter); under load
// V8 defers full collections and lets that garbage pile up, growing the heap
// (a 1000-host lab went from 100 MB live to over 500 MB RSS). So after
// commands, when the heap grew well past what survived the last collection,
// the lab collects. The node flags from daemonNodeFlags() (commands.ts) do
// the same job better where the lab process can be started with them.
import v8 from 'node:v8';
import vm from 'node:vm';

let collect: (() => void) | null | undefined;
let liveAfterGc = 0;
let checks = 0;
let lastGc = 0;

/** grow past the live size by this much (bytes), and by GROWTH times, before collecting */
const SLACK = 96 * 1024 * 1024;
const GROWTH = 1.5;
/**
 * at most one forced collection per interval (ms): a full collection of a
 * 1000-host lab costs ~100 ms; once every 500 ms it was a third of the lab's
 * CPU during a rollout (17 of 55 s), for 180 MB less RSS
 */
const MIN_INTERVAL_MS = 3000;

function gcFunction(): (() => void) | null {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (typeof existing === 'function') return existing;
  try {
    v8.setFlagsFromString('--expose-gc');
    const fn = vm.runInNewContext('gc') as unknown;
    return typeof fn === 'function' ? (fn as () => void) : null;
  } catch {
    return null;
  }
}

/** Call after a command line ran; cheap (looks at the heap every 16th call). */
export function afterCommand(): void {
  if (++checks % 16 !== 0) return;
  const used = v8.getHeapStatistics().used_heap_size;
  if (used < liveAfterGc * GROWTH + SLACK) return;
  const now = Date.now();
  if (now - lastGc < MIN_INTERVAL_MS) return;
  collect ??= gcFunction();
  if (collect === null) return;
  collect();
  lastGc = Date.now();
  liveAfterGc = v8.getHeapStatistics().used_heap_size;
}

/** Collect now (after startup: building a big lab leaves a lot of garbage). */
export function collectNow(): void {
  collect ??= gcFunction();
  if (collect === null) return;
  collect();
  lastGc = Date.now();
  liveAfterGc = v8.getHeapStatistics().used_heap_size;
}
