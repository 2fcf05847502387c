// Reading YAML files a user wrote (playbooks, vars files) so that every
// problem ends in one ConfigError naming file:line:column: too big, binary,
// not UTF-8, a YAML syntax error, an alias bomb, an unsupported tag.
//
// The YAML is read by the one loader with Ansible's semantics
// (src/yaml/ansible-yaml.ts), the same as inventories and group_vars: YAML
// 1.1 as PyYAML reads it (yes/no/on/off are booleans, 0755 is octal, 1e5 is
// text, `<<` merges mappings, !unsafe text is never templated). The engine
// gets plain JS values (numbers as JS numbers).

import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import { ConfigError, type ErrorLocation } from '../errors.ts';
import { loadYaml, VAULT, type YNode } from '../yaml/ansible-yaml.ts';
import { plainData } from '../yaml/py-values.ts';
import { checkText } from '../yaml/text-file.ts';

export { MAX_BYTES, checkText, decodeText, readTextFile, readTextFileSync } from '../yaml/text-file.ts';

export type Path = ReadonlyArray<string | number>;

export interface YamlSource {
  file: string;
  text: string;
  doc: Document.Parsed;
  lc: LineCounter;
  /** the document as plain data (aliases and merges resolved) */
  data: unknown;
}

function errorLocation(src: { file: string; lc: LineCounter }, offset: number): ErrorLocation {
  const p = src.lc.linePos(offset);
  return { file: src.file, line: Math.max(1, p.line), column: Math.max(1, p.col) };
}

/** the first !vault value, which passthru cannot decrypt */
function findVault(node: YNode | undefined): YNode | undefined {
  const todo = node ? [node] : [];
  const seen = new Set<YNode>();
  for (let n = todo.pop(); n !== undefined; n = todo.pop()) {
    if (seen.has(n)) continue;
    seen.add(n);
    if (n.kind === 'scalar') {
      if (n.value !== null && typeof n.value === 'object' && VAULT in n.value) return n;
    } else if (n.kind === 'seq') todo.push(...[...n.items].reverse());
    else todo.push(...n.entries.map((e) => e.value).reverse());
  }
  return undefined;
}

/**
 * Parse YAML text into a document (for locations) and plain data.
 * Throws one ConfigError with file:line:column on the first problem.
 */
export function parseYaml(text: string, file: string): YamlSource {
  checkText(text, file);
  const { reader, root, data } = loadYaml(text, file);
  const vault = findVault(root);
  if (vault) {
    throw new ConfigError({ file, line: vault.line, column: vault.column }, 'Ansible Vault values (!vault) are not supported', 'pass secrets with -e @file or in the inventory');
  }
  return { file, text, doc: reader.doc, lc: reader.lines, data: plainData(data, { template: true }) };
}

function deref(doc: Document.Parsed, node: unknown): unknown {
  let n = node;
  for (let i = 0; i < 20 && isAlias(n); i++) n = n.resolve(doc);
  return n;
}

function nodeStart(src: YamlSource, node: unknown): ErrorLocation | undefined {
  const range = (node as Node | null | undefined)?.range;
  if (!range) return undefined;
  return errorLocation(src, range[0]);
}

/**
 * The location of the value at `path` (keys and list indexes) in the document.
 * If the path leads through something the source does not spell out (a merge, a missing key),
 * the deepest node found is named. With `key: true`, the location of the mapping key itself.
 */
export function locationOf(src: YamlSource, path: Path, opts: { key?: boolean } = {}): ErrorLocation {
  let node: unknown = deref(src.doc, src.doc.contents);
  let best = nodeStart(src, node) ?? { file: src.file, line: 1, column: 1 };
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    const last = i === path.length - 1;
    node = deref(src.doc, node);
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && keyString(p.key) === String(seg));
      if (!pair) return best;
      const keyLoc = nodeStart(src, pair.key);
      if (last && opts.key && keyLoc) return keyLoc;
      const value = deref(src.doc, pair.value);
      // an empty value (`key:`) has no position of its own worth naming: name the key
      const valueLoc = isScalar(value) && (value.value === null || value.source === '') ? undefined : nodeStart(src, value);
      best = valueLoc ?? keyLoc ?? best;
      node = value;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = deref(src.doc, node.items[seg]);
      if (item === undefined) return best;
      best = nodeStart(src, item) ?? best;
      node = item;
    } else {
      return best;
    }
  }
  return best;
}

function keyString(k: unknown): string | undefined {
  if (isScalar(k)) return String(k.value);
  return undefined;
}
