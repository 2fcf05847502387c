import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { applyPatch } from 'diff';
import { SecretRegistry } from '../../src/util/secrets.ts';
import { renderDiff } from '../../src/ui/diff.ts';
import { stripAnsi } from '../../src/ui/color.ts';

const novaConf = readFileSync(new URL('./fixtures/nova.conf', import.meta.url), 'utf8');

// the nova step's change: the PCI filter, and a [pci] alias right after [keystone_authtoken]
const novaAfter = novaConf
  .replace(
    'enabled_filters = ComputeFilter,ComputeCapabilitiesFilter,ImagePropertiesFilter,ServerGroupAntiAffinityFilter,ServerGroupAffinityFilter',
    'enabled_filters = ComputeFilter,ComputeCapabilitiesFilter,ImagePropertiesFilter,ServerGroupAntiAffinityFilter,ServerGroupAffinityFilter,PciPassthroughFilter\navailable_filters = nova.scheduler.filters.all_filters',
  )
  .replace('password = s3cret\n', 'password = s3cret\n\n[pci]\nalias = { "vendor_id":"10de", "product_id":"1db4", "device_type":"type-PCI", "name":"v100" }\n');

test('nova.conf diff: headers, 3 lines of context, and no password anywhere', () => {
  const text = renderDiff({ path: '/etc/nova/nova.conf', before: novaConf, after: novaAfter }, new SecretRegistry(), false);
  const lines = text.split('\n');
  assert.equal(lines[0], '--- /etc/nova/nova.conf (before)');
  assert.equal(lines[1], '+++ /etc/nova/nova.conf (after)');
  // the context around the changes holds the secrets, masked
  assert.ok(lines.includes(' connection = mysql+pymysql://nova:********@ctl/nova'), text);
  assert.ok(lines.includes(' password = ********'), text);
  assert.ok(lines.includes('+[pci]'));
  assert.ok(lines.includes('+available_filters = nova.scheduler.filters.all_filters'));
  assert.ok(lines.includes('-enabled_filters = ComputeFilter,ComputeCapabilitiesFilter,ImagePropertiesFilter,ServerGroupAntiAffinityFilter,ServerGroupAffinityFilter'));
  for (const secret of ['NOVA_DBPASS', 's3cret', 'RABBIT_PASS', 'PLACEMENT_PASS']) assert.ok(!text.includes(secret), `${secret} leaked:\n${text}`);
  // 3 lines of context: the first hunk starts 3 lines before [filter_scheduler]'s change
  const hunk = lines.findIndex((l) => l.startsWith('@@'));
  assert.deepEqual(lines.slice(hunk + 1, hunk + 4), [' connection = mysql+pymysql://nova:********@ctl/nova', ' ', ' [filter_scheduler]']);
  assert.ok(!lines.includes(' [api_database]'), 'no more than 3 lines of context');
});

test('a secret value from the file is masked even on a line that does not look secret', () => {
  const before = '[keystone_authtoken]\npassword = hunter22\n';
  const after = '[keystone_authtoken]\npassword = hunter22\n# rotated from hunter22 on 2024-01-15\n';
  const text = renderDiff({ path: '/etc/nova/nova.conf', before, after }, new SecretRegistry(), false);
  assert.ok(!text.includes('hunter22'), text);
  assert.match(text, /^\+# rotated from \*{8} on 2024-01-15$/m);
});

test('registered secrets are masked in any line', () => {
  const secrets = new SecretRegistry();
  secrets.add('Tr0ub4dor');
  const text = renderDiff({ path: '/root/notes', before: 'a\n', after: 'a\nlogin with Tr0ub4dor\n' }, secrets, false);
  assert.match(text, /^\+login with \*{8}$/m);
});

test('a changed password shows as a change, with neither value', () => {
  const text = renderDiff({ path: '/etc/nova/nova.conf', before: 'password = old-pass-1\n', after: 'password = new-pass-2\n' }, new SecretRegistry(), false);
  assert.match(text, /^-password = \*{8}$/m);
  assert.match(text, /^\+password = \*{8}$/m);
  assert.doesNotMatch(text, /old-pass-1|new-pass-2/);
});

test('the diff applies: it is a real unified diff', () => {
  const before = 'GRUB_DEFAULT=0\nGRUB_TIMEOUT=5\nGRUB_DISTRIBUTOR=`lsb_release -i -s 2> /dev/null || echo Debian`\nGRUB_CMDLINE_LINUX_DEFAULT="quiet"\nGRUB_CMDLINE_LINUX=""\n';
  const after = before.replace('GRUB_CMDLINE_LINUX=""', 'GRUB_CMDLINE_LINUX="intel_iommu=on iommu=pt"');
  const text = renderDiff({ path: '/etc/default/grub', before, after }, new SecretRegistry(), false);
  assert.equal(applyPatch(before, `${text}\n`), after);
});

test('a new file diffs against empty; equal contents give no diff', () => {
  const text = renderDiff({ path: '/etc/modprobe.d/vfio.conf', before: '', after: 'options vfio-pci ids=10de:1db4\n' }, new SecretRegistry(), false);
  assert.match(text, /^--- \/etc\/modprobe.d\/vfio.conf \(before\)\n\+\+\+ \/etc\/modprobe.d\/vfio.conf \(after\)\n@@ -0,0 \+1,1 @@\n\+options vfio-pci ids=10de:1db4$/);
  assert.equal(renderDiff({ path: '/x', before: 'same\n', after: 'same\n' }, new SecretRegistry(), false), '');
});

test('colors only when asked: additions green, removals red, same text', () => {
  const d = { path: '/etc/default/grub', before: 'A=1\n', after: 'A=2\n' };
  const plain = renderDiff(d, new SecretRegistry(), false);
  const colored = renderDiff(d, new SecretRegistry(), true);
  assert.doesNotMatch(plain, /\u001b\[/);
  assert.match(colored, /\u001b\[32m\+A=2\u001b\[39m/);
  assert.match(colored, /\u001b\[31m-A=1\u001b\[39m/);
  assert.equal(stripAnsi(colored), plain);
});
