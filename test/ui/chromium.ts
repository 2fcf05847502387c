// Headless Chromium driven over the DevTools protocol on a pipe
// (--remote-debugging-pipe: requests on fd 3, answers on fd 4, each message
// JSON ended by a NUL byte). No npm dependency: Debian's `chromium` package
// and node:child_process are enough. Used by the HTML report's test and its
// benchmark.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

export const CHROMIUM = process.env['CHROMIUM'] ?? 'chromium';

/** Why Chromium cannot be used here, or undefined when it can. */
export function chromiumMissing(): string | undefined {
  const r = spawnSync(CHROMIUM, ['--version'], { encoding: 'utf8', timeout: 20_000 });
  if (r.error || r.status !== 0) return `SKIPPED: needs Debian's chromium package (${CHROMIUM} --version failed: ${r.error?.message ?? r.stderr.trim()})`;
  return undefined;
}

interface Pending {
  resolve(v: Record<string, unknown>): void;
  reject(e: Error): void;
}

export interface Page {
  /** every URL the page asked for (the document included) */
  requests: string[];
  /** run an expression in the page; its value comes back as JSON */
  evaluate<T>(expression: string): Promise<T>;
  screenshot(path: string, fullPage?: boolean): Promise<void>;
  /** Chromium's own counters of the page's main thread: ScriptDuration, LayoutDuration, RecalcStyleDuration, TaskDuration (seconds)... */
  metrics(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

export async function openPage(url: string, size: { width: number; height: number } = { width: 1400, height: 900 }): Promise<Page> {
  const profile = mkdtempSync(join(tmpdir(), 'passthru-chromium-'));
  const child: ChildProcess = spawn(
    CHROMIUM,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--remote-debugging-pipe',
      '--no-first-run',
      '--no-default-browser-check',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-extensions',
      '--hide-scrollbars',
      `--user-data-dir=${profile}`,
      'about:blank',
    ],
    { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] },
  );
  const toChrome = child.stdio[3] as Writable;
  const fromChrome = child.stdio[4] as Readable;
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  let nextId = 1;
  const pending = new Map<number, Pending>();
  const listeners: Array<(m: Record<string, unknown>) => void> = [];
  let buffer = '';
  fromChrome.on('data', (d: Buffer) => {
    buffer += d.toString();
    let i: number;
    while ((i = buffer.indexOf('\0')) >= 0) {
      const msg = JSON.parse(buffer.slice(0, i)) as Record<string, unknown>;
      buffer = buffer.slice(i + 1);
      const id = msg['id'];
      if (typeof id === 'number' && pending.has(id)) {
        const p = pending.get(id) as Pending;
        pending.delete(id);
        if (msg['error']) p.reject(new Error(`chromium: ${JSON.stringify(msg['error'])}`));
        else p.resolve((msg['result'] ?? {}) as Record<string, unknown>);
      } else {
        for (const l of listeners) l(msg);
      }
    }
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => {
    for (const p of pending.values()) p.reject(new Error(`chromium exited: ${stderr}`));
    pending.clear();
  });
  const send = (method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      toChrome.write(`${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`);
    });
  const event = (method: string, sessionId: string): Promise<Record<string, unknown>> =>
    new Promise((resolve) => {
      const l = (m: Record<string, unknown>): void => {
        if (m['method'] === method && m['sessionId'] === sessionId) {
          listeners.splice(listeners.indexOf(l), 1);
          resolve(m);
        }
      };
      listeners.push(l);
    });

  const { targetId } = (await send('Target.createTarget', { url: 'about:blank' })) as { targetId: string };
  const { sessionId } = (await send('Target.attachToTarget', { targetId, flatten: true })) as { sessionId: string };
  const requests: string[] = [];
  listeners.push((m) => {
    if (m['method'] === 'Network.requestWillBeSent' && m['sessionId'] === sessionId) {
      requests.push(String((m['params'] as { request: { url: string } }).request.url));
    }
  });
  await send('Page.enable', {}, sessionId);
  await send('Network.enable', {}, sessionId);
  await send('Performance.enable', {}, sessionId);
  await send('Emulation.setDeviceMetricsOverride', { width: size.width, height: size.height, deviceScaleFactor: 1, mobile: false }, sessionId);
  const loaded = event('Page.loadEventFired', sessionId);
  await send('Page.navigate', { url }, sessionId);
  await loaded;

  const evaluate = async <T>(expression: string): Promise<T> => {
    const r = (await send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true }, sessionId)) as {
      result: { value: T };
      exceptionDetails?: { text: string; exception?: { description?: string } };
    };
    if (r.exceptionDetails) throw new Error(`in the page: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
    return r.result.value;
  };
  return {
    requests,
    evaluate,
    async screenshot(path, fullPage = false) {
      const params: Record<string, unknown> = { format: 'png' };
      if (fullPage) {
        const h = await evaluate<number>('document.documentElement.scrollHeight');
        params['clip'] = { x: 0, y: 0, width: size.width, height: Math.min(h, 4000), scale: 1 };
        params['captureBeyondViewport'] = true;
      }
      const { data } = (await send('Page.captureScreenshot', params, sessionId)) as { data: string };
      writeFileSync(path, Buffer.from(data, 'base64'));
    },
    async metrics() {
      const { metrics } = (await send('Performance.getMetrics', {}, sessionId)) as { metrics: Array<{ name: string; value: number }> };
      return Object.fromEntries(metrics.map((m) => [m.name, m.value]));
    },
    async close() {
      await send('Browser.close').catch(() => undefined);
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(killer);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
