import { test } from 'node:test';
import assert from 'node:assert/strict';
import { colorEnabled, painter } from '../../src/ui/color.ts';

test('colors on a TTY only, and never with NO_COLOR set', () => {
  assert.equal(colorEnabled(true, {}), true);
  assert.equal(colorEnabled(false, {}), false);
  assert.equal(colorEnabled(true, { NO_COLOR: '1' }), false);
  assert.equal(colorEnabled(true, { NO_COLOR: '' }), true, 'an empty NO_COLOR does not count (no-color.org)');
});

test('painter: ANSI when on, the text itself when off', () => {
  assert.equal(painter(true)('red', 'FAILED'), '\u001b[31mFAILED\u001b[39m');
  assert.equal(painter(false)('red', 'FAILED'), 'FAILED');
});
