// kolla-ansible hosts on real OpenSSH servers, through the CLI: nova runs in
// containers (the lab's docker and podman stand-ins) configured by
// /etc/kolla/<service>/nova.conf. passthru edits the file of each container
// for its service, checks it with nova's code inside the container, restarts
// exactly the containers whose file changed and waits for them; a rerun
// changes nothing; --check changes nothing; the deploy host's overrides are
// written when the inventory names it (group kolla_deploy), listed in the
// notes when it does not; a container that does not come back on its new
// file gets the old one and runs again, and the host fails saying why.
import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { kollaCluster } from '@passthru/lab/specs.ts';
import { ssh } from '@passthru/lab/real/client.ts';
import type { RealLab } from '@passthru/lab/real/lab.ts';
import { PLAYBOOK, hostLines, passthru, readReport, playbookLab } from './helpers.ts';

const KOLLA_FILES: Record<string, string[]> = {
  kctl: ['/etc/kolla/nova-api/nova.conf', '/etc/kolla/nova-scheduler/nova.conf', '/etc/kolla/nova-conductor/nova.conf'],
  kcmp1: ['/etc/kolla/nova-compute/nova.conf'],
  kcmp2: ['/etc/kolla/nova-compute/nova.conf'],
};
const ENGINE: Record<string, string> = { kctl: 'docker', kcmp1: 'docker', kcmp2: 'podman' };

async function inspect(lab: RealLab, host: string, name: string): Promise<{ status: string; startedAt: string }> {
  const r = await ssh(lab, host, `${ENGINE[host]} inspect --format '{{.State.Status}} {{.State.StartedAt}}' ${name}`, { timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stderr);
  const [status = '', startedAt = ''] = r.stdout.trim().split(' ');
  return { status, startedAt };
}

/** What the container runs on: its own /etc/nova/nova.conf, seen through `docker exec`. */
async function effective(lab: RealLab, host: string, name: string): Promise<string> {
  const r = await ssh(lab, host, `${ENGINE[host]} exec ${name} cat /etc/nova/nova.conf`, { timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

function snapshot(lab: RealLab): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [h, files] of Object.entries(KOLLA_FILES)) for (const f of files) out[`${h}:${f}`] = lab.readFile(h, f);
  return out;
}

async function starts(lab: RealLab): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [h, names] of Object.entries({ kctl: ['nova_api', 'nova_scheduler', 'nova_conductor'], kcmp1: ['nova_compute'], kcmp2: ['nova_compute'] })) {
    for (const n of names) {
      const s = await inspect(lab, h, n);
      assert.equal(s.status, 'running', `${h} ${n}`);
      out[`${h}:${n}`] = s.startedAt;
    }
  }
  return out;
}

test('kolla-ansible: containers configured, checked inside, restarted exactly, rolled back when one does not come back', { timeout: 1_200_000 }, async (t) => {
  const env = await playbookLab(t, kollaCluster(), { rebootSeconds: 1 });
  if (!env) return;
  const { lab, work } = env;
  const withDeploy = join(work, 'with-deploy.ini');
  copyFileSync(lab.inventoryPath, withDeploy);
  appendFileSync(withDeploy, '\n[kolla_deploy]\nkctl\n');

  // --check: the diffs of every container's file, nova's own check inside the containers, nothing changed
  const files0 = snapshot(lab);
  const starts0 = await starts(lab);
  const check = await passthru(['run', PLAYBOOK, '-i', lab.inventoryPath, '--check', '--diff'], 600_000);
  assert.equal(check.code, 0, `${check.stdout}\n${check.stderr}`);
  const ctl = hostLines(check.stdout, 'kctl');
  assert.match(ctl, /\+enabled_filters = .*PciPassthroughFilter/);
  assert.match(ctl, /\/etc\/kolla\/nova-api\/nova\.conf: alias/);
  assert.match(ctl, /\/etc\/kolla\/nova-scheduler\/nova\.conf: filters/);
  assert.doesNotMatch(ctl, /nova-conductor\/nova\.conf:/, 'nova_conductor reads none of these options');
  assert.match(hostLines(check.stdout, 'kcmp1'), /\+device_spec = \{"vendor_id":"10de","product_id":"1e04"\}/);
  assert.match(hostLines(check.stdout, 'kcmp2'), /\+device_spec=\{"vendor_id":"10de","product_id":"1eb8"\}/);
  for (const h of ['kctl', 'kcmp1', 'kcmp2']) assert.match(hostLines(check.stdout, h), /nova's own parser accepts the planned configuration/, `${h}: checked inside its containers`);
  assert.match(check.stdout, /restart podman:nova_compute/);
  // no deploy host named: the notes say what to add there
  assert.match(check.stdout, /no host of the inventory is in 'kolla_deploy', so add these overrides there yourself:\n\/etc\/kolla\/config\/nova\/nova-compute\.conf:\n {2}\[pci\]\n {2}alias = /);
  assert.match(check.stdout, /\/etc\/kolla\/config\/nova\/kcmp1\/nova\.conf:\n {2}\[pci\]\n {2}device_spec = /);
  assert.match(check.stdout, /\/etc\/kolla\/config\/nova\/nova-scheduler\.conf:\n {2}\[filter_scheduler\]\n {2}enabled_filters = .*PciPassthroughFilter/);
  assert.deepEqual(snapshot(lab), files0, '--check changed no file');
  assert.deepEqual(await starts(lab), starts0, '--check restarted no container');

  // the run: every file of its container, exactly the containers whose file changed restarted
  const report = join(work, 'r.json');
  const r = await passthru(['run', PLAYBOOK, '-i', lab.inventoryPath, '--yes', '--json', report], 600_000);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  const starts1 = await starts(lab);
  for (const k of ['kctl:nova_api', 'kctl:nova_scheduler', 'kcmp1:nova_compute', 'kcmp2:nova_compute']) assert.notEqual(starts1[k], starts0[k], `${k} restarted`);
  assert.equal(starts1['kctl:nova_conductor'], starts0['kctl:nova_conductor'], 'nova_conductor left alone');
  assert.match(lab.readFile('kctl', '/etc/kolla/nova-scheduler/nova.conf'), /^enabled_filters = .*PciPassthroughFilter$/m);
  assert.doesNotMatch(lab.readFile('kctl', '/etc/kolla/nova-scheduler/nova.conf'), /^alias/m);
  assert.match(lab.readFile('kctl', '/etc/kolla/nova-api/nova.conf'), /^alias = \{"name":"nvidia-1e04-vga"/m);
  assert.doesNotMatch(lab.readFile('kctl', '/etc/kolla/nova-api/nova.conf'), /PciPassthroughFilter/);
  assert.match(await effective(lab, 'kcmp1', 'nova_compute'), /^device_spec = \{"vendor_id":"10de","product_id":"1e04"\}$/m, 'the container runs on the new file');
  assert.match(await effective(lab, 'kcmp2', 'nova_compute'), /^device_spec=\{"vendor_id":"10de","product_id":"1eb8"\}$/m);
  assert.match(hostLines(r.stdout, 'kcmp1'), /up again: docker:nova_compute/);
  assert.match(hostLines(r.stdout, 'kctl'), /nova units active: ok\n {4}note: running: docker:nova_api, docker:nova_scheduler/);

  // again: nothing to change, no container restarted
  const again = await passthru(['run', PLAYBOOK, '-i', lab.inventoryPath, '--yes', '--json', report], 600_000);
  assert.equal(again.code, 0, `${again.stdout}\n${again.stderr}`);
  for (const h of ['kctl', 'kcmp1', 'kcmp2']) assert.equal(readReport(report).hosts[h]?.status, 'ok', `${h}: nothing to change the second time`);
  assert.deepEqual(await starts(lab), starts1, 'the rerun restarted no container');

  // the deploy host named: its overrides get the same settings, once
  const deploy = await passthru(['run', PLAYBOOK, '-i', withDeploy, '--yes'], 600_000);
  assert.equal(deploy.code, 0, `${deploy.stdout}\n${deploy.stderr}`);
  assert.match(deploy.stdout, /kolla-ansible overrides: changed/);
  assert.doesNotMatch(deploy.stdout, /add these overrides there yourself/);
  assert.match(lab.readFile('kctl', '/etc/kolla/config/nova/nova-scheduler.conf'), /^\[filter_scheduler\]\nenabled_filters = .*PciPassthroughFilter$/m);
  assert.match(lab.readFile('kctl', '/etc/kolla/config/nova/nova-api.conf'), /^\[pci\]\nalias = \{"name":"nvidia-1e04-vga"/m);
  assert.match(lab.readFile('kctl', '/etc/kolla/config/nova/nova-compute.conf'), /^alias = \{"name":"nvidia-1eb8-3d"/m);
  assert.match(lab.readFile('kctl', '/etc/kolla/config/nova/kcmp1/nova.conf'), /^\[pci\]\ndevice_spec = \{"vendor_id":"10de","product_id":"10f7"\}$/m);
  assert.match(lab.readFile('kctl', '/etc/kolla/config/nova/kcmp2/nova.conf'), /^device_spec = \{"vendor_id":"10de","product_id":"1eb8"\}$/m);
  assert.deepEqual(await starts(lab), starts1, 'writing the overrides restarted nothing');
  const deploy2 = await passthru(['run', PLAYBOOK, '-i', withDeploy, '--yes', '--json', report], 600_000);
  assert.equal(deploy2.code, 0, `${deploy2.stdout}\n${deploy2.stderr}`);
  assert.equal(readReport(report).hosts.kctl?.status, 'ok', 'the overrides already hold the settings');

  // a configuration nova refuses: nova_compute does not come back, gets its old file, runs again
  const good = lab.readFile('kcmp1', '/etc/kolla/nova-compute/nova.conf');
  const bad = join(work, 'bad.yaml');
  writeFileSync(
    bad,
    `- name: a broken alias
  hosts: compute
  become: true
  steps:
    - name: preflight
      pci_preflight: {}
      register: preflight
    - name: an alias that is not JSON
      ini:
        path: /etc/kolla/nova-compute/nova.conf
        section: pci
        option: alias
        value: '{"name": "gpu", "vendor_id": "10de"'
      when: inventory_hostname == 'kcmp1'
    - name: restart nova services
      nova_restart:
        rollback: [/etc/kolla/]
`,
  );
  const broken = await passthru(['run', bad, '-i', lab.inventoryPath, '--yes', '--json', report], 600_000);
  assert.notEqual(broken.code, 0, broken.stdout);
  const rep = readReport(report);
  assert.equal(rep.hosts.kcmp1?.status, 'failed');
  assert.equal(rep.hosts.kcmp2?.status, 'ok', 'the other compute is untouched');
  const out = hostLines(broken.stdout, 'kcmp1');
  assert.match(out, /restart docker:nova_compute.*did not come back with the new configuration/s);
  assert.match(out, /docker:nova_compute: restarting \(exit code 1/);
  assert.match(out, /PciInvalidAlias|Invalid PCI alias definition|JSON/i, "nova's own words from the container's log");
  assert.match(out, /the previous configuration was put back: \/etc\/kolla\/nova-compute\/nova\.conf \(from \/etc\/kolla\/nova-compute\/nova\.conf\.\d{8}T\d{6}Z\.bak\); docker:nova_compute running again on it/);
  assert.equal(lab.readFile('kcmp1', '/etc/kolla/nova-compute/nova.conf'), good, 'the old file is back');
  assert.equal((await inspect(lab, 'kcmp1', 'nova_compute')).status, 'running');
  assert.equal(await effective(lab, 'kcmp1', 'nova_compute'), good, 'the container runs on the old file');
});
