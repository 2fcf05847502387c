// The lab's tool server, run in a worker thread (bundled by esbuild): a test
// that blocks its own event loop (execFileSync('ssh', ...)) must not block
// the tools the host runs meanwhile. Hosts are registered by message.
//
// The worker owns the lab's nova checker (src/lab/tools/novacheck-run.ts:
// one python3 that imported nova once, answering every unit start's check):
// started when the lab asks ('warm-nova'), or at the first check; killed when
// the lab asks ('stop-nova') and with the worker's thread otherwise. Every
// checker process started is reported ('nova-pid'), so the lab can kill it
// on its own when the process exits.
import { parentPort, workerData } from 'node:worker_threads';
import type { HostSpec } from '../types.ts';
import { NodeFs } from '../nodefs.ts';
import { runTool } from '../tools/index.ts';
import { closeNovaChecker, configureNovaChecker, warmNovaChecker } from '../tools/novacheck-run.ts';
import { ToolServer } from './toolserver.ts';

export interface WorkerHost {
  token: string;
  spec: HostSpec;
  /** the host's root as this process reads it (/proc/<holder>/root/...) */
  rootDir: string;
}

export interface WorkerData {
  /** the tool server's address */
  address: string;
  /** nova_check.py as this process reads it (the bundle runs from elsewhere than src/lab/tools/) */
  novaCheckScript?: string;
}

export type ToWorker = { type: 'register'; hosts: WorkerHost[] } | { type: 'warm-nova' } | { type: 'stop-nova' };
export type FromWorker =
  | { type: 'ready'; port: number }
  | { type: 'registered' }
  | { type: 'error'; message: string }
  /** the nova checker can answer (available) or nova's code will not be used */
  | { type: 'nova-warm'; available: boolean }
  | { type: 'nova-stopped' }
  | { type: 'nova-pid'; pid: number };

const port = parentPort;
if (port) {
  try {
    const data = workerData as WorkerData;
    configureNovaChecker({
      ...(data.novaCheckScript !== undefined ? { script: data.novaCheckScript } : {}),
      onSpawn: (pid) => port.postMessage({ type: 'nova-pid', pid } satisfies FromWorker),
    });
    const server = await ToolServer.start(data.address);
    // every registered host's files, for the cloud's view of a compute (LabHostControl.peer)
    const peers = new Map<string, { spec: HostSpec; fs: NodeFs }>();
    port.on('message', (m: ToWorker) => {
      if (m.type === 'warm-nova') {
        void warmNovaChecker().then((available) => port.postMessage({ type: 'nova-warm', available } satisfies FromWorker));
        return;
      }
      if (m.type === 'stop-nova') {
        void closeNovaChecker().then(() => port.postMessage({ type: 'nova-stopped' } satisfies FromWorker));
        return;
      }
      for (const h of m.hosts) peers.set(h.spec.name, { spec: h.spec, fs: new NodeFs(h.rootDir) });
      for (const h of m.hosts) {
        const fs = new NodeFs(h.rootDir);
        const control = {
          spec: h.spec,
          requestReboot(): void {
            fs.writeFile('/run/lab/reboot-request', `${new Date().toISOString()}\n`);
          },
          peer: (name: string) => peers.get(name),
        };
        server.register(h.token, async (req) => {
          const env: Record<string, string> = { ...req.env, PWD: req.cwd };
          // as src/lab/tools/cli.ts: the caller is root when its uid is 0 (as after sudo)
          if (req.uid === 0) env['USER'] = 'root';
          else if (env['USER'] === 'root' || env['USER'] === undefined) env['USER'] = `uid${req.uid}`;
          return runTool(req.tool, req.args, '', env, fs, control);
        });
      }
      port.postMessage({ type: 'registered' } satisfies FromWorker);
    });
    port.postMessage({ type: 'ready', port: server.port } satisfies FromWorker);
  } catch (e) {
    port.postMessage({ type: 'error', message: e instanceof Error ? e.message : String(e) } satisfies FromWorker);
  }
}
