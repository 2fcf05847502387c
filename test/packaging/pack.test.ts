// The package as a user gets it: `npm pack`, what the tarball holds, and the
// tarball installed with `npm install -g --prefix <tmp>` by an ordinary user
// (as root: the user nobody; otherwise the user running the tests), then
// used: --version, a dry run against an embedded lab started here, `demo`
// without the lab, and what `npm ls --omit=dev` lists. How fast it starts is
// measured by the benchmark (npm run bench:startup), not asserted here.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmbeddedCluster } from '@passthru/lab/embedded/cluster.ts';
import { demoCluster } from '@passthru/lab/specs.ts';
import { chownTree, installAsUser, ordinaryUser, packRepo, run, type Installed, type Run } from './install.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const PKG = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { name: string; version: string; scripts: Record<string, string> };

const show = (r: Run): string => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

describe('the npm package', () => {
  const user = ordinaryUser();
  let tmp: string;
  let tarball: string;
  let files: string[];
  let installed: Installed | undefined;
  let cannotInstall: string | undefined;

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'passthru-pack-test-'));
    ({ tarball, files } = await packRepo(REPO, tmp));
    const r = await installAsUser(tarball, tmp, user);
    if ('skip' in r) {
      cannotInstall = r.skip;
      process.stderr.write(`\n!!! SKIPPED test/packaging/pack.test.ts (installing the tarball): ${r.skip} !!!\n\n`);
    } else installed = r;
  });
  after(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('is packed from a fresh build: npm pack compiles src/ first', () => {
    // npm runs `prepare` (and `prepack`) before it packs: the tarball never holds a stale dist/
    assert.match(`${PKG.scripts['prepare'] ?? ''} ${PKG.scripts['prepack'] ?? ''}`, /scripts\/build\.js/);
  });

  it('holds the compiled CLI, its bin, the playbooks, the docs, the example inventories, README and package.json: nothing else', () => {
    const outside = files.filter(
      (f) =>
        !['package.json', 'README.md', 'bin/passthru.js'].includes(f) &&
        !/^dist\/.+\.js(\.map)?$/.test(f) &&
        !['dist/BUILD', 'dist/nova/check.py'].includes(f) &&
        !/^playbooks\/[^/]+\.ya?ml$/.test(f) &&
        !/^docs\/[^/]+\.md$/.test(f) &&
        !/^inventory\/[^/]+\.(ini|ya?ml)$/.test(f),
    );
    assert.deepEqual(outside, [], 'files the package should not ship');
    for (const want of ['package.json', 'README.md', 'bin/passthru.js', 'dist/cli.js', 'dist/nova/check.py', 'playbooks/pci-passthrough.yaml', 'docs/steps.md']) {
      assert.ok(files.includes(want), `${want} is in the tarball`);
    }
    // no test, no simulator, no TypeScript source
    assert.deepEqual(files.filter((f) => /(^|\/)(test|tests|packages|lab|src)\//.test(f) || /\.tsx?$/.test(f)), []);
    // every compiled module of src/ is there (the CLI loads commands lazily: a missing one fails late)
    const sources = listTs(join(REPO, 'src')).map((f) => `dist/${f.replace(/\.ts$/, '.js')}`);
    assert.deepEqual(sources.filter((f) => !files.includes(f)), [], 'compiled modules missing from the tarball');
  });

  it('declares only what the CLI runs with as dependencies', () => {
    const pkg = JSON.parse(execFileSync('tar', ['-xzOf', tarball, 'package/package.json'], { encoding: 'utf8' })) as { dependencies?: Record<string, string>; bin?: Record<string, string> };
    assert.deepEqual(pkg.bin, { passthru: 'bin/passthru.js' });
    const deps = Object.keys(pkg.dependencies ?? {});
    assert.deepEqual(deps.filter((d) => /^(@passthru\/lab|just-bash|tsx|esbuild|typescript|ts-node|@types\/.*)$/.test(d)), []);
  });

  describe(`installed with npm install -g --prefix <tmp> by an ordinary user (${user.name})`, () => {
    const skip = (t: { skip(msg: string): void }): boolean => {
      if (installed !== undefined) return false;
      t.skip(`SKIPPED: ${cannotInstall}`);
      return true;
    };

    it('puts passthru on the PATH of the prefix; --version answers with the package version', async (t) => {
      if (skip(t)) return;
      const i = installed as Installed;
      assert.ok(statSync(i.bin).isFile(), `${i.bin} exists`);
      const r = await run(i.bin, ['--version'], i);
      assert.equal(r.code, 0, show(r));
      assert.equal(r.stdout, `passthru ${PKG.version}\n`);
      assert.equal(r.stderr, '', 'nothing rebuilt or compiled at start');
    });

    it('npm ls --omit=dev lists no simulator, bundler or TypeScript runner', async (t) => {
      if (skip(t)) return;
      const i = installed as Installed;
      const r = await run('npm', ['ls', '-g', '--prefix', i.prefix, '--omit=dev', '--all', '--parseable'], i);
      assert.equal(r.code, 0, show(r));
      const names = r.stdout.trim().split('\n').map((p) => p.replace(/^.*\/node_modules\//, ''));
      assert.ok(names.includes(PKG.name), show(r));
      for (const dep of ['ssh2', 'yaml', 'zod', 'p-limit']) assert.ok(names.includes(dep), `${dep} installed`);
      assert.deepEqual(names.filter((n) => /^(@passthru\/lab|just-bash|tsx|esbuild|typescript|ts-node)$/.test(n)), []);
    });

    it('passthru run pci-passthrough.yaml --check against an embedded lab plans the rollout and changes nothing', async (t) => {
      if (skip(t)) return;
      const i = installed as Installed;
      const dir = join(tmp, 'lab');
      mkdirSync(dir);
      const specs = demoCluster().filter((s) => s.roles.includes('controller') || s.name === 'gpu-rtx');
      const lab = await startEmbeddedCluster(specs, { dir, rebootSeconds: 1 });
      t.after(() => lab.stop());
      // the lab's key and inventory are the installing user's to read
      chownTree(dir, i.user);
      const playbook = join(i.packageDir, 'playbooks', 'pci-passthrough.yaml');
      const hashes = () => specs.map((s) => lab.fs(s.name).readFile('/etc/default/grub'));
      const grubBefore = hashes();
      const r = await run(i.bin, ['run', playbook, '-i', lab.inventoryPath, '--check', '-e', 'image=cirros-0.6.2-x86_64-disk', '-e', 'flavor=gpu.large', '-e', 'instances=migrate'], i);
      assert.equal(r.code, 0, show(r));
      const out = r.stdout + r.stderr;
      assert.doesNotMatch(out, /\n\s+at .+\(.*:\d+:\d+\)/, 'no stack trace');
      assert.match(out, /gpu-rtx/);
      assert.match(out, /intel_iommu=on/, 'the planned kernel argument is shown');
      assert.deepEqual(hashes(), grubBefore, 'a dry run changes nothing');
    });

    it('passthru demo says how to get the simulated cluster, which the package does not ship', async (t) => {
      if (skip(t)) return;
      const i = installed as Installed;
      const r = await run(i.bin, ['demo'], i);
      assert.equal(r.code, 1, show(r));
      assert.match(r.stderr, /@passthru\/lab\) is not installed here/);
      assert.match(r.stderr, /clone .*npm install.*npm start/);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    });
  });
});

/** .ts files under dir, relative to it */
function listTs(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
    const p = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...listTs(dir, p));
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out.sort();
}
