// The inventory printed the way `ansible-inventory --list` and
// `ansible-inventory --graph` print it (ansible/cli/inventory.py), so the
// two can be compared and users see what they know.

import { ConfigError } from '../errors.ts';
import { groupDepths, hostsOfGroup } from './graph-walk.ts';
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
  const seen = new Set<string>();
  const formatGroup = (name: string): void => {
    const g = inv.groups.get(name);
    if (!g) return;
    const entry: ListGroup = {};
    if (name !== 'all' && g.hosts.length > 0) entry.hosts = [...g.hosts];
    if (g.children.length > 0) entry.children = [...g.children];
    if (entry.hosts || entry.children) out[name] = entry;
    for (const c of g.children) {
      if (seen.has(c)) continue;
      formatGroup(c);
      seen.add(c);
    }
  };
  formatGroup('all');

  const hostvars: Record<string, Vars> = {};
  const depths = groupDepths(inv);
  for (const h of hostsOfGroup(inv, 'all')) {
    const vars = mergedVars(inv, h, depths);
    for (const k of INTERNAL_VARS) delete vars[k];
    if (Object.keys(vars).length > 0) hostvars[h] = vars;
  }
  out['_meta'] = { hostvars };
  return out;
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
  const walk = (g: string, depth: number): void => {
    lines.push(name(`@${g}:`, depth));
    const grp = inv.groups.get(g);
    if (!grp) return;
    for (const c of grp.children) walk(c, depth + 1);
    if (g !== 'all') for (const h of grp.hosts) lines.push(name(h, depth + 1));
  };
  walk(group, 0);
  return lines.join('\n');
}
