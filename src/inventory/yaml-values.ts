// YAML as Ansible loads it: PyYAML's YAML 1.1 rules (yes/no/on/off are
// booleans, 0777 is octal, 1:30 is 90, 1e5 is a string, 2024-01-05 a date),
// `<<` merge keys, Ansible's !unsafe and !vault tags, and JSON rules when the
// whole file is JSON (Ansible tries json.loads first). Every node keeps its
// line so the inventory reader can say file:line.

import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node as YamlNode } from 'yaml';
import { ConfigError, type ErrorLocation } from '../errors.ts';
import { setOwn } from './own.ts';

export type YNode =
  | { kind: 'map'; line: number; entries: YEntry[] }
  | { kind: 'seq'; line: number; items: YNode[] }
  | { kind: 'scalar'; line: number; value: unknown };

export interface YEntry {
  key: unknown;
  keyLine: number;
  value: YNode;
}

/** yaml's guard against alias bombs ("billion laughs"); real inventories stay far below it */
export const MAX_ALIAS_COUNT = 1000;

const TAG = 'tag:yaml.org,2002:';

const BOOL = /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/;
const FLOAT = /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;
const INT = /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/;
const NULL = /^(?:~|null|Null|NULL|)$/;
const TIMESTAMP_RESOLVE = /^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$/;
const TIMESTAMP = /^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:(?:[Tt]|[ \t]+)([0-9]{1,2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]*))?(?:[ \t]*(Z|([-+])([0-9]{1,2})(?::([0-9]{2}))?))?)?$/;
const JSON_NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?$/;

class BadScalar extends Error {}

/** The text is not YAML at all (the INI reader may still take it). */
export class YamlSyntaxError extends ConfigError {
  constructor(location: ErrorLocation, message: string, hint: string) {
    super(location, message, hint);
    this.name = 'ConfigError';
  }
}

/** PyYAML's implicit tag for a plain scalar */
function implicitTag(text: string): string {
  const first = text[0] ?? '';
  if ('yYnNtTfFoO'.includes(first) && first !== '' && BOOL.test(text)) return 'bool';
  if ('-+0123456789.'.includes(first) && first !== '' && FLOAT.test(text)) return 'float';
  if ('-+0123456789'.includes(first) && first !== '' && INT.test(text)) return 'int';
  if (text === '<<') return 'merge';
  if (NULL.test(text)) return 'null';
  if ('0123456789'.includes(first) && first !== '' && TIMESTAMP_RESOLVE.test(text)) return 'timestamp';
  if (text === '=') return 'value';
  return 'str';
}

function sexagesimal(parts: number[]): number {
  let value = 0;
  let base = 1;
  for (const d of [...parts].reverse()) {
    value += d * base;
    base *= 60;
  }
  return value;
}

function constructInt(text: string): number {
  let v = text.replace(/_/g, '');
  let sign = 1;
  if (v[0] === '-') sign = -1;
  if (v[0] === '-' || v[0] === '+') v = v.slice(1);
  let n: number;
  if (v === '0') return 0;
  if (v.startsWith('0b')) n = parseStrict(v.slice(2), 2);
  else if (v.startsWith('0x')) n = parseStrict(v.slice(2), 16);
  else if (v[0] === '0') n = parseStrict(v, 8);
  else if (v.includes(':')) n = sexagesimal(v.split(':').map((p) => parseStrict(p, 10)));
  else n = parseStrict(v, 10);
  return sign * n;
}

function parseStrict(digits: string, radix: number): number {
  const valid = { 2: /^[01]+$/, 8: /^[0-7]+$/, 10: /^[0-9]+$/, 16: /^[0-9a-fA-F]+$/ }[radix as 2 | 8 | 10 | 16];
  if (!valid.test(digits)) throw new BadScalar(`invalid literal for int() with base ${radix}: '${digits}'`);
  return radix === 10 ? Number(digits) : Number(BigInt((radix === 2 ? '0b' : radix === 8 ? '0o' : '0x') + digits));
}

function constructFloat(text: string): number {
  let v = text.replace(/_/g, '').toLowerCase();
  let sign = 1;
  if (v[0] === '-') sign = -1;
  if (v[0] === '-' || v[0] === '+') v = v.slice(1);
  if (v === '.inf') return sign * Infinity;
  if (v === '.nan') return NaN;
  if (v.includes(':')) return sign * sexagesimal(v.split(':').map(Number));
  const n = Number(v);
  if (Number.isNaN(n)) throw new BadScalar(`could not convert string to float: '${text}'`);
  return sign * n;
}

function constructBool(text: string): boolean {
  const v = ({ yes: true, no: false, true: true, false: false, on: true, off: false } as Record<string, boolean>)[text.toLowerCase()];
  if (v === undefined) throw new BadScalar(`'${text}' is not a boolean (use true or false)`);
  return v;
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** PyYAML's timestamp, written the way Ansible's JSON encoder writes it (date/datetime .isoformat()) */
function constructTimestamp(text: string): string {
  const m = TIMESTAMP.exec(text);
  if (!m) throw new BadScalar(`'${text}' is not a timestamp`);
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const dim = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > dim) throw new BadScalar(`'${text}' is not a valid date`);
  const date = `${pad(year, 4)}-${pad(month)}-${pad(day)}`;
  if (m[4] === undefined) return date;
  const [hour, minute, second] = [Number(m[4]), Number(m[5]), Number(m[6])];
  if (hour > 23 || minute > 59 || second > 59) throw new BadScalar(`'${text}' is not a valid time`);
  let out = `${date}T${pad(hour)}:${pad(minute)}:${pad(second)}`;
  const fraction = m[7] ? Number(m[7].slice(0, 6).padEnd(6, '0')) : 0;
  if (fraction) out += `.${pad(fraction, 6)}`;
  if (m[9]) {
    const tzh = Number(m[10]);
    const tzm = Number(m[11] ?? 0);
    if (tzh > 23 || tzm > 59) throw new BadScalar(`'${text}' has a bad time zone`);
    const sign = m[9] === '-' && (tzh || tzm) ? '-' : '+';
    out += `${sign}${pad(tzh)}:${pad(tzm)}`;
  } else if (m[8] === 'Z') {
    out += '+00:00';
  }
  return out;
}

function construct(tag: string, text: string): unknown {
  switch (tag) {
    case 'str': return text;
    case 'null': return null;
    case 'bool': return constructBool(text);
    case 'int': return constructInt(text);
    case 'float': return constructFloat(text);
    case 'timestamp': return constructTimestamp(text);
    case 'value': throw new BadScalar(`could not determine a constructor for the tag '${TAG}value' ('=' alone)`);
    default: throw new BadScalar(`unsupported tag '${tag}'`);
  }
}

export class YamlReader {
  private readonly lines = new LineCounter();
  private readonly doc: Document;
  private readonly json: boolean;
  private readonly memo = new Map<YamlNode, YNode>();
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
      const line = err.linePos?.[0]?.line;
      const column = err.linePos?.[0]?.col;
      throw new YamlSyntaxError({ file: source, line, column }, `YAML syntax error: ${err.message.split('\n')[0]}`, yamlSyntaxHint(err.code));
    }
    try {
      this.doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (e) {
      throw new ConfigError(
        { file: source },
        `YAML aliases expand too much (${e instanceof Error ? e.message : String(e)})`,
        'this looks like an alias bomb; write the values out instead of nesting *aliases',
      );
    }
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
    return this.convert(contents);
  }

  private convert(node: YamlNode | null, fallbackLine = 1): YNode {
    if (node === null) return { kind: 'scalar', line: fallbackLine, value: null };
    if (isAlias(node)) {
      const target = node.resolve(this.doc) as YamlNode | undefined;
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
    if (isAlias(k)) return this.keyValue(k.resolve(this.doc), line);
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

function keyId(key: unknown): string {
  return typeof key === 'string' ? `s:${key}` : `v:${JSON.stringify(key)}`;
}

function jsonScalar(text: string): unknown {
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (text === 'null') return null;
  if (JSON_NUMBER.test(text)) return Number(text);
  return text;
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
