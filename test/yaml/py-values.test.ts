// Python's values as ansible-inventory prints them: float repr, json.dumps,
// str() in --graph --vars, and PyYAML's dump (anchors, folding at 80 columns).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadYaml } from '../../src/yaml/ansible-yaml.ts';
import { dumpYaml } from '../../src/yaml/dump.ts';
import { plainData, pyFloat, pyFloatRepr, pyInt, pyJson, pyStr, Unsafe } from '../../src/yaml/py-values.ts';

test("float repr as Python's: exponent below 1e-4 and from 1e16, a whole float keeps .0", () => {
  const cases: Array<[number, string]> = [
    [4, '4.0'], [1000, '1000.0'], [-0, '-0.0'], [0.1, '0.1'], [1e-5, '1e-05'], [0.0001, '0.0001'],
    [1.5e16, '1.5e+16'], [1e16, '1e+16'], [123456789012345680, '1.2345678901234568e+17'], [9999999999999998, '9999999999999998.0'],
    [3.14159265358979, '3.14159265358979'], [1e22, '1e+22'], [2.5e-7, '2.5e-07'],
  ];
  for (const [n, want] of cases) assert.equal(pyFloatRepr(n), want, String(n));
});

test('only numbers JS would print differently are wrapped; the engine sees plain numbers', () => {
  assert.equal(pyFloat(1.5), 1.5);
  assert.equal(pyInt(42n), 42);
  const v = { f: pyFloat(4), big: pyInt(12345678901234567890n), u: new Unsafe('{{ x }}'), l: [pyFloat(1)] };
  assert.equal(pyJson(v), '{\n    "big": 12345678901234567890,\n    "f": 4.0,\n    "l": [\n        1.0\n    ],\n    "u": {\n        "__ansible_unsafe": "{{ x }}"\n    }\n}');
  assert.deepEqual(plainData(v), { f: 4, big: 12345678901234567890, u: '{{ x }}', l: [1] });
  assert.deepEqual(plainData(v, { template: true }), { f: 4, big: 12345678901234567890, u: '{{ "{{" }} x }}', l: [1] });
  assert.equal(pyStr([pyFloat(4), 'a', true, null, { k: new Unsafe('t') }]), "[4.0, 'a', True, None, {'k': 't'}]");
});

test('YAML dump reads back as the same data: quoting where the loader would type a string, anchors for shared values, folding', () => {
  const shared = ['x'];
  const data = { a: 'yes', b: '1.0', c: '1e3', d: '', e: 'plain text', f: "it's", g: 'line\nbreak', h: shared, i: shared, j: pyFloat(1e-5), k: '2024-01-05', l: `${'word '.repeat(20)}end` };
  const text = dumpYaml(data);
  assert.match(text, /^h: &id001\n- x\ni: \*id001$/m);
  assert.match(text, /^a: 'yes'$/m);
  assert.match(text, /^c: 1e3$/m);
  assert.match(text, /^j: 1\.0e-05$/m);
  assert.ok(text.split('\n').every((l) => l.length <= 90), 'long text folded');
  assert.equal(pyJson(loadYaml(text, 'dump.yml').data), pyJson(data));
});
