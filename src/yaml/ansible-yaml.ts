// The one YAML loader, with Ansible's semantics, for inventories, vars
// files (group_vars/, host_vars/, vars_files, -e @file) and playbooks:
// PyYAML's YAML 1.1 rules (yes/no/on/off are booleans, 0777 is octal, 1:30
// is 90, 1e5 is a string, 4.0 a float, 2024-01-05 a date), `<<` merge keys,
// Ansible's !unsafe and !vault tags, and JSON rules when the whole file is
// JSON (Ansible tries json.loads first). Numbers keep Python's types
// (py-values.ts). Every node keeps its line and column, and every problem
// is one ConfigError naming file:line:column.

import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node as YamlNode } from 'yaml';
import { ConfigError, type ErrorLocation } from '../errors.ts';
import { setOwn } from '../util/own.ts';
import { Unsafe } from './py-values.ts';
import { BadScalar, construct, implicitTag, jsonScalar, TAG } from './scalars.ts';

export type YNode =
  | { kind: 'map'; line: number; column?: number; entries: YEntry[] }
  | { kind: 'seq'; line: number; column?: number; items: YNode[] }
  | { kind: 'scalar'; line: number; column?: number; value: unknown };

export interface YEntry {
  key: unknown;
  keyLine: number;
  value: YNode;
}

/**
 * Guard against alias bombs ("billion laughs"): a cap on the size of the data
 * once every alias is written out. yaml's own guard (toJS's maxAliasCount)
 * is not used: it resolves each alias by scanning the document, which is
 * quadratic on a big file with many aliases, and it refuses an ordinary
 * inventory that uses one anchor for a thousand hosts.
 */
export const MAX_EXPANDED_NODES = 2_000_000;

/** The text is not YAML at all (the INI reader may still take it). */
export class YamlSyntaxError extends ConfigError {
  constructor(location: ErrorLocation, message: string, hint: string) {
    super(location, message, hint);
    this.name = 'ConfigError';
  }
}

/** Where a node starts. */
export interface Pos {
  line: number;
  column: number;
}

export class YamlReader {
  readonly lines = new LineCounter();
  readonly doc: Document.Parsed;
  private readonly json: boolean;
  private readonly memo = new Map<YamlNode, YNode>();
  /** alias -> its anchored node, found in one pass (Alias.resolve scans the document each time) */
  private readonly anchors = new Map<YamlNode, YamlNode | undefined>();
  private readonly inProgress = new Set<YamlNode>();

  constructor(private readonly text: string, readonly source: string) {
    this.json = isJson(text);
    this.doc = parseDocument(text, {
      version: '1.1',
      schema: 'failsafe',
      uniqueKeys: false,
      lineCounter: this.lines,
      prettyErrors: false,
    }) as Document.Parsed;
    const err = this.doc.errors[0];
    if (err) {
      const at = this.lines.linePos(err.pos[0]);
      let message = err.message.split('\n')[0] ?? err.message;
      message = message.replace(/ at line \d+, column \d+:?$/, '');
      message = message.charAt(0).toLowerCase() + message.slice(1);
      const hint = /call stack/i.test(message) ? (HINTS['DEEP'] as string) : (HINTS[err.code] ?? 'check the indentation and the quoting around this line');
      throw new YamlSyntaxError({ file: source, line: Math.max(1, at.line), column: Math.max(1, at.col) }, `YAML: ${message}`, hint);
    }
    const latest = new Map<string, YamlNode>();
    visit(this.doc, {
      Node: (_key, node) => {
        if (isAlias(node)) this.anchors.set(node, latest.get(node.source));
        else if (node.anchor) latest.set(node.anchor, node);
      },
    });
  }

  fail(at: Pos | number | undefined, message: string, hint: string): never {
    const loc = typeof at === 'number' ? { line: at } : at;
    throw new ConfigError({ file: this.source, ...loc }, message, hint);
  }

  posOf(node: { range?: [number, number, number] | null | undefined; tag?: string | undefined } | null | undefined): Pos {
    let offset = node?.range?.[0];
    if (offset === undefined) return { line: 1, column: 1 };
    // a node starts at its value: name its tag (`!vault |`) where it has one written on the same line
    const tag = node?.tag;
    if (tag?.startsWith('!')) {
      const at = this.text.lastIndexOf(tag, offset);
      if (at >= 0 && !this.text.slice(at, offset).includes('\n')) offset = at;
    }
    const p = this.lines.linePos(offset);
    return { line: p.line, column: p.col };
  }

  lineOf(node: { range?: [number, number, number] | null | undefined } | null | undefined): number {
    return this.posOf(node).line;
  }

  root(): YNode | undefined {
    const contents = this.doc.contents as YamlNode | null;
    if (contents === null) return undefined;
    const root = this.convert(contents);
    const size = expandedSize(root);
    if (size > MAX_EXPANDED_NODES) {
      // the first *alias: where the expansion starts
      const firstAlias = this.anchors.keys().next().value;
      this.fail(
        this.posOf(firstAlias),
        'YAML: too many aliases (*name): this looks like an alias bomb, refusing to expand it',
        `they expand to ${size} values; write the values out instead of nesting *aliases`,
      );
    }
    return root;
  }

  private convert(node: YamlNode | null, fallback: Pos = { line: 1, column: 1 }): YNode {
    if (node === null) return { kind: 'scalar', ...fallback, value: null };
    if (isAlias(node)) {
      const target = this.anchors.get(node);
      if (!target) this.fail(this.posOf(node), `YAML: alias *${node.source} has no anchor`, `define &${node.source} before using *${node.source}`);
      return this.convert(target, this.posOf(node));
    }
    const known = this.memo.get(node);
    if (known) return known;
    if (this.inProgress.has(node)) {
      this.fail(this.posOf(node), 'YAML: an alias refers to a node that contains it (a loop)', 'an anchor (&x) must not be used (*x) inside its own value');
    }
    this.inProgress.add(node);
    let out: YNode;
    try {
      out = this.convertNew(node);
    } finally {
      this.inProgress.delete(node);
    }
    this.memo.set(node, out);
    return out;
  }

  private convertNew(node: YamlNode): YNode {
    const at = this.posOf(node);
    const tag = node.tag;
    if (isScalar(node)) return { kind: 'scalar', ...at, value: this.scalar(node.value, node.type, tag, at) };
    if (isSeq(node)) {
      if (tag && tag !== `${TAG}seq`) this.fail(at, `YAML: unsupported tag ${tag} on a list`, 'remove the tag');
      return { kind: 'seq', ...at, items: node.items.map((i) => this.convert(i as YamlNode | null, at)) };
    }
    if (isMap(node)) {
      if (tag && tag !== `${TAG}map`) this.fail(at, `YAML: unsupported tag ${tag} on a mapping`, 'remove the tag');
      return { kind: 'map', ...at, entries: this.mapEntries(node.items, at) };
    }
    return this.fail(at, 'YAML: unsupported node', 'use plain mappings, lists and scalars');
  }

  private scalar(raw: unknown, type: string | undefined, tag: string | undefined, at: Pos): unknown {
    const text = raw === null || raw === undefined ? '' : String(raw);
    try {
      if (tag === '!unsafe') return new Unsafe(text);
      if (tag === '!vault' || tag === '!vault-encrypted') return { [VAULT]: text };
      if (tag === '!') return text;
      if (tag?.startsWith(TAG)) return construct(tag.slice(TAG.length), text);
      if (tag) return this.fail(at, `YAML: unknown tag ${tag}`, 'Ansible knows !unsafe and !vault; remove the tag or quote the value');
      if (type !== 'PLAIN') return text;
      if (this.json) return jsonScalar(text);
      return construct(implicitTag(text), text);
    } catch (e) {
      if (e instanceof BadScalar) return this.fail(at, `YAML: ${e.message}`, 'quote the value to keep it as text');
      throw e;
    }
  }

  private keyValue(key: unknown, at: Pos): unknown {
    if (key === null || key === undefined) return null;
    const k = key as YamlNode;
    if (isAlias(k)) return this.keyValue(this.anchors.get(k) ?? null, at);
    if (isScalar(k)) {
      if (!k.tag && k.type === 'PLAIN' && String(k.value) === '<<' && !this.json) return MERGE;
      return this.scalar(k.value, k.type, k.tag, at);
    }
    return this.fail(at, 'YAML: a mapping key is a list or a mapping', 'use a plain name as the key');
  }

  /** PyYAML's flatten_mapping + construct_mapping: merged keys first, the mapping's own keys win */
  private mapEntries(items: unknown[], mapAt: Pos): YEntry[] {
    const merged: YEntry[] = [];
    const own: YEntry[] = [];
    const seen = new Map<string, number>();
    for (const item of items) {
      if (!isPair(item)) continue;
      const keyNode = item.key as YamlNode | null;
      const keyAt = keyNode ? this.posOf(keyNode) : mapAt;
      const key = this.keyValue(keyNode, keyAt);
      const value = this.convert(item.value as YamlNode | null, keyAt);
      if (key === MERGE) {
        merged.push(...this.mergeSource(value, keyAt)); // a later << wins over an earlier one
        continue;
      }
      const id = keyId(key);
      const before = seen.get(id);
      if (before !== undefined) {
        this.fail(
          keyAt,
          `YAML: map keys must be unique: duplicate key '${String(key)}' (first set on line ${before})`,
          'each key may appear once per mapping; remove or rename one of them (for groups: list every host and child under one key)',
        );
      }
      seen.set(id, keyAt.line);
      own.push({ key, keyLine: keyAt.line, value });
    }
    if (merged.length === 0) return own;
    // later entries win, order of first appearance kept (a Python dict)
    const out = new Map<string, YEntry>();
    for (const e of [...merged, ...own]) {
      out.set(keyId(e.key), e);
    }
    return [...out.values()];
  }

  private mergeSource(value: YNode, at: Pos): YEntry[] {
    if (value.kind === 'map') return value.entries;
    if (value.kind === 'seq') {
      const out: YEntry[] = [];
      // earlier mappings in the list win: apply them last
      for (const sub of [...value.items].reverse()) {
        if (sub.kind !== 'map') this.fail(at, 'YAML: a << merge list may only hold mappings', 'merge mappings: <<: [*a, *b]');
        out.push(...sub.entries);
      }
      return out;
    }
    return this.fail(at, 'YAML: << (merge) needs a mapping or a list of mappings', 'write <<: *anchor where &anchor is on a mapping');
  }
}

/** The key of the object a !vault value becomes (as Ansible's JSON encoder writes it). */
export const VAULT = '__ansible_vault';

const MERGE = Symbol('merge');

/** how many values the data holds once every alias is written out (shared nodes counted each time) */
function expandedSize(root: YNode): number {
  const memo = new Map<YNode, number>();
  const kids = (n: YNode): YNode[] => (n.kind === 'seq' ? n.items : n.kind === 'map' ? n.entries.map((e) => e.value) : []);
  // post-order without recursion (the graph has no cycles: convert() refuses them)
  const todo: Array<[YNode, boolean]> = [[root, false]];
  while (todo.length > 0) {
    const [n, done] = todo.pop() as [YNode, boolean];
    if (memo.has(n)) continue;
    if (!done) {
      todo.push([n, true]);
      for (const k of kids(n)) if (!memo.has(k)) todo.push([k, false]);
      continue;
    }
    let s = 1;
    for (const k of kids(n)) s += (memo.get(k) ?? 1) + (n.kind === 'map' ? 1 : 0);
    memo.set(n, Math.min(s, Number.MAX_SAFE_INTEGER));
  }
  return memo.get(root) ?? 1;
}

function keyId(key: unknown): string {
  return typeof key === 'string' ? `s:${key}` : `v:${JSON.stringify(key)}`;
}

function isJson(text: string): boolean {
  const t = text.trimStart();
  if (!t.startsWith('{') && !t.startsWith('[')) return false;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

const HINTS: Record<string, string> = {
  BAD_INDENT: 'check the indentation: items of one list or mapping start in the same column (use spaces, not tabs)',
  TAB_AS_INDENT: 'YAML indentation must use spaces, not tabs',
  MISSING_CHAR: 'a quote or bracket is not closed (is the file cut short?)',
  DUPLICATE_KEY: 'a key may appear once per mapping',
  MULTIPLE_DOCS: 'put everything in one YAML document: remove the extra --- separator',
  BLOCK_AS_IMPLICIT_KEY: 'a ":" is missing, or a value with ": " in it needs quotes',
  MULTILINE_IMPLICIT_KEY: 'a ":" is missing, or a value with ": " in it needs quotes',
  UNEXPECTED_TOKEN: 'a value that starts with a special character ({ [ * & ! | > % @ `) needs quotes',
  BAD_SCALAR_START: 'a value that starts with a special character ({ [ * & ! | > % @ `) needs quotes',
  DEEP: 'the file is nested too deeply: flatten the nesting of groups or values',
  BAD_ALIAS: 'an alias (*name) must refer to an anchor (&name) defined before it',
};

const data = new WeakMap<YNode, unknown>();

/**
 * A YAML node as data (mappings become objects, keys written the way JSON
 * writes them; numbers keep Python's types). A node gives the same object
 * each time, as PyYAML's constructor does: hosts of one range, or aliases of
 * one anchor, share their values.
 */
export function toData(node: YNode): unknown {
  if (node.kind === 'scalar') return node.value;
  const known = data.get(node);
  if (known !== undefined) return known;
  let out: unknown;
  if (node.kind === 'seq') out = node.items.map(toData);
  else {
    const o: Record<string, unknown> = {};
    for (const e of node.entries) setOwn(o, varName(e.key), toData(e.value));
    out = o;
  }
  data.set(node, out);
  return out;
}

/** How json.dumps writes a non-string key. */
export function varName(key: unknown): string {
  if (typeof key === 'string') return key;
  if (key instanceof Unsafe) return key.text;
  if (key === null) return 'null';
  if (typeof key === 'number' && Number.isInteger(key)) return String(key);
  return typeof key === 'object' ? JSON.stringify(key) : String(key);
}

/** A whole YAML/JSON text as Ansible's loader yields it (null for an empty document), with the document kept for locations. */
export function loadYaml(text: string, source: string): { reader: YamlReader; root: YNode | undefined; data: unknown } {
  const reader = new YamlReader(text, source);
  const root = reader.root();
  return { reader, root, data: root === undefined ? null : toData(root) };
}
