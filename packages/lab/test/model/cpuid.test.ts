import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setGuestHypervisorHidden } from '../../src/tools/cpuid.ts';
import { makeHost } from './helpers.ts';

test('cpuid in a guest shows the KVM signature until the hypervisor is hidden', async () => {
  const g = makeHost('guest1');
  const r = await g.run('cpuid', [], { USER: 'ops' });
  assert.equal(r.exitCode, 0);
  const ids = r.stdout.split('\n').filter((l) => l.includes('hypervisor_id'));
  assert.equal(ids.length, 8, 'two lines per vCPU, 4 vCPUs');
  assert.equal(ids[0], '   hypervisor_id (0x40000000) = "KVMKVMKVM\\0\\0\\0"');
  setGuestHypervisorHidden(g.fs, true);
  const hidden = await g.run('cpuid', ['-1']);
  assert.match(hidden.stdout, /^CPU:\n/);
  assert.doesNotMatch(hidden.stdout, /KVMKVMKVM/);
  assert.match(hidden.stdout, /hypervisor_id \(0x40000000\) = "\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0"/);
  const bad = await g.run('cpuid', ['--foo']);
  assert.equal(bad.exitCode, 1);
  assert.match(bad.stderr, /^cpuid: unrecognized option: --foo\nusage: cpuid \[options\.\.\.\]/);
});

test('cpuid is a guest tool', async () => {
  assert.equal((await makeHost('amd').run('cpuid')).exitCode, 127);
});
