// The plan, one visible question, then the change. On the real-sshd lab:
// - without a terminal and without --yes, a run that would change something
//   prints its plan and refuses before touching any host;
// - on a terminal (tmux), the plan is on screen with the question under it,
//   no live-view frame is drawn while it waits; `n` leaves every file on
//   every host byte-identical, `y` is taken and the run goes on;
// - nothing is asked when nothing would change.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { demoCluster } from '@passthru/lab/specs.ts';
import type { RealLab } from '@passthru/lab/real/lab.ts';
import { CLI, REPO, assertNoStack, cliEnv, labUnavailable, playbookWithoutNovaCheck, runCli, scratch, sha256, sleep, startFaultLab } from './helpers.ts';

const run = promisify(execFile);
const unavailable = labUnavailable('test/faults/plan-question.test.ts');
const HOSTS = ['controller', 'gpu-rtx', 'gpu-t4'];
/** files and runtime state (unit states, journal) a run could change */
const PATHS = ['/etc', '/boot', '/root', '/var/lib', '/run/lab', '/var/log/lab'];
/** this machine may be busy: planning or running the whole playbook gets minutes */
const LONG = 420_000;

/** This machine's own file (the lab hosts' /etc lies over it): its hash, or undefined. */
function machineHash(path: string): string | undefined {
  try {
    return statSync(path).isFile() ? sha256(readFileSync(path)) : undefined;
  } catch {
    return undefined;
  }
}

type Snapshot = Record<string, Record<string, string>>;

/**
 * The files that differ between two snapshots, per host, leaving out what
 * changed on this machine underneath the lab (other test runs write
 * /etc/sudoers.d here): a file whose state on the host is the machine's.
 */
function changedOnHosts(before: Snapshot, after: Snapshot): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const host of Object.keys(before)) {
    const a = before[host]!;
    const b = after[host] ?? {};
    const changed = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((p) => a[p] !== b[p] && !(p.startsWith('/') && b[p] === machineHash(p)));
    if (changed.length > 0) out[host] = changed.sort();
  }
  return out;
}

async function tmuxMissing(): Promise<string | undefined> {
  try {
    await run('tmux', ['-V']);
    return undefined;
  } catch {
    process.stderr.write('\n*** SKIPPED the terminal tests of test/faults/plan-question.test.ts: needs tmux (not installed) ***\n\n');
    return 'needs tmux (not installed)';
  }
}

/** The CLI on a real terminal: a detached tmux session on a socket of its own. */
class Terminal {
  readonly socket = `passthru-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  constructor(private readonly script: string) {}
  private tmux(...args: string[]): Promise<{ stdout: string }> {
    return run('tmux', ['-L', this.socket, ...args]);
  }
  async start(): Promise<void> {
    await this.tmux('new-session', '-d', '-s', 'run', '-x', '160', '-y', '200', `sh ${this.script}`);
  }
  /** the whole pane, scrollback included */
  async screen(): Promise<string> {
    return (await this.tmux('capture-pane', '-p', '-J', '-t', 'run', '-S', '-')).stdout;
  }
  async waitFor(re: RegExp, ms: number): Promise<string> {
    const deadline = Date.now() + ms;
    let last = '';
    while (!re.test((last = await this.screen()))) {
      if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${re} on the terminal; the screen:\n${last}`);
      await sleep(250);
    }
    return last;
  }
  async keys(...keys: string[]): Promise<void> {
    await this.tmux('send-keys', '-t', 'run', ...keys);
  }
  async stop(): Promise<void> {
    await this.tmux('kill-server').catch(() => undefined);
  }
}

describe('the plan and the question before the first change', { skip: unavailable ? `SKIPPED: ${unavailable}` : false }, () => {
  let lab: RealLab;
  const tmp = scratch();
  let playbook = '';
  // the demo lab's computes run instances; with both computes draining there is nowhere to migrate them: they are stopped and started again
  const args = (extra: string[] = []): string[] => ['run', playbook, '-i', lab.inventoryPath, '-e', 'image=cirros-0.6.2-x86_64-disk', '-e', 'instances=stop', ...extra];
  const snapshot = (): Snapshot => Object.fromEntries(HOSTS.map((h) => [h, { ...lab.fileHashes(h, PATHS), boot: lab.bootId(h) }]));
  /** a shell script that runs the CLI on the terminal and then says how it ended */
  const terminalScript = (name: string, cliArgs: string[]): string =>
    tmp.file(
      name,
      `cd ${REPO}\nexport HOME=${tmp.dir} NO_COLOR=1 TERM=xterm-256color\nunset SSH_AUTH_SOCK NODE_OPTIONS NODE_TEST_CONTEXT CI\n` +
        `${process.execPath} ${CLI} ${cliArgs.map((a) => `'${a}'`).join(' ')}\necho "CLI-EXIT=$?"\nsleep 600\n`,
    );

  before(async () => {
    lab = await startFaultLab(demoCluster().filter((s) => HOSTS.includes(s.name)));
    playbook = playbookWithoutNovaCheck(tmp.dir);
  });
  after(async () => {
    await lab?.stop();
    tmp.remove();
  });

  it('without a terminal and without --yes: the plan, a refusal, every host byte-identical', { timeout: 900_000 }, async () => {
    const before = snapshot();
    const r = await runCli(args(), { env: cliEnv(tmp.dir), timeoutMs: LONG });
    assertNoStack(r.stdout + r.stderr);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /^Plan \(nothing has been changed yet\): play 'Roll out'/m);
    assert.match(r.stdout, /^ {2}gpu-rtx\n(?: {4}.*\n)*? {4}~ kernel arguments: /m, 'a line per change, under its host');
    assert.match(r.stdout, /^ {4}~ nova\.conf: \/etc\/nova\/nova\.conf: /m);
    assert.match(r.stdout, /refusing to change 3 hosts without a terminal to ask on: add --yes to apply this plan, or run --check first to review it/);
    assert.match(r.stdout, /^nothing was changed$/m);
    assert.doesNotMatch(r.stdout, /PLAY RECAP/, 'the run did not start');
    assert.deepEqual(changedOnHosts(before, snapshot()), {}, 'files changed on the hosts');
  });

  it('on a terminal: the plan above the question, nothing drawn while it waits; `n` changes nothing and exits 1', { timeout: 900_000 }, async (t) => {
    const missing = await tmuxMissing();
    if (missing) return t.skip(`SKIPPED: ${missing}`);
    const before = snapshot();
    const term = new Terminal(terminalScript('answer-no.sh', args(['--diff'])));
    t.after(() => term.stop());
    await term.start();
    const asking = await term.waitFor(/Apply these changes to 3 hosts\? \[y\/N\]\s*$/m, LONG);
    const question = asking.indexOf('Apply these changes');
    const plan = asking.indexOf("Plan (nothing has been changed yet): play 'Roll out'");
    assert.ok(plan >= 0 && plan < question, `the plan is not above the question:\n${asking}`);
    assert.match(asking.slice(plan, question), / {4}~ reboot to enable the IOMMU: reboot and wait/);
    assert.match(asking.slice(plan, question), /^\s+\+\+\+ \/etc\/nova\/nova\.conf \(after\)$/m, '--diff shows the diffs in the plan');
    // while it waits, nothing draws: no live view, no timer
    await sleep(1500);
    const still = await term.screen();
    assert.equal(still, asking, 'the screen changed while the question waited');
    assert.doesNotMatch(still, /PLAY \[/, 'a live-view frame is on screen during the question');
    await term.keys('n', 'Enter');
    const end = await term.waitFor(/CLI-EXIT=\d+/, 30_000);
    assert.match(end, /^nothing was changed$/m);
    assert.match(end, /CLI-EXIT=1\b/);
    assert.deepEqual(changedOnHosts(before, snapshot()), {}, 'files changed on the hosts after the answer n');
  });

  it('on a terminal: `y` is taken and the run goes on below the question; then nothing is asked when nothing would change', { timeout: 1_200_000 }, async (t) => {
    const missing = await tmuxMissing();
    if (missing) return t.skip(`SKIPPED: ${missing}`);
    const term = new Terminal(terminalScript('answer-yes.sh', args()));
    t.after(() => term.stop());
    await term.start();
    const asking = await term.waitFor(/Apply these changes to 3 hosts\? \[y\/N\]\s*$/m, LONG);
    const planText = asking.slice(asking.indexOf('Plan (nothing'), asking.indexOf('Apply these changes'));
    await term.keys('y', 'Enter');
    const end = await term.waitFor(/CLI-EXIT=\d+/, LONG);
    assert.match(end, /CLI-EXIT=0\b/, end);
    // the plan and the answered question are still on screen, intact, and the run's view came after them
    assert.ok(end.includes(planText), `the plan was drawn over:\n${end}`);
    const answered = end.indexOf('Apply these changes to 3 hosts? [y/N] y');
    assert.ok(answered >= 0, `the answer is not on screen:\n${end}`);
    assert.ok(end.indexOf('PLAY [', answered) > answered && !end.slice(0, answered).includes('PLAY ['), 'the live view drew before the answer');
    assert.match(end.slice(answered), /OK: 3 hosts, 3 changed/);
    for (const h of HOSTS) assert.match(lab.readFile(h, '/etc/nova/nova.conf'), /PciPassthroughFilter|device_spec|alias/, `${h}: not configured`);
    assert.equal(existsSync(join(lab.host('controller').rootDir, 'var/lib/passthru/lock')), false, 'the host lock was left');

    // everything is as wanted now: no plan, no question, no refusal, even without a terminal
    const again = await runCli(args(), { env: cliEnv(tmp.dir), timeoutMs: LONG });
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.doesNotMatch(again.stdout, /Plan \(nothing|refusing|\[y\/N\]/);
    assert.match(again.stdout, /OK: 3 hosts, 0 changed/);
  });
});
