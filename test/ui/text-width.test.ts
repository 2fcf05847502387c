import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clean, fit, visibleWidth } from '../../src/ui/text-width.ts';

test('width on a terminal: colors take no column, CJK two, combining marks none', () => {
  assert.equal(visibleWidth('\u001b[31mFAILED\u001b[39m'), 6);
  assert.equal(visibleWidth('日本'), 4);
  assert.equal(visibleWidth('e\u0301'), 1);
  assert.equal(visibleWidth('✓ █░…'), 5);
});

test('fit cuts to the width with an ellipsis, keeps colors and closes them', () => {
  assert.equal(fit('short', 10), 'short');
  assert.equal(fit('0123456789abc', 10), '012345678…');
  const cut = fit('\u001b[31mFAILED: a long error message\u001b[39m', 12);
  assert.equal(visibleWidth(cut), 12);
  assert.ok(cut.endsWith('…\u001b[0m'));
  assert.equal(visibleWidth(fit('日本語のエラー', 5)), 5);
  assert.equal(fit('anything', 0), '');
});

test('control characters in an error become spaces: one line, one column each', () => {
  assert.equal(clean('a\tb\rc\u001b]0;title\u0007'), 'a b c ]0;title ');
  assert.equal(clean('\u001b[1mbold\u001b[22m'), '\u001b[1mbold\u001b[22m');
});
