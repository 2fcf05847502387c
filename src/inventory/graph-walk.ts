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
  // longest path in a DAG, in topological order (no recursion: chains may be long)
  const parents = parentsMap(inv);
  const waiting = new Map<string, number>();
  for (const name of inv.groups.keys()) waiting.set(name, (parents.get(name) ?? []).filter((p) => inv.groups.has(p)).length);
  const depth = new Map<string, number>();
  const ready = [...waiting].filter(([, n]) => n === 0).map(([g]) => g);
  for (const g of ready) depth.set(g, 0);
  while (ready.length > 0) {
    const g = ready.pop() as string;
    for (const c of inv.groups.get(g)?.children ?? []) {
      if (!waiting.has(c)) continue;
      depth.set(c, Math.max(depth.get(c) ?? 0, (depth.get(g) ?? 0) + 1));
      const left = (waiting.get(c) ?? 1) - 1;
      waiting.set(c, left);
      if (left === 0) ready.push(c);
    }
  }
  for (const name of inv.groups.keys()) if (!depth.has(name)) depth.set(name, 0); // in a loop: the readers refuse these
  return depth;
}

/** Lookups computed once for many hosts (listJson over a big inventory). */
export interface GraphIndex {
  parents: Map<string, string[]>;
  depths: Map<string, number>;
  /** host -> the groups that list it directly */
  direct: Map<string, string[]>;
}

export function graphIndex(inv: Inventory): GraphIndex {
  const direct = new Map<string, string[]>();
  for (const g of inv.groups.values()) {
    for (const h of g.hosts) {
      const list = direct.get(h);
      if (list) list.push(g.name);
      else direct.set(h, [g.name]);
    }
  }
  return { parents: parentsMap(inv), depths: groupDepths(inv), direct };
}

/** The groups a host belongs to, directly or through a parent group (Host.get_groups), `all` included. */
export function groupsOfHost(inv: Inventory, host: string, index?: GraphIndex): string[] {
  const parents = index?.parents ?? parentsMap(inv);
  const out: string[] = [];
  const seen = new Set<string>();
  const todo: string[] = index ? [...(index.direct.get(host) ?? [])] : [...inv.groups.values()].filter((g) => g.hosts.includes(host)).map((g) => g.name);
  while (todo.length > 0) {
    const g = todo.pop() as string;
    if (seen.has(g)) continue;
    seen.add(g);
    out.push(g);
    todo.push(...(parents.get(g) ?? []));
  }
  return out;
}
