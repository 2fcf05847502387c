import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import { editOslo, getValues, parseOslo, readOslo } from '../../src/inifile/oslo.ts';

const FIX = new URL('../fixtures/nova/', import.meta.url);
const fixture = (name: string): string => readFileSync(new URL(name, FIX), 'utf8');
const FIXTURES = ['rdo-controller-nova.conf', 'rdo-compute-nova.conf', 'ubuntu-controller-nova.conf', 'ubuntu-nova-compute.conf', 'kolla-compute-nova.conf'];

const PY = '/usr/bin/python3';
const hasOslo = existsSync(PY) && (() => {
  try {
    execFileSync(PY, ['-c', 'import oslo_config'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** What oslo.config itself reads from a file (section names normalized like cfg._normalize_group_name). */
function osloRead(path: string): Record<string, Record<string, string[]>> {
  const code = [
    'import json, sys',
    'from oslo_config import cfg',
    'sections = {}',
    'normalized = {}',
    'p = cfg.ConfigParser(sys.argv[1], sections)',
    'p._add_normalized(normalized)',
    'p.parse()',
    'print(json.dumps(normalized))',
  ].join('\n');
  return JSON.parse(execFileSync(PY, ['-c', code, path], { encoding: 'utf8' })) as Record<string, Record<string, string[]>>;
}

function asObject(m: Map<string, Map<string, string[]>>): Record<string, Record<string, string[]>> {
  const o: Record<string, Record<string, string[]>> = {};
  for (const [s, keys] of m) {
    if (keys.size === 0) continue;
    o[s] = Object.fromEntries(keys);
  }
  return o;
}

function changedLines(before: string, after: string): { removed: string[]; added: string[] } {
  const a = before.split('\n');
  const b = after.split('\n');
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  let j = 0;
  while (j < a.length - i && j < b.length - i && a[a.length - 1 - j] === b[b.length - 1 - j]) j++;
  return { removed: a.slice(i, a.length - j), added: b.slice(i, b.length - j) };
}

test('reads every fixture exactly as oslo.config does', { skip: hasOslo ? false : 'needs /usr/bin/python3 with oslo.config' }, () => {
  for (const name of FIXTURES) {
    const path = new URL(name, FIX).pathname;
    const ours = asObject(readOslo(fixture(name)));
    const theirs = osloRead(path);
    for (const k of Object.keys(theirs)) if (Object.keys(theirs[k]!).length === 0) delete theirs[k];
    assert.deepEqual(ours, theirs, name);
  }
});

test('multi-valued keys, continuation lines and the operator whitelist', () => {
  const text = fixture('rdo-compute-nova.conf');
  const aliases = getValues(text, 'pci', 'alias');
  assert.equal(aliases.length, 4);
  assert.equal(JSON.parse(aliases[0]!).name, 'nv2080vga');
  const wl = getValues(text, 'pci', 'passthrough_whitelist');
  assert.equal(wl.length, 2);
  // continuation lines are left-stripped and joined with \n, and the JSON list parses
  assert.equal(wl[0]!.split('\n').length, 4);
  assert.ok(wl[0]!.split('\n')[1]!.startsWith('{ "vendor_id"'));
  assert.equal((JSON.parse(wl[0]!) as unknown[]).length, 4);
  assert.deepEqual(getValues(text, 'PCI', 'alias'), aliases, 'section names compare lower-cased');
  assert.deepEqual(getValues(text, 'pci', 'Alias'), [], 'keys are case-sensitive');
});

test('comment and value rules: # only at line start, indented lines continue, blank ends', () => {
  const text = ['[DEFAULT]', 'a = x # not a comment', '# comment', '; also comment', 'b: y', 'c =', '  continued', '', '  orphan', 'd="quoted"', "e = 'q'", 'f = "a" and "b"'].join('\n');
  const doc = parseOslo(text);
  const r = readOslo(text).get('DEFAULT')!;
  assert.deepEqual(r.get('a'), ['x # not a comment']);
  assert.deepEqual(r.get('b'), ['y']);
  assert.deepEqual(r.get('c'), ['\ncontinued']);
  assert.deepEqual(r.get('d'), ['quoted']);
  assert.deepEqual(r.get('e'), ['q']);
  assert.deepEqual(r.get('f'), ['a" and "b']);
  assert.deepEqual(doc.problems, [{ line: 9, message: 'Unexpected continuation line' }]);
});

test('editing nothing returns the identical string', () => {
  for (const name of FIXTURES) {
    const text = fixture(name);
    assert.equal(editOslo(text, []), text);
    // operations that find nothing to do change nothing either
    const first = readOslo(text).get('DEFAULT')?.entries().next().value as [string, string[]] | undefined;
    if (first) assert.equal(editOslo(text, [{ op: 'set', section: 'DEFAULT', key: first[0], value: first[1][0]! }]), text);
    assert.equal(editOslo(text, [{ op: 'remove', section: 'pci', key: 'no_such_key' }]), text);
    assert.equal(editOslo(text, [{ op: 'set_multi', section: 'pci', key: 'alias', values: getValues(text, 'pci', 'alias') }]), text);
  }
});

test('an operation done already changes nothing, one done all but a duplicate still edits', () => {
  const multi = '[pci]\nalias = b\nalias = a\n';
  // the same values in another order: each line stays
  assert.equal(editOslo(multi, [{ op: 'set_multi', section: 'pci', key: 'alias', values: ['a', 'b'] }]), multi);
  assert.equal(editOslo(multi, [{ op: 'ensure_values', section: 'pci', key: 'alias', values: ['a'] }]), multi);
  assert.equal(editOslo(multi, [{ op: 'remove_values', section: 'pci', key: 'alias', match: (v) => v === 'c' }]), multi);
  // a repeated value is one value too many
  assert.equal(editOslo('[pci]\nalias = a\nalias = a\n', [{ op: 'set_multi', section: 'pci', key: 'alias', values: ['a'] }]), '[pci]\nalias = a\n');
  assert.equal(editOslo('[DEFAULT]\nx = 1\nx = 1\n', [{ op: 'set', section: 'DEFAULT', key: 'x', value: '1' }]), '[DEFAULT]\nx = 1\n');
  // a value oslo.config would not read back is refused, whether or not it is there already
  assert.throws(() => editOslo('[DEFAULT]\nx = " 1"\n', [{ op: 'set', section: 'DEFAULT', key: 'x', value: ' 1' }]), /leading or trailing whitespace/);
});

test('set replaces in place, keeping the spacing style of the line', () => {
  const rdo = fixture('rdo-controller-nova.conf');
  const out = editOslo(rdo, [{ op: 'set', section: 'filter_scheduler', key: 'enabled_filters', value: 'ComputeFilter,PciPassthroughFilter' }]);
  const d = changedLines(rdo, out);
  assert.deepEqual(d.removed, ['enabled_filters=RetryFilter,AvailabilityZoneFilter,ComputeFilter,ComputeCapabilitiesFilter,ImagePropertiesFilter,ServerGroupAntiAffinityFilter,ServerGroupAffinityFilter']);
  assert.deepEqual(d.added, ['enabled_filters=ComputeFilter,PciPassthroughFilter']);

  const kolla = fixture('kolla-compute-nova.conf');
  const k2 = editOslo(kolla, [{ op: 'set', section: 'glance', key: 'cafile', value: '/etc/ssl/ca.pem' }]);
  assert.deepEqual(changedLines(kolla, k2), { removed: ['cafile = '], added: ['cafile = /etc/ssl/ca.pem'] });
});

test('set removes later duplicates (last one wins in oslo.config)', () => {
  const text = '[filter_scheduler]\nenabled_filters = A\n# keep me\nenabled_filters = B\nx = 1\n';
  assert.equal(editOslo(text, [{ op: 'set', section: 'filter_scheduler', key: 'enabled_filters', value: 'C' }]), '[filter_scheduler]\nenabled_filters = C\n# keep me\nx = 1\n');
});

test('a missing key goes after the last key line of its section; a missing section at the end', () => {
  const kolla = fixture('kolla-compute-nova.conf');
  const out = editOslo(kolla, [{ op: 'ensure_values', section: 'oslo_concurrency', key: 'disable_process_locking', values: ['false'] }]);
  assert.ok(out.includes('[oslo_concurrency]\nlock_path = /var/lib/nova/tmp\ndisable_process_locking = false\n\n[oslo_messaging_notifications]'));

  // RDO's [pci] has only commented defaults: the value goes right under the header
  const rdo = fixture('rdo-controller-nova.conf');
  const withAlias = editOslo(rdo, [{ op: 'ensure_values', section: 'pci', key: 'alias', values: ['{"name":"a"}'] }]);
  assert.deepEqual(changedLines(rdo, withAlias), { removed: [], added: ['alias={"name":"a"}'] });
  assert.ok(withAlias.includes('[pci]\nalias={"name":"a"}\n\n#\n# From nova.conf'));

  const ubuntuCompute = fixture('ubuntu-nova-compute.conf');
  const withPci = editOslo(ubuntuCompute, [{ op: 'set_multi', section: 'pci', key: 'device_spec', values: ['{"vendor_id":"10de"}'] }]);
  assert.equal(withPci, `${ubuntuCompute}\n[pci]\ndevice_spec={"vendor_id":"10de"}\n`);
});

test('set_multi: equal values stay, others replaced in place, extras removed, missing appended after the last', () => {
  const text = ['[pci]', 'alias = A', '# c1', 'alias = B', 'alias = C', 'other = 1', ''].join('\n');
  const out = editOslo(text, [{ op: 'set_multi', section: 'pci', key: 'alias', values: ['C', 'D', 'E', 'F'] }]);
  assert.equal(out, ['[pci]', 'alias = D', '# c1', 'alias = E', 'alias = C', 'alias = F', 'other = 1', ''].join('\n'));
  const fewer = editOslo(text, [{ op: 'set_multi', section: 'pci', key: 'alias', values: ['B'] }]);
  assert.equal(fewer, ['[pci]', '# c1', 'alias = B', 'other = 1', ''].join('\n'));
  assert.equal(editOslo(text, [{ op: 'set_multi', section: 'pci', key: 'alias', values: [] }]), ['[pci]', '# c1', 'other = 1', ''].join('\n'));
});

test('a multi-line value is replaced or removed whole, with its continuation lines', () => {
  const text = fixture('rdo-compute-nova.conf');
  const out = editOslo(text, [{ op: 'remove_values', section: 'pci', key: 'passthrough_whitelist', match: (v) => v.includes('10de') }]);
  const d = changedLines(text, out);
  assert.equal(d.added.length, 0);
  assert.equal(d.removed.length, 4);
  assert.ok(d.removed[0]!.startsWith('passthrough_whitelist = [{ "vendor_id": "10de"'));
  assert.deepEqual(getValues(out, 'pci', 'passthrough_whitelist'), ['{"address": "0000:5e:00.*", "physical_network": "physnet2"}']);
  // the comments around stay
  assert.ok(out.includes('# passthrough_whitelist配置该计算节点可用于直通的设备\n# SR-IOV NIC for the provider network (neutron sriov agent)\npassthrough_whitelist = {"address"'));
});

test('values with newlines are written as continuation lines and read back', () => {
  const out = editOslo('[pci]\n', [{ op: 'set', section: 'pci', key: 'device_spec', value: '[{"a": 1},\n{"b": 2}]' }]);
  assert.equal(out, '[pci]\ndevice_spec = [{"a": 1},\n    {"b": 2}]\n');
  assert.deepEqual(getValues(out, 'pci', 'device_spec'), ['[{"a": 1},\n{"b": 2}]']);
  assert.throws(() => editOslo('[pci]\n', [{ op: 'set', section: 'pci', key: 'x', value: '"quoted"' }]), /quotes/);
});

test('CRLF files stay CRLF, and untouched lines stay byte for byte', () => {
  const lf = fixture('kolla-compute-nova.conf');
  const crlf = lf.replace(/\n/g, '\r\n');
  const out = editOslo(crlf, [
    { op: 'set', section: 'libvirt', key: 'cpu_mode', value: 'host-model' },
    { op: 'ensure_values', section: 'pci', key: 'alias', values: ['{"name":"x"}'] },
  ]);
  assert.ok(!/[^\r]\n/.test(out), 'every newline is CRLF');
  assert.equal(out.replace(/\r\n/g, '\n'), editOslo(lf, [
    { op: 'set', section: 'libvirt', key: 'cpu_mode', value: 'host-model' },
    { op: 'ensure_values', section: 'pci', key: 'alias', values: ['{"name":"x"}'] },
  ]));
  assert.deepEqual(getValues(out, 'pci', 'alias'), ['{"name":"x"}']);
});

test('a file without a final newline keeps having none', () => {
  const text = '[DEFAULT]\ndebug = False\n[pci]\nalias = A';
  assert.equal(editOslo(text, [{ op: 'ensure_values', section: 'pci', key: 'alias', values: ['B'] }]), '[DEFAULT]\ndebug = False\n[pci]\nalias = A\nalias = B');
  assert.equal(editOslo(text, [{ op: 'remove', section: 'pci', key: 'alias' }]), '[DEFAULT]\ndebug = False\n[pci]');
  assert.equal(editOslo(text, [{ op: 'set', section: 'scheduler', key: 'workers', value: '2' }]), '[DEFAULT]\ndebug = False\n[pci]\nalias = A\n\n[scheduler]\nworkers = 2');
  assert.equal(editOslo('', [{ op: 'set', section: 'pci', key: 'alias', value: 'A' }]), '[pci]\nalias = A\n');
});

test('repeated sections add up and edits find values in any of them', () => {
  const text = '[pci]\nalias = A\n\n[DEFAULT]\nx = 1\n\n[PCI]\nalias = B\n';
  assert.deepEqual(getValues(text, 'pci', 'alias'), ['A', 'B']);
  assert.equal(editOslo(text, [{ op: 'remove_values', section: 'pci', key: 'alias', match: (v) => v === 'B' }]), '[pci]\nalias = A\n\n[DEFAULT]\nx = 1\n\n[PCI]\n');
  assert.equal(editOslo(text, [{ op: 'ensure_values', section: 'pci', key: 'alias', values: ['C'] }]), '[pci]\nalias = A\n\n[DEFAULT]\nx = 1\n\n[PCI]\nalias = B\nalias = C\n');
});

test('property: set_multi then read gives exactly the values, and is idempotent', () => {
  const value = fc.stringMatching(/^[a-z0-9{][a-z0-9{}":,_-]{0,11}$/);
  fc.assert(
    fc.property(fc.array(value, { maxLength: 5 }), fc.array(value, { maxLength: 5 }), fc.boolean(), (initial, wanted, crlf) => {
      let text = ['[DEFAULT]', 'debug = true', '', '[pci]', '# doc', ...initial.map((v) => `alias = ${v}`), 'report_in_placement = false', ''].join('\n');
      if (crlf) text = text.replace(/\n/g, '\r\n');
      const out = editOslo(text, [{ op: 'set_multi', section: 'pci', key: 'alias', values: wanted }]);
      assert.deepEqual([...getValues(out, 'pci', 'alias')].sort(), [...wanted].sort());
      assert.deepEqual(getValues(out, 'DEFAULT', 'debug'), ['true']);
      assert.deepEqual(getValues(out, 'pci', 'report_in_placement'), ['false']);
      assert.equal(editOslo(out, [{ op: 'set_multi', section: 'pci', key: 'alias', values: wanted }]), out);
      assert.ok(out.includes(crlf ? '# doc\r\n' : '# doc\n'));
    }),
    { numRuns: 300 },
  );
});
