import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RunPlan } from '../../src/engine/plan.ts';
import { formatPlan } from '../../src/ui/plan.ts';
import { SecretRegistry } from '../../src/util/secrets.ts';

const PLAN: RunPlan = {
  plays: ['Preflight', 'Roll out'],
  later: ['Verify'],
  hosts: [
    {
      host: 'gpu01',
      status: 'changed',
      steps: [
        { play: 'Roll out', step: 'kernel arguments', status: 'changed', changes: ['add intel_iommu=on to GRUB_CMDLINE_LINUX'], diffs: [] },
        { play: 'Roll out', step: 'verify IOMMU', status: 'skipped', changes: [], diffs: [], pending: 'depends on earlier change(s) not made in check mode (kernel arguments): IOMMU not active' },
        {
          play: 'Roll out',
          step: 'nova.conf',
          status: 'changed',
          changes: ['/etc/nova/nova.conf: alias'],
          diffs: [{ path: '/etc/nova/nova.conf', before: '[DEFAULT]\ntransport_url = rabbit://nova:Sup3rSecret@ctl\n', after: '[DEFAULT]\ntransport_url = rabbit://nova:Sup3rSecret@ctl\n[pci]\nalias = {"name": "a"}\n' }],
        },
      ],
    },
    { host: 'novtx', status: 'failed', steps: [{ play: 'Preflight', step: 'preflight checks', status: 'failed', changes: [], diffs: [], error: "CPU flag 'vmx' is missing\nmore", hint: 'enable VT-x' }] },
    { host: 'cpu01', status: 'ok', steps: [] },
  ],
};

test('the plan: per host one line per change, failures and waiting steps marked, later plays named, secrets masked', () => {
  const secrets = new SecretRegistry();
  secrets.add('Sup3rSecret');
  const text = formatPlan(PLAN, { diff: false, color: false, secrets });
  assert.equal(
    text,
    [
      "Plan (nothing has been changed yet): play 'Roll out' (after 'Preflight', which changes nothing)",
      '  gpu01',
      '    ~ kernel arguments: add intel_iommu=on to GRUB_CMDLINE_LINUX',
      '    ? verify IOMMU: planned after the changes above',
      '    ~ nova.conf: /etc/nova/nova.conf: alias',
      '  novtx',
      "    ! preflight checks: would FAIL: CPU flag 'vmx' is missing",
      '      hint: enable VT-x',
      '  cpu01  no change',
      "Later plays ('Verify') are planned when they start: they depend on these changes.",
      '1 of 3 hosts would change.',
      '',
    ].join('\n'),
  );
  const withDiff = formatPlan(PLAN, { diff: true, color: false, secrets });
  assert.match(withDiff, /^ {6}\+alias = \{"name": "a"\}$/m, 'the diff, indented under its host');
  assert.ok(!withDiff.includes('Sup3rSecret'), 'a secret in the diff');
});
