// `passthru inventory -i SRC [-i SRC...] --list [--export] [--yaml] |
// --graph [GROUP] [--vars] | --host NAME [--yaml]`: what passthru
// understood, in the shapes and with the flags of ansible-inventory, so the
// two can be diffed. Secrets are masked.

import { parse } from '../cli/args.ts';
import { INVENTORY } from '../cli/spec.ts';
import { graph, hostJson, listJson, loadInventory, yamlInventory } from '../inventory/index.ts';
import type { Vars } from '../inventory/types.ts';
import { UsageError } from '../errors.ts';
import type { SecretRegistry } from '../util/secrets.ts';
import { isSecretKey, MASK } from '../util/secrets.ts';
import { dumpYaml } from '../yaml/dump.ts';
import { pyJson, pyStr, Unsafe } from '../yaml/py-values.ts';

export interface InventoryCommandOptions {
  /** -i, in order */
  inventory: string | readonly string[];
  mode: 'list' | 'graph' | 'host';
  arg?: string | undefined;
  /** --yaml: YAML instead of JSON (--list, --host) */
  yaml?: boolean | undefined;
  /** --vars: vars in --graph */
  vars?: boolean | undefined;
  /** --export: vars as they are set (on groups), not merged per host */
  export?: boolean | undefined;
  /** --playbook-dir: whose group_vars/ and host_vars/ count as the playbook's (default: the current directory, as ansible-inventory) */
  playbookDir?: string | undefined;
  out: NodeJS.WritableStream;
  secrets: SecretRegistry;
}

export const INVENTORY_USAGE = 'passthru inventory -i INVENTORY [-i ...] --list [--yaml] [--export] | --graph [GROUP] [--vars] | --host NAME [--yaml]';

/** The `inventory` subcommand's flags (argv after the word `inventory`). */
/** The inventory subcommand's command line (src/cli/spec.ts INVENTORY): --help, did-you-mean and the checks below. */
export function inventoryArgs(argv: string[]): Omit<InventoryCommandOptions, 'out' | 'secrets'> {
  const p = parse(INVENTORY, argv, { positionals: 1 });
  const inventory = p.strs('inventory') ?? [];
  if (inventory.length === 0) throw new UsageError('inventory needs -i INVENTORY', { hint: INVENTORY_USAGE });
  const host = p.text('host');
  const modes = [p.bool('list') && 'list', p.bool('graph') && 'graph', host !== undefined && 'host'].filter((m): m is 'list' | 'graph' | 'host' => typeof m === 'string');
  if (modes.length !== 1) throw new UsageError('inventory: give one of --list, --graph [GROUP] or --host NAME', { hint: INVENTORY_USAGE });
  const mode = modes[0] as 'list' | 'graph' | 'host';
  if (p.bool('vars') && mode !== 'graph') throw new UsageError('--vars goes with --graph', { hint: 'passthru inventory -i INVENTORY --graph --vars' });
  if (p.bool('yaml') && mode === 'graph') throw new UsageError('--yaml goes with --list or --host', { hint: 'passthru inventory -i INVENTORY --list --yaml' });
  if (p.positionals.length > 0 && mode !== 'graph') throw new UsageError(`inventory: unexpected argument '${p.positionals[0] ?? ''}'`, { hint: INVENTORY_USAGE });
  return {
    inventory,
    mode,
    arg: mode === 'host' ? host : p.positionals[0],
    yaml: p.bool('yaml'),
    vars: p.bool('vars'),
    export: p.bool('export'),
    playbookDir: p.text('playbook-dir'),
  };
}

export async function inventoryCommand(o: InventoryCommandOptions): Promise<number> {
  const inv = await loadInventory(o.inventory, { playbookDir: o.playbookDir ?? process.cwd(), playbookDirExplicit: o.playbookDir !== undefined });
  const dump = (v: unknown): string => (o.yaml ? dumpYaml(v) : `${pyJson(v)}\n`);
  const opts = { export: o.export };
  if (o.mode === 'graph') {
    const show = (k: string, v: unknown): string => `{${k} = ${isSecret(k, v) ? MASK : pyStr(v)}}`;
    o.out.write(`${graph(inv, o.arg ?? 'all', { ...opts, vars: o.vars, show })}\n`);
  } else if (o.mode === 'host') {
    if (!o.arg || !inv.hosts.has(o.arg)) {
      throw new UsageError(`--host: no host named '${o.arg ?? ''}' in ${[o.inventory].flat().join(', ')}`, { hint: 'see the hosts with --list or --graph' });
    }
    o.out.write(dump(maskVars(hostJson(inv, o.arg, opts))));
  } else if (o.yaml) {
    o.out.write(dump(maskTree(yamlInventory(inv, opts))));
  } else {
    const list = listJson(inv, opts) as { _meta?: { hostvars?: Record<string, Vars> } };
    const hostvars = list._meta?.hostvars ?? {};
    for (const h of Object.keys(hostvars)) hostvars[h] = maskVars(hostvars[h] as Vars);
    for (const [name, g] of Object.entries(list)) {
      const group = g as { vars?: Vars };
      if (name !== '_meta' && group.vars) group.vars = maskVars(group.vars);
    }
    o.out.write(dump(list));
  }
  return 0;
}

function maskVars(vars: Vars): Vars {
  const out: Vars = {};
  for (const [k, v] of Object.entries(vars)) Object.defineProperty(out, k, { value: isSecret(k, v) ? MASK : v, enumerable: true, writable: true, configurable: true });
  return out;
}

/** --yaml: host vars sit under hosts:, group vars under vars: */
function maskTree(node: Record<string, unknown>): Record<string, unknown> {
  for (const g of Object.values(node)) {
    const group = g as { children?: Record<string, unknown>; hosts?: Record<string, Vars>; vars?: Vars };
    if (group.children) maskTree(group.children);
    if (group.hosts) for (const h of Object.keys(group.hosts)) group.hosts[h] = maskVars(group.hosts[h] as Vars);
    if (group.vars) group.vars = maskVars(group.vars);
  }
  return node;
}

function isSecret(key: string, value: unknown): boolean {
  return isSecretKey(key) && (typeof value === 'string' || value instanceof Unsafe);
}
