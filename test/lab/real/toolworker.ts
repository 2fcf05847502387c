// The lab's tool server, run in a worker thread (bundled by esbuild): a test
// that blocks its own event loop (execFileSync('ssh', ...)) must not block
// the tools the host runs meanwhile. Hosts are registered by message.
import { parentPort, workerData } from 'node:worker_threads';
import type { HostSpec } from '../../../src/lab/types.ts';
import { NodeFs } from '../../../src/lab/nodefs.ts';
import { runTool } from '../../../src/lab/tools/index.ts';
import { ToolServer } from './toolserver.ts';

export interface WorkerHost {
  token: string;
  spec: HostSpec;
  /** the host's root as this process reads it (/proc/<holder>/root/...) */
  rootDir: string;
}

export type ToWorker = { type: 'register'; hosts: WorkerHost[] };
export type FromWorker = { type: 'ready'; port: number } | { type: 'registered' } | { type: 'error'; message: string };

const port = parentPort;
if (port) {
  try {
    const server = await ToolServer.start((workerData as { address: string }).address);
    port.on('message', (m: ToWorker) => {
      if (m.type !== 'register') return;
      for (const h of m.hosts) {
        const fs = new NodeFs(h.rootDir);
        const control = {
          spec: h.spec,
          requestReboot(): void {
            fs.writeFile('/run/lab/reboot-request', `${new Date().toISOString()}\n`);
          },
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
