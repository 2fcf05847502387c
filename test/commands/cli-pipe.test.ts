// A reader that goes away: `passthru ... | head -N` through a real pipe (bash),
// passthru's stderr kept apart. It ends quietly: no EPIPE error, no stack
// trace; the demo stops and removes its temporary directory, private key
// included, and so does a demo stopped by signals.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/passthru.js', import.meta.url));

interface Piped {
  /** exit status of passthru (bash's PIPESTATUS[0]) */
  code: number;
  /** what head printed */
  stdout: string;
  /** passthru's stderr */
  stderr: string;
}

const sh = (s: string): string => `'${s.replace(/'/g, "'\\''")}'`;

/** `passthru ARGS | head -LINES` in bash; resolves with passthru's own status and stderr. */
function piped(args: string[], lines: number, env: NodeJS.ProcessEnv, work: string): Promise<Piped> {
  const errFile = join(work, `stderr-${Date.now()}-${Math.random()}`);
  const script = `${sh(process.execPath)} ${sh(BIN)} ${args.map(sh).join(' ')} 2>${sh(errFile)} | head -${lines}; exit \${PIPESTATUS[0]}`;
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NO_COLOR: '1', ...env } });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr: readFileSync(errFile, 'utf8') });
    });
  });
}

const show = (r: Piped): string => `exit ${r.code}\n--- stdout (head)\n${r.stdout}\n--- stderr\n${r.stderr}`;

function assertQuiet(r: Piped): void {
  assert.doesNotMatch(r.stderr, /EPIPE|Error|^\s+at |internal error|Unhandled/m, `not quiet:\n${show(r)}`);
}

/** passthru's own temporary files under TMPDIR (tsx's compile cache is not passthru's) */
const leftovers = (dir: string): string[] => readdirSync(dir).filter((f) => !f.startsWith('tsx-'));

describe('a closed pipe ends passthru quietly', () => {
  let work: string;
  before(() => {
    work = mkdtempSync(join(tmpdir(), 'passthru-cli-pipe-'));
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it('inventory --list of a big inventory | head -1', async () => {
    const inv = join(work, 'big.ini');
    writeFileSync(inv, `[compute]\ngpu[0001:4000] ansible_host=10.0.0.1 rack=r1 note=${'x'.repeat(80)}\n`);
    const r = await piped(['inventory', '-i', inv, '--list'], 1, {}, work);
    assert.equal(r.stdout, '{\n', show(r));
    assertQuiet(r);
    assert.equal(r.code, 0, show(r));
  });

  it('run --list-hosts of a big inventory | head -3', async () => {
    const inv = join(work, 'big2.ini');
    writeFileSync(inv, '[compute]\ngpu[00001:20000] ansible_host=10.0.0.1\n');
    const pb = join(work, 'site.yaml');
    writeFileSync(pb, '- name: p\n  hosts: compute\n  steps:\n    - name: s\n      command: ["true"]\n');
    const r = await piped(['run', pb, '-i', inv, '--list-hosts'], 3, {}, work);
    assert.equal(r.stdout.split('\n').length, 4, show(r));
    assertQuiet(r);
  });

  it('demo | head -3: stops, and its temporary directory (with the lab key) is gone', async () => {
    const tmp = join(work, 'tmp-demo');
    mkdirSync(tmp);
    const r = await piped(['demo'], 3, { TMPDIR: tmp }, work);
    assert.match(r.stdout, /==> starting the embedded simulated cluster/, show(r));
    assertQuiet(r);
    assert.deepEqual(leftovers(tmp), [], `left behind in TMPDIR: ${leftovers(tmp).join(', ')}\n${show(r)}`);
  });

  it('lab up | head -1: the lab is up all the same, lab down stops it', async () => {
    const dir = join(work, 'lab');
    const r = await piped(['lab', 'up', '--computes', '1', '--dir', dir], 1, {}, work);
    try {
      assert.match(r.stdout, /^lab up: 2 simulated hosts/, show(r));
      assertQuiet(r);
      assert.equal(r.code, 0, show(r));
      assert.ok(readdirSync(dir).includes('lab.pid'), 'the lab runs');
    } finally {
      const down = await piped(['lab', 'down', '--dir', dir], 5, {}, work);
      assert.match(down.stdout, /lab down: stopped pid \d+/, show(down));
    }
  });

  for (const [what, signals] of [
    ['SIGTERM', ['SIGTERM']],
    ['Ctrl-C twice (the second exits at once)', ['SIGINT', 'SIGINT']],
  ] as const) {
    it(`demo stopped by ${what}: its temporary directory is gone`, async () => {
      const tmp = mkdtempSync(join(work, 'tmp-sig-'));
      const child = spawn(process.execPath, [BIN, 'demo'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TMPDIR: tmp, NO_COLOR: '1' } });
      let out = '';
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      // once the lab is up (its key written), stop the demo
      await new Promise<void>((resolve) => {
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('inventory: ')) resolve();
        });
      });
      assert.ok(leftovers(tmp).some((f) => f.startsWith('passthru-demo-')), 'the demo made its directory');
      for (const s of signals) child.kill(s);
      const code = await done;
      assert.doesNotMatch(err, /^\s+at |internal error|Error:/m, err);
      assert.equal(code, 130, `${out}\n${err}`);
      assert.deepEqual(leftovers(tmp), [], `left behind: ${leftovers(tmp).join(', ')}`);
    });
  }
});
