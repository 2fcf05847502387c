// The inventory printed the way `ansible-inventory --list` and
// `ansible-inventory --graph` print it (ansible/cli/inventory.py), so the
// two can be compared and users see what they know.

import { ConfigError } from '../errors.ts';
import { graphIndex, hostsOfGroup } from './graph-walk.ts';
import type { Inventory, Vars } from './types.ts';
import { mergedVars } from './vars.ts';

/** InventoryCLI.INTERNAL_VARS: left out of --list host vars */
export const INTERNAL_VARS = new Set([
  'ansible_diff_mode',
  'ansible_config_file',
  'ansible_facts',
  'ansible_forks',
  'ansible_inventory_sources',
  'ansible_limit',
  'ansible_playbook_python',
  'ansible_run_tags',
  'ansible_skip_tags',
  'ansible_verbosity',
  'ansible_version',
  'inventory_dir',
  'inventory_file',
  'inventory_hostname',
  'inventory_hostname_short',
  'groups',
  'group_names',
  'omit',
  'playbook_dir',
]);

interface ListGroup {
  hosts?: string[];
  children?: string[];
}

/** `ansible-inventory --list`: every group with its direct hosts and children, and _meta.hostvars. */
export function listJson(inv: Inventory): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  // json_inventory's format_group visits each group reachable from all once;
  // the key order does not matter (ansible-inventory sorts keys)
  const seen = new Set<string>(['all']);
  const todo = ['all'];
  while (todo.length > 0) {
    const name = todo.pop() as string;
    const g = inv.groups.get(name);
    if (!g) continue;
    const entry: ListGroup = {};
    if (name !== 'all' && g.hosts.length > 0) entry.hosts = [...g.hosts];
    if (g.children.length > 0) entry.children = [...g.children];
    if (entry.hosts || entry.children) out[name] = entry;
    for (const c of g.children) {
      if (!seen.has(c)) {
        seen.add(c);
        todo.push(c);
      }
    }
  }

  const hostvars: Record<string, Vars> = {};
  const index = graphIndex(inv);
  for (const h of hostsOfGroup(inv, 'all')) {
    const vars = mergedVars(inv, h, index);
    for (const k of INTERNAL_VARS) delete vars[k];
    if (Object.keys(vars).length > 0) hostvars[h] = vars;
  }
  out['_meta'] = { hostvars };
  return out;
}

/** `ansible-inventory --host NAME`: the host's merged inventory vars, without Ansible's internal ones. */
export function hostJson(inv: Inventory, name: string): Vars {
  const vars = mergedVars(inv, name);
  for (const k of INTERNAL_VARS) delete vars[k];
  return vars;
}

/** `ansible-inventory --graph [group]`: the tree of groups and hosts below a group (no trailing newline). */
export function graph(inv: Inventory, group = 'all'): string {
  if (!inv.groups.has(group)) {
    throw new ConfigError(
      { file: inv.source },
      `no group named '${group}' to draw`,
      `groups are: ${[...inv.groups.keys()].join(', ')}`,
    );
  }
  const lines: string[] = [];
  const name = (text: string, depth: number): string => (depth > 0 ? '  |'.repeat(depth) + '--' + text : text);
  // depth first, children before hosts, as _graph_group does (no recursion: chains may be long)
  const todo: Array<{ line: string } | { group: string; depth: number }> = [{ group, depth: 0 }];
  while (todo.length > 0) {
    const item = todo.pop() as { line: string } | { group: string; depth: number };
    if ('line' in item) {
      lines.push(item.line);
      continue;
    }
    lines.push(name(`@${item.group}:`, item.depth));
    const grp = inv.groups.get(item.group);
    if (!grp) continue;
    const next: Array<{ line: string } | { group: string; depth: number }> = grp.children.map((c) => ({ group: c, depth: item.depth + 1 }));
    if (item.group !== 'all') for (const h of grp.hosts) next.push({ line: name(h, item.depth + 1) });
    todo.push(...next.reverse());
  }
  return lines.join('\n');
}
