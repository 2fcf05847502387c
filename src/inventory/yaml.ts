// Ansible's YAML (and JSON) inventory format, read as
// ansible/plugins/inventory/yaml.py reads it:
//
//   all:
//     vars: {ansible_user: stack}
//     children:
//       compute:
//         hosts:
//           cmp[01:20]:                 # a range, no vars
//           gpu01: {ansible_port: 2222}
//         vars: {nova_pci: true}
//
// Differences from Ansible, all on input Ansible only warns about: a group
// whose value is not a mapping, an unknown key that looks like a typo of
// hosts/vars/children, and a key written twice are errors here, because
// Ansible would silently drop hosts or vars.

import { ConfigError } from '../errors.ts';
import { InventoryBuilder } from './model.ts';
import { expandHostPattern, HostRangeError } from './ranges.ts';
import type { Inventory } from './types.ts';
import { toData, varName, YamlReader, type YEntry, type YNode } from '../yaml/ansible-yaml.ts';

const SECTIONS = ['vars', 'children', 'hosts'] as const;
const GROUP_HINT = 'a group is a mapping with optional hosts:, vars: and children: keys';

/** The YAML did not hold an inventory; `mapping` says whether it was a mapping at all (for the INI fallback). */
export class NotYamlInventory extends ConfigError {
  constructor(file: string, line: number | undefined, message: string, hint: string, readonly mapping: boolean) {
    super({ file, line }, message, hint);
    this.name = 'ConfigError';
  }
}

function describe(node: YNode): string {
  if (node.kind === 'map') return 'a mapping';
  if (node.kind === 'seq') return 'a list';
  const v = node.value;
  if (typeof v === 'string') return `the text '${v.length > 40 ? v.slice(0, 40) + '…' : v}'`;
  return `${typeof v} ${JSON.stringify(v)}`;
}

function levenshtein(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0] as number;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j] as number;
      dp[j] = Math.min((dp[j] as number) + 1, (dp[j - 1] as number) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length] as number;
}

class YamlInventoryReader {
  private readonly b: InventoryBuilder;

  constructor(private readonly y: YamlReader, b: InventoryBuilder) {
    this.b = b;
  }

  read(): void {
    const root = this.y.root();
    const source = this.b.source;
    if (!root || (root.kind === 'scalar' && (root.value === null || root.value === ''))) {
      throw new NotYamlInventory(source, undefined, 'the YAML file is empty', 'list groups under all: (see inventory/*.yml for an example)', false);
    }
    if (root.kind !== 'map') {
      throw new NotYamlInventory(
        source,
        root.line,
        `YAML inventory has invalid structure: it should be a mapping of groups, got ${describe(root)}`,
        'start the file with all: and put groups under all: children:',
        false,
      );
    }
    const plugin = root.entries.find((e) => e.key === 'plugin');
    if (plugin && toData(plugin.value)) {
      throw new NotYamlInventory(
        source,
        plugin.keyLine,
        `this is an inventory plugin configuration (plugin: ${String(toData(plugin.value))}), not a YAML inventory`,
        `passthru reads static inventories; export one with: ansible-inventory -i ${source} --list --yaml > static.yml`,
        true,
      );
    }
    for (const e of root.entries) this.group(e.key, e.value, e.keyLine);
  }

  private groupName(key: unknown, line: number): string {
    this.b.line = line;
    if (typeof key !== 'string' || key === '') {
      this.b.fail(
        `invalid group name ${JSON.stringify(key)}: a group name must be text`,
        'quote the group name (YAML reads yes/no/on/off as booleans and numbers as numbers)',
      );
    }
    return key;
  }

  /** _parse_group: returns the group name */
  private group(key: unknown, node: YNode, line: number): string {
    const isNull = node.kind === 'scalar' && node.value === null;
    if (node.kind !== 'map' && !isNull) {
      const name = typeof key === 'string' ? key : JSON.stringify(key);
      this.b.fail(`group '${name}' is ${describe(node)}, not a group definition`, `${GROUP_HINT}; hosts go under hosts: as a mapping (host: or host: {vars})`, line);
    }
    const name = this.b.addGroup(this.groupName(key, line));
    if (node.kind !== 'map') return name;

    const sections = new Map<string, YEntry>();
    for (const e of node.entries) {
      if (typeof e.key === 'string' && (SECTIONS as readonly string[]).includes(e.key)) sections.set(e.key, e);
    }
    for (const [section, e] of sections) {
      const v = e.value;
      if (v.kind === 'map' || (v.kind === 'scalar' && (v.value === null || typeof v.value === 'string'))) continue;
      this.b.fail(
        `invalid "${section}" entry for group '${name}': it must be a mapping, found ${describe(v)}`,
        section === 'hosts'
          ? `write hosts as a mapping, one per line with a colon: "hosts:\\n  ${firstItem(v) ?? 'host1'}:"`
          : `write ${section} as a mapping (name: value), one per line`,
        e.keyLine,
      );
    }

    for (const e of node.entries) {
      const key = e.key;
      let value = e.value;
      const section = typeof key === 'string' && (SECTIONS as readonly string[]).includes(key) ? key : undefined;
      if (section && value.kind === 'scalar' && typeof value.value === 'string') {
        // a single name is allowed: `hosts: ctl01` means `hosts: {ctl01: null}`
        value = { kind: 'map', line: value.line, entries: [{ key: value.value, keyLine: value.line, value: { kind: 'scalar', line: value.line, value: null } }] };
      }
      if (!section) {
        // Ansible skips an unknown key quietly when it is empty, and warns otherwise
        if (!(value.kind === 'scalar' && value.value === null)) this.unexpectedKey(name, key, e.keyLine);
        continue;
      }
      if (value.kind !== 'map') continue; // null: nothing there
      if (section === 'vars') {
        for (const v of value.entries) {
          this.b.line = v.keyLine;
          this.b.setVariable(name, varName(v.key), toData(v.value));
        }
      } else if (section === 'children') {
        for (const c of value.entries) {
          const child = this.group(c.key, c.value, c.keyLine);
          this.b.line = c.keyLine;
          this.b.addChild(name, child);
        }
      } else {
        for (const h of value.entries) this.hosts(name, h);
      }
    }
    return name;
  }

  private unexpectedKey(group: string, key: unknown, line: number): void {
    const k = String(key);
    const typo = SECTIONS.find((s) => k.toLowerCase() === s || (k.length > 2 && levenshtein(k.toLowerCase(), s) <= 2));
    if (typo) {
      this.b.fail(`unknown key '${k}' in group '${group}'`, `did you mean '${typo}'? a group may only have hosts:, vars: and children:`, line);
    }
    this.b.warn(`skipping unexpected key (${k}) in group (${group}), only "vars", "children" and "hosts" are valid`, line);
  }

  private hosts(group: string, entry: YEntry): void {
    const line = entry.keyLine;
    this.b.line = line;
    if (typeof entry.key !== 'string') {
      this.b.fail(
        `host pattern ${JSON.stringify(entry.key)} must be text`,
        'enclose integers, floats and yes/no in quotation marks, e.g. "10.0.0.1" or "1"',
      );
    }
    let expanded: { hosts: string[]; port: number | undefined };
    try {
      expanded = expandHostPattern(entry.key);
    } catch (e) {
      if (e instanceof HostRangeError) return this.b.fail(`bad host range in '${entry.key}': ${e.message}`, e.hint);
      throw e;
    }
    const v = entry.value;
    const falsy = v.kind === 'scalar' && (v.value === null || v.value === '' || v.value === 0 || v.value === false);
    if (v.kind !== 'map' && !falsy) {
      this.b.fail(
        `host '${entry.key}' has ${describe(v)} where its variables should be`,
        `write host vars as a mapping: "${entry.key}: {ansible_host: 10.0.0.1}", or nothing after the colon`,
      );
    }
    const vars = v.kind === 'map' ? v.entries : [];
    for (const h of expanded.hosts) {
      this.b.line = line;
      this.b.addHost(h, group, expanded.port);
      for (const e of vars) {
        this.b.line = e.keyLine;
        this.b.setVariable(h, varName(e.key), toData(e.value));
      }
    }
  }
}

function firstItem(node: YNode): string | undefined {
  if (node.kind !== 'seq') return undefined;
  const first = node.items[0];
  return first && first.kind === 'scalar' && typeof first.value === 'string' ? first.value : undefined;
}

/** Read a YAML or JSON inventory; ConfigError (with file:line and a hint) on anything wrong. */
export function parseYamlInventory(text: string, source: string): Inventory {
  const b = new InventoryBuilder(source);
  readYamlInventory(text, b);
  return b.finish();
}

/** Read a YAML or JSON inventory into a builder that may hold earlier sources already. */
export function readYamlInventory(text: string, b: InventoryBuilder): void {
  new YamlInventoryReader(new YamlReader(text, b.source), b).read();
}
