// Shared by the inventory tests: where the fixtures are, and an assertion
// that a call fails the way a user should see it (ConfigError, file:line, hint).

import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../src/errors.ts';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/inventory');
export const EXPECTED = join(FIXTURES, 'expected');
export const CASES = join(FIXTURES, 'cases');
export const EXAMPLES = join(dirname(fileURLToPath(import.meta.url)), '../../inventory');

/** every fixture inventory (files directly in test/fixtures/inventory, not the scripts) */
export function fixtureNames(): string[] {
  return readdirSync(FIXTURES)
    .filter((f) => statSync(join(FIXTURES, f)).isFile() && !/\.(sh|py|md)$/.test(f))
    .sort();
}

export interface Expected {
  file?: string;
  line?: number;
  /** all of these must appear in the message */
  message: Array<string | RegExp>;
  /** all of these must appear in the hint */
  hint?: Array<string | RegExp>;
}

function has(text: string, part: string | RegExp): boolean {
  return typeof part === 'string' ? text.includes(part) : part.test(text);
}

export function checkConfigError(e: unknown, want: Expected): ConfigError {
  assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
  if (want.file !== undefined) assert.equal(e.location.file, want.file);
  if (want.line !== undefined) {
    assert.equal(e.location.line, want.line, `line of: ${e.message}`);
    assert.ok(e.message.startsWith(`${e.location.file}:${want.line}`), `message starts with file:line: ${e.message}`);
  }
  for (const m of want.message) assert.ok(has(e.message, m), `message ${JSON.stringify(e.message)} should contain ${String(m)}`);
  assert.ok(e.hint && e.hint.length > 0, `a hint is given for: ${e.message}`);
  for (const h of want.hint ?? []) assert.ok(has(e.hint ?? '', h), `hint ${JSON.stringify(e.hint)} should contain ${String(h)}`);
  assert.ok(!/\n\s+at /.test(e.message), 'no stack trace in the message');
  return e;
}

export function throwsConfigError(fn: () => unknown, want: Expected): ConfigError {
  try {
    fn();
  } catch (e) {
    return checkConfigError(e, want);
  }
  assert.fail(`expected a ConfigError (${want.message.map(String).join(', ')})`);
}

export async function rejectsConfigError(p: Promise<unknown>, want: Expected): Promise<ConfigError> {
  try {
    await p;
  } catch (e) {
    return checkConfigError(e, want);
  }
  assert.fail(`expected a ConfigError (${want.message.map(String).join(', ')})`);
}
