// How fast the installed CLI starts: `npm pack` of this checkout, the tarball
// installed with `npm install -g --prefix <tmp>` by an ordinary user (as root:
// nobody; otherwise you), then, as that user, alternating runs of
//   node -e 0                                   (what any Node CLI pays)
//   passthru --version
//   passthru inventory -i <the package's example inventory> --list
// Wall clock (spawn to exit, as the parent sees it) and CPU (user + sys of the
// command, bash's `times`); medians, and the fastest run. Target: --version
// under 0.2 s. Writes its section of test/bench/RESULTS.md (`--no-write`: only
// prints it).
//
//   npm run bench:startup
//   npm run bench:startup -- --runs 40 --no-write

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { asUser, installAsUser, ordinaryUser, packRepo, type Installed } from '../packaging/install.ts';
import { parseTimes } from './measure.ts';
import { replaceStartupSection } from './startup-section.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');
const TARGET_S = 0.2;

interface Sample {
  wallS: number;
  cpuS: number;
}

/** one run of argv as the installed package's user: wall clock and CPU seconds */
function once(argv: string[], i: Installed): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn('bash', ['-c', '"$@" >/dev/null 2>&1; rc=$?; times >&2; exit $rc', 'startup', ...argv], {
      cwd: i.env['HOME'] ?? tmpdir(),
      env: i.env,
      stdio: ['ignore', 'ignore', 'pipe'],
      ...asUser(i.user),
    });
    let times = '';
    child.stderr.on('data', (d: Buffer) => (times += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const wallS = (performance.now() - start) / 1000;
      const t = parseTimes(times);
      if (code !== 0 || t === undefined) reject(new Error(`${argv.join(' ')} exited ${code}: ${times}`));
      else resolve({ wallS, cpuS: t.userS + t.sysS });
    });
  });
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
};
const fmt = (s: number): string => s.toFixed(3);

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '20' }, 'no-write': { type: 'boolean', default: false }, help: { type: 'boolean', default: false } } });
  if (values.help) {
    process.stdout.write('npm run bench:startup [-- --runs N] [--no-write]\n');
    return 0;
  }
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs ${values.runs}: expected a whole number >= 1`);
  const dir = mkdtempSync(join(tmpdir(), 'passthru-startup-'));
  try {
    process.stderr.write('startup bench: npm pack, npm install -g --prefix (as an ordinary user)...\n');
    const { tarball } = await packRepo(ROOT, dir);
    const installed = await installAsUser(tarball, dir, ordinaryUser());
    if ('skip' in installed) throw new Error(`cannot install the tarball: ${installed.skip}`);
    const inventory = join(installed.packageDir, 'inventory', 'openstack.ini');
    const commands: Array<{ name: string; argv: string[] }> = [
      { name: '`node -e 0` (baseline)', argv: [process.execPath, '-e', '0'] },
      { name: '`passthru --version`', argv: [installed.bin, '--version'] },
      { name: '`passthru inventory -i inventory/openstack.ini --list`', argv: [installed.bin, 'inventory', '-i', inventory, '--list'] },
    ];
    const loadBefore = loadavg()[0] ?? 0;
    // one unmeasured round: the file cache warm, as for a CLI used every day
    for (const c of commands) await once(c.argv, installed);
    const samples = commands.map(() => [] as Sample[]);
    for (let r = 0; r < runs; r++) {
      for (const [k, c] of commands.entries()) samples[k]?.push(await once(c.argv, installed));
    }
    const loadAfter = loadavg()[0] ?? 0;
    const rows = commands.map((c, k) => {
      const s = samples[k] ?? [];
      return { name: c.name, wall: median(s.map((x) => x.wallS)), best: Math.min(...s.map((x) => x.wallS)), cpu: median(s.map((x) => x.cpuS)) };
    });
    const version = rows[1]?.wall ?? Infinity;
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const when = new Date().toISOString().replace('T', ' ').slice(0, 16);
    const md = [
      '## Startup of the installed package',
      '',
      `${when} UTC, ${cpus().length} CPU, node ${process.version}, passthru ${pkg.version}; the tarball of \`npm pack\` installed with`,
      `\`npm install -g --prefix <tmp>\` and run as ${installed.user.name} (an ordinary user); ${runs} runs of each, alternating, after one warm-up round.`,
      `Reproduce: \`npm run bench:startup\`. 1-minute load average: ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after.`,
      '',
      '| command | median wall s | fastest wall s | median CPU s (user+sys) |',
      '| --- | ---: | ---: | ---: |',
      ...rows.map((r) => `| ${r.name} | ${fmt(r.wall)} | ${fmt(r.best)} | ${fmt(r.cpu)} |`),
      '',
      `Target: \`passthru --version\` under ${TARGET_S} s: ${version < TARGET_S ? 'PASS' : 'MISS'} (median ${fmt(version)} s).`,
      '',
    ].join('\n');
    process.stdout.write(`\n${md}`);
    if (!values['no-write']) {
      const path = join(HERE, 'RESULTS.md');
      writeFileSync(path, replaceStartupSection(readFileSync(path, 'utf8'), md));
      process.stderr.write(`wrote test/bench/RESULTS.md (its startup section)\n`);
    }
    return version < TARGET_S ? 0 : 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

try {
  process.exitCode = await main();
} catch (e) {
  process.stderr.write(`startup bench failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
}
