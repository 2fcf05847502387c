// listJson() and graph() against what ansible-inventory printed for every
// fixture (test/fixtures/inventory/expected/, captured with
// capture-expected.sh): holds on machines without Ansible too.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { graph, hostJson, listJson, loadInventory } from '../../src/inventory/index.ts';
import { pyJson } from '../../src/yaml/py-values.ts';
import { EXAMPLES, EXPECTED, FIXTURES, fixtureNames, throwsConfigError } from './helpers.ts';

const names = fixtureNames();

test('there are at least 14 fixture inventories, each with its captured ansible-inventory output', () => {
  assert.ok(names.length >= 14, `${names.length} fixtures`);
  for (const n of names) {
    assert.doesNotThrow(() => readFileSync(join(EXPECTED, `${n}.json`)), n);
    assert.doesNotThrow(() => readFileSync(join(EXPECTED, `${n}.graph.txt`)), n);
  }
});

for (const name of names) {
  test(`--list: ${name}`, async () => {
    const inv = await loadInventory(join(FIXTURES, name));
    // text for text: 4.0 stays 4.0, 12345678901234567890 keeps its digits
    assert.equal(`${pyJson(listJson(inv))}\n`, readFileSync(join(EXPECTED, `${name}.json`), 'utf8'));
  });

  test(`--graph: ${name}`, async () => {
    const inv = await loadInventory(join(FIXTURES, name));
    assert.equal(graph(inv) + '\n', readFileSync(join(EXPECTED, `${name}.graph.txt`), 'utf8'));
  });
}

test('--host is the host vars of --list', async () => {
  const inv = await loadInventory(join(FIXTURES, 'ssh-args.ini'));
  const list = listJson(inv) as { _meta: { hostvars: Record<string, unknown> } };
  for (const h of inv.hosts.keys()) assert.deepEqual(hostJson(inv, h), list._meta.hostvars[h] ?? {}, h);
});

test('--graph of one group', async () => {
  const inv = await loadInventory(join(FIXTURES, 'nested-children.yml'));
  assert.equal(graph(inv, 'az1'), ['@az1:', '  |--@rack_a:', '  |  |--cmp-a1', '  |  |--cmp-a2', '  |  |--cmp-a3', '  |  |--gpu-a1', '  |--@rack_b:', '  |  |--cmp-b1'].join('\n'));
  throwsConfigError(() => graph(inv, 'az9'), { message: ["no group named 'az9'"], hint: ['az1'] });
});

test('the INI and YAML example inventories are the same inventory', async () => {
  const ini = await loadInventory(join(EXAMPLES, 'openstack.ini'));
  const yml = await loadInventory(join(EXAMPLES, 'openstack.yml'));
  assert.deepEqual(listJson(ini), listJson(yml));
  assert.equal(graph(ini), graph(yml));
  for (const g of ['controller', 'compute', 'guests']) assert.ok(ini.groups.has(g), g);
});
