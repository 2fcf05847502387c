// Builds an Inventory the way Ansible's InventoryData does (add_group,
// add_host, add_child, set_variable, reconcile_inventory), so both readers
// end with the same groups, hosts and vars ansible-inventory shows.

import { ConfigError } from '../errors.ts';
import { groupDepths, hostsOfGroup } from './graph-walk.ts';
import { setMeta, varKey, type InventoryMeta } from './meta.ts';
import { setOwn } from '../util/own.ts';
import { isPyNumber } from '../yaml/py-values.ts';
import type { Inventory, InventoryGroup, InventoryHost, Vars } from './types.ts';

export const GROUP_PRIORITY = 'ansible_group_priority';

interface Group extends InventoryGroup {
  parents: string[];
  hostSet: Set<string>;
  childSet: Set<string>;
}

/** far beyond any hand-written inventory; they keep hostile input from eating time and memory */
export const MAX_GROUPS = 10_000;
export const MAX_HOSTS = 200_000;
export const MAX_GROUP_DEPTH = 1_000;

export class InventoryBuilder {
  private readonly groups = new Map<string, Group>();
  private readonly hosts = new Map<string, InventoryHost>();
  private readonly hostGroups = new Map<string, string[]>();
  readonly meta: InventoryMeta = {
    warnings: [],
    groupLines: new Map(),
    hostLines: new Map(),
    varLines: new Map(),
    creationOrder: [],
    hostSources: new Map(),
    varSources: new Map(),
  };
  /** the line being read, for errors */
  line: number | undefined;

  /** the source being read (files of one inventory are read one after the other into one builder, as Ansible does) */
  constructor(public source: string) {
    this.addGroup('all');
    this.addGroup('ungrouped');
    this.addChild('all', 'ungrouped');
  }

  fail(message: string, hint: string, line: number | undefined = this.line): never {
    throw new ConfigError({ file: this.source, line }, message, hint);
  }

  warn(message: string, line: number | undefined = this.line): void {
    this.meta.warnings.push(`${this.source}${line === undefined ? '' : `:${line}`}: ${message}`);
  }

  hasGroup(name: string): boolean {
    return this.groups.has(name);
  }

  hasHost(name: string): boolean {
    return this.hosts.has(name);
  }

  isChild(parent: string, child: string): boolean {
    return this.groups.get(parent)?.childSet.has(child) ?? false;
  }

  addGroup(name: string): string {
    if (name === '') this.fail('a group name is empty', 'give the group a name');
    if (!this.groups.has(name)) {
      if (this.groups.size >= MAX_GROUPS) this.fail(`more than ${MAX_GROUPS} groups`, 'this is not a hand-written inventory; check the file');
      this.groups.set(name, { name, hosts: [], children: [], vars: {}, parents: [], hostSet: new Set(), childSet: new Set() });
      if (this.line !== undefined) this.meta.groupLines.set(name, this.line);
    }
    return name;
  }

  /** add a host (and put it in a group); a port only counts where the host is first seen, as in Ansible */
  addHost(name: string, group?: string, port?: number): void {
    if (name === '') this.fail('a host name is empty', 'remove the empty entry or give the host a name');
    if (!this.hosts.has(name)) {
      if (this.hosts.size >= MAX_HOSTS) this.fail(`more than ${MAX_HOSTS} hosts`, 'this is not a hand-written inventory; check the file');
      this.hosts.set(name, { name, vars: {} });
      this.hostGroups.set(name, []);
      this.meta.creationOrder.push(name);
      this.meta.hostSources.set(name, this.source);
      if (this.line !== undefined) this.meta.hostLines.set(name, this.line);
      if (port) this.setHostVar(name, 'ansible_port', port);
    }
    if (group !== undefined) this.addHostToGroup(group, name);
  }

  private addHostToGroup(group: string, host: string): boolean {
    const g = this.groups.get(group);
    if (!g) return this.fail(`group '${group}' is not defined`, `declare [${group}] before using it`);
    if (g.hostSet.has(host)) return false;
    g.hostSet.add(host);
    g.hosts.push(host);
    (this.hostGroups.get(host) as string[]).push(group);
    return true;
  }

  private ancestors(name: string): Set<string> {
    const out = new Set<string>();
    const todo = [...(this.groups.get(name)?.parents ?? [])];
    while (todo.length > 0) {
      const g = todo.pop() as string;
      if (out.has(g)) continue;
      out.add(g);
      todo.push(...(this.groups.get(g)?.parents ?? []));
    }
    return out;
  }

  /**
   * Would parent -> child close a loop, i.e. is parent already below child?
   * Searches up from the parent and down from the child in turns and stops
   * when either side runs out, so a long chain costs the short side only.
   */
  private wouldLoop(parent: string, child: string): boolean {
    const up = { todo: [parent], seen: new Set([parent]), next: (g: string) => this.groups.get(g)?.parents ?? [] };
    const down = { todo: [child], seen: new Set([child]), next: (g: string) => this.groups.get(g)?.children ?? [] };
    for (;;) {
      for (const side of [up, down]) {
        const g = side.todo.pop();
        if (g === undefined) return false;
        for (const n of side.next(g)) {
          if ((side === up && n === child) || (side === down && n === parent)) return true;
          if (!side.seen.has(n)) {
            side.seen.add(n);
            side.todo.push(n);
          }
        }
      }
    }
  }

  /** InventoryData.add_child: a group (or, failing that, a host) into a group; false if it already was */
  addChild(parent: string, child: string): boolean {
    const p = this.groups.get(parent);
    if (!p) return this.fail(`group '${parent}' is not defined`, `declare the group '${parent}'`);
    const c = this.groups.get(child);
    if (c) {
      if (parent === child) {
        this.fail(`group '${child}' is listed as a child of itself`, `remove '${child}' from the children of '${parent}'`);
      }
      if (p.childSet.has(child)) return false;
      if (this.wouldLoop(parent, child)) {
        this.fail(
          `adding group '${child}' as a child of '${parent}' makes a loop ('${parent}' is already inside '${child}')`,
          `groups must form a tree without cycles: remove '${child}' from the children of '${parent}' or '${parent}' from below '${child}'`,
        );
      }
      p.children.push(child);
      p.childSet.add(child);
      if (!c.parents.includes(parent)) c.parents.push(parent);
      return true;
    }
    if (this.hosts.has(child)) return this.addHostToGroup(parent, child);
    return this.fail(`'${child}' is not a known host nor group`, `define the group '${child}' or remove it from '${parent}'`);
  }

  /** InventoryData.set_variable: on the group of that name if there is one, else on the host */
  setVariable(entity: string, key: string, value: unknown): void {
    const g = this.groups.get(entity);
    if (g) {
      if (key === GROUP_PRIORITY) value = this.priority(value);
      setOwn(g.vars, key, value);
      this.noteVar(varKey('group', entity, key));
      return;
    }
    if (this.hosts.has(entity)) return this.setHostVar(entity, key, value);
    this.fail(`'${entity}' is not a known host nor group`, 'define it before setting variables on it');
  }

  private setHostVar(host: string, key: string, value: unknown): void {
    setOwn((this.hosts.get(host) as InventoryHost).vars, key, value);
    this.noteVar(varKey('host', host, key));
  }

  private noteVar(key: string): void {
    this.meta.varSources.set(key, this.source);
    if (this.line !== undefined) this.meta.varLines.set(key, this.line);
    else this.meta.varLines.delete(key);
  }

  /** Python's int() on ansible_group_priority */
  private priority(value: unknown): number {
    if (isPyNumber(value)) value = value.valueOf();
    if (typeof value === 'number' && Number.isFinite(value)) return Math.trunc(value);
    if (typeof value === 'boolean') return value ? 1 : 0;
    if (typeof value === 'string' && /^\s*[+-]?[0-9](?:_?[0-9])*\s*$/.test(value)) return Number(value.replace(/_/g, ''));
    return this.fail(`${GROUP_PRIORITY} must be a whole number, got ${JSON.stringify(value)}`, `set ${GROUP_PRIORITY} to a number such as 10`);
  }

  /** InventoryData.reconcile_inventory: orphan groups under `all`, hosts without a group in `ungrouped` */
  private reconcile(): void {
    this.line = undefined;
    for (const g of [...this.groups.values()]) {
      if (g.name !== 'all' && g.parents.length === 0) this.addChild('all', g.name);
    }
    const ungrouped = this.groups.get('ungrouped') as Group;
    const ungroupedHasParents = [...this.ancestors('ungrouped')].some((g) => g !== 'all');
    const leaving = new Set<string>();
    for (const host of this.hosts.keys()) {
      const direct = this.hostGroups.get(host) as string[];
      if (ungrouped.hostSet.has(host)) {
        // in ungrouped and in a real group too: leave ungrouped
        if (direct.some((g) => g !== 'all' && g !== 'ungrouped') || ungroupedHasParents) {
          leaving.add(host);
          direct.splice(direct.indexOf('ungrouped'), 1);
        }
      } else if (direct.every((g) => g === 'all')) {
        this.addChild('ungrouped', host);
      }
    }
    if (leaving.size > 0) {
      ungrouped.hosts = ungrouped.hosts.filter((h) => !leaving.has(h));
      for (const h of leaving) ungrouped.hostSet.delete(h);
    }
    for (const name of this.groups.keys()) {
      if (this.hosts.has(name)) this.warn(`found both a group and a host named '${name}'`, this.meta.hostLines.get(name));
    }
  }

  /** the inventory read so far; `source` names all the sources read (for messages) */
  finish(source: string = this.source): Inventory {
    this.source = source;
    this.reconcile();
    const groups = new Map<string, InventoryGroup>();
    for (const g of this.groups.values()) {
      groups.set(g.name, { name: g.name, hosts: g.hosts, children: g.children, vars: g.vars });
    }
    const draft: Inventory = { source: this.source, hosts: new Map(), groups };
    const deepest = [...groupDepths(draft).values()].reduce((a, b) => Math.max(a, b), 0);
    if (deepest > MAX_GROUP_DEPTH) this.fail(`groups nest ${deepest} levels deep`, `more than ${MAX_GROUP_DEPTH} levels is not a hand-written inventory; check the file`);
    // hosts in the order `ansible all --list-hosts` gives them
    const hosts = new Map<string, InventoryHost>();
    for (const h of hostsOfGroup(draft, 'all')) hosts.set(h, this.hosts.get(h) as InventoryHost);
    for (const [name, h] of this.hosts) if (!hosts.has(name)) hosts.set(name, h);
    const inv: Inventory = { source: this.source, hosts, groups };
    setMeta(inv, this.meta);
    return inv;
  }
}
