// `nova_units_active`: the nova units of the host's role run (final check);
// on a kolla host, its nova containers.

import { z } from 'zod';
import { systemdUnits } from '../../facts/index.ts';
import type { StepKind } from '../types.ts';
import { quote } from '../../util/shell.ts';
import { unitError, unitStates } from '../service.ts';
import { preflightOutput } from './preflight.ts';

const args = z.object({}).strict();

export const novaUnitsActiveStep: StepKind<z.infer<typeof args>> = {
  kind: 'nova_units_active',
  schema: args,
  repeatable: true,
  reads: [preflightOutput],
  facts: () => [systemdUnits],
  async plan(ctx) {
    const pre = ctx.input(preflightOutput);
    if (!pre) return { changes: [], skip: 'no preflight result for this host (run the preflight step)' };
    const containers = Object.values(pre.units).flatMap((u) => (u && u.kind === 'container' ? [u] : []));
    if (containers.length > 0) {
      // kolla: as the engine lists them now (a container restarted in this run is asked again)
      const r = await ctx.host.exec(quote([containers[0]!.engine, 'inspect', '--format', '{{.Name}} {{.State.Status}}', ...containers.map((c) => c.name)]), { become: ctx.become, becomeUser: ctx.becomeUser, signal: ctx.signal });
      const states = new Map(r.stdout.split('\n').map((l) => l.trim().replace(/^\//, '').split(' ') as [string, string?]).map(([n, st]) => [n, st ?? 'unknown']));
      const down = containers.filter((c) => states.get(c.name) !== 'running');
      const names = containers.map((c) => `${c.engine}:${c.name}`);
      if (down.length === 0) return { changes: [], notes: [`running: ${names.join(', ')}`], result: { active: names } };
      return { changes: [], fail: { message: `not running: ${down.map((c) => `${c.engine}:${c.name} (${states.get(c.name) ?? 'no such container'})`).join(', ')}`, hint: `see \`${down[0]!.engine} logs ${down[0]!.name}\` on the host` } };
    }
    const units = Object.values(pre.units).flatMap((u) => (u && u.kind === 'systemd' ? [u.unit] : []));
    if (units.length === 0) return { changes: [], skip: 'no systemd units to check' };
    // from the facts read with the others; a unit they do not list is asked about now
    const known = (await ctx.gather(systemdUnits).catch(() => undefined))?.active ?? {};
    const states = units.every((u) => known[u] !== undefined) ? new Map(units.map((u) => [u, known[u]!])) : await unitStates(ctx, ctx.host, units, 'is-active');
    const down = units.filter((u) => states.get(u) !== 'active');
    if (down.length === 0) return { changes: [], notes: [`active: ${units.join(', ')}`], result: { active: units } };
    const errors = await Promise.all(down.map(async (u) => `${u}: ${states.get(u) ?? 'unknown'}; ${await unitError(ctx, u)}`));
    return { changes: [], fail: { message: `not active:\n${errors.join('\n')}`, hint: 'see journalctl -u UNIT on the host' } };
  },
};
