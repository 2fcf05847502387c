// Runs main() of src/cli.ts on request, in a worker thread of the test's own
// process, with what main writes to stdout and stderr captured (the worker's
// streams are its own, so the test runner's output is left alone).
import { parentPort } from 'node:worker_threads';
import { main } from '../../src/cli.ts';

interface Request {
  id: number;
  argv: string[];
}

const port = parentPort;
if (!port) throw new Error('main-worker.ts runs as a worker thread');

port.on('message', (req: Request) => {
  void (async () => {
    const out: string[] = [];
    const err: string[] = [];
    const capture = (sink: string[]) =>
      ((chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
        sink.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
        const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
        cb?.();
        return true;
      }) as typeof process.stdout.write;
    const origOut = process.stdout.write;
    const origErr = process.stderr.write;
    process.stdout.write = capture(out);
    process.stderr.write = capture(err);
    let code: number;
    try {
      code = await main(req.argv);
    } catch (e) {
      // main never throws; if it does, that is what the test reports
      err.push(`main() threw: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      code = -1;
    } finally {
      process.stdout.write = origOut;
      process.stderr.write = origErr;
    }
    port.postMessage({ id: req.id, code, stdout: out.join(''), stderr: err.join('') });
  })();
});
