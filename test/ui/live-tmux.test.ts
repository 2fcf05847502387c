// The live view on a real terminal: `passthru run` in a tmux pane (80x24
// with the 5 hosts of the demo lab, 200x60 with 90 hosts, more than its rows
// hold, resized to 100x30 halfway), against the embedded lab; one compute has no vmx and
// fails. The screen is captured every 200 ms while the view runs, then the
// whole scrollback once the run is over. The last mid-rollout screens are
// kept as artifacts (test/artifacts/live-WxH.txt).

import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { visibleWidth } from '../../src/ui/text-width.ts';
import { BIN, NO_VMX_ERROR, PLAYBOOK, startUiLab } from './lab-run.ts';

const ARTIFACTS = resolve(process.env['PASSTHRU_ARTIFACTS'] ?? 'test/artifacts');
const SOCKET = `passthru-ui-test-${process.pid}`;
const run = promisify(execFile);
const haveTmux = spawnSync('tmux', ['-V']).status === 0;

/** tmux, without blocking the event loop: the embedded lab's hosts answer from this process. */
async function tmux(...args: string[]): Promise<string> {
  try {
    const { stdout } = await run('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (e) {
    throw new Error(`tmux ${args.join(' ')}: ${(e as { stderr?: string }).stderr ?? String(e)}`);
  }
}

interface Screen {
  width: number;
  height: number;
  alternate: boolean;
  lines: string[];
}

async function capture(): Promise<Screen> {
  const [w, h, alt] = (await tmux('display-message', '-p', '-t', 'ui', '#{pane_width} #{pane_height} #{alternate_on}')).trim().split(' ');
  // -J joins wrapped lines: a line wider than the pane shows as one long line
  const text = await tmux('capture-pane', '-p', '-J', '-t', 'ui');
  return { width: Number(w), height: Number(h), alternate: alt === '1', lines: text.replace(/\n$/, '').split('\n') };
}

const PLAYS = ['Preflight and GPU discovery', 'Roll out', 'kolla-ansible deploy host', 'Verify', 'Verify guests'];

async function watchRun(o: { width: number; height: number; hosts: number; resize?: { width: number; height: number } }) {
  const lab = await startUiLab(o.hosts);
  try {
    const conf = join(lab.dir, 'tmux.conf');
    writeFileSync(conf, 'set -g history-limit 100000\n');
    const cmd = `node ${BIN} run ${PLAYBOOK} -i ${lab.cluster.inventoryPath} -e image=cirros-0.6.2-x86_64-disk -e flavor=gpu.large -e instances=migrate --yes; echo PASSTHRU-EXIT=$?; sleep 600`;
    await tmux('-f', conf, 'new-session', '-d', '-s', 'ui', '-x', String(o.width), '-y', String(o.height), cmd);
    const screens: Screen[] = [];
    let resized = false;
    let rollingOutSince: number | undefined;
    // a busy machine (2 cores shared) makes many hosts slow: the limit is generous
    const deadline = Date.now() + 540_000;
    for (;;) {
      const s = await capture();
      if (s.lines.some((l) => l.startsWith('PASSTHRU-EXIT='))) break;
      if (s.alternate) screens.push(s);
      if (s.alternate && s.lines.some((l) => l.startsWith('▸ PLAY [Roll out]'))) rollingOutSince ??= Date.now();
      // resized once the rollout has been on screen for 2 s
      if (o.resize && !resized && rollingOutSince !== undefined && Date.now() - rollingOutSince >= 2000) {
        await tmux('resize-window', '-t', 'ui', '-x', String(o.resize.width), '-y', String(o.resize.height));
        resized = true;
      }
      if (Date.now() > deadline) throw new Error(`the run did not end within 540 s; last screen:\n${s.lines.join('\n')}`);
      await sleep(200);
    }
    const history = await tmux('capture-pane', '-p', '-J', '-S', '-', '-E', '-', '-t', 'ui');
    return { screens, history, failing: lab.failing, resized };
  } finally {
    await tmux('kill-session', '-t', 'ui').catch(() => undefined);
    await lab.stop();
  }
}

function checkScreens(screens: Screen[], failing: string): void {
  assert.ok(screens.length >= 3, `only ${screens.length} screens of the live view were seen`);
  for (const s of screens) {
    const where = `${s.width}x${s.height} screen:\n${s.lines.join('\n')}`;
    assert.ok(s.lines.length <= s.height, where);
    for (const l of s.lines) assert.ok(visibleWidth(l) <= s.width, `a line wider than the terminal (${visibleWidth(l)} > ${s.width}) in the ${where}`);
    for (const p of PLAYS) assert.ok(s.lines.filter((l) => l.includes(`PLAY [${p}]`)).length <= 1, `PLAY [${p}] twice on the ${where}`);
  }
  const withError = screens.filter((s) => s.lines.some((l) => l.includes(failing) && l.includes(NO_VMX_ERROR.slice(0, 24))));
  assert.ok(withError.length > 0, `the failed host's error was never on screen; last screen:\n${screens.at(-1)?.lines.join('\n')}`);
}

function checkScrollback(history: string, failing: string): void {
  const lines = history.split('\n');
  for (const p of PLAYS) assert.equal(lines.filter((l) => l.includes(`PLAY [${p}]`)).length, 1, `PLAY [${p}] not exactly once in the scrollback:\n${history}`);
  assert.ok(!/[█░]|ETA |not shown \(the terminal/.test(history), `a frame of the live view was left in the scrollback:\n${history}`);
  assert.ok(lines.some((l) => l.includes(failing) && l.includes(NO_VMX_ERROR)), `the failed host's error is not in the scrollback:\n${history}`);
  assert.ok(lines.includes('PASSTHRU-EXIT=2'), history.slice(-2000));
}

function keep(name: string, screens: Screen[]): void {
  // the last screen with the rollout under way, with hosts down for their reboot if there was one
  const rolling = screens.filter((x) => x.lines.some((l) => l.startsWith('▸ PLAY [Roll out]')));
  const s = rolling.findLast((x) => x.lines.some((l) => l.includes('↻ '))) ?? rolling.at(-1) ?? screens.at(-1);
  if (!s) return;
  mkdirSync(ARTIFACTS, { recursive: true });
  writeFileSync(join(ARTIFACTS, name), `${s.lines.join('\n')}\n`);
}

describe('the live view in tmux, on the embedded lab', { skip: haveTmux ? undefined : 'SKIPPED: needs tmux', timeout: 1_200_000 }, () => {
  after(() => {
    spawnSync('tmux', ['-L', SOCKET, 'kill-server']);
  });

  it('80x24, 5 hosts: every screen fits, each play once, the failed host with its error; nothing stale in the scrollback', async () => {
    const { screens, history, failing } = await watchRun({ width: 80, height: 24, hosts: 5 });
    checkScreens(screens, failing);
    checkScrollback(history, failing);
    keep('live-80x24.txt', screens);
  });

  it('200x60, 90 hosts (more than the rows), resized to 100x30 halfway: the same, at both sizes, the hosts not shown counted', async () => {
    const { screens, history, failing, resized } = await watchRun({ width: 200, height: 60, hosts: 90, resize: { width: 100, height: 30 } });
    assert.ok(resized, 'the run ended before it could be resized');
    checkScreens(screens, failing);
    assert.ok(screens.some((s) => s.width === 200) && screens.some((s) => s.width === 100), 'screens at both sizes');
    // at 100x30 after the resize, the view is redrawn to the new size: full height is used, nothing wider
    const small = screens.filter((s) => s.width === 100);
    assert.ok(small.some((s) => s.lines.length > 20), small.at(-1)?.lines.join('\n'));
    // more hosts than rows: those that do not fit are counted, not dropped
    assert.ok(screens.some((s) => s.lines.some((l) => /… not shown \(the terminal has \d+ lines\): .*\d+ (running|rebooting)/.test(l))), 'no screen counted the hosts it could not show');
    checkScrollback(history, failing);
    keep('live-200x60.txt', screens.filter((s) => s.width === 200));
  });
});
