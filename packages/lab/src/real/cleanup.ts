// Last-resort cleanup for the real lab: whatever a lab started is killed and
// removed when the process exits, even on an exception or Ctrl-C, so no sshd
// outlives a test run. (If the process is SIGKILLed, the namespaces die anyway:
// every process the lab spawns carries PR_SET_PDEATHSIG=SIGKILL.)

type Cleanup = () => void;

const cleanups = new Set<Cleanup>();
let installed = false;

function runAll(): void {
  for (const fn of [...cleanups]) {
    cleanups.delete(fn);
    try {
      fn();
    } catch {
      // best effort: the process is going away
    }
  }
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', runAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const handler = (): void => {
      runAll();
      process.removeListener(sig, handler);
      // Nobody else handles it: behave as if we had not been listening.
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    };
    process.on(sig, handler);
  }
}

/** Run `fn` (synchronously) when the process exits or is interrupted. Returns the unregister function. */
export function onProcessExit(fn: Cleanup): () => void {
  install();
  cleanups.add(fn);
  return () => {
    cleanups.delete(fn);
  };
}
