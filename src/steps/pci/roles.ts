// Which nova roles a host plays, from the inventory groups it is in.

import type { NovaRole } from '../../nova/services.ts';
import type { StepContext } from '../types.ts';

export function rolesOf(ctx: StepContext, groups: { controller: string; compute: string }): NovaRole[] {
  const out: NovaRole[] = [];
  if ((ctx.groups[groups.controller] ?? []).includes(ctx.hostName)) out.push('controller');
  if ((ctx.groups[groups.compute] ?? []).includes(ctx.hostName)) out.push('compute');
  return out;
}

/** A value registered by an earlier step on this host (e.g. `preflight`), if any. */
export function registered<T>(ctx: StepContext, name: string): T | undefined {
  const v = ctx.vars[name];
  if (v === undefined || v === null || typeof v !== 'object') return undefined;
  if ((v as { skipped?: boolean }).skipped === true || (v as { failed?: boolean }).failed === true) return undefined;
  return v as T;
}
