// `compute_drain`: before the first change that leads to a compute's reboot,
// take it out of the scheduler and empty it, through the openstack CLI on a
// controller:
//  - its nova-compute service is disabled with a reason naming passthru and
//    the run, so nothing new lands there (a service the operator disabled is
//    left alone: disabling it again would overwrite the operator's reason);
//  - the instances running on it are handled by the policy `instances`:
//    `refuse` (default) fails the host before anything is changed on it,
//    listing them and the commands that would move them; `migrate`
//    live-migrates them (nova picks block or shared-storage migration) and
//    waits until the host is empty, within `timeout`; `stop` shuts them down
//    cleanly (compute_undrain starts them again after the verification).
// A compute whose IOMMU is already on (no reboot) is not drained. The step
// registers what compute_undrain needs; a host that fails or is interrupted
// after the disable keeps its service disabled, and the recap says so.

import { z } from 'zod';
import { StepError } from '../../errors.ts';
import { sleep } from '../../util/sleep.ts';
import type { Change, HostHold, StepContext, StepKind } from '../types.ts';
import { stepOutput } from '../contract.ts';
import { vfioStep } from './vfio.ts';
import { kernelIommuStep } from './kernel-iommu.ts';
import { OpenstackCli } from './openstack-cli.ts';
import {
  COMPUTE_API,
  REASON_PREFIX,
  describe,
  enableCommand,
  failedMigration,
  isPassthruReason,
  listInstances,
  moveCommands,
  novaHostOf,
  parseMigrations,
  parseServices,
  plannedInstances,
  plannedListing,
  readCompute,
  runName,
  sortInstances,
  type Instance,
} from './compute-service.ts';
import { hostname, novaConfText } from '../../facts/index.ts';

const STEP = 'drain';

const args = z
  .object({
    /** the controller whose openstack CLI (with its openrc) speaks to the cloud */
    controller: z.string().min(1),
    /** what happens to the instances running on the compute */
    instances: z.enum(['refuse', 'migrate', 'stop']).default('refuse'),
    /** seconds the instances may take to leave (migrate) or stop */
    timeout: z.number().int().positive().default(1800),
    /** the compute's name in nova; empty: [DEFAULT] host of its nova.conf, else its hostname */
    nova_host: z.string().default(''),
    /** empty: the first of /root/admin-openrc, /root/keystonerc_admin on the controller */
    openrc: z.string().default(''),
    /** as kernel_iommu's: the drain follows that step's decision to reboot */
    passthrough_mode: z.boolean().default(true),
    /** as vfio_pci's: binding the GPUs to vfio-pci reboots the compute too */
    vfio: z.enum(['auto', 'always', 'never']).default('auto'),
    vendor: z.union([z.string(), z.array(z.string())]).default('10de'),
  })
  .strict();

type Args = z.infer<typeof args>;

const instanceRef = z.object({ id: z.string(), name: z.string() });
/** What compute_drain registers (compute_undrain reads it). */
export const drainOutput = stepOutput(
  'compute_drain',
  z.object({
    drained: z.boolean(),
    controller: z.string(),
    nova_host: z.string(),
    policy: z.enum(['refuse', 'migrate', 'stop']),
    enable_after: z.boolean(),
    operator_disabled: z.string().nullable(),
    stopped: z.array(instanceRef),
    moved: z.array(instanceRef.extend({ to: z.string().nullable() })),
  }),
);

/** What compute_undrain reads (registered). */
export interface DrainResult {
  /** the compute was (or would be) drained in this run */
  drained: boolean;
  controller: string;
  nova_host: string;
  policy: Args['instances'];
  /** passthru disabled the service (in this run or an earlier one that did not finish): enable it after */
  enable_after: boolean;
  /** the operator's own disable reason, kept (the service stays disabled) */
  operator_disabled: string | null;
  /** instances stopped by this drain (started again after the verification) */
  stopped: Array<{ id: string; name: string }>;
  moved: Array<{ id: string; name: string; to: string | null }>;
}

export const HOLD_SERVICE = 'nova-compute-disabled';
export const HOLD_STOPPED = 'instances-stopped';

function serviceHold(novaHost: string): HostHold {
  return { what: `nova-compute on ${novaHost} is disabled in the scheduler (passthru drained it)`, undo: enableCommand(novaHost) };
}

function list(instances: readonly Instance[]): string {
  return instances.map((i) => `  ${describe(i)}`).join('\n');
}

export const computeDrainStep: StepKind<Args> = {
  kind: 'compute_drain',
  schema: args,
  output: drainOutput,
  // it moves or stops instances: on a terminal without --yes, asked first
  disruptive: true,
  // it disables the service and moves instances through the openstack CLI: no fact of the host changes
  changesHost: false,
  // what kernel_iommu reads (to tell whether a reboot comes), and the compute's name in nova
  facts: (a) => [
    ...(kernelIommuStep.facts?.({ passthrough_mode: a.passthrough_mode }) ?? []),
    ...(vfioStep.facts?.({ policy: a.vfio, vendor: a.vendor }) ?? []),
    novaConfText,
    hostname,
  ],
  async plan(ctx, a) {
    const kernel = await kernelIommuStep.plan(ctx, { passthrough_mode: a.passthrough_mode });
    const vfio = await vfioStep.plan(ctx, { policy: a.vfio, vendor: a.vendor });
    const reboots = kernel.fail === undefined && vfio.fail === undefined && (kernel.result?.['reboot_required'] === true || vfio.result?.['reboot_required'] === true);

    const cli = await OpenstackCli.open(ctx, a.controller, a.openrc, STEP);
    // the listing of instances goes out beside the services' when a reboot comes (both read-only, shared)
    const listing = reboots ? plannedListing(cli, STEP) : undefined;
    listing?.catch(() => undefined);
    const services = parseServices(await cli.json<unknown>(['compute', 'service', 'list', '--service', 'nova-compute', '--long'], STEP, { shared: true }));
    const named = await novaHostOf(ctx, a.nova_host, services);
    if (named.name === undefined) {
      if (!reboots) return { changes: [], skip: 'no reboot here: not drained' };
      return {
        changes: [],
        fail: {
          message: `the cloud has no nova-compute service named ${named.tried.join(' or ')} (openstack compute service list on ${a.controller}); cannot drain this compute before its reboot`,
          hint: 'set nova_host=NAME for this host in the inventory (the Host column of `openstack compute service list`)',
        },
      };
    }
    const novaHost = named.name;
    const service = services.find((s) => s.host === novaHost)!;
    const ours = service.status === 'disabled' && isPassthruReason(service.reason);
    // still disabled by an earlier passthru run: held until this run gives it back
    if (ours && !ctx.check) ctx.hold(HOLD_SERVICE, serviceHold(novaHost));
    const base: DrainResult = {
      drained: false,
      controller: a.controller,
      nova_host: novaHost,
      policy: a.instances,
      enable_after: ours,
      operator_disabled: service.status === 'disabled' && !ours ? (service.reason ?? '') : null,
      stopped: [],
      moved: [],
    };
    if (!reboots) {
      const fail = kernel.fail ?? vfio.fail;
      const why = fail ? `the kernel or vfio step cannot go on here (${fail.message})` : 'the IOMMU is already active and the GPUs free for vfio-pci: no reboot';
      // a service an earlier run left disabled is given back after the verification all the same
      return { changes: [], skip: `${why}; not drained`, result: { ...base } };
    }

    const sorted = sortInstances(await plannedInstances(cli, novaHost, STEP, listing));
    const notes: string[] = [];
    if (sorted.busy.length > 0) {
      return {
        changes: [],
        result: { ...base },
        fail: { message: `instances on ${novaHost} are in the middle of something; a drain does not guess what:\n${list(sorted.busy)}`, hint: 'wait until they settle (or fix them), then run again' },
      };
    }
    if (sorted.running.length > 0 && a.instances === 'refuse') {
      return {
        changes: [],
        result: { ...base },
        fail: {
          message: `${sorted.running.length} instance(s) run on ${novaHost}, which must reboot; nothing was changed on it:\n${list(sorted.running)}\nto move them by hand:\n${moveCommands(sorted.running).map((c) => `  ${c}`).join('\n')}`,
          hint: 'or let passthru do it: -e instances=migrate (live-migrate them away) or -e instances=stop (stop them, start them again after the reboot)',
        },
      };
    }
    const paused = sorted.running.filter((i) => i.status === 'PAUSED');
    if (a.instances === 'stop' && paused.length > 0) {
      return { changes: [], result: { ...base }, fail: { message: `paused instances cannot be stopped:\n${list(paused)}`, hint: 'unpause them, or use -e instances=migrate' } };
    }

    const reason = `${REASON_PREFIX} drained for a reboot (GPU passthrough rollout, run ${runName(ctx)})`;
    const changes: Change[] = [];
    if (service.status === 'enabled') changes.push({ description: `disable nova-compute on ${novaHost} in the scheduler (reason: ${reason})` });
    else if (ours) notes.push(`nova-compute on ${novaHost} is still disabled by an earlier passthru run (${service.reason ?? ''}): enabled again once this host is through`);
    else notes.push(`nova-compute on ${novaHost} was disabled by someone else (reason: ${service.reason ?? 'none'}): left disabled, and left so after the rollout`);
    for (const i of sorted.running) {
      changes.push({ description: a.instances === 'migrate' ? `live-migrate ${describe(i)} off ${novaHost}` : `stop ${describe(i)} (started again after the verification)` });
    }
    if (sorted.atRest.length > 0) notes.push(`not running, left as they are through the reboot: ${sorted.atRest.map(describe).join(', ')}`);
    if (changes.length === 0) notes.push(`nothing runs on ${novaHost}`);
    const result: DrainResult = {
      ...base,
      drained: true,
      enable_after: service.status === 'enabled' || ours,
      stopped: a.instances === 'stop' ? sorted.running.map((i) => ({ id: i.id, name: i.name })) : [],
    };
    return {
      changes,
      notes,
      result: { ...result },
      apply: async (cx) => {
        const done = await drain(cx, cli, a, result, reason);
        const notes = [];
        if (done.moved.length > 0) notes.push(`moved off ${novaHost}: ${done.moved.map((m) => `${m.name} -> ${m.to ?? '?'}`).join(', ')}`);
        if (done.stopped.length > 0) notes.push(`stopped on ${novaHost}: ${done.stopped.map((i) => i.name).join(', ')}`);
        return { result: { ...done }, notes };
      },
    };
  },
};

/** Disable, then empty the compute by the policy. Throws (leaving the service disabled) when it cannot be emptied. */
async function drain(ctx: StepContext, cli: OpenstackCli, a: Args, planned: DrainResult, reason: string): Promise<DrainResult> {
  const host = planned.nova_host;
  // what is there now, not what the plan saw
  const now = await readCompute(cli, ctx, host, STEP);
  let running = sortInstances(now.instances).running;
  if (a.instances === 'refuse' && running.length > 0) {
    throw new StepError(ctx.hostName, STEP, `instances started on ${host} since the plan; nothing was changed on it:\n${list(running)}`, 'run again (with -e instances=migrate or stop to move them)');
  }
  // passthru's to give back: disabled now by this drain, or still by an earlier run's (never the operator's)
  const result: DrainResult = { ...planned, enable_after: now.service.status === 'enabled' || isPassthruReason(now.service.reason), stopped: [], moved: [] };
  if (now.service.status === 'enabled') {
    const r = await cli.run(['compute', 'service', 'set', '--disable', '--disable-reason', reason, host, 'nova-compute']);
    if (!r.ok) throw new StepError(ctx.hostName, STEP, `could not disable nova-compute on ${host}: ${r.err}`, `check the credentials in ${cli.openrc} (admin)`);
  }
  if (result.enable_after) ctx.hold(HOLD_SERVICE, serviceHold(host));
  // nothing new lands now: what runs is what must leave
  running = sortInstances(await listInstances(cli, host, STEP)).running;
  if (running.length === 0) return result;
  if (a.instances === 'stop') return stopAll(ctx, cli, a, result, running);
  return migrateAll(ctx, cli, a, result, running);
}

/** Back off from 1 s to 5 s between polls. */
function nextDelay(ms: number): number {
  return Math.min(5000, Math.round(ms * 1.5));
}

async function migrateAll(ctx: StepContext, cli: OpenstackCli, a: Args, result: DrainResult, running: Instance[]): Promise<DrainResult> {
  const host = result.nova_host;
  const listMigrations = async () => parseMigrations(await cli.json<unknown>([...COMPUTE_API, 'server', 'migration', 'list', '--host', host], STEP));
  const before = new Set((await listMigrations()).map((m) => m.id));
  const refused = new Map<string, string>();
  for (const i of running) {
    // the exit code only says the request was accepted: the migration is watched below
    const r = await cli.run([...COMPUTE_API, 'server', 'migrate', '--live-migration', i.id]);
    if (!r.ok) refused.set(i.id, r.err || 'refused');
  }
  const watched = running.filter((i) => !refused.has(i.id));
  const deadline = Date.now() + a.timeout * 1000;
  const failed = new Map<string, string>();
  let left = watched;
  let delay = 1000;
  let migrations: Awaited<ReturnType<typeof listMigrations>> = [];
  while (left.length > 0) {
    if (ctx.signal.aborted) throw new StepError(ctx.hostName, STEP, 'interrupted while instances were migrating');
    const [still, ms] = await Promise.all([listInstances(cli, host, STEP), listMigrations()]);
    migrations = ms.filter((m) => !before.has(m.id));
    const here = new Set(still.map((i) => i.id));
    for (const i of left) {
      if (here.has(i.id)) {
        const mine = migrations.filter((m) => m.server === i.id);
        const last = mine[mine.length - 1];
        if (last && failedMigration(last.status)) failed.set(i.id, `migration ${last.id} ended in ${last.status}`);
      } else {
        const to = migrations.filter((m) => m.server === i.id).pop()?.dest ?? null;
        result.moved.push({ id: i.id, name: i.name, to });
      }
    }
    left = left.filter((i) => here.has(i.id) && !failed.has(i.id));
    if (left.length === 0 || Date.now() >= deadline) break;
    await sleep(Math.min(delay, Math.max(0, deadline - Date.now())), ctx.signal);
    delay = nextDelay(delay);
  }
  const problems = [
    ...running.filter((i) => refused.has(i.id)).map((i) => `  ${describe(i)}: refused: ${refused.get(i.id) ?? ''}`),
    ...running.filter((i) => failed.has(i.id)).map((i) => `  ${describe(i)}: ${failed.get(i.id) ?? ''} (nova's reason: openstack server event list ${i.id})`),
    ...left.map((i) => {
      const m = migrations.filter((x) => x.server === i.id).pop();
      return `  ${describe(i)}: still migrating after ${a.timeout}s${m ? ` (migration ${m.id} ${m.status}; abort it with: openstack --os-compute-api-version 2.24 server migration abort ${i.id} ${m.id})` : ''}`;
    }),
  ];
  const moved = result.moved.map((m) => `${m.name} -> ${m.to ?? '?'}`).join(', ');
  if (problems.length > 0) {
    throw new StepError(
      ctx.hostName,
      STEP,
      `${host} could not be emptied; it was not rebooted${moved ? ` (moved: ${moved})` : ''}:\n${problems.join('\n')}`,
      `nova-compute on ${host} stays disabled. Move or stop these instances yourself (or -e instances=stop), then run again (--limit @report.json); raise -e drain_timeout=SECONDS for slow migrations`,
    );
  }
  return result;
}

async function stopAll(ctx: StepContext, cli: OpenstackCli, a: Args, result: DrainResult, running: Instance[]): Promise<DrainResult> {
  const host = result.nova_host;
  const refused = new Map<string, string>();
  for (const i of running) {
    const r = await cli.run(['server', 'stop', i.id]);
    if (!r.ok) refused.set(i.id, r.err || 'refused');
  }
  const asked = running.filter((i) => !refused.has(i.id));
  const deadline = Date.now() + a.timeout * 1000;
  let delay = 1000;
  let left = asked;
  for (;;) {
    const status = new Map((await listInstances(cli, host, STEP)).map((i) => [i.id, i.status]));
    left = asked.filter((i) => status.get(i.id) !== 'SHUTOFF');
    if (left.length === 0 || Date.now() >= deadline || ctx.signal.aborted) break;
    await sleep(Math.min(delay, Math.max(0, deadline - Date.now())), ctx.signal);
    delay = nextDelay(delay);
  }
  const stopped = asked.filter((i) => !left.includes(i));
  result.stopped = stopped.map((i) => ({ id: i.id, name: i.name }));
  if (refused.size === 0 && left.length === 0) {
    ctx.hold(HOLD_STOPPED, { what: `instances stopped by passthru on ${host}: ${stopped.map((i) => i.name).join(', ')}`, undo: `openstack server start ${stopped.map((i) => i.id).join(' ')}` });
    return result;
  }
  // the compute is not rebooted: what was stopped for it runs again
  const restarted = stopped.length > 0 ? await cli.run(['server', 'start', ...stopped.map((i) => i.id)]) : undefined;
  const problems = [
    ...running.filter((i) => refused.has(i.id)).map((i) => `  ${describe(i)}: refused: ${refused.get(i.id) ?? ''}`),
    ...left.map((i) => `  ${describe(i)}: not stopped after ${a.timeout}s`),
  ];
  throw new StepError(
    ctx.hostName,
    STEP,
    `${host} could not be emptied; it was not rebooted:\n${problems.join('\n')}${stopped.length > 0 ? `\nstarted again: ${stopped.map((i) => i.name).join(', ')}${restarted?.ok === false ? ` (failed: ${restarted.err}; start them with: openstack server start ${stopped.map((i) => i.id).join(' ')})` : ''}` : ''}`,
    `nova-compute on ${host} stays disabled. Stop or move these instances yourself, then run again (--limit @report.json)`,
  );
}
