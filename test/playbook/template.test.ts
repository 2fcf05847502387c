import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/errors.ts';
import { compileTemplate, condition, render } from '../../src/playbook/template.ts';

const where = { file: 'site.yaml', line: 12, column: 9 };
const vars = {
  gpu_vendor: '10de',
  gpu_count: 2,
  enabled: true,
  nothing: null,
  aliases: [
    { name: 'rtx2080ti', vendor_id: '10de', product_id: '1e04' },
    { name: 'rtx2080ti-audio', vendor_id: '10de', product_id: '10f7' },
  ],
  groups: { compute: ['compute1', 'compute2'], controller: ['ctl1'] },
  hostvars: { compute1: { gpus: ['0000:3b:00.0', '0000:3b:00.1'] } },
  inventory_hostname: 'compute1',
  nova_conf: '/etc/nova/nova.conf',
  conf_backup: '{{ nova_conf }}.bak',
  loop_a: '{{ loop_b }}',
  loop_b: '{{ loop_a }}',
};

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected an error');
}

describe('render: a string that is exactly one {{ expr }} keeps the native value', () => {
  const table: Array<[string, unknown]> = [
    ['{{ gpu_count }}', 2],
    ['{{ enabled }}', true],
    ['{{ nothing }}', null],
    ['{{ aliases[0] }}', { name: 'rtx2080ti', vendor_id: '10de', product_id: '1e04' }],
    ['{{ groups.compute }}', ['compute1', 'compute2']],
    ['{{ hostvars[inventory_hostname].gpus }}', ['0000:3b:00.0', '0000:3b:00.1']],
    ["{{ hostvars['compute1'].gpus | length }}", 2],
    ['{{ groups.compute.1 }}', 'compute2'],
    ['{{ groups.compute[-1] }}', 'compute2'],
    ['{{ "42" | int }}', 42],
    ['{{ [1, 2] }}', [1, 2]],
    ["{{ {'a': [1, {'b': 2}]} }}", { a: [1, { b: 2 }] }],
    ['{{ \'{"a": 1}\' | from_json }}', { a: 1 }],
    ['{{ missing | default(3) }}', 3],
  ];
  for (const [tpl, want] of table) {
    it(`${tpl} -> ${JSON.stringify(want)}`, () => assert.deepEqual(render(tpl, vars, where), want));
  }
});

describe('render: anywhere else, text', () => {
  const table: Array<[string, string]> = [
    ['vendor {{ gpu_vendor }}', 'vendor 10de'],
    ['{{ gpu_count }} GPUs', '2 GPUs'],
    ['{{ enabled }}/{{ nothing }}/', 'true//'],
    ['alias = {{ aliases[0] }}', 'alias = {"name":"rtx2080ti","vendor_id":"10de","product_id":"1e04"}'],
    ['alias = {{ aliases[0] | to_json }}', 'alias = {"name":"rtx2080ti","vendor_id":"10de","product_id":"1e04"}'],
    ['hosts: {{ groups.compute | join(",") }}', 'hosts: compute1,compute2'],
    [' {{ gpu_count }}', ' 2'],
    ['{{ gpu_count }}{{ gpu_count }}', '22'],
    ['no template', 'no template'],
    ['literal {{ "{{" }} braces', 'literal {{ braces'],
    ["{{ '}}' }}", '}}'],
    ['bash ${#arr[@]} and ${x%.conf}', 'bash ${#arr[@]} and ${x%.conf}'],
  ];
  for (const [tpl, want] of table) {
    it(`${JSON.stringify(tpl)} -> ${JSON.stringify(want)}`, () => assert.equal(render(tpl, vars, where), want));
  }
});

describe('render: structures and nested variables', () => {
  it('walks lists and mappings, leaves keys and non-strings alone', () => {
    const args = { path: '{{ nova_conf }}', count: '{{ gpu_count }}', keep: 7, flags: ['{{ enabled }}', 'x'], '{{ key }}': 'k', nested: { v: 'v={{ gpu_vendor }}' } };
    assert.deepEqual(render(args, vars, where), { path: '/etc/nova/nova.conf', count: 2, keep: 7, flags: [true, 'x'], '{{ key }}': 'k', nested: { v: 'v=10de' } });
  });

  it('a variable whose value holds {{ }} is rendered when used', () => {
    assert.equal(render('{{ conf_backup }}', vars, where), '/etc/nova/nova.conf.bak');
    assert.equal(render('cp {{ nova_conf }} {{ conf_backup }}', vars, where), 'cp /etc/nova/nova.conf /etc/nova/nova.conf.bak');
  });

  it('variables that refer to each other in a loop: an error, not a hang', () => {
    const e = configError(() => render('{{ loop_a }}', vars, where));
    assert.match(e.message, /^site\.yaml:12:9: templates nested more than 20 levels deep/);
  });

  it('does not modify its input', () => {
    const input = { a: ['{{ gpu_count }}'] };
    render(input, vars, where);
    assert.deepEqual(input, { a: ['{{ gpu_count }}'] });
  });
});

describe('render: errors name the location and the variable, never the values', () => {
  it('undefined variable, with the hint', () => {
    const e = configError(() => render('intel_iommu={{ iommu_mode }}', vars, where));
    assert.equal(e.message, 'site.yaml:12:9: undefined variable "iommu_mode" in {{ iommu_mode }}');
    assert.equal(e.hint, "define it (-e iommu_mode=..., in the play's vars or in the inventory), or give a fallback: iommu_mode | default(...)");
  });

  it('a missing key names the path', () => {
    const e = configError(() => render('{{ hostvars[inventory_hostname].vfs }}', vars, where));
    assert.equal(e.message, 'site.yaml:12:9: "hostvars[inventory_hostname].vfs" is undefined (no key "vfs") in {{ hostvars[inventory_hostname].vfs }}');
    const i = configError(() => render('{{ groups.compute[5] }}', vars, where));
    assert.match(i.message, /"groups\.compute\[5\]" is undefined \(index 5 is out of range: it has 2 items\)/);
  });

  it('the location can depend on the path inside the value', () => {
    const e = configError(() => render({ a: 'ok', b: ['x', '{{ nope }}'] }, vars, (p) => ({ file: 'site.yaml', line: 20 + p.length, column: Number(p[1] ?? 0) })));
    assert.match(e.message, /^site\.yaml:22:1: undefined variable "nope"/);
  });

  it('messages do not contain values', () => {
    const secret = { db_password: 'hunter2-very-secret', n: 3 };
    const bySecret = configError(() => render('{{ hostvars[db_password] }}', { ...secret, hostvars: {} }, where));
    assert.equal(bySecret.message, 'site.yaml:12:9: "hostvars[db_password]" is undefined (no such key) in {{ hostvars[db_password] }}');
    for (const t of ['{{ db_password < n }}', '{{ db_password | from_json }}', '{{ db_password.x.y }}', '{{ n | join(",") }}', '{{ db_password[0:2] }}']) {
      try {
        render(t, secret, where);
      } catch (e) {
        assert.ok(e instanceof ConfigError, `${t}: ${String(e)}`);
        assert.doesNotMatch(`${e.message} ${e.hint ?? ''}`, /hunter2/);
        continue;
      }
      if (t !== '{{ db_password.x.y }}') assert.fail(`no error for ${t}`);
    }
  });

  it('{% %} statements are refused', () => {
    const e = configError(() => render('{% if x %}a{% endif %}', vars, where));
    assert.match(e.message, /Jinja statements \(\{% \.\.\. %\}\) are not supported/);
  });

  it('an unclosed {{', () => {
    const e = configError(() => render('a {{ b', vars, where));
    assert.equal(e.message, 'site.yaml:12:9: "{{" at character 3 is not closed by "}}"');
  });
});

describe('compileTemplate and condition', () => {
  it('splits text and expressions', () => {
    const c = compileTemplate('a {{ x }} b');
    assert.equal(c.single, false);
    assert.deepEqual(c.parts.map((p) => (typeof p === 'string' ? p : p.src)), ['a ', 'x', ' b']);
    assert.equal(compileTemplate('{{ x | default({"a": {"b": 1}}) }}').single, true);
  });

  it('a when: list is an "and"', () => {
    assert.equal(condition(['gpu_count > 1', "'compute1' in groups.compute"], vars, where), true);
    assert.equal(condition(['gpu_count > 1', 'not enabled'], vars, where), false);
    assert.equal(condition([], vars, where), true);
  });
});
