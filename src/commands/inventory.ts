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
    o.out.write(`${ansibleJson(maskVars(hostJson(inv, o.arg) as Record<string, unknown>))}\n`);
  } else {
    const list = listJson(inv) as { _meta?: { hostvars?: Record<string, Record<string, unknown>> } };
    for (const [h, vars] of Object.entries(list._meta?.hostvars ?? {})) {
      if (list._meta?.hostvars) list._meta.hostvars[h] = maskVars(vars);
    }
    o.out.write(`${ansibleJson(list)}\n`);
  }
  return 0;
}

/**
 * JSON as ansible-inventory prints it (json.dumps(sort_keys=True, indent=4)),
 * so the two outputs can be diffed. Written by hand: a JS object would put
 * integer-like keys ("10", "2") first, whatever their sorted order.
 */
function ansibleJson(value: unknown, depth = 0): string {
  const pad = ' '.repeat(4 * (depth + 1));
  const end = ' '.repeat(4 * depth);
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((v) => pad + ansibleJson(v, depth + 1)).join(',\n')}\n${end}]`;
  }
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
    if (keys.length === 0) return '{}';
    return `{\n${keys.map((k) => `${pad}${JSON.stringify(k)}: ${ansibleJson(obj[k], depth + 1)}`).join(',\n')}\n${end}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function maskVars(vars: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, isSecretKey(k) && typeof v === 'string' ? MASK : v]));
}
