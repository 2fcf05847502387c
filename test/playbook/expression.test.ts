import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/errors.ts';
import { evaluate, truthy } from '../../src/playbook/template.ts';

const where = { file: 'site.yaml', line: 30, column: 13 };
const vars = {
  count: 3,
  count_text: '3',
  name: 'Compute1',
  empty: '',
  zero: 0,
  none: null,
  flags: [],
  ratio: 0.5,
  gpus: ['10de:1e04', '10de:10f7', '10de:1e04'],
  nums: [3, 1, 2],
  words: ['b', 'A', 'c'],
  conf: { section: { key: 'v' } },
  result: { changed: true, failed: false, rc: 0, stdout: 'ok' },
  skipped_result: { changed: false, skipped: true },
  hostvars: { c1: { gpu: true }, c2: {} },
  host: 'c1',
  answer: 'yes',
  json_text: '{"a": [1, 2]}',
};
const ev = (e: string): unknown => evaluate(e, vars, where);

describe('evaluate: operators', () => {
  const table: Array<[string, unknown]> = [
    ['count == 3', true],
    ['count != 3', false],
    ['count > 2 and count <= 3', true],
    ['count < 1 or name == "Compute1"', true],
    ['not count == 3', false],
    ['not (count > 1 and zero)', true],
    ["'10de:1e04' in gpus", true],
    ["'8086:1234' not in gpus", true],
    ["'ute' in name", true],
    ["'section' in conf", true],
    ['"a" < "b"', true],
    ['[1, 2] == [1, 2]', true],
    ["{'a': 1} == {'a': 1}", true],
    ['count == 3.0', true],
    ['-1 < zero', true],
    ['none == None and none == null', true],
    ['True and true', true],
    ['empty or "fallback"', 'fallback'],
    ['count and name', 'Compute1'],
    ['(count)', 3],
    ['conf.section.key', 'v'],
    ["conf['section']['key']", 'v'],
    ['hostvars[host].gpu', true],
    ['gpus.0', '10de:1e04'],
    ['gpus[-1]', '10de:1e04'],
  ];
  for (const [e, want] of table) it(`${e} -> ${JSON.stringify(want)}`, () => assert.deepEqual(ev(e), want));
});

describe('evaluate: tests', () => {
  const table: Array<[string, boolean]> = [
    ['count is defined', true],
    ['missing is defined', false],
    ['missing is not defined', true],
    ['missing is undefined', true],
    ['missing.deeper.still is defined', false],
    ['hostvars.c2.gpu is defined', false],
    ['hostvars[host].gpu is defined and hostvars[host].gpu', true],
    ['none is none', true],
    ['result is changed', true],
    ['result is failed', false],
    ['result is succeeded', true],
    ['result is not skipped', true],
    ['skipped_result is skipped', true],
    ['missing is not defined or missing > 1', true],
    ['missing is defined and missing > 1', false],
  ];
  for (const [e, want] of table) it(`${e} -> ${want}`, () => assert.equal(ev(e), want));
});

describe('evaluate: filters', () => {
  const table: Array<[string, unknown]> = [
    ['missing | default(5)', 5],
    ['missing | default', ''],
    ['missing.x | default("d")', 'd'],
    ['empty | default("d")', ''],
    ['empty | default("d", true)', 'd'],
    ['empty | default("d", boolean=true)', 'd'],
    ['missing | d(1)', 1],
    ['gpus | join(",")', '10de:1e04,10de:10f7,10de:1e04'],
    ['nums | join', '312'],
    ['name | lower', 'compute1'],
    ['name | upper', 'COMPUTE1'],
    ['"  x  " | trim', 'x'],
    ['gpus | length', 3],
    ['name | length', 8],
    ['conf | length', 1],
    ['count_text | int', 3],
    ['"4.7" | int', 4],
    ['"abc" | int', 0],
    ['"abc" | int(-1)', -1],
    ['ratio | int', 0],
    ['true | int', 1],
    ['answer | bool', true],
    ['"off" | bool', false],
    ['"True" | bool', true],
    ['1 | bool', true],
    ['conf | to_json', '{"section":{"key":"v"}}'],
    ['json_text | from_json', { a: [1, 2] }],
    ['gpus | unique', ['10de:1e04', '10de:10f7']],
    ['nums | sort', [1, 2, 3]],
    ['nums | sort(reverse=true)', [3, 2, 1]],
    ['words | sort', ['A', 'b', 'c']],
    ['words | sort(case_sensitive=true)', ['A', 'b', 'c']],
    ['["b", "B", "a"] | sort(false, true)', ['B', 'a', 'b']],
    ['gpus | first', '10de:1e04'],
    ['nums | last', 2],
    ['name | first', 'C'],
    ['flags | first | default("none")', 'none'],
    ['name | replace("Compute", "gpu-")', 'gpu-1'],
    ['"a-a-a" | replace("a", "b", 2)', 'b-b-a'],
    ['count | string', '3'],
    ['gpus | unique | length > 1', true],
    ['count_text | int > 2', true],
  ];
  for (const [e, want] of table) it(`${e} -> ${JSON.stringify(want)}`, () => assert.deepEqual(ev(e), want));
});

describe('truthy: Python truthiness', () => {
  it('false, none, 0, "", [], {} are false; the rest true', () => {
    for (const v of [false, null, 0, '', [], {}]) assert.equal(truthy(v), false, JSON.stringify(v));
    for (const v of [true, 1, -1, 'false', '0', [0], { a: 0 }]) assert.equal(truthy(v), true, JSON.stringify(v));
  });
});

describe('evaluate: errors name the location', () => {
  function err(e: string): ConfigError {
    try {
      evaluate(e, vars, where);
    } catch (x) {
      assert.ok(x instanceof ConfigError, `${e}: ${String(x)}`);
      return x;
    }
    assert.fail(`no error for ${e}`);
  }

  it('undefined variable', () => {
    const e = err('gpu_mode == "pt"');
    assert.equal(e.message, 'site.yaml:30:13: undefined variable "gpu_mode" in (gpu_mode == "pt")');
    assert.match(e.hint ?? '', /-e gpu_mode=\.\.\..*default/);
    assert.match(err('missing').message, /undefined variable "missing"/);
    assert.match(err('not missing').message, /undefined variable "missing"/);
    assert.match(err('missing | length').message, /undefined variable "missing"/);
  });

  it('comparing a string with a number suggests | int', () => {
    const e = err('count_text > 2');
    assert.equal(e.message, 'site.yaml:30:13: cannot compare a string with a number using > in (count_text > 2)');
    assert.match(e.hint ?? '', /\| int/);
  });

  it('syntax errors', () => {
    const table: Array<[string, RegExp]> = [
      ['count ==', /unexpected end of expression/],
      ['(count', /expected "\)"/],
      ['count === 3', /^site\.yaml:30:13: unexpected "=" at character 9 of "count === 3"$/],
      ['1 < count < 5', /chained comparison/],
      ['count + 1', /"\+" is not supported/],
      ['count && 1', /unexpected "&"/],
      ['"unclosed', /a string is not closed/],
      ['', /empty expression/],
      ['count | nosuch', /unknown filter "nosuch"/],
      ['count is evn', /unknown test "evn"/],
      ['gpus | join(",", "x")', /join takes at most 1 argument, got 2/],
      ['name | replace("a")', /replace needs 2 arguments/],
      ['nums | sort(reverse=true, reverse=false)', /given twice/],
      ['nums | sort(order=1)', /sort has no argument "order"/],
      ['3abc', /unexpected "a" after the number 3/],
      ['count | constructor', /unknown filter "constructor"/],
      ['count | __proto__', /unknown filter "__proto__"/],
      ['count is toString', /unknown test "toString"/],
      ['nums | sort(__proto__=1)', /sort has no argument "__proto__"/],
    ];
    for (const [e, re] of table) assert.match(err(e).message, re, e);
  });

  it('type errors', () => {
    assert.match(err('count | join(",")').message, /join needs a list, not a number/);
    assert.match(err('[1, "a"] | sort').message, /sort needs a list of numbers or a list of strings/);
    assert.match(err('1 in count').message, /"in" needs a list, a string or a mapping on the right, not a number/);
    assert.match(err('name | from_json').message, /from_json: the string is not valid JSON/);
    assert.match(err('count is changed').message, /"is changed" needs a registered step result/);
  });

  it('no access to JavaScript internals', () => {
    assert.equal(ev('conf.constructor is defined'), false);
    assert.equal(ev('conf.__proto__ is defined'), false);
    assert.equal(ev('name.length is defined'), false);
    assert.equal(ev("conf['toString'] is defined"), false);
  });
});
