import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { NOVA_PYTHON_PROBE, checksForRole, novaCheckCommand, parseNovaCheck } from '../../src/nova/check.ts';
import { TempDir, requireNova, runNovaCheck, runNovaChecks } from './helpers.ts';

const GOOD = `[DEFAULT]
debug = false

[pci]
alias = {"name":"nvidia-1e04-vga","vendor_id":"10de","product_id":"1e04","device_type":"type-PCI"}
alias = {"name":"nvidia-10f7-audio","vendor_id":"10de","product_id":"10f7","device_type":"type-PCI"}
device_spec = {"vendor_id":"10de","product_id":"1e04"}
device_spec = [{"vendor_id":"10de","product_id":"10f7"}, {"address":"0000:5e:00.*","physical_network":"physnet2"}]

[filter_scheduler]
enabled_filters = ComputeFilter,ImagePropertiesFilter,PciPassthroughFilter
`;

test('command line: python reads the script on stdin, files and checks quoted', () => {
  assert.equal(novaCheckCommand(['/etc/nova/nova.conf', '/etc/nova/nova-compute.conf'], ['alias', 'device_spec']), '/usr/bin/python3 - --check alias --check device_spec --config-file /etc/nova/nova.conf --config-file /etc/nova/nova-compute.conf');
  assert.equal(novaCheckCommand(["/tmp/it's.conf"]), "/usr/bin/python3 - --config-file '/tmp/it'\\''s.conf'");
  assert.deepEqual(checksForRole('controller'), ['alias', 'filters']);
  assert.deepEqual(checksForRole(['controller', 'compute']), ['alias', 'device_spec', 'filters']);
});

test('parse: the last JSON line wins; no JSON is a failure that shows the tail', () => {
  assert.deepEqual(parseNovaCheck('warning: x\n{"ok": true, "checks": {"alias": {"names": []}}, "nova_version": "26.2.2"}\n', 0), {
    ok: true,
    novaVersion: '26.2.2',
    details: { alias: { names: [] } },
  });
  const bad = parseNovaCheck('Traceback (most recent call last):\n  File "<stdin>", line 1\nSyntaxError: invalid syntax\n', 1);
  assert.equal(bad.ok, false);
  assert.match(bad.error!, /no result \(exit status 1\).*SyntaxError/);
  assert.equal(parseNovaCheck('{"ok": true}\n', 1).ok, false, 'a non-zero exit is never ok');
});

test('nova 26 accepts a good config (aliases, device specs of both forms, filters)', (t) => {
  if (!requireNova(t)) return;
  const dir = new TempDir();
  t.after(() => dir.remove());
  const r = runNovaCheck([dir.file('nova.conf', GOOD)]);
  assert.equal(r.ok, true, r.raw);
  assert.equal(r.novaVersion?.split('.')[0], '26');
  assert.deepEqual((r.details?.alias as { names: string[] }).names, ['nvidia-10f7-audio', 'nvidia-1e04-vga']);
  assert.equal((r.details?.device_spec as { count: number }).count, 3);
});

test('nova 26 refuses: bad alias JSON, a list alias, a bad device_spec, RamFilter', (t) => {
  if (!requireNova(t)) return;
  const dir = new TempDir();
  t.after(() => dir.remove());
  const cases: Array<[string, string, RegExp]> = [
    ['bad-json', GOOD.replace('"device_type":"type-PCI"}', '"device_type":"type-PCI"'), /^alias: PciInvalidAlias/],
    ['list-alias', GOOD.replace(/alias = (\{"name":"nvidia-10f7-audio"[^\n]*\})/, 'alias = [$1]'), /^alias: PciInvalidAlias.*is not of type 'object'/],
    ['mismatch', `${GOOD.split('[filter_scheduler]')[0]}alias = {"name":"nvidia-1e04-vga","vendor_id":"10de","product_id":"1e07","device_type":"type-PF"}\n`, /^alias: PciInvalidAlias.*Device type mismatch/],
    ['bad-spec', GOOD.replace('device_spec = {"vendor_id":"10de","product_id":"1e04"}', 'device_spec = {"vendor_id":"10de","product_id":"1e04","address":"0000:zz:00.0"}'), /^device_spec: PciConfigInvalidSpec.*bus \('zz'\) does not parse as a hex number/],
    ['ram-filter', GOOD.replace('enabled_filters = ComputeFilter', 'enabled_filters = RamFilter,ComputeFilter'), /^filters: SchedulerHostFilterNotFound.*RamFilter/],
  ];
  const first = cases[0]!;
  // one case through the real command line (script on stdin)...
  const direct = runNovaCheck([dir.file(`${first[0]}.conf`, first[1])]);
  assert.equal(direct.ok, false, direct.raw);
  assert.match(`${direct.check}: ${direct.error}`, first[2]);
  // ...the others in one python process
  const rf = dir.file('ram-only.conf', GOOD.replace('enabled_filters = ComputeFilter', 'enabled_filters = RamFilter,ComputeFilter'));
  const results = runNovaChecks([
    ...cases.map(([name, text]) => ({ files: [dir.file(`${name}.conf`, text)] })),
    // the check of one role ignores the options of the other
    { files: [rf], checks: ['alias', 'device_spec'] },
    // an unreadable path and a parse error are reported, not thrown
    { files: [`${dir.path}/missing.conf`] },
    { files: [dir.file('broken.conf', '[pci]\n  indented first\n')] },
  ]);
  cases.forEach(([name, , re], i) => {
    const r = results[i]!;
    assert.equal(r.ok, false, `${name} should fail`);
    assert.match(`${r.check}: ${r.error}`, re, name);
  });
  assert.equal(results[cases.length]!.ok, true);
  assert.equal(results[cases.length + 1]!.check, 'parse');
  assert.equal(results[cases.length + 2]!.check, 'parse');
});

test('values add up across files and option names, as nova reads them', (t) => {
  if (!requireNova(t)) return;
  const dir = new TempDir();
  t.after(() => dir.remove());
  const a = dir.file('nova.conf', '[pci]\ndevice_spec = {"vendor_id":"10de","product_id":"1e04"}\n');
  const b = dir.file('nova-compute.conf', '[pci]\npassthrough_whitelist = {"vendor_id":"10de"}\nalias = {"name":"x","vendor_id":"10de","product_id":"1e04","device_type":"type-PCI"}\n');
  const [r] = runNovaChecks([{ files: [a, b], checks: ['alias', 'device_spec'] }]);
  assert.equal(r!.ok, true);
  assert.equal((r!.details?.device_spec as { count: number }).count, 2);
});

test('NOVA_PYTHON_PROBE finds the importable nova here; parses failures', (t) => {
  if (!requireNova(t)) return;
  const r = spawnSync('sh', ['-c', NOVA_PYTHON_PROBE.script], { encoding: 'utf8' });
  const probe = NOVA_PYTHON_PROBE.parse(r.stdout, r.status ?? 1);
  assert.deepEqual({ ...probe, stack: undefined }, { importable: true, python: '/usr/bin/python3', path: '/usr/lib/python3/dist-packages/nova', stack: undefined });
  // what the checks' answers depend on: hosts with the same stack share them
  assert.match(probe.stack ?? '', /^\/usr\/bin\/python3 \/usr\/lib\/python3\/dist-packages\/nova python-3\.\d+ nova-26\.\d+\.\d+ jsonschema-\d\S* oslo\.config-\d\S* oslo\.serialization-\d\S*$/);
  // an older probe line without versions: no stack, nothing shared
  assert.equal(NOVA_PYTHON_PROBE.parse('ok /usr/bin/python3 /usr/lib/python3/dist-packages/nova\n', 0).stack, undefined);
  assert.deepEqual(NOVA_PYTHON_PROBE.parse("no /usr/bin/python3 ModuleNotFoundError: No module named 'nova'\n", 1), {
    importable: false,
    python: '/usr/bin/python3',
    error: "ModuleNotFoundError: No module named 'nova'",
  });
  assert.deepEqual(NOVA_PYTHON_PROBE.parse('', 1), { importable: false, error: 'no python3 found' });
});
