// playbooks/pci-passthrough.yaml through the CLI against the embedded lab
// (in-process SSH servers, no root): the dry run leaves every host's files as
// they were, the rollout converges, and a second rollout has nothing to do.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startEmbeddedCluster, type EmbeddedCluster } from '../../src/embedded/cluster.ts';
import { LAB_SECRETS } from '../../src/secrets.ts';
import { demoCluster } from '../../src/specs.ts';
import type { HostSpec } from '../../src/types.ts';
import { PLAYBOOK, changedPaths, gpuCards, passthru, readReport, snapshotFs, type CliRun } from '../../../../test/playbooks/helpers.ts';

const specs: HostSpec[] = demoCluster();
let cluster: EmbeddedCluster;
let work: string;

before(async () => {
  cluster = await startEmbeddedCluster(specs, { rebootSeconds: 0.5 });
  work = mkdtempSync(join(tmpdir(), 'passthru-embedded-playbook-'));
});

after(async () => {
  await cluster?.stop();
  if (cluster) rmSync(cluster.dir, { recursive: true, force: true });
  if (work) rmSync(work, { recursive: true, force: true });
});

const snapshots = (): Record<string, Record<string, string>> => Object.fromEntries(specs.map((s) => [s.name, snapshotFs(cluster.fs(s.name))]));
// the demo lab's computes run instances: those of a compute that reboots are live-migrated away
const args = (extra: string[]): string[] => ['run', PLAYBOOK, '-i', cluster.inventoryPath, '-e', 'flavor=gpu.large', '-e', 'instances=migrate', ...extra];

function assertNoSecrets(r: CliRun, report: string): void {
  for (const secret of LAB_SECRETS) {
    assert.ok(!r.stdout.includes(secret) && !r.stderr.includes(secret) && !report.includes(secret), `a lab password (${secret.slice(0, 6)}...) was printed`);
  }
}

test('--check changes no file on any host and shows the plan', async () => {
  const beforeFiles = snapshots();
  const report = join(work, 'check.json');
  const r = await passthru(args(['--check', '--json', report]));
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /check mode/);
  assert.match(r.stdout, /^\+\+\+ \/etc\/default\/grub/m, 'the GRUB diff is shown');
  assert.match(r.stdout, /^\+\+\+ \/etc\/nova\/nova\.conf/m, 'the nova.conf diff is shown');
  assertNoSecrets(r, readFileSync(report, 'utf8'));
  const afterFiles = snapshots();
  for (const s of specs) assert.deepEqual(changedPaths(beforeFiles[s.name]!, afterFiles[s.name]!), [], `${s.name}: nothing changed in check mode`);
});

test('the rollout converges; a second one changes nothing', async () => {
  const report = join(work, 'apply.json');
  const r = await passthru(args(['-e', 'image=cirros-0.6.2-x86_64-disk', '--yes', '--json', report]));
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assertNoSecrets(r, readFileSync(report, 'utf8'));
  const rep = readReport(report);
  assert.deepEqual(rep.failed_hosts, []);
  assert.ok(rep.summary.changed > 0, 'the first rollout changed hosts');
  for (const s of specs.filter((x) => x.roles.includes('compute'))) {
    const fs = cluster.fs(s.name);
    if (gpuCards(s).length === 0) {
      assert.deepEqual(rep.hosts[s.name]?.steps.filter((x) => x.changed).map((x) => x.name), [], `${s.name}: no GPU, nothing changed`);
      continue;
    }
    if (s.cpu.vendor === 'intel') assert.match(fs.readFile('/proc/cmdline') ?? '', /(^|\s)intel_iommu=on(\s|$)/, `${s.name}: booted with intel_iommu=on`);
    assert.match(fs.readFile('/etc/nova/nova.conf') ?? '', new RegExp(`"product_id"\\s*:\\s*"${gpuCards(s)[0]![0]!.device}"`), `${s.name}: nova.conf names its GPU`);
  }

  const settled = snapshots();
  const report2 = join(work, 'apply2.json');
  const r2 = await passthru(args(['-e', 'image=cirros-0.6.2-x86_64-disk', '--yes', '--json', report2]));
  assert.equal(r2.code, 0, `${r2.stdout}\n${r2.stderr}`);
  const rep2 = readReport(report2);
  assert.equal(rep2.summary.changed, 0, 'report: 0 changed');
  for (const [host, h] of Object.entries(rep2.hosts)) assert.deepEqual(h.steps.filter((x) => x.changed).map((x) => x.name), [], `${host}: no step changed`);
  const again = snapshots();
  for (const s of specs) {
    assert.deepEqual(changedPaths(settled[s.name]!, again[s.name]!), [], `${s.name}: the second rollout wrote nothing, restarted nothing`);
  }
});
