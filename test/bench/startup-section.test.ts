import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keepStartupSection, replaceStartupSection } from './startup-section.ts';

test('the startup figures are appended once, then replaced in place', () => {
  const first = replaceStartupSection('# Benchmark\n\n| a |\n', '## Startup\n\n| --version | 0.090 |\n');
  assert.match(first, /^# Benchmark\n\n\| a \|\n\n<!-- startup: .* -->\n## Startup\n\n\| --version \| 0\.090 \|\n<!-- \/startup -->\n$/);
  const second = replaceStartupSection(first, '## Startup\n\n| --version | 0.080 $& |\n');
  assert.equal(second, first.replace('0.090', () => '0.080 $&'));
});

test('rewriting the rest of RESULTS.md keeps the startup figures', () => {
  const old = replaceStartupSection('# old figures\n', '## Startup\n\nfigures\n');
  const kept = keepStartupSection('# new figures\n', old);
  assert.equal(kept, '# new figures\n\n<!-- startup: written by npm run bench:startup -->\n## Startup\n\nfigures\n<!-- /startup -->\n');
  assert.equal(keepStartupSection('# new figures\n', '# no startup section\n'), '# new figures\n');
  assert.equal(keepStartupSection('# new figures\n', undefined), '# new figures\n');
});
