// `compute_undrain`: after the compute's verification, give it back: start
// again the instances compute_drain stopped, then enable its nova-compute
// service in the scheduler. Only a service passthru disabled is enabled
// (in this run, or by an earlier run that did not finish: its reason starts
// with "passthru:"); one the operator disabled stays disabled, with its
// reason. A host that failed earlier never gets here: it keeps its service
// disabled, and the recap says so with the command to enable it.

import { z } from 'zod';
import { StepError } from '../../errors.ts';
import { sleep } from '../../util/sleep.ts';
import type { Change, StepKind } from '../types.ts';
import { OpenstackCli } from './openstack-cli.ts';
import { describe, isPassthruReason, listInstances, readCompute } from './compute-service.ts';
import { HOLD_SERVICE, HOLD_STOPPED, drainOutput, type DrainResult } from './compute-drain.ts';

const STEP = 'give back';

const args = z
  .object({
    /** the variable compute_drain registered on this host */
    drained: z.string().default('drain'),
    /** seconds the stopped instances may take to run again */
    timeout: z.number().int().positive().default(1800),
    openrc: z.string().default(''),
  })
  .strict();

export const computeUndrainStep: StepKind<z.infer<typeof args>> = {
  kind: 'compute_undrain',
  schema: args,
  // it enables the service and starts instances through the openstack CLI: no fact of the host changes
  changesHost: false,
  reads: [drainOutput],
  async plan(ctx, a) {
    const d: DrainResult | undefined = ctx.inputFrom(ctx.hostName, a.drained, drainOutput) ?? skippedDrain(ctx.vars[a.drained]);
    if (d === undefined || typeof d.nova_host !== 'string' || typeof d.controller !== 'string') {
      return { changes: [], skip: `nothing to give back: no drain result '${a.drained}' on this host (the compute_drain step did not run)` };
    }
    if (!d.drained && !d.enable_after) return { changes: [], skip: 'not drained' };
    const host = d.nova_host;
    if (ctx.check) {
      // the drain was planned, not made: say what giving back will do
      const changes: Change[] = d.stopped.map((i) => ({ description: `start ${i.id} (${i.name}) again on ${host}` }));
      if (d.enable_after) changes.push({ description: `enable nova-compute on ${host} in the scheduler again` });
      const notes = d.operator_disabled !== null ? [`nova-compute on ${host} stays disabled (the operator's reason: ${d.operator_disabled || 'none'})`] : [];
      return { changes, notes };
    }
    const cli = await OpenstackCli.open(ctx, d.controller, a.openrc, STEP);
    // the instances are listed only when the drain stopped some (to start them again)
    const { service, instances } = await readCompute(cli, ctx, host, STEP, { instances: d.stopped.length > 0 });
    const toStart = instances.filter((i) => i.status === 'SHUTOFF' && d.stopped.some((s) => s.id === i.id));
    const changes: Change[] = toStart.map((i) => ({ description: `start ${describe(i)} again` }));
    const notes: string[] = [];
    const enable = service.status === 'disabled' && isPassthruReason(service.reason);
    if (enable) changes.push({ description: `enable nova-compute on ${host} in the scheduler again` });
    else if (service.status === 'disabled') notes.push(`nova-compute on ${host} stays disabled (reason: ${service.reason ?? 'none'}): not passthru's to enable`);
    // what is not (or no longer) passthru's to undo is not held
    if (!enable) ctx.hold(HOLD_SERVICE, undefined);
    if (toStart.length === 0) ctx.hold(HOLD_STOPPED, undefined);
    return {
      changes,
      notes,
      apply: async (cx) => {
        if (toStart.length > 0) {
          const r = await cli.run(['server', 'start', ...toStart.map((i) => i.id)]);
          if (!r.ok) throw new StepError(cx.hostName, STEP, `could not start ${toStart.map((i) => i.name).join(', ')} again: ${r.err}`, `start them yourself: openstack server start ${toStart.map((i) => i.id).join(' ')}`);
          const deadline = Date.now() + a.timeout * 1000;
          let delay = 500;
          for (;;) {
            const status = new Map((await listInstances(cli, host, STEP)).map((i) => [i.id, i.status]));
            const left = toStart.filter((i) => status.get(i.id) !== 'ACTIVE');
            if (left.length === 0) break;
            if (Date.now() >= deadline || cx.signal.aborted) {
              throw new StepError(cx.hostName, STEP, `not running again after ${a.timeout}s: ${left.map(describe).join(', ')}`, `see openstack server show ID; nova-compute on ${host} stays disabled until they run`);
            }
            await sleep(delay, cx.signal);
            delay = Math.min(5000, delay * 2);
          }
          cx.hold(HOLD_STOPPED, undefined);
        }
        if (enable) {
          const r = await cli.run(['compute', 'service', 'set', '--enable', host, 'nova-compute']);
          if (!r.ok) throw new StepError(cx.hostName, STEP, `could not enable nova-compute on ${host}: ${r.err}`);
          cx.hold(HOLD_SERVICE, undefined);
        }
        return { notes: [`${host} is back in the scheduler${toStart.length > 0 ? `, ${toStart.map((i) => i.name).join(', ')} running again` : ''}`] };
      },
    };
  },
};

/** A drain skipped because no reboot was needed still registers the compute (ctx.input drops skipped results). */
function skippedDrain(v: unknown): DrainResult | undefined {
  if (v === null || typeof v !== 'object' || (v as { failed?: boolean }).failed === true) return undefined;
  const d = v as Partial<DrainResult>;
  return typeof d.nova_host === 'string' ? (d as DrainResult) : undefined;
}
