// Acceptance of playbooks/pci-passthrough.yaml on real OpenSSH hosts: the
// mixed lab of src/lab/specs.ts (controller with an old enabled_filters
// list, EL7 BIOS with two RTX 2080 Ti, EL7 UEFI, Ubuntu, an AMD host whose
// IOMMU is already on, a compute without GPU, one without VT-x, a guest),
// driven through the CLI as a user would: dry run, rollout, what nova's own
// code makes of the files written, the cloud's flavor and image, a second
// rollout that has nothing to do, and a restart that fails and is rolled back.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { RealLab } from '@passthru/lab/real/lab.ts';
import { join } from 'node:path';
import { test } from 'node:test';
import { distroInfo } from '@passthru/lab/distro.ts';
import { aliasName } from '../../src/nova/pci.ts';
import { NodeFs } from '@passthru/lab/nodefs.ts';
import { LAB_SECRETS } from '@passthru/lab/secrets.ts';
import { mixedCluster } from '@passthru/lab/specs.ts';
import { setGuestHypervisorHidden } from '@passthru/lab/tools/cpuid.ts';
import type { HostSpec } from '@passthru/lab/types.ts';
import { ssh } from '@passthru/lab/real/client.ts';
import { PLAYBOOK, changedPaths, gpuCards, hostLines, novaProbe, novaUnavailable, passthru, readReport, type CliRun, type NovaProbeRequest, playbookLab } from './helpers.ts';

const FLAVOR = 'gpu.large';
const specs = mixedCluster();

// What each host is, from its spec (not from its name).
const isCompute = (s: HostSpec): boolean => s.roles.includes('compute');
const controllers = specs.filter((s) => s.roles.includes('controller'));
const guests = specs.filter((s) => s.roles.includes('guest'));
const noVtx = specs.filter((s) => isCompute(s) && !s.cpu.virtualization);
const gpuComputes = specs.filter((s) => isCompute(s) && s.cpu.virtualization && gpuCards(s).length > 0);
const noGpu = specs.filter((s) => isCompute(s) && s.cpu.virtualization && gpuCards(s).length === 0);
const needReboot = gpuComputes.filter((s) => !s.iommuDefaultOn);
const iommuOn = gpuComputes.filter((s) => s.iommuDefaultOn);
const el7Uefi = gpuComputes.filter((s) => s.distro === 'centos-7' && s.bootMode === 'uefi');
const converging = [...controllers, ...gpuComputes, ...noGpu];
const family = (s: HostSpec): 'el' | 'debian' => (distroInfo(s.distro).family === 'el' ? 'el' : 'debian');
const unit = (s: HostSpec, svc: string): string => (family(s) === 'el' ? `openstack-nova-${svc}` : `nova-${svc}`);
const novaUnits = (s: HostSpec): string[] => (isCompute(s) ? [unit(s, 'compute')] : ['api', 'scheduler', 'conductor'].map((x) => unit(s, x)));

function assertNoSecrets(run: CliRun, extra = ''): void {
  for (const secret of LAB_SECRETS) {
    assert.ok(!run.stdout.includes(secret), `a password (${secret.slice(0, 6)}...) is in stdout`);
    assert.ok(!run.stderr.includes(secret), `a password (${secret.slice(0, 6)}...) is in stderr`);
    assert.ok(!extra.includes(secret), `a password (${secret.slice(0, 6)}...) is in the JSON report`);
  }
}

async function sh(lab: RealLab, host: string, command: string): Promise<string> {
  const r = await ssh(lab, host, command, { timeoutMs: 60_000 });
  assert.equal(r.code, 0, `${host}: ${command}: exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** The openstack CLI on the controller, with its openrc sourced (RDO's keystonerc_admin or admin-openrc). */
async function openstack(lab: RealLab, host: string, args: string): Promise<unknown> {
  const out = await sh(lab, host, `for f in /root/admin-openrc /root/keystonerc_admin; do [ -r "$f" ] && . "$f" && break; done; openstack ${args} -f json`);
  return JSON.parse(out) as unknown;
}

/** [pci] alias values of a nova.conf (one JSON object per line). */
function aliasLines(conf: string): Array<{ name: string; vendor_id?: string; product_id?: string; device_type?: string }> {
  const out: Array<{ name: string; vendor_id?: string; product_id?: string; device_type?: string }> = [];
  let section = '';
  for (const line of conf.split('\n')) {
    const s = /^\[([^\]]+)\]/.exec(line);
    if (s) section = (s[1] ?? '').toLowerCase();
    const m = /^alias\s*=\s*(\{.*\})\s*$/.exec(line);
    if (m && section === 'pci') out.push(JSON.parse(m[1] ?? '{}') as { name: string });
  }
  return out;
}

function hashesOf(lab: RealLab): Record<string, Record<string, string>> {
  return Object.fromEntries(specs.map((s) => [s.name, lab.fileHashes(s.name)]));
}

function bootIds(lab: RealLab): Record<string, string> {
  return Object.fromEntries(specs.map((s) => [s.name, lab.bootId(s.name)]));
}

test('playbooks/pci-passthrough.yaml on the real-sshd mixed lab', { timeout: 600_000 }, async (t) => {
  const t0 = Date.now();
  const env = await playbookLab(t, specs, { rebootSeconds: 2 });
  if (!env) return;
  const { lab, work } = env;
  const times: string[] = [`lab up ${Date.now() - t0} ms`];
  t.after(() => void process.stderr.write(`pci-passthrough.test.ts timings: ${times.join(', ')}, total ${Date.now() - t0} ms\n`));

  // An admin's drop-in on a compute that needs no reboot: the GPU's alias
  // under the name passthru gives it, with another device_type. nova reads
  // /etc/nova/nova.conf.d/*.conf too, so the two would clash once passthru
  // adds its alias to nova.conf; nova-compute runs fine with it before.
  const dropIn = iommuOn[0];
  assert.ok(dropIn, 'the lab has a GPU compute whose IOMMU is already on');
  const dropInFn = gpuCards(dropIn)[0]![0]!;
  const DROP_IN = '/etc/nova/nova.conf.d/50-gpu.conf';
  const dropInAlias = JSON.stringify({ name: aliasName(dropInFn), vendor_id: dropInFn.vendor, product_id: dropInFn.device, device_type: 'type-PF' });
  await sh(
    lab,
    dropIn.name,
    `set -e; mkdir -p /etc/nova/nova.conf.d; printf '[pci]\\nalias = %s\\n' '${dropInAlias}' > ${DROP_IN}; chown root:nova ${DROP_IN}; chmod 0640 ${DROP_IN}; systemctl restart ${unit(dropIn, 'compute')}; systemctl is-active ${unit(dropIn, 'compute')}`,
  );

  const ctl = controllers[0]!;
  const images = (await openstack(lab, ctl.name, 'image list')) as Array<{ Name: string }>;
  const image = images[0]?.Name;
  assert.ok(image, 'the lab cloud has an image');
  const initialHashes = hashesOf(lab);
  const initialBoots = Object.fromEntries(specs.map((s) => [s.name, lab.bootCount(s.name)]));
  const initialBootIds = bootIds(lab);
  const run = (args: string[]): string[] => ['run', PLAYBOOK, '-i', lab.inventoryPath, ...args];

  await t.test('--check: changes nothing, shows the diffs, fails only what cannot be done', async () => {
    const report = join(work, 'check.json');
    const r = await passthru(run(['--check', '--json', report]));
    times.push(`--check ${r.ms} ms`);
    assert.equal(r.code, 2, `exit 2 (a host failed: no VT-x)\n${r.stdout}\n${r.stderr}`);
    const rep = readReport(report);
    assert.deepEqual(
      rep.failed_hosts.filter((h) => !guests.some((g) => g.name === h)).sort(),
      noVtx.map((s) => s.name).sort(),
      'only the host without VT-x fails (guests still show the KVM signature until rebuilt)',
    );
    for (const s of noVtx) {
      const lines = hostLines(r.stdout, s.name);
      assert.match(lines, /preflight.*FAILED.*\bvmx\b/, `${s.name}: the missing CPU flag is named`);
      assert.match(lines, /firmware/i, `${s.name}: the firmware setting is named`);
      assert.match(lines, /VT-x/, `${s.name}: the firmware setting is named`);
    }
    for (const s of gpuComputes) {
      const lines = hostLines(r.stdout, s.name);
      assert.match(lines, /^\+\+\+ \/etc\/default\/grub/m, `${s.name}: the GRUB diff is shown`);
      assert.match(lines, /^\+GRUB_CMDLINE_LINUX=.*iommu=pt/m, `${s.name}: the GRUB diff adds the IOMMU arguments`);
      if (s.cpu.vendor === 'intel') assert.match(lines, /^\+GRUB_CMDLINE_LINUX=.*intel_iommu=on/m, `${s.name}: intel_iommu=on`);
      assert.match(lines, /^\+\+\+ \/etc\/nova\/nova\.conf/m, `${s.name}: the nova.conf diff is shown`);
      assert.match(lines, /^\+alias\s*=\s*\{/m, `${s.name}: aliases are added`);
      assert.match(lines, /^\+(device_spec|passthrough_whitelist)\s*=\s*\{.*"10de"/m, `${s.name}: the devices to pass through are shown`);
      assert.doesNotMatch(lines, /^[-+ ]\s*(device_spec|passthrough_whitelist)\s*=\s*\*{8}/m, `${s.name}: the device spec is not masked as if it were a password`);
    }
    for (const s of el7Uefi) assert.match(hostLines(r.stdout, s.name), /\/boot\/efi\/EFI\/centos\/grub\.cfg/, `${s.name}: the UEFI grub.cfg is the one regenerated`);
    assert.match(hostLines(r.stdout, dropIn.name), new RegExp(`^--- ${DROP_IN}`, 'm'), `${dropIn.name}: the clashing alias in ${DROP_IN} is seen`);
    for (const s of controllers) {
      const lines = hostLines(r.stdout, s.name);
      assert.match(lines, /^\+\+\+ \/etc\/nova\/nova\.conf/m);
      assert.match(lines, /^\+enabled_filters\s*=.*PciPassthroughFilter/m, `${s.name}: PciPassthroughFilter is appended`);
    }
    for (const s of specs) {
      assert.deepEqual(changedPaths(initialHashes[s.name]!, lab.fileHashes(s.name)), [], `${s.name}: no file changed in check mode`);
      assert.equal(lab.bootId(s.name), initialBootIds[s.name], `${s.name}: not rebooted in check mode`);
    }
    assertNoSecrets(r, readFileSync(report, 'utf8'));
  });

  const applyReport = join(work, 'apply.json');
  await t.test('rollout: every host that can converges; the one without VT-x is left alone', async () => {
    const r = await passthru(run(['-e', `image=${image}`, '-e', `flavor=${FLAVOR}`, '--yes', '--json', applyReport]));
    times.push(`apply ${r.ms} ms`);
    assert.equal(r.code, 2, `exit 2 (the host without VT-x failed)\n${r.stdout}\n${r.stderr}`);
    const rep = readReport(applyReport);
    assertNoSecrets(r, readFileSync(applyReport, 'utf8'));
    for (const s of converging) assert.ok(['ok', 'changed'].includes(rep.hosts[s.name]?.status ?? ''), `${s.name} converged: ${rep.hosts[s.name]?.status} ${rep.hosts[s.name]?.error ?? ''}`);
    for (const s of noVtx) {
      assert.equal(rep.hosts[s.name]?.status, 'failed');
      assert.match(rep.hosts[s.name]?.error ?? '', /\bvmx\b/);
      assert.deepEqual(rep.hosts[s.name]?.steps.map((x) => x.name), ['preflight checks'], `${s.name}: stopped at preflight`);
      assert.deepEqual(changedPaths(initialHashes[s.name]!, lab.fileHashes(s.name)), [], `${s.name}: untouched`);
      assert.equal(lab.bootCount(s.name), initialBoots[s.name], `${s.name}: not rebooted`);
    }
    for (const s of guests) assert.match(rep.hosts[s.name]?.error ?? '', /rebuild/, `${s.name}: told to rebuild the instance`);
    for (const s of noGpu) {
      assert.deepEqual(changedPaths(initialHashes[s.name]!, lab.fileHashes(s.name)), [], `${s.name}: no GPU, not edited`);
      assert.equal(lab.bootCount(s.name), initialBoots[s.name], `${s.name}: no GPU, not rebooted`);
    }
    for (const s of gpuComputes) {
      const reboots = lab.bootCount(s.name) - initialBoots[s.name]!;
      assert.ok(reboots <= 1, `${s.name}: rebooted at most once (${reboots})`);
      const cmdline = lab.readFile(s.name, '/proc/cmdline');
      if (s.cpu.vendor === 'intel') assert.match(cmdline, /(^|\s)intel_iommu=on(\s|$)/, `${s.name}: the running kernel has intel_iommu=on`);
      assert.doesNotMatch(cmdline, /amd_iommu=on/);
    }
    for (const s of needReboot) assert.equal(lab.bootCount(s.name) - initialBoots[s.name]!, 1, `${s.name}: rebooted once to turn the IOMMU on`);
    for (const s of iommuOn) assert.equal(lab.bootCount(s.name), initialBoots[s.name], `${s.name}: IOMMU already on: not rebooted`);
    for (const s of el7Uefi) {
      assert.match(lab.readFile(s.name, '/boot/efi/EFI/centos/grub.cfg'), /intel_iommu=on/, `${s.name}: the arguments are in the grub.cfg the firmware reads`);
      const after = lab.fileHashes(s.name);
      // a BIOS-style grub.cfg left over on this UEFI host: no firmware reads it, writing it would change nothing
      assert.ok(initialHashes[s.name]!['/boot/grub2/grub.cfg'], `${s.name} has a stale /boot/grub2/grub.cfg`);
      assert.equal(after['/boot/grub2/grub.cfg'], initialHashes[s.name]!['/boot/grub2/grub.cfg'], `${s.name}: the grub.cfg no firmware reads is not the one written`);
    }
    assert.doesNotMatch(lab.readFile(dropIn.name, DROP_IN), /type-PF/, `${dropIn.name}: the clashing alias left ${DROP_IN}`);
    for (const s of [...controllers, ...gpuComputes]) {
      const active = await ssh(lab, s.name, `systemctl is-active ${novaUnits(s).join(' ')}`);
      assert.deepEqual(active.stdout.trim().split('\n'), novaUnits(s).map(() => 'active'), `${s.name}: ${novaUnits(s).join(', ')} active after the restarts`);
      assert.equal((await sh(lab, s.name, 'stat -c "%U:%G %a" /etc/nova/nova.conf')).trim(), 'root:nova 640', `${s.name}: owner and mode of nova.conf kept`);
    }
  });

  await t.test("nova's own code accepts every nova.conf written and finds the GPUs in it", async (t2) => {
    const why2 = await novaUnavailable();
    if (why2) {
      process.stderr.write(`SKIPPED: nova's own check of the written nova.conf: ${why2}\n`);
      t2.skip(`SKIPPED: ${why2}`);
      return;
    }
    const hosts = [...controllers, ...gpuComputes];
    const requests: NovaProbeRequest[] = hosts.map((s) => {
      const root = lab.host(s.name).rootDir;
      const files = ['/etc/nova/nova.conf'];
      if (isCompute(s) && family(s) === 'debian') files.push('/etc/nova/nova-compute.conf');
      const fs = new NodeFs(root);
      for (const f of fs.readdir('/etc/nova/nova.conf.d')) if (f.endsWith('.conf')) files.push(`/etc/nova/nova.conf.d/${f}`);
      return {
        release: s.nova?.release ?? 'zed',
        files: files.filter((f) => fs.exists(f)).map((f) => join(root, f)),
        devices: s.devices.map((d) => ({ address: d.address, vendor_id: d.vendor, product_id: d.device })),
      };
    });
    const t1 = Date.now();
    const results = await novaProbe(requests);
    times.push(`nova probe ${Date.now() - t1} ms`);
    const allFunctions = gpuComputes.flatMap((s) => gpuCards(s).flat());
    for (const [i, s] of hosts.entries()) {
      const res = results[i]!;
      assert.ok(res.ok, `${s.name}: nova rejects its configuration at ${res.stage}: ${res.exception}: ${res.message}`);
      const specsOfAliases = Object.values(res.aliases ?? {}).flatMap((a) => a.specs);
      const needed = isCompute(s) ? gpuCards(s).flat() : allFunctions;
      for (const d of needed) {
        assert.ok(
          specsOfAliases.some((a) => a['vendor_id'] === d.vendor && a['product_id'] === d.device),
          `${s.name}: nova knows an alias for ${d.vendor}:${d.device} (${d.address})`,
        );
      }
      if (isCompute(s)) {
        assert.deepEqual(
          [...(res.assignable ?? [])].sort(),
          gpuCards(s).flat().map((d) => d.address).sort(),
          `${s.name}: nova-compute (${s.nova?.release}) may pass through exactly the GPU functions`,
        );
      } else {
        assert.ok(res.enabled_filters?.includes('PciPassthroughFilter'), `${s.name}: PciPassthroughFilter enabled`);
        assert.deepEqual(res.unknown_filters, [], `${s.name}: nova-scheduler (${s.nova?.release}) knows every enabled filter`);
      }
    }
  });

  await t.test('the cloud: a flavor per GPU model requesting the whole card, the image hides the hypervisor', async () => {
    const defined = new Map(aliasLines(lab.readFile(ctl.name, '/etc/nova/nova.conf')).map((a) => [a.name, a]));
    const flavors = ((await openstack(lab, ctl.name, 'flavor list')) as Array<{ Name: string }>).map((f) => f.Name).filter((n) => n === FLAVOR || n.startsWith(`${FLAVOR}-`));
    assert.ok(flavors.length > 0, `a ${FLAVOR} flavor exists`);
    const requested: Array<Set<string>> = [];
    for (const name of flavors) {
      const f = (await openstack(lab, ctl.name, `flavor show ${name}`)) as { properties?: Record<string, string> };
      const spec = f.properties?.['pci_passthrough:alias'];
      assert.ok(spec, `${name} has pci_passthrough:alias`);
      const ids = new Set<string>();
      for (const item of spec.split(',')) {
        const [alias, count] = item.split(':');
        assert.equal(count, '1', `${name}: ${item}: one of each function`);
        const a = defined.get(alias ?? '');
        assert.ok(a, `${name}: alias ${alias} is defined on the controller (nova-api)`);
        ids.add(`${a.vendor_id}:${a.product_id}`);
      }
      requested.push(ids);
    }
    for (const s of gpuComputes) {
      for (const card of gpuCards(s)) {
        const want = card.map((d) => `${d.vendor}:${d.device}`).sort();
        assert.ok(
          requested.some((ids) => [...ids].sort().join() === want.join()),
          `${s.name}: a flavor requests the whole card at ${card[0]?.address} (${want.join(' ')})`,
        );
      }
    }
    const img = (await openstack(lab, ctl.name, `image show ${image}`)) as { properties?: Record<string, unknown> };
    assert.equal(String(img.properties?.['img_hide_hypervisor_id']), 'true', `${image}: img_hide_hypervisor_id=true`);
  });

  await t.test('a second rollout changes nothing and reboots nothing', async () => {
    // the operator rebuilds the guest from the marked image: it no longer sees KVMKVMKVM
    for (const g of guests) setGuestHypervisorHidden(new NodeFs(lab.host(g.name).rootDir), true);
    const before = hashesOf(lab);
    const boots = bootIds(lab);
    const report = join(work, 'apply2.json');
    const r = await passthru(run(['-e', `image=${image}`, '-e', `flavor=${FLAVOR}`, '--yes', '--json', report]));
    times.push(`second apply ${r.ms} ms`);
    assertNoSecrets(r, readFileSync(report, 'utf8'));
    assert.equal(r.code, 2, `exit 2: the host without VT-x still fails\n${r.stdout}`);
    const rep = readReport(report);
    assert.deepEqual(rep.failed_hosts.sort(), noVtx.map((s) => s.name).sort(), 'only the host without VT-x fails; the rebuilt guest passes');
    assert.equal(rep.summary.changed, 0, 'report: 0 changed');
    for (const [host, h] of Object.entries(rep.hosts)) assert.deepEqual(h.steps.filter((x) => x.changed).map((x) => x.name), [], `${host}: no step changed`);
    for (const s of specs) {
      assert.equal(lab.bootId(s.name), boots[s.name], `${s.name}: not rebooted`);
      assert.deepEqual(changedPaths(before[s.name]!, lab.fileHashes(s.name)), [], `${s.name}: no file changed`);
    }
  });

  await t.test('a restart that fails puts the previous nova.conf back and fails the host with the service error', async () => {
    // A compute where the admin once defined the GPU's alias by hand, in a
    // file only the unit's command line names (a systemd drop-in), with
    // another device_type; its nova.conf is back to the one before passthru
    // (restored from passthru's own backup). nova-compute runs fine so.
    const s = gpuComputes.find((x) => family(x) === 'debian' && !x.iommuDefaultOn) ?? gpuComputes[0]!;
    const u = unit(s, 'compute');
    const card = gpuCards(s)[0]!;
    const ours = aliasLines(lab.readFile(s.name, '/etc/nova/nova.conf')).find((a) => a.product_id === card[0]!.device);
    assert.ok(ours, `${s.name}: passthru wrote an alias for ${card[0]!.device}`);
    const legacy = JSON.stringify({ name: ours.name, vendor_id: card[0]!.vendor, product_id: card[0]!.device, device_type: 'type-PF' });
    await sh(
      lab,
      s.name,
      [
        'set -e',
        'cd /etc/nova',
        'cp -p "$(ls nova.conf.*.bak | sort | head -n 1)" nova.conf',
        `printf '[pci]\\nalias = %s\\n' '${legacy}' > gpu-legacy.conf`,
        'chown root:nova gpu-legacy.conf && chmod 0640 gpu-legacy.conf',
        `mkdir -p /etc/systemd/system/${u}.service.d`,
        `printf '[Service]\\nExecStart=\\nExecStart=/usr/bin/nova-compute --config-file=/etc/nova/nova.conf --config-file=/etc/nova/nova-compute.conf --config-file=/etc/nova/gpu-legacy.conf\\n' > /etc/systemd/system/${u}.service.d/gpu.conf`,
        'systemctl daemon-reload',
        `systemctl restart ${u}`,
      ].join('\n'),
    );
    assert.equal(lab.fileHashes(s.name)['/etc/nova/nova.conf'], initialHashes[s.name]!['/etc/nova/nova.conf'], 'the backup passthru kept is the original nova.conf');
    assert.equal((await sh(lab, s.name, `systemctl is-active ${u}`)).trim(), 'active', `${u} runs with the restored configuration`);
    const previous = lab.fileHashes(s.name)['/etc/nova/nova.conf'];
    const bootsBefore = lab.bootCount(s.name);

    const report = join(work, 'apply3.json');
    const r = await passthru(run(['-e', `image=${image}`, '-e', `flavor=${FLAVOR}`, '--yes', '--json', report]));
    times.push(`apply with failing restart ${r.ms} ms`);
    assertNoSecrets(r, readFileSync(report, 'utf8'));
    assert.equal(r.code, 2, r.stdout);
    const rep = readReport(report);
    const h = rep.hosts[s.name];
    assert.equal(h?.status, 'failed', `${s.name} is reported failed`);
    assert.match(h?.error ?? '', /PciInvalidAlias/, `${s.name}: the service's own error is reported: ${h?.error}`);
    assert.match(h?.error ?? '', /put back/, `${s.name}: the report says the configuration was put back`);
    assert.match(hostLines(r.stdout, s.name), /PciInvalidAlias: .*mismatch/i, `${s.name}: the output shows nova's error`);
    assert.equal(lab.fileHashes(s.name)['/etc/nova/nova.conf'], previous, `${s.name}: the previous nova.conf is back`);
    assert.equal((await sh(lab, s.name, 'stat -c "%U:%G %a" /etc/nova/nova.conf')).trim(), 'root:nova 640', `${s.name}: owner and mode of the restored nova.conf`);
    assert.equal((await sh(lab, s.name, `systemctl is-active ${u}`)).trim(), 'active', `${s.name}: ${u} runs again`);
    assert.equal(lab.bootCount(s.name), bootsBefore, `${s.name}: no reboot for a nova.conf change`);
    assert.deepEqual(rep.failed_hosts.sort(), [s.name, ...noVtx.map((x) => x.name)].sort(), 'no other host fails');
  });
});
