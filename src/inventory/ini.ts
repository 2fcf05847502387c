// Ansible's INI inventory format, read line for line as
// ansible/plugins/inventory/ini.py reads it:
//
//   ctl01 ansible_host=10.0.0.11          # before any section: ungrouped
//   [compute]
//   cmp[01:20] ansible_user=stack          # a range, inline host vars
//   gpu01:2222                              # host:port
//   [openstack:children]
//   compute
//   [compute:vars]
//   ansible_become=true                     # values typed by Python's literal_eval
//
// Host lines are split like a shell line (quotes, `#` comments); values in
// [g:vars] are the rest of the line after `=`.

import { iniValue, PyLiteralTypeError } from './python-literal.ts';
import { InventoryBuilder } from './model.ts';
import { expandHostPattern, HostRangeError } from './ranges.ts';
import { shlexSplit, ShlexError } from './shlex.ts';
import type { Inventory } from './types.ts';

const SECTION = /^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$/s;
const GROUP_NAME = /^([^:\]\s]+)\s*(?:#.*)?$/s;

// Python's str.splitlines() boundaries and str.strip() whitespace
const LINE_BREAK = /\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/;
const PY_SPACE = '[\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
const STRIP = new RegExp(`^${PY_SPACE}+|${PY_SPACE}+$`, 'g');

export function pyStrip(s: string): string {
  return s.replace(STRIP, '');
}

export function splitLines(text: string): string[] {
  const lines = text.split(LINE_BREAK);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

interface Pending {
  line: number;
  state: 'vars' | 'children';
  name: string;
  parents: string[];
}

const SECTION_HINT = 'a section header is [group], [group:vars] or [group:children], with no spaces inside the brackets';

class IniReader {
  private readonly b: InventoryBuilder;
  private readonly pending = new Map<string, Pending>();

  constructor(b: InventoryBuilder) {
    this.b = b;
  }

  read(text: string): void {
    let group = 'ungrouped';
    let state = 'hosts';
    const lines = splitLines(text.replace(/^\uFEFF/, ''));
    for (let i = 0; i < lines.length; i++) {
      this.b.line = i + 1;
      const line = pyStrip(lines[i] as string);
      if (line === '' || line[0] === '#' || line[0] === ';') continue;

      const m = SECTION.exec(line);
      if (m) {
        group = m[1] as string;
        state = m[2] ?? 'hosts';
        if (state !== 'hosts' && state !== 'children' && state !== 'vars') {
          this.b.fail(`section [${group}:${state}] has unknown type: ${state}`, SECTION_HINT);
        }
        this.declare(group, state);
        continue;
      }
      if (line.startsWith('[') && line.endsWith(']')) {
        this.b.fail(`invalid section entry: '${line}'`, SECTION_HINT);
      }
      if (line.startsWith('[') && /^\[[^\]]*\]\s*;/.test(line)) {
        this.b.fail(`invalid section entry: '${line}'`, 'only a # comment may follow a section header; put the ; comment on its own line');
      }

      if (state === 'hosts') this.hostLine(line, group);
      else if (state === 'vars') this.varLine(line, group);
      else this.childLine(line, group);
    }
    this.checkPending();
  }

  private declare(group: string, state: string): void {
    if (!this.b.hasGroup(group)) {
      // [g:vars] alone does not declare g: it must be declared by [g] or [g:children] too
      if (state === 'vars' && !this.pending.has(group)) {
        this.pending.set(group, { line: this.b.line ?? 0, state: 'vars', name: group, parents: [] });
      }
      this.b.addGroup(group);
    }
    const p = this.pending.get(group);
    if (p && state !== 'vars') {
      if (p.state === 'children') this.addPendingChildren(group);
      else this.pending.delete(group);
    }
  }

  private addPendingChildren(group: string): void {
    const p = this.pending.get(group);
    if (!p) return;
    for (const parent of p.parents) {
      this.b.addChild(parent, group);
      const pp = this.pending.get(parent);
      if (pp && pp.state === 'children') this.addPendingChildren(parent);
    }
    this.pending.delete(group);
  }

  private checkPending(): void {
    const first = this.pending.values().next();
    if (first.done) return;
    const p = first.value;
    if (p.state === 'vars') {
      this.b.fail(
        `section [${p.name}:vars] is for group '${p.name}', which is never declared`,
        `add a [${p.name}] section (it may be empty), or fix the spelling of [${p.name}:vars]`,
        p.line,
      );
    }
    const parent = p.parents[p.parents.length - 1] ?? '?';
    this.b.fail(
      `section [${parent}:children] includes group '${p.name}', which is never declared`,
      `add a [${p.name}] section with its hosts (it may be empty), or fix the spelling`,
      p.line,
    );
  }

  private hostLine(line: string, group: string): void {
    let tokens: string[];
    try {
      tokens = shlexSplit(line, true);
    } catch (e) {
      const why = e instanceof ShlexError ? e.message : String(e);
      return this.b.fail(`cannot parse host definition '${line}': ${why}`, 'close the quote, or escape the character with a backslash');
    }
    const pattern = tokens[0];
    if (pattern === undefined) return this.b.fail(`cannot parse host definition '${line}'`, 'write a host name, then optional key=value pairs');
    const vars: Array<[string, unknown]> = [];
    for (const t of tokens.slice(1)) {
      const eq = t.indexOf('=');
      if (eq < 0) {
        this.b.fail(
          `expected key=value host variable assignment, got: ${t}`,
          `each word after the host name must be key=value; quote values with spaces: key="${t}"`,
        );
      }
      vars.push([t.slice(0, eq), this.value(t.slice(eq + 1))]);
    }
    const { hosts, port } = this.expand(pattern);
    for (const h of hosts) {
      this.b.addHost(h, group, port);
      for (const [k, v] of vars) this.b.setVariable(h, k, v);
    }
  }

  private expand(pattern: string): { hosts: string[]; port: number | undefined } {
    let res: { hosts: string[]; port: number | undefined };
    try {
      res = expandHostPattern(pattern);
    } catch (e) {
      if (e instanceof HostRangeError) return this.b.fail(`bad host range in '${pattern}': ${e.message}`, e.hint);
      throw e;
    }
    if (pattern.trim().endsWith(':') && res.port === undefined) {
      this.b.fail(
        `invalid host pattern '${pattern}': ending in ':' is not allowed, this character is reserved to provide a port`,
        `write host:port (e.g. ${pattern}22), or if this is YAML give the file a .yml extension`,
      );
    }
    if (res.hosts.some((h) => h.trim() === '---')) {
      this.b.fail(`invalid host pattern '${pattern}': '---' is normally a sign this is a YAML file`, 'give the file a .yml or .yaml extension');
    }
    return res;
  }

  private varLine(line: string, group: string): void {
    const eq = line.indexOf('=');
    if (eq < 0) this.b.fail(`expected key=value, got: ${line}`, `a [${group}:vars] section holds one key=value per line`);
    this.b.setVariable(group, pyStrip(line.slice(0, eq)), this.value(pyStrip(line.slice(eq + 1))));
  }

  private childLine(line: string, group: string): void {
    const m = GROUP_NAME.exec(line);
    if (!m) {
      return this.b.fail(`expected group name, got: ${line}`, `a [${group}:children] section holds one group name per line (only # comments after it)`);
    }
    const child = m[1] as string;
    if (!this.b.hasGroup(child)) {
      const p = this.pending.get(child);
      if (p) p.parents.push(group);
      else this.pending.set(child, { line: this.b.line ?? 0, state: 'children', name: child, parents: [group] });
      return;
    }
    if (this.b.isChild(group, child)) this.b.warn(`group '${child}' is listed twice in [${group}:children]`);
    this.b.addChild(group, child);
  }

  private value(text: string): unknown {
    try {
      return iniValue(text);
    } catch (e) {
      if (e instanceof PyLiteralTypeError) {
        return this.b.fail(`value ${text} is not valid: ${e.message}`, 'dict keys and set items must be numbers, strings or tuples; quote the whole value to keep it as text');
      }
      throw e;
    }
  }
}

/** Read an INI inventory; ConfigError (with file:line and a hint) on anything Ansible would refuse. */
export function parseIni(text: string, source: string): Inventory {
  const b = new InventoryBuilder(source);
  readIni(text, b);
  return b.finish();
}

/** Read an INI inventory into a builder that may hold earlier sources already (as Ansible reads several). */
export function readIni(text: string, b: InventoryBuilder): void {
  new IniReader(b).read(text);
}
