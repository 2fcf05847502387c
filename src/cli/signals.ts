// How a run is stopped from outside: Ctrl-C / SIGTERM / SIGHUP, and a
// closed pipe (`passthru demo | head -3`). Either way the steps in flight
// finish, nothing new starts, and what the command holds (the demo's
// temporary directory and key) is removed; a closed pipe ends quietly, with
// no EPIPE error or trace, since nobody is left to read one.

import { setMaxListeners } from 'node:events';
import { EXIT } from '../errors.ts';

let pipeClosed: AbortController | undefined;

/** Aborted once stdout or stderr is a pipe whose reader went away. Installs the listeners once per process. */
export function closedPipe(): AbortSignal {
  if (!pipeClosed) {
    const ac = new AbortController();
    pipeClosed = ac;
    for (const stream of [process.stdout, process.stderr]) {
      // every write error is a closed or broken output: there is nowhere left to report it
      stream.on('error', () => ac.abort());
    }
  }
  return pipeClosed.signal;
}

/**
 * Ctrl-C: the first one stops starting new steps; a second one exits at
 * once (process 'exit' handlers still run: see removeOnExit). A closed pipe
 * stops the same way, without a word.
 */
export function interruptSignal(): { signal: AbortSignal; dispose: () => void } {
  const ac = new AbortController();
  // every command and connection attempt in flight listens to it (hundreds at -f 200): not a leak
  setMaxListeners(0, ac.signal);
  let count = 0;
  const onSignal = (): void => {
    count++;
    if (count === 1) {
      process.stderr.write('\ninterrupted: stopping the commands in flight and starting nothing new; files are written whole or not at all (Ctrl-C again to quit now)\n');
      ac.abort();
    } else {
      process.exit(EXIT.interrupted);
    }
  };
  const pipe = closedPipe();
  const onPipe = (): void => ac.abort();
  if (pipe.aborted) ac.abort();
  pipe.addEventListener('abort', onPipe, { once: true });
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const s of signals) process.on(s, onSignal);
  return {
    signal: ac.signal,
    dispose: () => {
      for (const s of signals) process.off(s, onSignal);
      pipe.removeEventListener('abort', onPipe);
    },
  };
}

/** Run `cleanup` (synchronous) when the process exits, however it exits short of SIGKILL; returns the way to cancel that. */
export function removeOnExit(cleanup: () => void): () => void {
  const onExit = (): void => {
    try {
      cleanup();
    } catch {
      // exiting anyway
    }
  };
  process.on('exit', onExit);
  return () => process.off('exit', onExit);
}
