#!/usr/bin/env node
// Entry point: the compiled CLI in dist/ (`npm run build`). In a clone of the
// repository (src/ beside dist/), a source newer than the build is never
// ignored: the CLI says so and rebuilds first.

import { existsSync, readdirSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// A password given on the command line (-e db_password=...) must not stay
// visible in ps: before anything else, this process shows itself with every
// -e value masked (@file arguments kept). Only what ps shows changes.
function maskedCommandLine(args) {
  const out = [];
  let changed = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') {
      out.push(...args.slice(i));
      break;
    }
    if ((a === '-e' || a === '--extra-vars') && i + 1 < args.length) {
      const v = args[++i];
      out.push(a, v.startsWith('@') ? v : '********');
      changed ||= !v.startsWith('@');
      continue;
    }
    const joined = /^(-e|--extra-vars=)([^]+)$/.exec(a);
    if (joined && !joined[2].startsWith('@')) {
      out.push(`${joined[1]}********`);
      changed = true;
      continue;
    }
    out.push(a);
  }
  return changed ? out : undefined;
}
const masked = maskedCommandLine(process.argv.slice(2));
if (masked) process.title = [process.argv0, process.argv[1], ...masked].join(' ');

// (How far the heap may grow is set by the commands once they know how many hosts they
// run on: src/cli/heap.ts.)

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** newest modification time under dir (ms), 0 when it does not exist */
function newest(dir) {
  let max = 0;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    max = Math.max(max, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return max;
}

function buildTime() {
  try {
    return statSync(join(root, 'dist', 'BUILD')).mtimeMs;
  } catch {
    return -1;
  }
}

// Only a clone has src/; an installed package has dist/ alone.
if (existsSync(join(root, 'src', 'cli.ts'))) {
  const built = buildTime();
  const sources = Math.max(newest(join(root, 'src')), statSync(join(root, 'tsconfig.json')).mtimeMs, statSync(join(root, 'package.json')).mtimeMs);
  if (built < sources) {
    process.stderr.write(built < 0 ? 'passthru: no build yet; building (npm run build)\n' : 'passthru: src/ changed since the last build; rebuilding (npm run build)\n');
    const r = spawnSync(process.execPath, [join(root, 'scripts', 'build.js')], { stdio: ['ignore', 2, 2] });
    if (r.status !== 0) process.exit(1);
  }
}

const { main } = await import('../dist/cli.js');
process.exitCode = await main(process.argv.slice(2));
