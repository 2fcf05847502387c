import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { novaCall, parseNovaValues, type NovaCall, type NovaCheck } from '../../src/nova/check.ts';
import type { NovaUnit } from '../../src/nova/check-batch.ts';
import { novaValues } from '../../src/nova/values.ts';
import { PY, TempDir, requireNova, runNovaChecks } from './helpers.ts';

/** One call as on a host: `sh -c COMMAND` with the JSON document on stdin. */
function call(c: NovaCall, edit: (command: string) => string = (x) => x): { out: string; code: number } {
  const { command, stdin } = novaCall(c, PY);
  const r = spawnSync('sh', ['-c', edit(command)], { input: stdin, encoding: 'utf8', timeout: 120_000 });
  return { out: `${r.stdout}\n${r.stderr}`, code: r.status ?? 255 };
}

const texts = (files: string[]) => files.map((text, i) => ({ path: `/etc/nova/${i}.conf`, text }));

const ALIAS = (name: string, product: string, type = 'type-PCI') => `{"name":"${name}","vendor_id":"10de","product_id":"${product}","device_type":"${type}"}`;

// files as the services read them, and what passthru predicts nova reads
const CASES: Array<{ name: string; files: string[]; checks: NovaCheck[] }> = [
  { name: 'fresh compute', files: [`[pci]\nalias = ${ALIAS('a', '1e04')}\ndevice_spec = {"vendor_id":"10de","product_id":"1e04"}\n`], checks: ['alias', 'device_spec'] },
  {
    name: 'deprecated names and two files add up',
    files: [
      `[DEFAULT]\npci_alias = ${ALIAS('old', '10f7')}\npci_passthrough_whitelist = {"vendor_id":"8086"}\n[pci]\nalias = ${ALIAS('a', '1e04')}\ndevice_spec = {"vendor_id":"10de","product_id":"1e04"}\npassthrough_whitelist = {"vendor_id":"10de","product_id":"10f7"}\n`,
      `[pci]\nalias = ${ALIAS('b', '1ad6')}\n[pci]\ndevice_spec = {"vendor_id":"10de","product_id":"1ad6"}\n`,
    ],
    checks: ['alias', 'device_spec'],
  },
  { name: 'controller, filters line absent', files: [`[pci]\nalias = ${ALIAS('a', '1e04')}\n`], checks: ['alias', 'filters'] },
  {
    name: 'controller, filters in two files, available_filters given',
    files: [
      '[filter_scheduler]\nenabled_filters = ComputeFilter,ImagePropertiesFilter\navailable_filters = nova.scheduler.filters.all_filters\n',
      '[filter_scheduler]\nenabled_filters = ComputeFilter, PciPassthroughFilter\n',
    ],
    checks: ['alias', 'filters'],
  },
];

test("passthru predicts the values nova's oslo.config reads (check.py --values), in order", (t) => {
  if (!requireNova(t)) return;
  for (const c of CASES) {
    const r = call({ checks: c.checks, files: texts(c.files) });
    const read = parseNovaValues(r.out, r.code);
    assert.equal(read.ok, true, `${c.name}: ${read.error}`);
    assert.deepEqual(novaValues(c.files, 'zed', c.checks), read.values, c.name);
  }
});

test('--values alone is cheap: no nova module beyond its option definitions; a parse error is reported', (t) => {
  if (!requireNova(t)) return;
  // python -X importtime lists every module imported: nova.pci, nova.objects, eventlet must not be among them
  const r = call({ checks: ['alias', 'device_spec'], files: texts(CASES[0]!.files) }, (c) => c.replace(`${PY} -c`, `${PY} -X importtime -c`));
  assert.equal(parseNovaValues(r.out, r.code).ok, true, r.out);
  assert.match(r.out, /\| oslo_config\.cfg$/m, 'importtime lists the modules');
  assert.doesNotMatch(r.out, /\| (nova\.pci|nova\.objects|eventlet|sqlalchemy)\b/);
  // a parse error names the host's file (not the temp copy) and its line
  const broken = call({ checks: ['alias'], files: [{ path: '/etc/nova/nova.conf', text: '[pci]\n  indented first\n' }] });
  const b = parseNovaValues(broken.out, broken.code);
  assert.equal(b.ok, false);
  assert.equal(b.check, 'parse');
  assert.match(b.error ?? '', /ConfigFileParseError: Failed to parse \/etc\/nova\/nova\.conf: at \/etc\/nova\/nova\.conf:2/);
  assert.doesNotMatch(broken.out, /passthru-nova-check-/);
});

test('checks on values (--units) answer as the checks on the files that hold those values', (t) => {
  if (!requireNova(t)) return;
  const dir = new TempDir();
  t.after(() => dir.remove());
  const files: Array<[string, string, NovaCheck[]]> = [
    ['ok', `[pci]\nalias = ${ALIAS('a', '1e04')}\ndevice_spec = {"vendor_id":"10de","product_id":"1e04"}\n`, ['alias', 'device_spec']],
    ['list alias', `[pci]\nalias = [${ALIAS('a', '1e04')}]\n`, ['alias']],
    ['type mismatch', `[pci]\nalias = ${ALIAS('a', '1e04')}\nalias = ${ALIAS('a', '10f7', 'type-PF')}\n`, ['alias']],
    ['bad bus', '[pci]\ndevice_spec = {"vendor_id":"10de","address":"0000:zz:00.0"}\n', ['device_spec']],
    ['removed filter', '[filter_scheduler]\nenabled_filters = RamFilter,ComputeFilter\n', ['filters']],
    ['filter not available', '[filter_scheduler]\nenabled_filters = PciPassthroughFilter\navailable_filters = nova.scheduler.filters.compute_filter.ComputeFilter\n', ['filters']],
  ];
  const units: NovaUnit[] = [];
  const expected: Array<{ name: string; ok: boolean; error?: string | undefined; check?: string | undefined }> = [];
  const paths = files.map(([name, text]) => dir.file(`${name.replace(/\W+/g, '-')}.conf`, text));
  // nova's whole-file check of each, in one python process (importing nova once)
  const wholes = runNovaChecks(files.map(([, , checks], i) => ({ files: [paths[i]!], checks })));
  for (const [i, [name, text, checks]] of files.entries()) {
    const [path, whole] = [paths[i]!, wholes[i]!];
    const read = parseNovaValues(call({ checks, files: [{ path, text }] }).out, 0);
    for (const c of checks) {
      const v = read.values!;
      units.push(c === 'filters' ? { check: 'filters', enabled: v.filters!.enabled, available: v.filters!.available } : { check: c, values: (c === 'alias' ? v.alias : v.device_spec)! });
      expected.push({ name: `${name}/${c}`, ok: whole.ok || whole.check !== c, error: whole.check === c ? whole.error : undefined });
    }
  }
  const r = call({ checks: [], units });
  const answer = parseNovaValues(r.out, r.code);
  assert.equal(answer.ok, true, r.out);
  assert.equal(answer.units?.length, units.length);
  answer.units!.forEach((u, i) => {
    const e = expected[i]!;
    assert.equal(u.ok, e.ok, e.name);
    if (!e.ok) assert.equal(u.error, e.error, e.name);
  });
});

