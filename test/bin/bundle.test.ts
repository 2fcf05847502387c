// bin/bundle.js: the CLI starts from a cached esbuild bundle of src/cli.ts
// that is never older than the sources, and runs through tsx whenever the
// bundle cannot be had. Every test works in a temporary copy of the checkout
// (bin/, src/, package.json, tsconfig.json, playbooks/, inventory/ and a
// node_modules/ of links to this one's packages), so the real src/ and its
// cache are never touched.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const VERSION = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
const temps: string[] = [];
after(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

/** A copy of the checkout to build and edit; node_modules/ holds links to this checkout's packages (not its cache). */
function checkout(): string {
  const root = mkdtempSync(join(tmpdir(), 'passthru-bundle-test-'));
  temps.push(root);
  for (const p of ['bin', 'src', 'playbooks', 'inventory', 'package.json', 'tsconfig.json']) cpSync(join(REPO, p), join(root, p), { recursive: true });
  mkdirSync(join(root, 'node_modules'));
  for (const name of readdirSync(join(REPO, 'node_modules'))) {
    if (name !== '.cache') symlinkSync(join(REPO, 'node_modules', name), join(root, 'node_modules', name));
  }
  return root;
}

interface Cli {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(root: string, args: string[], env: Record<string, string> = {}): Promise<Cli> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'bin/passthru.js'), ...args], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', PASSTHRU_BUNDLE: '', PASSTHRU_BUNDLE_TRACE: '', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** the CLI with PASSTHRU_BUNDLE_TRACE=1: its output, and how it was loaded (the trace lines taken out of stderr) */
async function traced(root: string, args: string[]): Promise<Cli & { trace: string }> {
  const r = await cli(root, args, { PASSTHRU_BUNDLE_TRACE: '1' });
  const lines = r.stderr.split('\n');
  const mine = (l: string): boolean => l.startsWith('passthru bundle: ');
  return { ...r, stderr: lines.filter((l) => !mine(l)).join('\n'), trace: lines.filter(mine).join('\n') };
}

interface Manifest {
  entry?: string;
  failed?: boolean;
  outputs?: string[];
  outputState?: string;
}

const cacheOf = (root: string): string => join(root, 'node_modules/.cache/passthru');
const manifestOf = (root: string): Manifest => JSON.parse(readFileSync(join(cacheOf(root), 'manifest.json'), 'utf8')) as Manifest;
const builds = (root: string): string[] => (existsSync(cacheOf(root)) ? readdirSync(cacheOf(root)).filter((f) => f.startsWith('b-')) : []);

/** command lines whose output must not depend on where main() came from */
const SAME: string[][] = [
  ['--help'],
  ['--version'],
  [],
  ['frobnicate'],
  ['run'],
  ['run', 'playbooks/pci-passthrough.yaml'],
  ['run', 'playbooks/pci-passthrough.yaml', '-i', 'no-such-inventory.ini', '--check'],
  ['run', 'playbooks/pci-passthrough.yaml', '-i', 'inventory/openstack.ini', '--forks', 'many'],
  ['exec', '-i', 'inventory/openstack.ini', 'compute'],
  ['inventory', '-i', 'inventory/openstack.ini', '--list'],
  ['inventory', '-i', 'inventory/openstack.yaml', '--graph'],
  ['inventory', '-i', 'inventory/openstack.ini', '--host', 'nobody'],
  ['lab', 'sideways'],
  ['--no-such-option'],
];

describe('the CLI from its bundle', () => {
  let root: string;
  before(async () => {
    root = checkout();
    const first = await traced(root, ['--version']);
    assert.equal(first.code, 0, first.stderr + first.trace);
    assert.match(first.trace, /built in/, 'the first start builds the bundle');
  });

  it('says and does what it does from the sources: same output, same exit code', async () => {
    for (const args of SAME) {
      const bundled = await traced(root, args);
      assert.match(bundled.trace, /staleness check: .*\(current\)\n.*loaded node_modules\/\.cache\/passthru\/b-[^/]+\/cli\.js/, `passthru ${args.join(' ')} ran from the bundle:\n${bundled.trace}`);
      const sources = await cli(root, args, { PASSTHRU_BUNDLE: '0' });
      assert.deepEqual({ code: bundled.code, stdout: bundled.stdout, stderr: bundled.stderr }, sources, `passthru ${args.join(' ')}`);
    }
  });

  it('prints the version of package.json and its usage errors with exit code 1', async () => {
    const v = await cli(root, ['--version']);
    assert.deepEqual(v, { code: 0, stdout: `passthru ${VERSION}\n`, stderr: '' });
    const bad = await cli(root, ['frobnicate']);
    assert.equal(bad.code, 1);
    assert.equal(bad.stdout, '');
    assert.equal(bad.stderr, "error: unknown command 'frobnicate'\nhint: passthru --help lists the commands\n");
    const help = await cli(root, ['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^passthru - roll out GPU PCI passthrough/);
  });

  it('finds the files beside its modules where the sources are (no import.meta of the bundle left)', () => {
    const m = manifestOf(root);
    assert.ok(m.outputs && m.entry, 'a build is recorded');
    let urls = 0;
    for (const f of m.outputs) {
      const code = readFileSync(join(cacheOf(root), f), 'utf8');
      const rest = code.replace(/const require = __passthruCreateRequire\(import\.meta\.url\);/, '');
      for (const use of rest.matchAll(/import\.meta\.(\w+)(\("[^"]*"\))?/g)) {
        assert.equal(`${use[1]}${use[2] ?? ''}`.replace(/\("(just-bash|tsx)"\)$/, ''), 'resolve', `${f}: ${use[0]} would describe the bundle`);
      }
      for (const u of code.matchAll(/new URL\("([^"]+)", "(file:[^"]+)"\)/g)) {
        const source = fileURLToPath(u[2]!);
        assert.ok(source.startsWith(join(root, 'src')) && existsSync(source), `${f}: ${u[2]} is a source of this checkout`);
        assert.ok(existsSync(fileURLToPath(new URL(u[1]!, u[2]))), `${f}: ${u[1]} beside ${source} exists`);
        urls++;
      }
    }
    // src/cli.ts (package.json), nova/check.ts (check.py), commands/demo.ts (the playbook), lab/embedded/commands.ts (daemon.ts), lab/tools/novacheck-run.ts
    assert.ok(urls >= 5, `${urls} file URLs found`);
  });

  it('loads the run command (nova/check.ts reads check.py beside it on load)', async () => {
    const r = await traced(root, ['run', 'playbooks/pci-passthrough.yaml', '-i', 'no-such-inventory.ini']);
    assert.match(r.trace, /loaded /);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: no-such-inventory\.ini: inventory file not found/);
  });

  it('starts a background lab (its daemon from the sources through tsx), runs a command on it over ssh2, stops it', async () => {
    const dir = join(root, 'lab');
    const up = await traced(root, ['lab', 'up', '--computes', '1', '--dir', dir]);
    try {
      assert.match(up.trace, /loaded /);
      assert.equal(up.code, 0, up.stdout + up.stderr);
      assert.match(up.stdout, /lab up: 2 simulated hosts/);
      const ex = await cli(root, ['exec', '-i', join(dir, 'inventory.ini'), 'all', '--', 'cat', '/proc/sys/kernel/random/boot_id']);
      assert.equal(ex.code, 0, ex.stdout + ex.stderr);
      assert.match(ex.stdout, /[0-9a-f]{8}-[0-9a-f]{4}-/);
    } finally {
      const down = await cli(root, ['lab', 'down', '--dir', dir]);
      assert.equal(down.code, 0, down.stdout + down.stderr);
    }
  });

  it('runs the demo (npm start): the playbook is found beside the sources', { timeout: 180_000 }, async () => {
    const r = await cli(root, ['demo']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /==> done: dry run exited 0, rollout exited 0/);
  });
});

describe('the bundle is never older than the sources', () => {
  it('is rebuilt after a source changes, and runs the change', async () => {
    const root = checkout();
    assert.equal((await cli(root, ['--version'])).code, 0);
    const before = manifestOf(root).entry;
    const cliTs = join(root, 'src/cli.ts');
    writeFileSync(cliTs, readFileSync(cliTs, 'utf8').replace('passthru - roll out GPU PCI passthrough', 'passthru (edited) - roll out GPU PCI passthrough'));
    const r = await traced(root, ['--help']);
    assert.match(r.trace, /sources changed\)[^]*built in[^]*loaded /);
    assert.match(r.stdout, /^passthru \(edited\) - roll out/);
    assert.notEqual(manifestOf(root).entry, before);
  });

  it('is rebuilt when a module it imports changes, even with size and mtime put back (cp -p, rsync -t)', async () => {
    const root = checkout();
    const errorsTs = join(root, 'src/errors.ts');
    // a whole second, so that putting it back is exact
    utimesSync(errorsTs, 1_700_000_000, 1_700_000_000);
    assert.equal((await cli(root, ['frobnicate'])).code, 1);
    const old = statSync(errorsTs);
    const text = readFileSync(errorsTs, 'utf8');
    // same length: 'usage: 1,' -> 'usage: 7,'
    assert.ok(text.includes('  usage: 1,'));
    writeFileSync(errorsTs, text.replace('  usage: 1,', '  usage: 7,'));
    utimesSync(errorsTs, 1_700_000_000, 1_700_000_000);
    assert.deepEqual([statSync(errorsTs).size, statSync(errorsTs).mtimeMs], [old.size, old.mtimeMs]);
    const r = await traced(root, ['frobnicate']);
    assert.match(r.trace, /built in/);
    assert.equal(r.code, 7, 'the edited exit code is the one used');
  });

  it('is rebuilt when a new file appears under src/', async () => {
    const root = checkout();
    await cli(root, ['--version']);
    writeFileSync(join(root, 'src/new-module.ts'), 'export const x = 1;\n');
    const r = await traced(root, ['--version']);
    assert.match(r.trace, /sources changed\)[^]*built in/);
    assert.equal(r.stdout, `passthru ${VERSION}\n`);
  });

  it('is not rebuilt when nothing changed', async () => {
    const root = checkout();
    await cli(root, ['--version']);
    const entry = manifestOf(root).entry;
    const r = await traced(root, ['--version']);
    assert.match(r.trace, /\(current\)/);
    assert.doesNotMatch(r.trace, /built/);
    assert.equal(manifestOf(root).entry, entry);
    assert.equal(builds(root).length, 1);
  });

  it('is built once by many first starts at the same time, which all answer right', async () => {
    const root = checkout();
    const runs = await Promise.all(Array.from({ length: 6 }, () => traced(root, ['--version'])));
    for (const r of runs) assert.deepEqual({ code: r.code, stdout: r.stdout, stderr: r.stderr }, { code: 0, stdout: `passthru ${VERSION}\n`, stderr: '' }, r.trace);
    assert.equal(runs.filter((r) => /built in/.test(r.trace)).length, 1, runs.map((r) => r.trace).join('\n--\n'));
    assert.equal(builds(root).length, 1);
    assert.ok(!existsSync(join(cacheOf(root), 'build.lock')), 'no lock left behind');
    assert.deepEqual(readdirSync(cacheOf(root)).filter((f) => f.endsWith('.tmp')), []);
  });

  it('keeps the builds in use and the last few, removes the ones unused for an hour', async () => {
    const root = checkout();
    await cli(root, ['--version']);
    const previous = manifestOf(root).entry!.split('/')[0]!;
    const hoursAgo = (Date.now() - 2 * 3600_000) / 1000;
    const stale = ['b-old1-1', 'b-old2-2', 'b-old3-3', 'b-old4-4'];
    stale.forEach((b, i) => {
      mkdirSync(join(cacheOf(root), b));
      writeFileSync(join(cacheOf(root), b, 'cli.js'), '');
      utimesSync(join(cacheOf(root), b), hoursAgo - i, hoursAgo - i);
    });
    writeFileSync(join(root, 'src/new-module.ts'), 'export const x = 1;\n');
    const r = await traced(root, ['--version']);
    assert.match(r.trace, /built in/);
    const current = manifestOf(root).entry!.split('/')[0]!;
    // the new build, the one used a moment ago, and the two most recently used of the rest
    assert.deepEqual(builds(root).sort(), [current, previous, 'b-old1-1', 'b-old2-2'].sort());
  });

  it('is built at once when a crashed build left its lock behind', async () => {
    const root = checkout();
    mkdirSync(cacheOf(root), { recursive: true });
    // a pid no process has (above the kernel's pid_max)
    writeFileSync(join(cacheOf(root), 'build.lock'), '4194305');
    const t0 = Date.now();
    const r = await traced(root, ['--version']);
    assert.match(r.trace, /built in[^]*loaded /);
    assert.equal(r.stdout, `passthru ${VERSION}\n`);
    assert.ok(Date.now() - t0 < 15_000, 'it did not wait for the dead builder');
    assert.ok(!existsSync(join(cacheOf(root), 'build.lock')));
  });

  it('is not used with PASSTHRU_BUNDLE=0', async () => {
    const root = checkout();
    const r = await cli(root, ['--version'], { PASSTHRU_BUNDLE: '0' });
    assert.equal(r.stdout, `passthru ${VERSION}\n`);
    assert.equal(existsSync(cacheOf(root)), false);
  });
});

describe('a broken cache or a failed build: the CLI runs from the sources, correctly', () => {
  it('a garbled manifest: rebuilt', async () => {
    const root = checkout();
    await cli(root, ['--version']);
    writeFileSync(join(cacheOf(root), 'manifest.json'), '{"format": 1, "ro');
    const r = await traced(root, ['--version']);
    assert.equal(r.stdout, `passthru ${VERSION}\n`);
    assert.match(r.trace, /no manifest\)[^]*built in[^]*loaded /);
    assert.ok(manifestOf(root).entry);
  });

  it('a damaged bundle file: rebuilt', async () => {
    const root = checkout();
    await cli(root, ['--version']);
    writeFileSync(join(cacheOf(root), manifestOf(root).entry!), 'export const main = () => 42;\n');
    const r = await traced(root, ['--version']);
    assert.match(r.trace, /the build changed on disk\)[^]*built in[^]*loaded /);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, `passthru ${VERSION}\n`);
  });

  it('a bundle that does not load although the manifest vouches for it: the sources now, a new build next time', async () => {
    const root = checkout();
    await cli(root, ['--version']);
    const m = manifestOf(root);
    const entry = join(cacheOf(root), m.entry!);
    writeFileSync(entry, 'this is not javascript (');
    // make the manifest agree with the damage (what a stat cannot see)
    const st = statSync(entry);
    const line = `${m.entry} ${st.size} ${st.mtimeMs} ${st.ctimeMs}`;
    m.outputState = m.outputState!.split('\n').map((l) => (l.startsWith(`${m.entry} `) ? line : l)).join('\n');
    writeFileSync(join(cacheOf(root), 'manifest.json'), JSON.stringify(m));
    const r = await traced(root, ['--version']);
    assert.match(r.trace, /did not load[^]*sources through tsx/);
    assert.deepEqual({ code: r.code, stdout: r.stdout, stderr: r.stderr }, { code: 0, stdout: `passthru ${VERSION}\n`, stderr: '' });
    const next = await traced(root, ['--version']);
    assert.match(next.trace, /built in[^]*loaded /);
    assert.equal(next.stdout, `passthru ${VERSION}\n`);
  });

  it('a source that does not compile: the same error as from the sources, no new build attempt until it changes', async () => {
    const root = checkout();
    await cli(root, ['--version']);
    const errorsTs = join(root, 'src/errors.ts');
    const good = readFileSync(errorsTs, 'utf8');
    writeFileSync(errorsTs, `${good}\nexport const broken = ;\n`);
    const r = await traced(root, ['--version']);
    assert.match(r.trace, /build failed[^]*sources through tsx/);
    const sources = await cli(root, ['--version'], { PASSTHRU_BUNDLE: '0' });
    assert.notEqual(sources.code, 0);
    assert.deepEqual({ code: r.code, stdout: r.stdout, stderr: r.stderr }, sources);
    assert.equal(manifestOf(root).failed, true);
    const again = await traced(root, ['--version']);
    assert.match(again.trace, /failed to build/);
    assert.doesNotMatch(again.trace, /build failed|built in/);
    writeFileSync(errorsTs, good);
    const fixed = await traced(root, ['--version']);
    assert.match(fixed.trace, /built in[^]*loaded /);
    assert.equal(fixed.stdout, `passthru ${VERSION}\n`);
  });

  it('no esbuild: the sources', async () => {
    const root = checkout();
    rmSync(join(root, 'node_modules/esbuild'));
    const r = await traced(root, ['--version']);
    assert.match(r.trace, /build failed[^]*sources through tsx/);
    assert.deepEqual({ code: r.code, stdout: r.stdout, stderr: r.stderr }, { code: 0, stdout: `passthru ${VERSION}\n`, stderr: '' });
  });

  it('an import.meta use the bundle cannot keep: the sources', async () => {
    const root = checkout();
    const errorsTs = join(root, 'src/errors.ts');
    writeFileSync(errorsTs, `${readFileSync(errorsTs, 'utf8')}\nexport const here = import.meta.resolve('./errors.ts');\n`);
    const r = await traced(root, ['--version']);
    assert.match(r.trace, /build failed: .*errors\.ts: "import\.meta\.resolve\(["']\.\/errors\.ts["']\)" would describe the bundle/);
    assert.equal(r.stdout, `passthru ${VERSION}\n`);
  });
});
