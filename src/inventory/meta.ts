// What the readers know beyond the Inventory contract: where each group,
// host and variable was written (for file:line in later errors), the order
// hosts were first seen, and the warnings Ansible would print. Kept beside
// the Inventory (a WeakMap), so an Inventory built by hand works too.

import type { Inventory } from './types.ts';

export interface InventoryMeta {
  warnings: string[];
  groupLines: Map<string, number>;
  hostLines: Map<string, number>;
  /** key: varKey(kind, entity, name) */
  varLines: Map<string, number>;
  /** host names in the order they were first seen (Ansible's inventory.hosts order) */
  creationOrder: string[];
  /** the file each host was first seen in (Ansible's inventory_file) */
  hostSources: Map<string, string>;
  /** the file each variable was set in (key: varKey) */
  varSources: Map<string, string>;
}

const metas = new WeakMap<Inventory, InventoryMeta>();

export function varKey(kind: 'group' | 'host', entity: string, name: string): string {
  return `${kind}\u0000${entity}\u0000${name}`;
}

export function setMeta(inv: Inventory, meta: InventoryMeta): void {
  metas.set(inv, meta);
}

export function getMeta(inv: Inventory): InventoryMeta | undefined {
  return metas.get(inv);
}

/** Warnings Ansible would print for this inventory (unexpected keys, a name used for a host and a group…). */
export function inventoryWarnings(inv: Inventory): string[] {
  return [...(metas.get(inv)?.warnings ?? [])];
}

/** The line a host was first defined on, when known. */
export function hostLine(inv: Inventory, host: string): number | undefined {
  return metas.get(inv)?.hostLines.get(host);
}

/** The file a host was first seen in, when known. */
export function hostSource(inv: Inventory, host: string): string | undefined {
  return metas.get(inv)?.hostSources.get(host);
}

/** Where a variable was set (a group's or a host's own vars): its file, and its line when known. */
export function varWhere(inv: Inventory, kind: 'group' | 'host', entity: string, name: string): { file: string; line: number | undefined } {
  const key = varKey(kind, entity, name);
  const m = metas.get(inv);
  return { file: m?.varSources.get(key) ?? inv.source, line: m?.varLines.get(key) };
}

/** The line a variable was set on (a group's or a host's own vars), when known. */
export function varLine(inv: Inventory, kind: 'group' | 'host', entity: string, name: string): number | undefined {
  return metas.get(inv)?.varLines.get(varKey(kind, entity, name));
}
