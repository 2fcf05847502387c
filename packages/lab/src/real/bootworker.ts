// A boot worker of the real lab (bundled by esbuild, run in a worker thread;
// see bootpool.ts): does the file work of hosts' boots (bootprep.ts) with the
// host model of src/lab/, so that the lab's main thread never waits on it.
// Hosts are sent once ('host'), then booted by name ('boot'); one boot at a
// time, answered in order.
import { parentPort } from 'node:worker_threads';
import { bootHost } from '../boot.ts';
import { NodeFs } from '../nodefs.ts';
import type { Ids } from './files.ts';
import { idsOf, prepareBoot, type BootHostData, type BootModel, type BootRequest, type BootTimings } from './bootprep.ts';

export type ToBootWorker = { type: 'host'; host: BootHostData } | ({ type: 'boot'; id: number; name: string } & BootRequest);
export type FromBootWorker =
  | { type: 'ready' }
  | { type: 'done'; id: number; timings: BootTimings }
  | { type: 'failed'; id: number; message: string };

const model: BootModel = { bootHost, makeFs: (rootDir) => new NodeFs(rootDir) };

const port = parentPort;
if (port) {
  const hosts = new Map<string, { data: BootHostData; ids: Ids }>();
  port.on('message', (m: ToBootWorker) => {
    if (m.type === 'host') {
      hosts.set(m.host.name, { data: m.host, ids: idsOf(m.host.passwd, m.host.group) });
      return;
    }
    const h = hosts.get(m.name);
    try {
      if (!h) throw new Error(`boot worker: no host ${m.name}`);
      const timings = prepareBoot(model, h.data, { bootId: m.bootId, first: m.first }, h.ids);
      port.postMessage({ type: 'done', id: m.id, timings } satisfies FromBootWorker);
    } catch (e) {
      port.postMessage({ type: 'failed', id: m.id, message: e instanceof Error ? e.message : String(e) } satisfies FromBootWorker);
    }
  });
  port.postMessage({ type: 'ready' } satisfies FromBootWorker);
}
