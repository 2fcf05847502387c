// A small pool of boot workers (bootworker.ts, bundled by esbuild like the
// tool server): the file work of the hosts' boots runs there, in parallel on
// the machine's cores, and the lab's main thread (timers, the reboot
// monitor, sshd's port checks, the namespaces' spawns) stays free. Many hosts
// rebooting together then each come back after their own down time, not
// after every other host's boot files.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { BootHostData, BootRequest, BootTimings } from './bootprep.ts';
import type { FromBootWorker, ToBootWorker } from './bootworker.ts';
import { bundleTools } from './tools.ts';

/** the boot worker of src/lab's model (bootHost of src/lab/boot.ts over NodeFs) */
export const BOOT_WORKER_ENTRY = fileURLToPath(new URL('./bootworker.ts', import.meta.url));

export interface BootPool {
  /** the boot's file work of `host`, in a free worker (queued while every worker is busy) */
  prepare(host: BootHostData, req: BootRequest): Promise<BootTimings>;
  terminate(): Promise<void>;
}

interface Job {
  id: number;
  host: BootHostData;
  req: BootRequest;
  resolve(t: BootTimings): void;
  reject(e: Error): void;
}

interface Slot {
  worker: Worker;
  /** hosts this worker has been sent */
  known: Set<string>;
  job: Job | undefined;
}

/**
 * Bundle `entry` (bootworker.ts) to `bundlePath` and start `size` workers;
 * resolves once they run. A worker that dies fails its boot; when none is
 * left, boots fail.
 */
export async function startBootPool(entry: string, bundlePath: string, size: number): Promise<BootPool> {
  writeFileSync(bundlePath, await bundleTools(entry));
  const queue: Job[] = [];
  const slots: Slot[] = [];
  let nextId = 1;
  let closed = false;

  const dispatch = (): void => {
    for (const slot of slots) {
      if (slot.job) continue;
      const job = queue.shift();
      if (!job) return;
      slot.job = job;
      if (!slot.known.has(job.host.name)) {
        slot.known.add(job.host.name);
        slot.worker.postMessage({ type: 'host', host: job.host } satisfies ToBootWorker);
      }
      slot.worker.postMessage({ type: 'boot', id: job.id, name: job.host.name, ...job.req } satisfies ToBootWorker);
    }
  };
  const failAll = (e: Error): void => {
    for (const job of queue.splice(0)) job.reject(e);
  };

  const startOne = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const worker = new Worker(bundlePath, { execArgv: [] });
      worker.unref();
      const slot: Slot = { worker, known: new Set(), job: undefined };
      let ready = false;
      const lost = (e: Error): void => {
        const i = slots.indexOf(slot);
        if (i >= 0) slots.splice(i, 1);
        slot.job?.reject(e);
        slot.job = undefined;
        if (!ready) reject(e);
        if (slots.length === 0) failAll(e);
        else dispatch();
      };
      worker.on('message', (m: FromBootWorker) => {
        if (m.type === 'ready') {
          ready = true;
          slots.push(slot);
          resolve();
          dispatch();
          return;
        }
        const job = slot.job;
        slot.job = undefined;
        if (job && job.id === m.id) {
          if (m.type === 'done') job.resolve(m.timings);
          else job.reject(new Error(`real lab: ${job.host.name}: boot failed: ${m.message}`));
        }
        dispatch();
      });
      worker.on('error', (e) => lost(new Error(`real lab: boot worker failed: ${e.message}`)));
      worker.on('exit', () => lost(new Error('real lab: a boot worker exited')));
    });

  await Promise.all(Array.from({ length: Math.max(1, size) }, startOne));

  return {
    prepare: (host, req) =>
      new Promise<BootTimings>((resolve, reject) => {
        if (closed) return reject(new Error('real lab: stopped'));
        if (slots.length === 0) return reject(new Error('real lab: no boot worker left'));
        queue.push({ id: nextId++, host, req, resolve, reject });
        dispatch();
      }),
    terminate: async () => {
      closed = true;
      failAll(new Error('real lab: stopped'));
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };
}
