// Walking the group graph the way Ansible does (ansible/inventory/group.py):
// ancestors, descendants in breadth-first order, depth, and the hosts of a
// group including those of its children.

import type { Inventory, InventoryGroup } from './types.ts';

function group(inv: Inventory, name: string): InventoryGroup | undefined {
  return inv.groups.get(name);
}

/** The group and every group below it, breadth first, each once (Group.get_descendants(include_self, preserve_ordering)). */
export function descendants(inv: Inventory, name: string): string[] {
  const ordered = [name];
  const seen = new Set([name]);
  let level = [name];
  while (level.length > 0) {
    const next: string[] = [];
    for (const g of level) {
      for (const child of group(inv, g)?.children ?? []) {
        if (seen.has(child)) continue;
        seen.add(child);
        ordered.push(child);
        next.push(child);
      }
    }
    level = next;
  }
  return ordered;
}

/** Every host of a group, through its children too, each once, in Ansible's order (Group.get_hosts). */
export function hostsOfGroup(inv: Inventory, name: string): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const g of descendants(inv, name)) {
    for (const h of group(inv, g)?.hosts ?? []) {
      if (seen.has(h)) continue;
      seen.add(h);
      out.push(h);
    }
  }
  return out;
}

/** parent lists, computed from the children lists */
export function parentsMap(inv: Inventory): Map<string, string[]> {
  const parents = new Map<string, string[]>();
  for (const g of inv.groups.values()) {
    for (const c of g.children) {
      const list = parents.get(c) ?? [];
      if (!list.includes(g.name)) list.push(g.name);
      parents.set(c, list);
    }
  }
  return parents;
}

/** Ansible's group depth: the longest path from `all` (all is 0, its children 1, …). */
export function groupDepths(inv: Inventory): Map<string, number> {
  const depth = new Map<string, number>();
  const visiting = new Set<string>();
  const parents = parentsMap(inv);
  const depthOf = (name: string): number => {
    const known = depth.get(name);
    if (known !== undefined) return known;
    if (visiting.has(name)) return 0; // a loop; the readers refuse these
    visiting.add(name);
    let d = 0;
    for (const p of parents.get(name) ?? []) d = Math.max(d, depthOf(p) + 1);
    visiting.delete(name);
    depth.set(name, d);
    return d;
  };
  for (const name of inv.groups.keys()) depthOf(name);
  return depth;
}

/** The groups a host belongs to, directly or through a parent group (Host.get_groups), `all` included. */
export function groupsOfHost(inv: Inventory, host: string): string[] {
  const parents = parentsMap(inv);
  const out: string[] = [];
  const seen = new Set<string>();
  const add = (g: string): void => {
    if (seen.has(g)) return;
    seen.add(g);
    for (const p of parents.get(g) ?? []) add(p);
    out.push(g);
  };
  for (const g of inv.groups.values()) if (g.hosts.includes(host)) add(g.name);
  return out;
}
