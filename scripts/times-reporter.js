// A node:test reporter that prints nothing and, at the end, writes how long
// each test file took (seconds, the sum of its top-level tests) to the JSON
// file named by PASSTHRU_TEST_TIMES_OUT, merged into what is there: the next
// `npm test` starts the longest files first (scripts/test.js).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';

export default async function* timesReporter(source) {
  const out = process.env.PASSTHRU_TEST_TIMES_OUT;
  const root = process.env.PASSTHRU_TEST_ROOT ?? process.cwd();
  const seconds = new Map();
  for await (const event of source) {
    if ((event.type !== 'test:pass' && event.type !== 'test:fail') || event.data.nesting !== 0 || !event.data.file) continue;
    const f = relative(root, event.data.file);
    seconds.set(f, (seconds.get(f) ?? 0) + (event.data.details?.duration_ms ?? 0) / 1000);
  }
  if (!out || seconds.size === 0) return;
  let known = {};
  try {
    known = JSON.parse(readFileSync(out, 'utf8'));
  } catch {
    // none yet, or unreadable: start again
  }
  for (const [f, s] of seconds) known[f] = Math.round(s * 10) / 10;
  const sorted = Object.fromEntries(Object.entries(known).sort(([a], [b]) => a.localeCompare(b)));
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(sorted, null, 1)}\n`);
}
