// A node:test reporter that says one thing at the end: how many tests were
// skipped, and why (a test that needs root, sshd or python3-nova skips with
// a reason saying so). Used by scripts/test.js beside the spec reporter.
//
// A suite skipped whole (describe(..., { skip })) does not run its body, so
// its tests are never seen one by one: it is counted as a suite.
import { writeFileSync } from 'node:fs';

export default async function* skipReporter(source) {
  const reasons = new Map();
  let tests = 0;
  let skippedTests = 0;
  let skippedSuites = 0;
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const suite = event.data.details?.type === 'suite';
    if (!suite) tests++;
    if (event.data.skip === undefined) continue;
    const why = typeof event.data.skip === 'string' ? event.data.skip.replace(/^SKIPPED:?\s*/i, '') : 'no reason given';
    const r = reasons.get(why) ?? { tests: 0, suites: 0 };
    if (suite) {
      skippedSuites++;
      r.suites++;
    } else {
      skippedTests++;
      r.tests++;
    }
    reasons.set(why, r);
  }
  // scripts/test.js reads it back (PASSTHRU_TEST_NO_SKIPS=1: a skip fails the run, as in CI)
  if (process.env.PASSTHRU_TEST_SKIPS_OUT) writeFileSync(process.env.PASSTHRU_TEST_SKIPS_OUT, JSON.stringify({ tests, skippedTests, skippedSuites }));
  if (skippedTests === 0 && skippedSuites === 0) {
    yield `\nskipped: none (all ${tests} tests ran)\n`;
    return;
  }
  const count = (n, what) => `${n} ${what}${n === 1 ? '' : 's'}`;
  const both = (r) => [r.tests ? count(r.tests, 'test') : '', r.suites ? count(r.suites, 'whole suite') : ''].filter(Boolean).join(' + ');
  const lines = [...reasons].sort((a, b) => b[1].tests + b[1].suites - (a[1].tests + a[1].suites)).map(([why, r]) => `  ${both(r).padEnd(24)} ${why}`);
  const suites = skippedSuites ? ` and ${count(skippedSuites, 'whole suite')}` : '';
  yield `\n${lines.join('\n')}\nskipped: ${skippedTests} of ${tests} tests${suites}, for want of what the lines above name (as root with openssh-server and python3-nova, none skip)\n`;
}
