// A live cloud on real OpenSSH hosts rolled out in batches (--serial 2,
// -e instances=migrate): each batch's computes are drained, rebooted for the
// IOMMU and given back before the next batch's, so no more than two computes
// are out at once and every instance ends running. The single-compute cases
// (refuse, stop, migrate failures, Ctrl-C, --limit @report) are in drain.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { realLabUnavailable, startRealLab, type RealLab } from '@passthru/lab/real/lab.ts';
import { PLAYBOOK, passthru } from './helpers.ts';
import { compute, iommuOn, RUN_MS, servers, services, state, template, TEST } from './live-cloud.ts';

const unavailable = realLabUnavailable();
if (unavailable) process.stderr.write(`\n*** SKIPPED test/playbooks/drain-batches.test.ts: needs the real-sshd lab: ${unavailable} ***\n\n`);
const skip = unavailable ? `SKIPPED: needs the real-sshd lab: ${unavailable}` : false;

describe('a live cloud rolled out in batches: -e instances=migrate --serial 2', { skip, ...TEST }, () => {
  let lab: RealLab;
  const gpus = ['gpu-1', 'gpu-2', 'gpu-3', 'gpu-4'];
  const specs = [
    template('controller'),
    compute('cpu-1', 'cpu-only'),
    compute('gpu-1', 'gpu-rtx', [{ name: 'vm-1' }, { name: 'vm-2' }]),
    compute('gpu-2', 'gpu-t4', [{ name: 'vm-3' }]),
    compute('gpu-3', 'gpu-rtx', [{ name: 'vm-4' }, { name: 'vm-5', status: 'PAUSED' }]),
    compute('gpu-4', 'gpu-t4', [{ name: 'vm-6' }]),
  ];

  before(async () => {
    lab = await startRealLab(specs, { rebootSeconds: 0.5 });
  });
  after(async () => {
    await lab?.stop();
  });

  it('ends with every instance running, every compute enabled and the IOMMU on everywhere; no more than two computes out at once', async () => {
    const r = await passthru(['run', PLAYBOOK, '-i', lab.inventoryPath, '--yes', '--skip-tags', 'nova,openstack', '-e', 'instances=migrate', '--serial', '2'], RUN_MS);
    const out = r.stdout + r.stderr;
    assert.equal(r.code, 0, out);
    const rows = await servers(lab);
    assert.equal(rows.length, 6);
    for (const s of rows) assert.ok(s.Status === 'ACTIVE' || (s.Name === 'vm-5' && s.Status === 'PAUSED'), `${s.Name}: ${s.Status}`);
    assert.equal(state(lab).servers?.some((s) => s.killedByReboot === true), false);
    const svc = await services(lab);
    for (const h of ['cpu-1', ...gpus]) assert.equal(svc[h]?.Status, 'enabled', h);
    for (const h of gpus) {
      assert.equal(lab.bootCount(h), 2, h);
      assert.ok(iommuOn(lab, h), h);
    }
    // batches of two ([controller, cpu-1], [gpu-1, gpu-2], [gpu-3, gpu-4]): each batch's computes were disabled and enabled again before the next batch's
    const events = out.split('\n').filter((l) => /\] (drain the compute|give the compute back): changed/.test(l));
    let out2 = 0;
    let most = 0;
    for (const l of events) {
      out2 += l.includes('drain the compute') ? 1 : -1;
      most = Math.max(most, out2);
    }
    assert.equal(events.length, 8, out);
    assert.ok(most <= 2, `${most} computes were drained at once`);
    // the state file says the same as the CLI
    assert.equal(state(lab).services?.every((x) => x.status === 'enabled'), true);
  });
});
