// `passthru inventory -i FILE --list | --graph [GROUP] | --host NAME`: what
// passthru understood, in the shapes of ansible-inventory.

import { graph, hostJson, listJson, loadInventory } from '../inventory/index.ts';
import { UsageError } from '../errors.ts';
import type { SecretRegistry } from '../util/secrets.ts';
import { isSecretKey, MASK } from '../util/secrets.ts';

export interface InventoryCommandOptions {
  inventory: string;
  mode: 'list' | 'graph' | 'host';
  arg?: string | undefined;
  out: NodeJS.WritableStream;
  secrets: SecretRegistry;
}

export async function inventoryCommand(o: InventoryCommandOptions): Promise<number> {
  const inv = await loadInventory(o.inventory);
  if (o.mode === 'graph') {
    o.out.write(`${graph(inv, o.arg ?? 'all')}\n`);
  } else if (o.mode === 'host') {
    if (!o.arg || !inv.hosts.has(o.arg)) throw new UsageError(`--host: no host named '${o.arg ?? ''}' in ${o.inventory}`, { hint: 'see the hosts with --list or --graph' });
    o.out.write(`${JSON.stringify(maskVars(hostJson(inv, o.arg) as Record<string, unknown>), null, 4)}\n`);
  } else {
    const list = listJson(inv) as { _meta?: { hostvars?: Record<string, Record<string, unknown>> } };
    for (const [h, vars] of Object.entries(list._meta?.hostvars ?? {})) {
      if (list._meta?.hostvars) list._meta.hostvars[h] = maskVars(vars);
    }
    o.out.write(`${JSON.stringify(list, null, 4)}\n`);
  }
  return 0;
}

function maskVars(vars: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, isSecretKey(k) && typeof v === 'string' ? MASK : v]));
}
