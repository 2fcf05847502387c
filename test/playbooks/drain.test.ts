// A live cloud on real OpenSSH hosts: computes that must reboot for the IOMMU
// run instances. playbooks/pci-passthrough.yaml drains each such compute
// first (nova-compute disabled in the scheduler, the instances handled by
// -e instances=refuse|migrate|stop) and gives it back after its
// verification, driven through the CLI as an operator runs it. What the
// cloud says afterwards is read from the controller's openstack CLI: where
// every instance runs and whether it runs (the lab's cloud shows an instance
// killed by a reboot of its compute as SHUTOFF), and each compute's service.
// nova.conf and the flavor (`--skip-tags nova,openstack`) are the business of
// pci-passthrough.test.ts: here the drains, the reboots and the IOMMU (in
// batches: drain-batches.test.ts).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OPENSTACK_STATE, type OpenstackState } from '@passthru/lab/openstack-state.ts';
import { ssh } from '@passthru/lab/real/client.ts';
import { realLabUnavailable, startRealLab, type RealLab } from '@passthru/lab/real/lab.ts';
import { PLAYBOOK, hostLines, passthru, readReport, type CliRun } from './helpers.ts';
import { compute, iommuOn, placement, RUN_MS, servers, services, state, template, TEST, type ServerRow } from './live-cloud.ts';
import { cliEnv, startCli, waitUntil } from '../faults/helpers.ts';

const unavailable = realLabUnavailable();
if (unavailable) process.stderr.write(`\n*** SKIPPED test/playbooks/drain.test.ts: needs the real-sshd lab: ${unavailable} ***\n\n`);
const skip = unavailable ? `SKIPPED: needs the real-sshd lab: ${unavailable}` : false;

/** what a rollout may change on a compute (the rest of /etc is the machine's, which other tests may touch meanwhile) */
const ROLLOUT_PATHS = ['/etc/default', '/etc/nova', '/boot', '/var/lib/lab'];
const hashes = (lab: RealLab, host: string): Record<string, string> => lab.fileHashes(host, ROLLOUT_PATHS);

const OPERATOR_REASON = 'RMA 4711: fan replaced, burn-in until Friday';

describe('a live cloud: computes with instances are drained before their reboot', { skip, ...TEST }, () => {
  let lab: RealLab;
  let work: string;
  const specs = [
    template('controller'),
    compute('cpu-1', 'cpu-only', [{ name: 'svc-1' }]),
    compute('cpu-2', 'cpu-only'),
    // must reboot: instances that can go, one not running
    compute('gpu-a', 'gpu-rtx', [{ name: 'web-1' }, { name: 'web-2' }, { name: 'spare', status: 'SHUTOFF' }]),
    // must reboot: one instance nova refuses to move (locked; this cloud enforces locks) and one that can go
    compute('gpu-b', 'gpu-t4', [{ name: 'pinned', locked: true }, { name: 'api-1' }]),
    // must reboot: an instance with a GPU passed through (nova's pre-check refuses it, after accepting the request)
    compute('gpu-c', 'gpu-rtx', [{ name: 'cuda-1', pciDevice: true }]),
    // must reboot: a migration that never finishes
    compute('gpu-d', 'gpu-t4', [{ name: 'bigmem', migration: 'never' }]),
    // must reboot; the operator disabled its service before the run
    compute('gpu-e', 'gpu-rtx', [{ name: 'batch-1' }]),
    // must reboot; its instances are stopped and started again
    compute('gpu-f', 'gpu-t4', [{ name: 'render-1' }, { name: 'render-2' }]),
    // must reboot; the run is interrupted (Ctrl-C) while its instance migrates
    compute('gpu-g', 'gpu-rtx', [{ name: 'etl-1', migration: 'never' }]),
  ];
  const rebooting = ['gpu-a', 'gpu-b', 'gpu-c', 'gpu-d', 'gpu-e', 'gpu-f'];

  before(async () => {
    lab = await startRealLab(specs, { rebootSeconds: 0.5 });
    work = mkdtempSync(join(tmpdir(), 'passthru-drain-test-'));
    const r = await ssh(lab, 'controller', `. /root/admin-openrc && openstack compute service set --disable --disable-reason '${OPERATOR_REASON}' gpu-e nova-compute`);
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => {
    await lab?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const run = (args: string[]): Promise<CliRun> => passthru(['run', PLAYBOOK, '-i', lab.inventoryPath, '--yes', '--skip-tags', 'nova,openstack', ...args], RUN_MS);

  it('--check lists the computes that would be drained and what would move or stop; refuse (the default) names the instances and the commands', async () => {
    const before = await placement(lab);
    const before0 = Object.fromEntries(rebooting.map((h) => [h, hashes(lab, h)]));
    const refuse = await run(['--check']);
    const out = refuse.stdout + refuse.stderr;
    assert.equal(refuse.code, 2, out);
    const web1 = (await servers(lab)).find((s) => s.Name === 'web-1') as ServerRow;
    const a = hostLines(out, 'gpu-a');
    assert.match(a, /drain the compute: FAILED/);
    assert.match(a, new RegExp(`${web1.ID} \\(web-1, ACTIVE\\)`));
    assert.match(a, new RegExp(`openstack --os-compute-api-version 2\\.34 server migrate --live-migration ${web1.ID}`));
    assert.doesNotMatch(a, /spare/, 'an instance that is not running is not in the way');

    const migrate = await run(['--check', '-e', 'instances=migrate']);
    const m = migrate.stdout + migrate.stderr;
    assert.equal(migrate.code, 0, m);
    assert.match(hostLines(m, 'gpu-a'), /drain the compute: changed \(disable nova-compute on gpu-a in the scheduler \(reason: passthru: [^)]*\)\); live-migrate \S+ \(web-1, ACTIVE\) off gpu-a; live-migrate \S+ \(web-2, ACTIVE\) off gpu-a\)/);
    assert.match(hostLines(m, 'gpu-a'), /give the compute back: changed \(enable nova-compute on gpu-a in the scheduler again\)/);
    assert.match(hostLines(m, 'gpu-e'), /disabled by someone else \(reason: RMA 4711/);
    assert.doesNotMatch(hostLines(m, 'cpu-1'), /drain the compute: changed/, 'a compute without GPU is never drained');
    const stop = await run(['--check', '-e', 'instances=stop', '--limit', 'gpu-f']);
    assert.match(hostLines(stop.stdout, 'gpu-f'), /stop \S+ \(render-1, ACTIVE\) \(started again after the verification\)/);
    assert.match(hostLines(stop.stdout, 'gpu-f'), /give the compute back: changed \(start \S+ \(render-1\) again on gpu-f; start \S+ \(render-2\) again on gpu-f; enable nova-compute/);

    // nothing was changed anywhere
    assert.deepEqual(await placement(lab), before);
    for (const h of rebooting) assert.deepEqual(hashes(lab, h), before0[h], `${h} changed in a dry run`);
    const svc = await services(lab);
    assert.deepEqual(Object.values(svc).filter((s) => s.Status === 'disabled').map((s) => s.Host), ['gpu-e']);
  });

  it('refuse: a compute with running instances fails before anything is changed on it; the others go on', async () => {
    const before0 = Object.fromEntries(rebooting.map((h) => [h, hashes(lab, h)]));
    const before = await placement(lab);
    const r = await run(['--limit', 'controller:gpu-a:cpu-1:cpu-2']);
    const out = r.stdout + r.stderr;
    assert.equal(r.code, 2, out);
    assert.match(hostLines(out, 'gpu-a'), /2 instance\(s\) run on gpu-a, which must reboot; nothing was changed on it/);
    assert.deepEqual(hashes(lab, 'gpu-a'), before0['gpu-a'], 'gpu-a was touched');
    assert.equal(lab.bootCount('gpu-a'), 1);
    assert.deepEqual(await placement(lab), before);
    assert.equal((await services(lab))['gpu-a']?.Status, 'enabled');
  });

  it('stop: the instances are shut down before the reboot and run again after it, on their compute, through a controller outside --limit', async () => {
    const r = await run(['-e', 'instances=stop', '--limit', 'gpu-f']);
    const out = r.stdout + r.stderr;
    assert.equal(r.code, 0, out);
    assert.equal(lab.bootCount('gpu-f'), 2);
    const where = await placement(lab);
    assert.deepEqual([where['render-1'], where['render-2']], ['ACTIVE@gpu-f', 'ACTIVE@gpu-f']);
    assert.equal(state(lab).servers?.some((s) => s.killedByReboot === true), false, 'nothing was killed by the reboot');
    assert.match(hostLines(out, 'gpu-f'), /stopped on gpu-f: render-1, render-2/);
    assert.equal((await services(lab))['gpu-f']?.Status, 'enabled');
  });

  it('migrate: a refused instance and a migration that never ends fail their computes, left disabled; nothing is lost; the others are rolled out', async () => {
    const json = join(work, 'migrate.json');
    const r = await run(['-e', 'instances=migrate', '-e', 'drain_timeout=6', '--serial', '3', '--limit', 'all:!gpu-g', '--json', json]);
    const out = r.stdout + r.stderr;
    assert.equal(r.code, 2, out);

    const where = await placement(lab);
    // nothing is lost: every instance still runs (an instance on a compute that rebooted under it would be SHUTOFF)
    for (const [name, at] of Object.entries(where)) {
      if (name === 'spare') assert.equal(at, 'SHUTOFF@gpu-a');
      else if (name === 'bigmem') assert.equal(at, 'MIGRATING@gpu-d', 'still migrating, still running where it was');
      else if (name === 'etl-1') assert.equal(at, 'ACTIVE@gpu-g');
      else assert.match(at, /^ACTIVE@/, `${name}: ${at}`);
    }
    assert.equal(state(lab).servers?.some((s) => s.killedByReboot === true), false);
    // the movable ones left their computes; the others stayed where they were, on computes that were not rebooted
    for (const [name, from] of [['web-1', 'gpu-a'], ['web-2', 'gpu-a'], ['api-1', 'gpu-b'], ['batch-1', 'gpu-e']]) assert.doesNotMatch(where[name ?? ''] ?? '', new RegExp(`@${from}$`), `${name} is still on ${from}`);
    assert.equal(where['pinned'], 'ACTIVE@gpu-b');
    assert.equal(where['cuda-1'], 'ACTIVE@gpu-c');

    const failed = ['gpu-b', 'gpu-c', 'gpu-d'];
    const report = readReport(json);
    assert.deepEqual(report.failed_hosts.sort(), failed);
    assert.match(hostLines(out, 'gpu-b'), /pinned, ACTIVE\): refused: Instance \S+ is locked \(HTTP 409\)/);
    assert.match(hostLines(out, 'gpu-c'), /cuda-1, ACTIVE\): migration \d+ ended in error/);
    assert.match(hostLines(out, 'gpu-d'), /bigmem, ACTIVE\): still migrating after 6s \(migration \d+ running; abort it with/);
    const svc = await services(lab);
    for (const h of failed) {
      assert.equal(lab.bootCount(h), 1, `${h} was rebooted with instances on it`);
      assert.equal(svc[h]?.Status, 'disabled', `${h}: its service is still disabled`);
      assert.match(svc[h]?.['Disabled Reason'] ?? '', /^passthru: drained for a reboot/);
      // the recap and the report say so, with the command to enable it
      assert.match(r.stdout, new RegExp(`  ${h}: nova-compute on ${h} is disabled in the scheduler \\(passthru drained it\\)\\n    openstack compute service set --enable ${h} nova-compute`));
      const held = (report.hosts[h] as { held?: Array<{ undo: string }> }).held;
      assert.deepEqual(held?.map((x) => x.undo), [`openstack compute service set --enable ${h} nova-compute`]);
    }
    // the others went on: rebooted with the IOMMU on, given back
    for (const h of ['gpu-a', 'gpu-e']) {
      assert.equal(lab.bootCount(h), 2, `${h} boots`);
      assert.ok(iommuOn(lab, h), `${h}: IOMMU arguments`);
      assert.equal(report.hosts[h]?.status, 'changed');
    }
    assert.equal(svc['gpu-a']?.Status, 'enabled');
    assert.deepEqual([svc['gpu-a']?.['Disabled Reason'], svc['gpu-e']?.Status, svc['gpu-e']?.['Disabled Reason']], [null, 'disabled', OPERATOR_REASON], 'the operator-disabled service stays disabled with its reason');
  });

  it('interrupted (Ctrl-C) while the instances migrate: the compute is not rebooted, its service stays disabled, and the recap and the report say so', async () => {
    const json = join(work, 'interrupted.json');
    const cli = startCli(['run', PLAYBOOK, '-i', lab.inventoryPath, '--yes', '--skip-tags', 'nova,openstack', '-e', 'instances=migrate', '--limit', 'gpu-g', '--json', json], {
      env: cliEnv(work),
      timeoutMs: RUN_MS,
    });
    // the cloud says the drain is under way: gpu-g disabled by passthru, its instance migrating
    await waitUntil(
      () => {
        let s: OpenstackState;
        try {
          s = state(lab);
        } catch {
          return false; // read while the cloud was writing it
        }
        return s.services?.find((x) => x.host === 'gpu-g')?.status === 'disabled' && s.servers?.find((x) => x.name === 'etl-1')?.status === 'MIGRATING';
      },
      RUN_MS,
      'the drain of gpu-g to start',
    );
    cli.child.kill('SIGINT');
    const r = await cli.result;
    assert.equal(r.code, 130, r.stdout + r.stderr);
    assert.equal(lab.bootCount('gpu-g'), 1, 'not rebooted');
    assert.equal((await placement(lab))['etl-1'], 'MIGRATING@gpu-g', 'the instance still runs where it was');
    assert.equal((await services(lab))['gpu-g']?.Status, 'disabled');
    assert.match(r.stdout, /  gpu-g: nova-compute on gpu-g is disabled in the scheduler \(passthru drained it\)\n    openstack compute service set --enable gpu-g nova-compute/);
    assert.deepEqual((readReport(json).hosts['gpu-g'] as { held?: Array<{ undo: string }> }).held?.map((h) => h.undo), ['openstack compute service set --enable gpu-g nova-compute']);
  });

  it('once the operator has fixed what stood in the way, a run with --limit @report.json finishes those computes and gives them back', async () => {
    // the operator's fixes, as the cloud records them: the lock lifted, the stuck migrations
    // aborted (each instance stays where it was, as it was: the Ctrl-C may have caught another
    // instance of the drained compute mid-way too), the GPU instance moved by hand
    const s = state(lab);
    for (const m of s.migrations ?? []) {
      if (m.status !== 'accepted' && m.status !== 'running') continue;
      m.status = 'cancelled';
      const v = s.servers?.find((x) => x.id === m.serverId);
      if (v) Object.assign(v, { host: m.source, status: m.resume ?? 'ACTIVE', taskState: null });
    }
    for (const v of s.servers ?? []) {
      if (v.name === 'pinned') v.locked = false;
      if (v.name === 'bigmem') v.migration = 'completes';
      if (v.name === 'cuda-1') v.host = 'cpu-2';
    }
    writeFileSync(join(lab.host('controller').rootDir, OPENSTACK_STATE), `${JSON.stringify(s, null, 2)}\n`);
    const r = await run(['-e', 'instances=migrate', '--limit', `@${join(work, 'migrate.json')}`, '--serial', '2']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const svc = await services(lab);
    for (const h of ['gpu-b', 'gpu-c', 'gpu-d']) {
      assert.equal(svc[h]?.Status, 'enabled', h);
      assert.equal(lab.bootCount(h), 2, h);
      assert.ok(iommuOn(lab, h), h);
    }
    for (const [name, at] of Object.entries(await placement(lab))) if (name !== 'spare' && name !== 'etl-1') assert.match(at, /^ACTIVE@/, `${name}: ${at}`);
    assert.doesNotMatch(r.stdout, /left as they are/);
  });
});
