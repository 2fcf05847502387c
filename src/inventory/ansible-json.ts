// The inventory printed the way `ansible-inventory --list` and
// `ansible-inventory --graph` print it (ansible/cli/inventory.py), so the
// two can be compared and users see what they know.

import { ConfigError } from '../errors.ts';
import { graphIndex, hostsOfGroup } from './graph-walk.ts';
import type { Inventory, Vars } from './types.ts';
import { byCodePoint, pyStr } from '../yaml/py-values.ts';
import { exportGroupVars, exportHostVars, mergedVars } from './vars.ts';

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
  vars?: Vars;
}

export interface ListOptions {
  /** --export: group vars on the groups, and only a host's own vars (and host_vars/) in hostvars */
  export?: boolean | undefined;
}

function withoutInternal(vars: Vars): Vars {
  for (const k of INTERNAL_VARS) delete vars[k];
  return vars;
}

/** The vars ansible-inventory shows for a host (InventoryCLI._get_host_variables). */
export function shownHostVars(inv: Inventory, host: string, opts: ListOptions = {}, index?: ReturnType<typeof graphIndex>): Vars {
  return withoutInternal(opts.export ? exportHostVars(inv, host) : mergedVars(inv, host, index));
}

/** The vars ansible-inventory shows for a group (InventoryCLI._get_group_variables). */
export function shownGroupVars(inv: Inventory, group: string): Vars {
  return withoutInternal(exportGroupVars(inv, group));
}

/** `ansible-inventory --list`: every group with its direct hosts and children, and _meta.hostvars. */
export function listJson(inv: Inventory, opts: ListOptions = {}): Record<string, unknown> {
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
    if (opts.export) {
      const vars = shownGroupVars(inv, name);
      if (Object.keys(vars).length > 0) entry.vars = vars;
    }
    if (entry.hosts || entry.children || entry.vars) out[name] = entry;
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
    const vars = shownHostVars(inv, h, opts, index);
    if (Object.keys(vars).length > 0) hostvars[h] = vars;
  }
  out['_meta'] = { hostvars };
  return out;
}

/** `ansible-inventory --list --yaml` (2.14's yaml_inventory): groups nested under all (a group below two parents twice), hosts with their vars where first listed. */
export function yamlInventory(inv: Inventory, opts: ListOptions = {}): Record<string, unknown> {
  const seenHosts = new Set<string>();
  const index = graphIndex(inv);
  const format = (name: string): Record<string, unknown> => {
    const g = inv.groups.get(name);
    const entry: Record<string, unknown> = {};
    const children: Record<string, unknown> = {};
    for (const c of g?.children ?? []) if (c !== 'all') Object.assign(children, format(c));
    const hosts: Record<string, unknown> = {};
    if (name !== 'all') {
      for (const h of g?.hosts ?? []) {
        let vars: Vars = {};
        if (!seenHosts.has(h)) {
          seenHosts.add(h);
          vars = shownHostVars(inv, h, opts, index);
        }
        hosts[h] = vars;
      }
    }
    if (Object.keys(children).length > 0) entry['children'] = children;
    if (Object.keys(hosts).length > 0) entry['hosts'] = hosts;
    if (opts.export) {
      const vars = shownGroupVars(inv, name);
      if (Object.keys(vars).length > 0) entry['vars'] = vars;
    }
    return { [name]: entry };
  };
  return format('all');
}

/** `ansible-inventory --host NAME`: the host's merged inventory vars, without Ansible's internal ones. */
export function hostJson(inv: Inventory, name: string, opts: ListOptions = {}): Vars {
  return shownHostVars(inv, name, opts);
}

export interface GraphOptions extends ListOptions {
  /** --vars: each host's and group's vars under it, as `{name = value}` */
  vars?: boolean | undefined;
  /** how a value is written (masking secrets, Python's str()) */
  show?: (name: string, value: unknown) => string;
}

/** `ansible-inventory --graph [group] [--vars]`: the tree of groups and hosts below a group (no trailing newline). */
export function graph(inv: Inventory, group = 'all', opts: GraphOptions = {}): string {
  if (!inv.groups.has(group)) {
    throw new ConfigError(
      { file: inv.source },
      `no group named '${group}' to draw`,
      `groups are: ${[...inv.groups.keys()].join(', ')}`,
    );
  }
  const lines: string[] = [];
  const name = (text: string, depth: number): string => (depth > 0 ? '  |'.repeat(depth) + '--' + text : text);
  const show = opts.show ?? ((k: string, v: unknown) => `{${k} = ${pyStr(v)}}`);
  const varLines = (vars: Vars, depth: number): Item[] =>
    Object.keys(vars)
      .sort(byCodePoint)
      .map((k) => ({ line: name(show(k, vars[k]), depth) }));
  const index = opts.vars ? graphIndex(inv) : undefined;
  // depth first, children before hosts, as _graph_group does (no recursion: chains may be long)
  type Item = { line: string } | { group: string; depth: number };
  const todo: Item[] = [{ group, depth: 0 }];
  while (todo.length > 0) {
    const item = todo.pop() as Item;
    if ('line' in item) {
      lines.push(item.line);
      continue;
    }
    lines.push(name(`@${item.group}:`, item.depth));
    const grp = inv.groups.get(item.group);
    if (!grp) continue;
    const next: Item[] = grp.children.map((c) => ({ group: c, depth: item.depth + 1 }));
    if (item.group !== 'all') {
      for (const h of grp.hosts) {
        next.push({ line: name(h, item.depth + 1) });
        if (opts.vars) next.push(...varLines(shownHostVars(inv, h, opts, index), item.depth + 2));
      }
    }
    if (opts.vars) next.push(...varLines(shownGroupVars(inv, item.group), item.depth + 1));
    todo.push(...next.reverse());
  }
  return lines.join('\n');
}
