// `nova_restart`: restart the nova units of the host's role that run on an
// older configuration than the one on disk. Decided from the host (a unit
// that became active before one of the files it loads last changed, see
// src/nova/restart-pending.ts), whichever run changed the file, and from
// this run's planned nova.conf changes (what --check shows before anything
// is written). A unit that fails to start can get the files this run
// replaced back (`rollback`), like the `service` step. kolla's containers
// (container-restart.ts): restarted when their own /etc/kolla/<service>/
// nova.conf changed after they started, then waited for until up again.

import { z } from 'zod';
import { novaConfFiles } from '../../facts/index.ts';
import { novaConfMtimes } from '../../facts/nova-conf-mtimes.ts';
import { unitStartTimes } from '../../facts/unit-start-times.ts';
import { describePending, filesLoadedBy, pendingRestart, utcText } from '../../nova/restart-pending.ts';
import type { ServiceRef } from '../../nova/services.ts';
import { kollaNovaConf, parseDockerTime } from '../../nova/kolla.ts';
import { systemdUnits, type SystemdUnits } from '../../facts/systemd-units.ts';
import type { Change, StepKind } from '../types.ts';
import { restartContainers } from './container-restart.ts';
import { restartUnits } from '../service.ts';
import { preflightOutput } from './preflight.ts';
import { novaPciOutput } from './nova-pci.ts';

const args = z
  .object({
    /** the variable nova_pci registered: the units whose options this run changes */
    changes_from: z.string().default('nova_conf'),
    /** on a failed start, put back the files this run replaced under these paths and start again */
    rollback: z.union([z.boolean(), z.array(z.string().min(1))]).default(false),
    /** kolla: seconds a restarted container may take to be up (healthy) again */
    container_timeout: z.number().int().positive().default(180),
    /** kolla: seconds a container without a healthcheck must keep running to count as up */
    container_settle: z.number().int().nonnegative().default(5),
  })
  .strict();

type Args = z.infer<typeof args>;

const refName = (r: ServiceRef): string => (r.kind === 'systemd' ? r.unit : `${r.engine}:${r.name}`);

/** A kolla container started before its configuration file last changed. */
function containerPending(ref: ServiceRef & { kind: 'container' }, units: SystemdUnits, mtimes: Readonly<Record<string, number>>): string | undefined {
  const file = kollaNovaConf(ref.name);
  const changed = mtimes[file];
  const c = units.containers.find((x) => x.engine === ref.engine && x.name === ref.name);
  const started = parseDockerTime(c?.startedAt);
  if (changed === undefined || started === undefined || changed <= started) return undefined;
  return `restart pending: ${file} changed at ${utcText(changed)}, container started at ${utcText(started)}`;
}

export const novaRestartStep: StepKind<Args> = {
  kind: 'nova_restart',
  schema: args,
  disruptive: true,
  reads: [preflightOutput, novaPciOutput],
  facts: () => [unitStartTimes, novaConfMtimes, novaConfFiles, systemdUnits],
  async plan(ctx, a) {
    const pre = ctx.input(preflightOutput);
    if (!pre) return { changes: [], skip: 'no preflight result for this host (run the preflight step)' };
    const refs = Object.values(pre.units).filter((u): u is ServiceRef => u !== undefined);
    if (refs.length === 0) return { changes: [], skip: 'no nova units on this host' };
    // what this run changes (in check mode: would change) in nova.conf, per unit
    const fromRun = new Set(ctx.inputFrom(ctx.hostName, a.changes_from, novaPciOutput)?.restart ?? []);
    const starts = (await ctx.gather(unitStartTimes)).units;
    const mtimes = (await ctx.gather(novaConfMtimes)).files;
    const files = pre.nova_conf_files.length > 0 ? pre.nova_conf_files : (await ctx.gather(novaConfFiles)).files;

    const changes: Change[] = [];
    const todo: ServiceRef[] = [];
    for (const ref of refs) {
      const name = refName(ref);
      const pending = ref.kind === 'systemd' ? pendingRestart(ref.unit, starts[ref.unit], filesLoadedBy(ref.service, files), mtimes) : undefined;
      const owed = ref.kind === 'container' ? containerPending(ref, await ctx.gather(systemdUnits), mtimes) : undefined;
      if (pending) changes.push({ description: `restart ${name} (${describePending(pending)})` });
      else if (owed) changes.push({ description: `restart ${name} (${owed})` });
      else if (fromRun.has(name)) changes.push({ description: `restart ${name} (its options change in this run)` });
      else continue;
      todo.push(ref);
    }
    const notes = changes.length === 0 ? [`up to date: ${refs.map(refName).join(', ')} started after their configuration last changed`] : [];
    return {
      changes,
      notes,
      result: { restarted: todo.map(refName) },
      apply: async (c) => {
        const units = todo.flatMap((r) => (r.kind === 'systemd' ? [r.unit] : []));
        const out: string[] = [];
        if (units.length > 0) out.push(...(await restartUnits(c, 'restart', units, a.rollback)));
        const containers = todo.flatMap((r) => (r.kind === 'container' ? [{ engine: r.engine, name: r.name }] : []));
        out.push(...(await restartContainers(c, containers, a.rollback, { timeoutS: a.container_timeout, settleS: a.container_settle })));
        return { notes: out };
      },
    };
  },
};
