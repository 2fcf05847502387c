// A host's variables with Ansible's precedence: `all` first, then its other
// groups sorted by (depth, ansible_group_priority, name) so a child group
// beats its parent, then the host's own vars, then the magic variables
// (inventory_hostname, inventory_hostname_short, group_names, groups).

import { dirname, resolve } from 'node:path';
import { ConfigError } from '../errors.ts';
import { graphIndex, groupsOfHost, hostsOfGroup, type GraphIndex } from './graph-walk.ts';
import { GROUP_PRIORITY } from './model.ts';
import { assignOwn } from '../util/own.ts';
import { plainData } from '../yaml/py-values.ts';
import { isIpAddress } from './ranges.ts';
import { pluginVars, type AdjacentVars, type Origin } from './adjacent.ts';
import { hostSource } from './meta.ts';
import type { Inventory, Vars } from './types.ts';

function groupVars(vars: Vars): Vars {
  if (!(GROUP_PRIORITY in vars)) return vars;
  const { [GROUP_PRIORITY]: _priority, ...rest } = vars;
  return rest;
}

function priorityOf(vars: Vars): number {
  const p = vars[GROUP_PRIORITY];
  return typeof p === 'number' ? p : 1;
}

export function requireHost(inv: Inventory, name: string): void {
  if (!inv.hosts.has(name)) {
    const known = [...inv.hosts.keys()];
    throw new ConfigError(
      { file: inv.source },
      `no host named '${name}' in the inventory`,
      known.length > 0 ? `hosts are: ${known.slice(0, 20).join(', ')}${known.length > 20 ? ', …' : ''}` : 'the inventory has no hosts',
    );
  }
}

/** The groups of a host (and their parents), `all` excluded, in the order their vars apply. */
export function hostGroupsByPrecedence(inv: Inventory, name: string, index: GraphIndex = graphIndex(inv)): string[] {
  const key = (g: string): [number, number, string] => [index.depths.get(g) ?? 0, priorityOf(inv.groups.get(g)?.vars ?? {}), g];
  return groupsOfHost(inv, name, index)
    .filter((g) => g !== 'all')
    .sort((a, b) => {
      const [da, pa, na] = key(a);
      const [db, pb, nb] = key(b);
      return da - db || pa - pb || (na < nb ? -1 : na > nb ? 1 : 0);
    });
}

function layersOf(inv: Inventory, kind: AdjacentVars['kind'], explicitOnly = false): AdjacentVars[] {
  return (inv.adjacent ?? []).filter((l) => l.kind === kind && (!explicitOnly || l.explicit));
}

/**
 * Merged inventory vars of a host, without the magic variables (what
 * ansible-inventory --host shows, plus inventory_file/dir), in Ansible's
 * order (VariableManager.get_vars, default VARIABLE_PRECEDENCE): the
 * inventory's `all` vars, its group vars (parents before children), then
 * group_vars/all beside the inventory, beside the playbook, then
 * group_vars/GROUP beside the inventory, beside the playbook; then the
 * host's inventory vars, host_vars/ beside the inventory, beside the playbook.
 * `origin`, when given, is filled with where each variable came from.
 */
export function mergedVars(inv: Inventory, name: string, index: GraphIndex = graphIndex(inv), origin?: Map<string, Origin>): Vars {
  requireHost(inv, name);
  const out: Vars = {};
  const own = (vars: Vars, o: Origin): void => {
    assignOwn(out, vars);
    if (origin) for (const k of Object.keys(vars)) origin.set(k, o);
  };
  const groups = hostGroupsByPrecedence(inv, name, index);
  const inventoryDirs = layersOf(inv, 'inventory');
  const playDirs = layersOf(inv, 'play');
  own(groupVars(inv.groups.get('all')?.vars ?? {}), { kind: 'group', name: 'all' });
  for (const g of groups) own(groupVars(inv.groups.get(g)?.vars ?? {}), { kind: 'group', name: g });
  pluginVars(inventoryDirs, 'group', ['all'], out, origin);
  pluginVars(playDirs, 'group', ['all'], out, origin);
  pluginVars(inventoryDirs, 'group', groups, out, origin);
  pluginVars(playDirs, 'group', groups, out, origin);
  // Ansible sets these as the host's first own vars
  const file = resolve(hostSource(inv, name) ?? inv.source);
  out['inventory_file'] = file;
  out['inventory_dir'] = dirname(file);
  own(inv.hosts.get(name)?.vars ?? {}, { kind: 'host', name });
  pluginVars(inventoryDirs, 'host', [name], out, origin);
  pluginVars(playDirs, 'host', [name], out, origin);
  return out;
}

/** `ansible-inventory --export`: a host's own vars, and its host_vars/ files (beside the playbook only when it was named). */
export function exportHostVars(inv: Inventory, name: string): Vars {
  requireHost(inv, name);
  const out: Vars = { ...inv.hosts.get(name)?.vars };
  pluginVars(layersOf(inv, 'inventory'), 'host', [name], out);
  return pluginVars(layersOf(inv, 'play', true), 'host', [name], out);
}

/** `ansible-inventory --export`: a group's own vars, its group_vars/ files, and its priority when not the default. */
export function exportGroupVars(inv: Inventory, group: string): Vars {
  const g = inv.groups.get(group);
  const out: Vars = { ...groupVars(g?.vars ?? {}) };
  pluginVars(layersOf(inv, 'inventory'), 'group', [group], out);
  pluginVars(layersOf(inv, 'play', true), 'group', [group], out);
  const priority = priorityOf(g?.vars ?? {});
  if (priority !== 1) out[GROUP_PRIORITY] = priority;
  return out;
}

/** Ansible's `groups` magic variable: every group, with every host in it (through child groups too). */
export function groupHosts(inv: Inventory): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const g of inv.groups.keys()) out[g] = hostsOfGroup(inv, g);
  return out;
}

function sortedCodePoints(names: string[]): string[] {
  return [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The group graph of an inventory and its `groups`, computed once for all its hosts (not once per host: that is quadratic). */
const graphCache = new WeakMap<Inventory, { stamp: string; index: GraphIndex; groups: Record<string, string[]> }>();

function cachedGraph(inv: Inventory): { index: GraphIndex; groups: Record<string, string[]> } {
  // the loaders build an inventory step by step: recompute when its shape changed
  let members = 0;
  let children = 0;
  for (const g of inv.groups.values()) {
    members += g.hosts.length;
    children += g.children.length;
  }
  const stamp = `${inv.hosts.size}/${inv.groups.size}/${members}/${children}`;
  const hit = graphCache.get(inv);
  if (hit && hit.stamp === stamp) return hit;
  const fresh = { stamp, index: graphIndex(inv), groups: groupHosts(inv) };
  graphCache.set(inv, fresh);
  return fresh;
}

/** Every variable of a host as a play would see it (inventory part): precedence applied, magic vars added. */
export function hostVars(inv: Inventory, name: string): Vars {
  const { index, groups } = cachedGraph(inv);
  const out = plainData(mergedVars(inv, name, index), { template: true }) as Vars;
  out['inventory_hostname'] = name;
  out['inventory_hostname_short'] = isIpAddress(name) ? name : (name.split('.')[0] ?? name);
  out['group_names'] = sortedCodePoints(groupsOfHost(inv, name, index).filter((g) => g !== 'all'));
  out['groups'] = { ...groups };
  return out;
}
