import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import { EventBus, type EngineEvent, type HostStatus } from '../../src/engine/events.ts';
import { SecretRegistry } from '../../src/util/secrets.ts';
import { createRenderer, type Renderer } from '../../src/ui/renderer.ts';
import { stripAnsi } from '../../src/ui/color.ts';
import { outcome, Sink, smallRun } from './fixtures/events.ts';

/** The last frame listr2 printed: what stays on the terminal after the run. */
function finalFrame(text: string): string {
  const end = text.lastIndexOf('\u001b[?25h'); // cursor shown again when the list ends
  const body = end === -1 ? text : text.slice(0, end);
  const start = body.lastIndexOf('\u001b[G'); // end of the last "erase lines" sequence
  return stripAnsi(start === -1 ? body : body.slice(start + 3));
}

/** Ends the run even when an assertion failed, so that listr2's spinner never keeps the process alive. */
function endOnExit(t: TestContext, bus: EventBus, r: Renderer): void {
  t.after(async () => {
    bus.emit({ type: 'run-end', interrupted: true, time: Date.now() });
    await r.done();
  });
}

function withEnv<T>(name: string, value: string | undefined, fn: () => T): T {
  const old = process.env[name];
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
  try {
    return fn();
  } finally {
    if (old === undefined) delete process.env[name];
    else process.env[name] = old;
  }
}

test('100 hosts x 10 steps at once: the event storm is fast and every host ends with its status', async (t) => {
  const bus = new EventBus();
  const out = new Sink(true);
  const secrets = new SecretRegistry();
  const stdoutWrite = process.stdout.write;
  let strayWrites = 0;
  process.stdout.write = ((...args: Parameters<typeof process.stdout.write>) => {
    if (String(args[0]).includes('compute-')) strayWrites++;
    return stdoutWrite.apply(process.stdout, args);
  }) as typeof process.stdout.write;
  try {
    const r = await withEnv('NO_COLOR', undefined, () => createRenderer(bus, { tty: true, out, diff: false, secrets }));
    endOnExit(t, bus, r);
    const play = 'pci-passthrough';
    const hosts = Array.from({ length: 100 }, (_, i) => `compute-${String(i + 1).padStart(3, '0')}`);
    const fate = (i: number): HostStatus => (i === 41 || i === 77 ? 'failed' : i === 99 ? 'unreachable' : 'changed');
    let now = Date.now();
    bus.emit({ type: 'run-start', check: false, plays: [play], hosts, time: now });
    bus.emit({ type: 'play-start', play, index: 0, hosts, batches: [hosts], time: now });
    bus.emit({ type: 'batch-start', play, index: 0, hosts, time: now });
    for (const host of hosts) bus.emit({ type: 'host-start', play, host, time: now });
    const alive = new Set(hosts);
    for (let s = 0; s < 10; s++) {
      const step = `step ${s + 1}`;
      for (const host of alive) bus.emit({ type: 'step-start', play, host, step, time: now });
      await tick();
      now += 7;
      for (const [i, host] of hosts.entries()) {
        if (!alive.has(host)) continue;
        const dies = fate(i) !== 'changed' && s === 3;
        const status = dies ? (fate(i) as 'failed' | 'unreachable') : s % 2 === 0 ? 'changed' : 'ok';
        const extra = dies ? { error: fate(i) === 'failed' ? 'grub-mkconfig exited 1' : 'connection lost', hint: 'look at the host' } : {};
        bus.emit({ type: 'step-end', play, host, step, time: now, outcome: outcome({ name: step, status, ...extra }) });
        if (dies) {
          bus.emit({ type: 'host-end', play, host, status: fate(i), time: now });
          alive.delete(host);
        }
      }
      await tick();
    }
    for (const host of alive) bus.emit({ type: 'host-end', play, host, status: 'changed', time: now });
    bus.emit({ type: 'batch-end', play, index: 0, failed: ['compute-042', 'compute-078'], time: now });
    bus.emit({ type: 'play-end', play, time: now });
    bus.emit({ type: 'run-end', interrupted: false, time: now });
    await r.done();

    const frame = finalFrame(out.text);
    assert.match(frame, /PLAY \[pci-passthrough\]\s+ok=0 changed=97 failed=2 unreachable=1/);
    for (const [i, host] of hosts.entries()) {
      const line = frame.split('\n').find((l) => l.includes(host));
      assert.ok(line, `${host} has a line`);
      if (fate(i) === 'changed') assert.match(line, /✔ compute-\d{3}\s+changed \(5 steps\)/);
      else if (fate(i) === 'failed') assert.match(line, /✖ compute-\d{3}\s+FAILED at step 4: grub-mkconfig exited 1/);
      else assert.match(line, /✖ compute-\d{3}\s+UNREACHABLE: connection lost/);
    }
    // failures are repeated with their hints under the list
    assert.match(stripAnsi(out.text), /compute-042 \| step 4: FAILED: grub-mkconfig exited 1\n {4}hint: look at the host/);
    assert.equal(strayWrites, 0, 'nothing went to process.stdout: only to out');
  } finally {
    process.stdout.write = stdoutWrite;
  }
});

test('while running: each host line shows its step and elapsed time, the play title live counts', async (t) => {
  const bus = new EventBus();
  const out = new Sink(true);
  let clock = Date.UTC(2024, 0, 15, 12, 0, 0);
  const r = await createRenderer(bus, { tty: true, out, diff: false, secrets: new SecretRegistry(), now: () => clock });
  endOnExit(t, bus, r);
  const play = 'site';
  const t0 = clock;
  bus.emit({ type: 'run-start', check: false, plays: [play], hosts: ['ctl-1', 'compute-1'], time: t0 });
  bus.emit({ type: 'play-start', play, index: 0, hosts: ['ctl-1', 'compute-1'], batches: [['ctl-1', 'compute-1']], time: t0 });
  bus.emit({ type: 'host-start', play, host: 'ctl-1', time: t0 });
  bus.emit({ type: 'host-start', play, host: 'compute-1', time: t0 });
  bus.emit({ type: 'step-start', play, host: 'compute-1', step: 'reboot', time: t0 });
  bus.emit({ type: 'step-end', play, host: 'ctl-1', step: 'nova.conf', time: t0, outcome: outcome({ name: 'nova.conf', status: 'ok' }) });
  bus.emit({ type: 'host-end', play, host: 'ctl-1', status: 'ok', time: t0 + 1500 });
  clock = t0 + 43_000;
  // let listr2 start and draw a frame or two
  for (let i = 0; i < 50 && !stripAnsi(out.text).includes('reboot  43.0s'); i++) await new Promise((res) => setTimeout(res, 20));
  const text = stripAnsi(out.text);
  assert.match(text, /compute-1\s+reboot {2}43\.0s/);
  assert.match(text, /PLAY \[site\]\s+ok=1 changed=0 failed=0 unreachable=0\s+1 running/);
  assert.match(text, /ctl-1\s+ok {2}1\.5s/);
  bus.emit({ type: 'step-end', play, host: 'compute-1', step: 'reboot', time: clock, outcome: outcome({ name: 'reboot', status: 'changed' }) });
  bus.emit({ type: 'host-end', play, host: 'compute-1', status: 'changed', time: clock });
  bus.emit({ type: 'play-end', play, time: clock });
  bus.emit({ type: 'run-end', interrupted: false, time: clock });
  await r.done();
  assert.match(finalFrame(out.text), /compute-1\s+changed \(1 step\)\s+43\.0s/);
});

test('interrupted: running hosts say where they stopped, plays never started are not run; diffs and warnings after the list, masked', async (t) => {
  const bus = new EventBus();
  const out = new Sink(true);
  const secrets = new SecretRegistry();
  secrets.add('Sup3rSecret');
  const r = await createRenderer(bus, { tty: true, out, diff: false, secrets });
  endOnExit(t, bus, r);
  const events = smallRun({ check: true, interrupted: true }).map((e): EngineEvent =>
    e.type === 'run-start' ? { ...e, plays: [...e.plays, 'nova'] } : e,
  );
  const runEnd = events.pop() as EngineEvent;
  for (const e of events) bus.emit(e);
  bus.emit({ type: 'warning', host: 'compute-2', message: 'sudo password Sup3rSecret was refused once', time: 0 });
  bus.emit(runEnd);
  await r.done();
  const frame = finalFrame(out.text);
  assert.match(frame, /compute-2\s+interrupted during kernel arguments/);
  assert.match(frame, /PLAY \[nova\]: not run/);
  const text = stripAnsi(out.text);
  assert.match(text, /compute-2 \| WARNING: sudo password \*{8} was refused once/);
  assert.doesNotMatch(text, /Sup3rSecret/);
  // check mode: the diffs are shown after the list
  assert.match(text, /\[compute-1\] kernel arguments\n--- \/etc\/default\/grub \(before\)\n\+\+\+ \/etc\/default\/grub \(after\)/);
});

test('NO_COLOR: no color codes on a terminal, only cursor movement', async (t) => {
  const bus = new EventBus();
  const out = new Sink(true);
  const r = await withEnv('NO_COLOR', '1', () => createRenderer(bus, { tty: true, out, diff: true, secrets: new SecretRegistry() }));
  endOnExit(t, bus, r);
  for (const e of smallRun()) bus.emit(e);
  await r.done();
  assert.match(out.text, /\u001b\[\?25l/, 'the live view was drawn');
  assert.doesNotMatch(out.text, /\u001b\[[0-9;]*m/);
});

test('not a terminal: plain lines, no cursor movement', async () => {
  const bus = new EventBus();
  const out = new Sink(false);
  const r = await createRenderer(bus, { tty: false, out, diff: false, secrets: new SecretRegistry() });
  for (const e of smallRun()) bus.emit(e);
  await r.done();
  assert.doesNotMatch(out.text, /\u001b/);
  assert.match(out.text, /^\d\d:\d\d:\d\d \[compute-1\] kernel arguments: changed \(add intel_iommu=on\)$/m);
});

test('a run that never reaches run-end (a crash) does not keep the process alive', async () => {
  const { execFile } = await import('node:child_process');
  const root = new URL('../../', import.meta.url).pathname;
  const script = `
    import { Writable } from 'node:stream';
    import { EventBus } from './src/engine/events.ts';
    import { SecretRegistry } from './src/util/secrets.ts';
    import { createRenderer } from './src/ui/renderer.ts';
    const out = Object.assign(new Writable({ write(c, e, cb) { cb(); } }), { isTTY: true });
    const bus = new EventBus();
    createRenderer(bus, { tty: true, out, diff: false, secrets: new SecretRegistry() });
    bus.emit({ type: 'run-start', check: false, plays: ['p'], hosts: ['h'], time: Date.now() });
    bus.emit({ type: 'play-start', play: 'p', index: 0, hosts: ['h'], batches: [['h']], time: Date.now() });
    bus.emit({ type: 'host-start', play: 'p', host: 'h', time: Date.now() });
    setTimeout(() => {}, 300); // the engine's last work, then nothing
  `;
  // kept alive, the child would be killed by execFile's timeout: no exit code 0
  const code = await new Promise<number | null>((resolve) => {
    const child = execFile(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, timeout: 10_000 }, () => undefined);
    child.on('exit', (c) => resolve(c));
  });
  assert.equal(code, 0, 'exited by itself');
});
