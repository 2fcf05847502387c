#!/usr/bin/env node
// The build: src/ compiled to dist/ by tsc (tsconfig.build.json), the one
// non-TypeScript file beside it, and a stamp that bin/passthru.js compares
// with the sources in a clone. `npm run build`; run by `npm install`
// (prepare), `npm pack` and `npm start`.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
/** files that are not TypeScript but ship beside the compiled modules */
const ASSETS = ['nova/check.py'];

let tsc;
try {
  tsc = join(dirname(createRequire(join(root, 'package.json')).resolve('typescript/package.json')), 'bin', 'tsc');
} catch {
  process.stderr.write('passthru build: typescript is not installed; run `npm install` first\n');
  process.exit(1);
}
rmSync(dist, { recursive: true, force: true });
const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (r.status !== 0) {
  rmSync(dist, { recursive: true, force: true });
  process.stderr.write('passthru build: tsc failed (above); dist/ removed\n');
  process.exit(r.status ?? 1);
}
for (const a of ASSETS) {
  mkdirSync(dirname(join(dist, a)), { recursive: true });
  copyFileSync(join(root, 'src', a), join(dist, a));
}
writeFileSync(join(dist, 'BUILD'), `${new Date().toISOString()}\n`);
