// The lab's JS model of nova's start-up checks against nova's own code
// (python3-nova, run through src/lab/tools/nova_check.py): same exception,
// same message, for each case.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NovaRelease } from '../../src/types.ts';
import type { NovaService } from '../../src/distro.ts';
import { MemFs } from '../../src/memfs.ts';
import { checkNovaService } from '../../src/novacheck.ts';
import { NOVA_CHECK_PY, SYSTEM_PYTHON } from '../../src/tools/novacheck-run.ts';
import { hostByName } from './helpers.ts';

interface Case {
  name: string;
  release: NovaRelease;
  service: NovaService;
  conf: string;
}

const pci = (lines: string): string => `[DEFAULT]\ndebug = false\n\n[pci]\n${lines}\n`;

const CASES: Case[] = [
  { name: 'valid aliases, one per function', release: 'zed', service: 'api', conf: pci('alias = {"name":"nv2080vga","product_id":"1e04","vendor_id":"10de","device_type":"type-PCI"}\nalias = {"name":"nv2080aud","product_id":"10f7","vendor_id":"10de","device_type":"type-PCI"}') },
  { name: 'same name, other device_type', release: 'zed', service: 'api', conf: pci('alias = {"name":"a","device_type":"type-PCI"}\nalias = {"name":"a","device_type":"type-PF"}') },
  { name: 'same name, first without device_type', release: 'zed', service: 'api', conf: pci('alias = {"name":"a"}\nalias = {"name":"a","device_type":"type-PCI"}') },
  { name: 'same name, other numa_policy', release: 'zed', service: 'api', conf: pci('alias = {"name":"a","numa_policy":"required"}\nalias = {"name":"a"}') },
  { name: 'alias as a list', release: 'zed', service: 'api', conf: pci('alias = [{"name":"a"}]') },
  { name: 'unknown alias key', release: 'zed', service: 'api', conf: pci('alias = {"name":"a","vendor":"10de"}') },
  { name: 'alias without name', release: 'zed', service: 'api', conf: pci('alias = {"vendor_id":"10de"}') },
  { name: 'bad vendor_id pattern', release: 'zed', service: 'api', conf: pci('alias = {"name":"a","vendor_id":"10DEX"}') },
  { name: 'bad device_type', release: 'zed', service: 'api', conf: pci('alias = {"name":"a","device_type":"type-GPU"}') },
  { name: 'bad numa_policy', release: 'zed', service: 'api', conf: pci('alias = {"name":"a","numa_policy":"strict"}') },
  { name: 'name not a string', release: 'zed', service: 'api', conf: pci('alias = {"name": 5}') },
  { name: 'single quotes', release: 'zed', service: 'api', conf: pci("alias = {'name':'a'}") },
  { name: 'trailing comma', release: 'zed', service: 'api', conf: pci('alias = {"name":"a",}') },
  { name: 'extra data', release: 'zed', service: 'api', conf: pci('alias = {"name":"a"} x') },
  { name: 'missing colon', release: 'zed', service: 'api', conf: pci('alias = {"name" "a"}') },
  { name: 'multi-line alias', release: 'zed', service: 'compute', conf: pci('alias = {"name":"a",\n  "vendor_id":"10de", "product_id": "1e04"}') },
  { name: 'device_spec bad hex', release: 'zed', service: 'compute', conf: pci('device_spec = {"vendor_id":"10dex"}') },
  { name: 'device_spec too big', release: 'zed', service: 'compute', conf: pci('device_spec = {"vendor_id":"10000"}') },
  { name: 'device_spec vendor_id number', release: 'zed', service: 'compute', conf: pci('device_spec = {"vendor_id":10}') },
  { name: 'device_spec product_id number', release: 'zed', service: 'compute', conf: pci('device_spec = {"product_id":10}') },
  { name: 'device_spec a string', release: 'zed', service: 'compute', conf: pci('device_spec = "abc"') },
  { name: 'device_spec list of numbers', release: 'zed', service: 'compute', conf: pci('device_spec = [1]') },
  { name: 'device_spec function 8', release: 'zed', service: 'compute', conf: pci('device_spec = {"address":"0000:3b:00.8"}') },
  { name: 'device_spec too many colons', release: 'zed', service: 'compute', conf: pci('device_spec = {"address":"a:b:c:d"}') },
  { name: 'device_spec devname and address', release: 'zed', service: 'compute', conf: pci('device_spec = {"address":"0000:3b:00.0","devname":"eth0"}') },
  { name: 'device_spec bad regex', release: 'zed', service: 'compute', conf: pci('device_spec = {"address":{"bus":"("}}') },
  { name: 'device_spec not json', release: 'zed', service: 'compute', conf: pci('device_spec = {not json') },
  { name: 'seed-style multi-line whitelist', release: 'zed', service: 'compute', conf: pci('passthrough_whitelist = [{ "vendor_id": "10de", "product_id": "1e04" },\n\t\t\t             { "vendor_id": "10de", "product_id": "10f7" }]') },
  { name: 'glob address', release: 'zed', service: 'compute', conf: pci('device_spec = {"address":"0000:3b:00.*"}\ndevice_spec = {"address":":af:00."}') },
  { name: 'yoga: bad passthrough_whitelist', release: 'yoga', service: 'compute', conf: pci('passthrough_whitelist = {"vendor_id":"zzzz"}') },
  { name: 'yoga: device_spec is ignored', release: 'yoga', service: 'compute', conf: pci('device_spec = {"vendor_id":"zzzz"}') },
  { name: 'RamFilter on zed', release: 'zed', service: 'scheduler', conf: '[filter_scheduler]\nenabled_filters = ComputeFilter, RamFilter,PciPassthroughFilter\n' },
  { name: 'AvailabilityZoneFilter on 2023.2', release: '2023.2', service: 'scheduler', conf: '[filter_scheduler]\nenabled_filters = AvailabilityZoneFilter,ComputeFilter\n' },
  { name: 'default filters', release: '2023.2', service: 'scheduler', conf: '[DEFAULT]\n' },
  { name: 'no = in a line', release: 'zed', service: 'conductor', conf: '[DEFAULT]\nfoo\n' },
  { name: 'continuation first', release: 'zed', service: 'api', conf: '[pci]\n  alias = {}\n' },
  { name: 'unterminated section', release: 'zed', service: 'api', conf: '[pci\nalias = {"name":"a"}\n' },
  { name: 'assignment before any section', release: 'zed', service: 'api', conf: 'alias = {"name":"a"}\n' },
];

const pythonNova = existsSync(SYSTEM_PYTHON) && spawnSync(SYSTEM_PYTHON, ['-c', 'import nova.pci.request'], { encoding: 'utf8' }).status === 0;

test('the lab checks nova configs exactly as nova does (python3-nova)', (t) => {
  if (!pythonNova) {
    process.stderr.write('\n!!! SKIPPED: needs /usr/bin/python3 with python3-nova for the parity test\n\n');
    t.skip('SKIPPED: needs /usr/bin/python3 with python3-nova');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'novacheck-'));
  try {
    const lines: string[] = [];
    CASES.forEach((c, i) => {
      const f = join(dir, `nova-${i}.conf`);
      writeFileSync(f, c.conf);
      lines.push(JSON.stringify({ release: c.release, service: c.service, files: [f] }));
    });
    const py = spawnSync(SYSTEM_PYTHON, [NOVA_CHECK_PY, '--batch'], { input: `${lines.join('\n')}\n`, encoding: 'utf8' });
    assert.equal(py.status, 0, py.stderr);
    const results = py.stdout.trim().split('\n').map((l) => JSON.parse(l) as { ok: boolean; exception?: string; message?: string });
    assert.equal(results.length, CASES.length);
    CASES.forEach((c, i) => {
      const fs = new MemFs();
      fs.writeFile('/etc/nova/nova.conf', c.conf);
      const spec = { ...hostByName('el7-bios'), nova: { release: c.release } };
      const js = checkNovaService(fs, spec, c.service);
      const real = results[i];
      const expected = real?.ok ? undefined : { exception: real?.exception, message: (real?.message ?? '').split(join(dir, `nova-${i}.conf`)).join('/etc/nova/nova.conf') };
      assert.deepEqual(js, expected, `case "${c.name}"`);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
