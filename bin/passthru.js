#!/usr/bin/env node
// Entry point: runs src/cli.ts from a cached esbuild bundle that is rebuilt
// when a source changed (bin/bundle.js), or through tsx when there is none.

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

async function fromSources() {
  const { register } = await import('tsx/esm/api');
  register();
  return (await import('../src/cli.ts')).main;
}
// V8 lets the heap grow to several times what survived the last full GC before it collects
// again; a run over a thousand hosts makes a lot of short-lived garbage (outputs, parsed
// files), so that peak memory was mostly garbage (1000 embedded hosts: 570 MB, of which
// 134 MB live). Growing by half at most holds it near 300 MB for about 3% more CPU.
const { setFlagsFromString } = await import('node:v8');
setFlagsFromString('--heap-growing-percent=50');

const bundle = await import('./bundle.js').catch(() => undefined); // broken: the sources, as without a bundle
const main = bundle ? await bundle.loadMain() : await fromSources();
process.exitCode = await main(process.argv.slice(2));
