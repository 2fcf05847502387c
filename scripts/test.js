#!/usr/bin/env node
// npm test: every *.test.ts under test/ (the product) and packages/lab/test/
// (the simulator), through tsx, three files at a time (PASSTHRU_TEST_JOBS=N
// to change it: most of a file's time is spent waiting on hosts, reboots and
// child processes, and each real-sshd lab claims its own addresses); the spec
// reporter, and a last line that counts the tests skipped because this user
// cannot run them (root, sshd, python3-nova). Arguments narrow the files:
// `npm test -- ssh`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function testFiles(dir) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'node_modules' && e.name !== 'fixtures') out.push(...testFiles(p));
    } else if (e.name.endsWith('.test.ts')) out.push(relative(root, p));
  }
  return out;
}

const filters = process.argv.slice(2);
const files = [...testFiles(join(root, 'test')), ...testFiles(join(root, 'packages', 'lab', 'test'))]
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
// Longest first, so that the files running at once end together rather than
// one long file running alone at the end: by the times of this checkout's
// last run (node_modules/.cache, written by times-reporter.js) over the
// committed scripts/test-times.json; a file in neither goes first.
const TIMES_CACHE = join(root, 'node_modules', '.cache', 'passthru', 'test-times.json');
/** a JSON file, or undefined when it is missing or unreadable */
function readJson(path) {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}
const times = { ...readJson(join(root, 'scripts', 'test-times.json')), ...readJson(TIMES_CACHE) };
const took = (f) => times[f] ?? Number.POSITIVE_INFINITY;
files.sort((a, b) => took(b) - took(a) || a.localeCompare(b));
if (files.length === 0) {
  process.stderr.write(`no test file matches ${filters.join(' ')}\n`);
  process.exit(1);
}
// the tests run bin/passthru.js, i.e. dist/: built once here, before any test starts it
const build = spawnSync(process.execPath, [join(root, 'scripts', 'build.js')], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
const jobs = Number(process.env.PASSTHRU_TEST_JOBS ?? 3);
if (!Number.isInteger(jobs) || jobs < 1) {
  process.stderr.write(`PASSTHRU_TEST_JOBS must be a whole number of at least 1 (got ${process.env.PASSTHRU_TEST_JOBS})\n`);
  process.exit(1);
}
const skipsOut = join(mkdtempSync(join(tmpdir(), 'passthru-test-')), 'skips.json');
const r = spawnSync(
  process.execPath,
  [
    '--import', 'tsx', '--test', `--test-concurrency=${jobs}`,
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    `--test-reporter=${join(root, 'scripts', 'skip-reporter.js')}`, '--test-reporter-destination=stderr',
    `--test-reporter=${join(root, 'scripts', 'times-reporter.js')}`, '--test-reporter-destination=stdout',
    ...files,
  ],
  { cwd: root, stdio: 'inherit', env: { ...process.env, PASSTHRU_TEST_TIMES_OUT: TIMES_CACHE, PASSTHRU_TEST_ROOT: root, PASSTHRU_TEST_SKIPS_OUT: skipsOut } },
);
// PASSTHRU_TEST_NO_SKIPS=1 (.ci/run as root): every test must run; a skip for want of root, sshd,
// tmux, python3-nova... means the machine is not what CI promises, and fails the run
const counts = readJson(skipsOut);
rmSync(dirname(skipsOut), { recursive: true, force: true });
if (process.env.PASSTHRU_TEST_NO_SKIPS === '1') {
  if (!counts) {
    process.stderr.write('PASSTHRU_TEST_NO_SKIPS=1: the skip count was not written (the test run ended early)\n');
    process.exit(r.status || 1);
  }
  if (counts.skippedTests > 0 || counts.skippedSuites > 0) {
    process.stderr.write(`PASSTHRU_TEST_NO_SKIPS=1: ${counts.skippedTests} tests and ${counts.skippedSuites} suites were skipped (the lines above say why); here every test must run\n`);
    process.exit(1);
  }
}
process.exit(r.status ?? 1);
