import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventBus, type EngineEvent } from '../../src/engine/events.ts';
import { SecretRegistry } from '../../src/util/secrets.ts';
import { createRenderer } from '../../src/ui/renderer.ts';
import { painter, stripAnsi } from '../../src/ui/color.ts';
import { visibleWidth } from '../../src/ui/text-width.ts';
import { frame } from '../../src/ui/live/layout.ts';
import { LiveModel } from '../../src/ui/live/model.ts';
import { emitAll, outcome, Sink, smallRun, at } from './fixtures/events.ts';

const ALT_ON = '\u001b[?1049h';
const ALT_OFF = '\u001b[?1049l';

/** A play of `n` hosts, 5 of them failed, 30 down for a reboot, the rest running or done. */
function bigRun(n: number): { model: LiveModel; events: EngineEvent[] } {
  const hosts = Array.from({ length: n }, (_, i) => `cmp${String(i + 1).padStart(4, '0')}`);
  const plays = ['Preflight', 'Roll out', 'Verify'];
  const ev: EngineEvent[] = [
    { type: 'run-start', check: false, plays, hosts, time: at(0) },
    { type: 'play-start', play: 'Preflight', index: 0, hosts, batches: [hosts], time: at(0) },
  ];
  for (const host of hosts) ev.push({ type: 'host-start', play: 'Preflight', host, time: at(0) }, { type: 'host-end', play: 'Preflight', host, status: 'ok', time: at(1) });
  ev.push({ type: 'play-end', play: 'Preflight', time: at(1) });
  ev.push({ type: 'play-start', play: 'Roll out', index: 1, hosts, batches: [hosts], time: at(1) });
  hosts.forEach((host, i) => {
    if (i >= n - 10) return; // waiting
    ev.push({ type: 'host-start', play: 'Roll out', host, time: at(1) });
    if (i < 5) {
      ev.push({ type: 'step-start', play: 'Roll out', host, step: 'kernel arguments', time: at(2) });
      ev.push({ type: 'step-end', play: 'Roll out', host, step: 'kernel arguments', time: at(3), outcome: outcome({ name: 'kernel arguments', status: 'failed', error: `grub2-mkconfig exited 1 on ${host}: a very long error message that goes on and on well past the width of any terminal one might have\nsecond line` }) });
      ev.push({ type: 'host-end', play: 'Roll out', host, status: 'failed', time: at(3) });
    } else if (i < 35) {
      ev.push({ type: 'step-start', play: 'Roll out', host, step: 'reboot to enable the IOMMU', kind: 'reboot', time: at(4) }, { type: 'step-apply', play: 'Roll out', host, step: 'reboot to enable the IOMMU', kind: 'reboot', time: at(4) });
    } else if (i < n / 2) {
      ev.push({ type: 'step-start', play: 'Roll out', host, step: 'nova.conf', time: at(5) });
      ev.push({ type: 'host-end', play: 'Roll out', host, status: 'changed', time: at(9) });
    } else {
      ev.push({ type: 'step-start', play: 'Roll out', host, step: 'kernel arguments', time: at(6) });
    }
  });
  const model = new LiveModel();
  for (const e of ev) model.apply(e);
  return { model, events: ev };
}

const plain = painter(false);
const opts = (width: number, height: number, now = at(20)) => ({ width, height, now, paint: plain, mask: (s: string) => s });

test('1000 hosts at 80x24: the frame fits, every failed host is there with its error, reboots with their time down, the rest counted', () => {
  const { model } = bigRun(1000);
  const lines = frame(model, opts(80, 24));
  assert.ok(lines.length <= 24, `${lines.length} lines`);
  for (const l of lines) assert.ok(visibleWidth(l) <= 80, `too wide: ${l}`);
  const text = lines.join('\n');
  for (let i = 1; i <= 5; i++) assert.match(text, new RegExp(`✗ cmp000${i}\\s+FAILED kernel arguments: grub2-mkconfig exited 1`));
  assert.match(text, /^✓ PLAY \[Preflight\]  ok=1000 {2}1\.0s$/m, 'the finished play is one line with its counts');
  assert.match(text, /^▸ PLAY \[Roll out\]/m);
  assert.match(text, /^· PLAY \[Verify\]$/m);
  assert.match(text, /470\/1000 hosts {2}47%/);
  assert.match(text, /↻ cmp0006\s+reboot to enable the IOMMU: down 16\.0s/);
  // what is not shown is counted: shown + counted = every failed, rebooting and running host
  const shown = lines.filter((l) => /^ {2}[✗↻▸] /.test(l)).length;
  const more = /… not shown \(the terminal has 24 lines\): (?:(\d+) failed, )?(?:(\d+) rebooting, )?(?:(\d+) running)?$/m.exec(text);
  assert.ok(more, text);
  const counted = Number(more[1] ?? 0) + Number(more[2] ?? 0) + Number(more[3] ?? 0);
  assert.equal(shown + counted, 5 + 30 + 490);
  assert.equal(text.match(/PLAY \[Roll out\]/g)?.length, 1);
});

test('any size from 80x24 up, and a tiny one: no line wider than the terminal, never more lines than it has', () => {
  const { model } = bigRun(200);
  for (const [w, h] of [[80, 24], [200, 60], [100, 30], [40, 10], [20, 5]] as const) {
    const lines = frame(model, opts(w, h));
    assert.ok(lines.length <= h, `${w}x${h}: ${lines.length} lines`);
    for (const l of lines) assert.ok(visibleWidth(l) <= w, `${w}x${h}: ${l}`);
  }
  // at 200x60 and 200 hosts: the failures and every reboot fit
  const text = frame(model, opts(200, 60)).join('\n');
  assert.equal(text.match(/↻ /g)?.length, 30);
  assert.equal(text.match(/✗ /g)?.length, 5);
});

test('the ETA shows once enough hosts finished', () => {
  const hosts = Array.from({ length: 40 }, (_, i) => `h${i}`);
  const m = new LiveModel();
  m.apply({ type: 'run-start', check: false, plays: ['p'], hosts, time: at(0) });
  m.apply({ type: 'play-start', play: 'p', index: 0, hosts, batches: [hosts], time: at(0) });
  for (const host of hosts) m.apply({ type: 'host-start', play: 'p', host, time: at(0) });
  m.apply({ type: 'host-end', play: 'p', host: 'h0', status: 'ok', time: at(10) });
  assert.doesNotMatch(frame(m, opts(100, 30, at(11))).join('\n'), /ETA/);
  for (const host of ['h1', 'h2']) m.apply({ type: 'host-end', play: 'p', host, status: 'ok', time: at(10) });
  assert.match(frame(m, opts(100, 30, at(11))).join('\n'), /3\/40 hosts {2}7% {2}ETA 0\.0s/);
  assert.match(frame(m, opts(100, 30, at(4))).join('\n'), /ETA 6\.0s/);
});

test('on a terminal: nothing before the first event; frames on the alternate screen; stop() gives the screen back, start() takes it again; the end is printed once on the normal screen', async () => {
  const bus = new EventBus();
  const out = new Sink(true);
  out.columns = 80;
  out.rows = 24;
  const secrets = new SecretRegistry();
  secrets.add('hunter2-secret');
  const r = await createRenderer(bus, { tty: true, out, diff: false, secrets });
  assert.equal(out.text, '', 'nothing is drawn before the engine says anything');
  const events = smallRun({ check: true });
  emitAll(bus, events.slice(0, 5));
  assert.ok(out.text.startsWith(ALT_ON), 'the view draws on the alternate screen');
  assert.match(stripAnsi(out.text), /PLAY \[pci-passthrough\]/);
  r.stop();
  assert.ok(out.text.endsWith(`${ALT_OFF}`), 'stop() leaves the alternate screen');
  const stopped = out.text.length;
  emitAll(bus, events.slice(5, 8));
  bus.emit({ type: 'warning', host: 'compute-1', message: 'password hunter2-secret seen', time: at(2) });
  assert.equal(out.text.length, stopped, 'nothing is drawn while stopped (a question may be on screen)');
  r.start();
  assert.ok(out.text.slice(stopped).startsWith(ALT_ON));
  emitAll(bus, events.slice(8));
  await r.done();
  const end = out.text.lastIndexOf(ALT_OFF);
  assert.ok(end > stopped);
  const after = stripAnsi(out.text.slice(end + ALT_OFF.length));
  assert.doesNotMatch(after, /\u001b/, 'the normal screen gets plain text');
  assert.equal(after.match(/PLAY \[pci-passthrough\]/g)?.length, 1, 'one line for the play');
  assert.match(after, /✗ PLAY \[pci-passthrough\] \(check\) {2}ok=0 changed=1 failed=1 {2}4\.0s/);
  assert.match(after, /compute-1\n {2}kernel arguments: changed \(add intel_iommu=on\)/);
  assert.match(after, /compute-2 \| kernel arguments: FAILED: VT-d is disabled in the firmware\n {4}hint: enable VT-d/);
  assert.match(after, /\+GRUB_CMDLINE_LINUX="intel_iommu=on iommu=pt"/, 'check mode: the diffs');
  assert.match(after, /WARNING: password \*+/);
  assert.doesNotMatch(out.text, /hunter2-secret/);
});

test('a resize redraws at the new size', async () => {
  const bus = new EventBus();
  const out = new Sink(true);
  out.columns = 200;
  out.rows = 60;
  const r = await createRenderer(bus, { tty: true, out, diff: false, secrets: new SecretRegistry() });
  const { events } = bigRun(300);
  emitAll(bus, events);
  out.columns = 80;
  out.rows = 24;
  const before = out.text.length;
  out.emit('resize');
  const redraw = out.text.slice(before);
  const rows = redraw.split(/\u001b\[\d+;1H/).slice(1, -1).map((l) => stripAnsi(l.replace('\u001b[2K', '')));
  assert.ok(rows.length > 10 && rows.length <= 24, `${rows.length} rows`);
  for (const l of rows) assert.ok(visibleWidth(l) <= 80, l);
  bus.emit({ type: 'run-end', interrupted: true, time: at(30) });
  await r.done();
});

test('not a terminal: plain lines, no screen switching', async () => {
  const bus = new EventBus();
  const out = new Sink(false);
  const r = await createRenderer(bus, { tty: false, out, diff: false, secrets: new SecretRegistry() });
  emitAll(bus, smallRun());
  await r.done();
  assert.doesNotMatch(out.text, /\u001b/);
  assert.match(out.text, /^12:01:00\.000 passthru: 1 play on 2 hosts$/m);
});
