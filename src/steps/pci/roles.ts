// Which nova roles a host plays, from the inventory groups it is in.

import type { NovaRole } from '../../nova/services.ts';
import type { StepContext } from '../types.ts';

export function rolesOf(ctx: StepContext, groups: { controller: string; compute: string }): NovaRole[] {
  const out: NovaRole[] = [];
  if ((ctx.groups[groups.controller] ?? []).includes(ctx.hostName)) out.push('controller');
  if ((ctx.groups[groups.compute] ?? []).includes(ctx.hostName)) out.push('compute');
  return out;
}
