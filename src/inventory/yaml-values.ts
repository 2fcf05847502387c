// YAML as Ansible loads it: PyYAML's YAML 1.1 rules (yes/no/on/off are
// booleans, 0777 is octal, 1:30 is 90, 1e5 is a string, 2024-01-05 a date),
// `<<` merge keys, Ansible's !unsafe and !vault tags, and JSON rules when the
// whole file is JSON (Ansible tries json.loads first). Every node keeps its
// line so the inventory reader can say file:line.

import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node as YamlNode } from 'yaml';
import { ConfigError, type ErrorLocation } from '../errors.ts';
import { setOwn } from './own.ts';
import { BadScalar, construct, implicitTag, jsonScalar, TAG } from './yaml-scalars.ts';

export type YNode =
  | { kind: 'map'; line: number; entries: YEntry[] }
  | { kind: 'seq'; line: number; items: YNode[] }
  | { kind: 'scalar'; line: number; value: unknown };

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

export class YamlReader {
  private readonly lines = new LineCounter();
  private readonly doc: Document;
  private readonly json: boolean;
  private readonly memo = new Map<YamlNode, YNode>();
  /** alias -> its anchored node, found in one pass (Alias.resolve scans the document each time) */
  private readonly anchors = new Map<YamlNode, YamlNode | undefined>();
  private readonly inProgress = new Set<YamlNode>();

  constructor(text: string, private readonly source: string) {
    this.json = isJson(text);
    this.doc = parseDocument(text, {
      version: '1.1',
      schema: 'failsafe',
      uniqueKeys: false,
      lineCounter: this.lines,
      prettyErrors: false,
    }) as Document;
    const err = this.doc.errors[0];
    if (err) {
      const at = this.lines.linePos(err.pos[0]);
      const line = at.line;
      const column = at.col;
      throw new YamlSyntaxError({ file: source, line, column }, `YAML syntax error: ${err.message.split('\n')[0]}`, yamlSyntaxHint(err.code));
    }
    const latest = new Map<string, YamlNode>();
    visit(this.doc, {
      Node: (_key, node) => {
        if (isAlias(node)) this.anchors.set(node, latest.get(node.source));
        else if (node.anchor) latest.set(node.anchor, node);
      },
    });
  }

  fail(line: number | undefined, message: string, hint: string): never {
    throw new ConfigError({ file: this.source, line }, message, hint);
  }

  lineOf(node: { range?: [number, number, number] | null | undefined } | null | undefined): number {
    const offset = node?.range?.[0];
    return offset === undefined ? 1 : this.lines.linePos(offset).line;
  }

  root(): YNode | undefined {
    const contents = this.doc.contents as YamlNode | null;
    if (contents === null) return undefined;
    const root = this.convert(contents);
    const size = expandedSize(root);
    if (size > MAX_EXPANDED_NODES) {
      // the line of the first *alias: where the expansion starts
      const firstAlias = this.anchors.keys().next().value;
      this.fail(this.lineOf(firstAlias), `YAML aliases expand to ${size} values`, 'this looks like an alias bomb; write the values out instead of nesting *aliases');
    }
    return root;
  }

  private convert(node: YamlNode | null, fallbackLine = 1): YNode {
    if (node === null) return { kind: 'scalar', line: fallbackLine, value: null };
    if (isAlias(node)) {
      const target = this.anchors.get(node);
      if (!target) this.fail(this.lineOf(node), `YAML alias *${node.source} has no anchor`, `define &${node.source} before using *${node.source}`);
      return this.convert(target, this.lineOf(node));
    }
    const known = this.memo.get(node);
    if (known) return known;
    if (this.inProgress.has(node)) {
      this.fail(this.lineOf(node), 'a YAML alias refers to a node that contains it (a loop)', 'an anchor (&x) must not be used (*x) inside its own value');
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
    const line = this.lineOf(node);
    const tag = node.tag;
    if (isScalar(node)) return { kind: 'scalar', line, value: this.scalar(node.value, node.type, tag, line) };
    if (isSeq(node)) {
      if (tag && tag !== `${TAG}seq`) this.fail(line, `unsupported YAML tag ${tag} on a list`, 'remove the tag');
      return { kind: 'seq', line, items: node.items.map((i) => this.convert(i as YamlNode | null, line)) };
    }
    if (isMap(node)) {
      if (tag && tag !== `${TAG}map`) this.fail(line, `unsupported YAML tag ${tag} on a mapping`, 'remove the tag');
      return { kind: 'map', line, entries: this.mapEntries(node.items, line) };
    }
    return this.fail(line, 'unsupported YAML node', 'use plain mappings, lists and scalars');
  }

  private scalar(raw: unknown, type: string | undefined, tag: string | undefined, line: number): unknown {
    const text = raw === null || raw === undefined ? '' : String(raw);
    try {
      if (tag === '!unsafe') return text;
      if (tag === '!vault' || tag === '!vault-encrypted') return { __ansible_vault: text };
      if (tag === '!') return text;
      if (tag?.startsWith(TAG)) return construct(tag.slice(TAG.length), text);
      if (tag) return this.fail(line, `unknown YAML tag ${tag}`, 'Ansible knows !unsafe and !vault; remove the tag or quote the value');
      if (type !== 'PLAIN') return text;
      if (this.json) return jsonScalar(text);
      return construct(implicitTag(text), text);
    } catch (e) {
      if (e instanceof BadScalar) return this.fail(line, e.message, 'quote the value to keep it as text');
      throw e;
    }
  }

  private keyValue(key: unknown, line: number): unknown {
    if (key === null || key === undefined) return null;
    const k = key as YamlNode;
    if (isAlias(k)) return this.keyValue(this.anchors.get(k) ?? null, line);
    if (isScalar(k)) {
      if (!k.tag && k.type === 'PLAIN' && String(k.value) === '<<' && !this.json) return MERGE;
      return this.scalar(k.value, k.type, k.tag, line);
    }
    return this.fail(line, 'a mapping key is a list or a mapping', 'use a plain name as the key');
  }

  /** PyYAML's flatten_mapping + construct_mapping: merged keys first, the mapping's own keys win */
  private mapEntries(items: unknown[], mapLine: number): YEntry[] {
    const merged: YEntry[] = [];
    const own: YEntry[] = [];
    const seen = new Map<string, number>();
    for (const item of items) {
      if (!isPair(item)) continue;
      const keyNode = item.key as YamlNode | null;
      const keyLine = keyNode ? this.lineOf(keyNode) : mapLine;
      const key = this.keyValue(keyNode, keyLine);
      const value = this.convert(item.value as YamlNode | null, keyLine);
      if (key === MERGE) {
        merged.push(...this.mergeSource(value, keyLine)); // a later << wins over an earlier one
        continue;
      }
      const id = keyId(key);
      const before = seen.get(id);
      if (before !== undefined) {
        this.fail(
          keyLine,
          `duplicate key '${String(key)}' (first set on line ${before})`,
          'a key may appear once per mapping; merge the two entries (for groups: list every host and child under one key)',
        );
      }
      seen.set(id, keyLine);
      own.push({ key, keyLine, value });
    }
    if (merged.length === 0) return own;
    // later entries win, order of first appearance kept (a Python dict)
    const out = new Map<string, YEntry>();
    for (const e of [...merged, ...own]) {
      out.set(keyId(e.key), e);
    }
    return [...out.values()];
  }

  private mergeSource(value: YNode, line: number): YEntry[] {
    if (value.kind === 'map') return value.entries;
    if (value.kind === 'seq') {
      const out: YEntry[] = [];
      // earlier mappings in the list win: apply them last
      for (const sub of [...value.items].reverse()) {
        if (sub.kind !== 'map') this.fail(line, 'a << merge list may only hold mappings', 'merge mappings: <<: [*a, *b]');
        out.push(...sub.entries);
      }
      return out;
    }
    return this.fail(line, '<< (merge) needs a mapping or a list of mappings', 'write <<: *anchor where &anchor is on a mapping');
  }
}

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

function yamlSyntaxHint(code: string | undefined): string {
  switch (code) {
    case 'TAB_AS_INDENT':
      return 'YAML indentation must use spaces, not tabs';
    case 'MULTIPLE_DOCS':
      return 'an inventory is one YAML document: remove the extra --- separator';
    case 'DUPLICATE_KEY':
      return 'a key may appear once per mapping';
    default:
      return 'check the indentation and the quoting around this line';
  }
}

/** A YAML node as a plain JS value (mappings become objects; keys written the way JSON writes them). */
export function toPlain(node: YNode): unknown {
  switch (node.kind) {
    case 'scalar':
      return node.value;
    case 'seq':
      return node.items.map(toPlain);
    case 'map': {
      const o: Record<string, unknown> = {};
      for (const e of node.entries) setOwn(o, varName(e.key), toPlain(e.value));
      return o;
    }
  }
}

/** How json.dumps writes a non-string key. */
export function varName(key: unknown): string {
  if (typeof key === 'string') return key;
  if (key === null) return 'null';
  if (typeof key === 'number' && Number.isInteger(key)) return String(key);
  return typeof key === 'object' ? JSON.stringify(key) : String(key);
}
