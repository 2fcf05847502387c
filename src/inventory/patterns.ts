// Ansible host patterns (--limit and a play's hosts:), as
// ansible/inventory/manager.py evaluates them:
//   all  *  compute  cmp01  compute:control  compute,control
//   compute:!cmp03  compute:&gpu  cmp*  ~cmp0[1-3]  compute[0]  compute[1:]
// Unlike Ansible, a name that matches nothing is an error (Ansible only
// warns and runs on fewer hosts), and so is a bad subscript.

import { ConfigError } from '../errors.ts';
import { hostsOfGroup } from './graph-walk.ts';
import { getMeta } from './meta.ts';
import { parseAddress } from './ranges.ts';
import type { Inventory } from './types.ts';

const SUBSCRIPT = /^(.+)\[(?:(-?[0-9]+)|([0-9]+)([:-])([0-9]*))\]$/s;

/** split_host_pattern: commas, or (when that is not one address) colons outside brackets */
export function splitPattern(pattern: string): string[] {
  let parts: string[];
  if (pattern.includes(',')) parts = pattern.split(',');
  else if (parseAddress(pattern)) parts = [pattern];
  else parts = pattern.match(/(?:[^\s:[\]]|\[[^\]]*\])+/g) ?? [];
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

function fail(inv: Inventory, message: string, hint: string): never {
  throw new ConfigError({ file: inv.source }, message, hint);
}

function groupsHint(inv: Inventory): string {
  const groups = [...inv.groups.keys()].filter((g) => g !== 'all' && g !== 'ungrouped');
  return groups.length > 0 ? `groups in ${inv.source}: ${groups.join(', ')}` : `${inv.source} has no groups besides all`;
}

/** fnmatch.translate: * ? [seq] [!seq], whole-name match, case-sensitive */
function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      let j = i + 1;
      if (glob[j] === '!') j++;
      if (glob[j] === ']') j++;
      while (j < glob.length && glob[j] !== ']') j++;
      if (j >= glob.length) re += '\\[';
      else {
        let stuff = glob.slice(i + 1, j).replace(/\\/g, '\\\\');
        if (stuff.startsWith('!')) stuff = '^' + stuff.slice(1);
        else if (stuff.startsWith('^')) stuff = '\\' + stuff;
        re += `[${stuff}]`;
        i = j;
      }
    } else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^(?:${re})$`, 's');
}

/** a ~regex is Python's re.match: anchored at the start only */
function pyRegExp(inv: Inventory, source: string): RegExp {
  const js = source.replace(/\(\?P</g, '(?<').replace(/\(\?P=(\w+)\)/g, '\\k<$1>').replace(/\\A/g, '^').replace(/\\Z/g, '$');
  try {
    return new RegExp(`^(?:${js})`);
  } catch (e) {
    return fail(inv, `invalid regular expression in host pattern '~${source}': ${e instanceof Error ? e.message : String(e)}`, 'a pattern starting with ~ is a regular expression, e.g. ~cmp0[1-4]');
  }
}

function hostNamesInCreationOrder(inv: Inventory): string[] {
  const order = getMeta(inv)?.creationOrder;
  return order && order.length === inv.hosts.size ? order : [...inv.hosts.keys()];
}

/** _enumerate_matches: groups whose name matches (with their hosts), else (or for globs) hosts whose name matches */
function enumerate(inv: Inventory, pattern: string): { hosts: string[]; matchedGroup: boolean } {
  const re = pattern.startsWith('~') ? pyRegExp(inv, pattern.slice(1)) : globToRegExp(pattern);
  const out: string[] = [];
  const groups = [...inv.groups.keys()].filter((g) => re.test(g));
  for (const g of groups) out.push(...hostsOfGroup(inv, g));
  if (groups.length === 0 || pattern.startsWith('~') || /[.?*[]/.test(pattern)) {
    for (const h of hostNamesInCreationOrder(inv)) if (re.test(h)) out.push(h);
  }
  return { hosts: out, matchedGroup: groups.length > 0 };
}

function applySubscript(inv: Inventory, pattern: string, hosts: string[]): string[] {
  if (pattern.startsWith('~')) return hosts;
  const m = SUBSCRIPT.exec(pattern);
  if (!m || hosts.length === 0) return hosts;
  const pick = (i: number): string => {
    const h = hosts[i < 0 ? hosts.length + i : i];
    if (h === undefined) {
      fail(inv, `no hosts matched the subscripted pattern '${pattern}' (it has ${hosts.length} host${hosts.length === 1 ? '' : 's'})`, `use an index from 0 to ${hosts.length - 1}`);
    }
    return h;
  };
  if (m[2] !== undefined) return [pick(Number(m[2]))];
  const start = Number(m[3]);
  let end = m[5] === '' || m[5] === undefined ? -1 : Number(m[5]);
  if (end === 0) return [pick(start)]; // Python: `if end:` treats 0 as "no end"
  if (end === -1) end = hosts.length - 1;
  return hosts.slice(start, end + 1);
}

function matchOne(inv: Inventory, raw: string): string[] {
  const pattern = raw[0] === '&' || raw[0] === '!' ? raw.slice(1) : raw;
  if (pattern === '') fail(inv, `empty host pattern in '${raw}'`, 'write a group or host name after & or !');
  let expr = pattern;
  if (!pattern.startsWith('~')) {
    const m = SUBSCRIPT.exec(pattern);
    if (m) expr = m[1] as string;
  }
  const { hosts, matchedGroup } = enumerate(inv, expr);
  if (hosts.length === 0 && !matchedGroup && expr !== 'all') {
    const sub = expr !== pattern ? ` (the [${pattern.slice(expr.length + 1, -1)}] in '${pattern}' picks hosts by position)` : '';
    fail(inv, `no group or host matches '${expr}'${sub}`, sub ? `to match names use a glob or a regex: '${pattern}*' or '~${pattern}'; ${groupsHint(inv)}` : groupsHint(inv));
  }
  return applySubscript(inv, pattern, hosts);
}

/**
 * The hosts a pattern selects, in Ansible's order. Plain patterns are added,
 * then &patterns intersect, then !patterns remove, whatever order they were written in.
 */
export function selectHosts(inv: Inventory, pattern: string): string[] {
  const parts = splitPattern(pattern);
  const regular = parts.filter((p) => p[0] !== '!' && p[0] !== '&');
  const and = parts.filter((p) => p[0] === '&');
  const not = parts.filter((p) => p[0] === '!');
  if (parts.length === 0) fail(inv, `empty host pattern '${pattern}'`, `use all, a group name or a host name; ${groupsHint(inv)}`);
  let hosts: string[] = [];
  for (const p of [...(regular.length > 0 ? regular : ['all']), ...and, ...not]) {
    if (inv.hosts.has(p)) {
      hosts.push(p);
      continue;
    }
    const that = matchOne(inv, p);
    if (p[0] === '!') {
      const drop = new Set(that);
      hosts = hosts.filter((h) => !drop.has(h));
    } else if (p[0] === '&') {
      const keep = new Set(that);
      hosts = hosts.filter((h) => keep.has(h));
    } else {
      const existing = new Set(hosts);
      hosts.push(...that.filter((h) => !existing.has(h)));
    }
  }
  return [...new Set(hosts)];
}
