// A node:test reporter that says one thing at the end: how many tests were
// skipped, and why (a test that needs root, sshd or python3-nova skips with
// a reason saying so). Used by scripts/test.js beside the spec reporter.
export default async function* skipReporter(source) {
  const reasons = new Map();
  let skipped = 0;
  for await (const event of source) {
    if ((event.type === 'test:pass' || event.type === 'test:fail') && event.data.skip !== undefined && event.data.details?.type !== 'suite') {
      skipped++;
      const why = typeof event.data.skip === 'string' ? event.data.skip.replace(/^SKIPPED:?\s*/i, '') : 'no reason given';
      reasons.set(why, (reasons.get(why) ?? 0) + 1);
    }
  }
  if (skipped === 0) {
    yield '\nskipped: 0 tests (every test ran)\n';
    return;
  }
  const lines = [...reasons].sort((a, b) => b[1] - a[1]).map(([why, n]) => `  ${n} ${why}`);
  yield `\n${lines.join('\n')}\nskipped: ${skipped} tests, for want of what the lines above name (as root with openssh-server and python3-nova, none skip)\n`;
}
