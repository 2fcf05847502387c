// Reading YAML files a user wrote (playbooks, vars files) so that every
// problem ends in one ConfigError naming file:line:column: too big, binary,
// not UTF-8, a YAML syntax error, an alias bomb, an unsupported tag.
//
// YAML 1.1 as Ansible reads it (PyYAML): yes/no/on/off are booleans, 0755 is
// octal, `<<` merges mappings. Dates stay strings.

import { readFileSync, statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import {
  LineCounter,
  parseDocument,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  visit,
  type Document,
  type Node,
  type ScalarTag,
  type Tags,
  type YAMLError,
} from 'yaml';
import { ConfigError, type ErrorLocation } from '../errors.ts';

/** Files bigger than this are refused: no playbook or vars file is that big, and parsing one would take a while. */
export const MAX_BYTES = 5 * 1024 * 1024;
/** Aliases resolved per document before it counts as an alias bomb (yaml's maxAliasCount). */
export const MAX_ALIASES = 100;

export type Path = ReadonlyArray<string | number>;

export interface YamlSource {
  file: string;
  text: string;
  doc: Document.Parsed;
  lc: LineCounter;
  /** the document as plain data (aliases and merges resolved) */
  data: unknown;
}

// PyYAML's booleans (the yaml package's YAML 1.1 schema also takes y/n, which Ansible does not).
const PY_TRUE = /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/;
const PY_FALSE = /^(?:no|No|NO|false|False|FALSE|off|Off|OFF)$/;

function customTags(tags: Tags): Tags {
  const out: Tags = [];
  for (const t of tags) {
    if (typeof t === 'object' && t.tag === 'tag:yaml.org,2002:timestamp') continue;
    if (typeof t === 'object' && t.tag === 'tag:yaml.org,2002:bool' && 'test' in t && t.test instanceof RegExp) {
      const scalar = t as ScalarTag;
      out.push({ ...scalar, test: scalar.test?.test('true') ? PY_TRUE : PY_FALSE } as ScalarTag);
      continue;
    }
    out.push(t);
  }
  return out;
}

function sizeError(file: string, bytes: number): ConfigError {
  return new ConfigError(
    { file },
    `the file is ${(bytes / 1024 / 1024).toFixed(1)} MB; passthru reads YAML files up to ${MAX_BYTES / 1024 / 1024} MB`,
    'is this the right file? a playbook or vars file is a few kilobytes',
  );
}

function lineCol(text: string, index: number): { line: number; column: number } {
  let line = 1;
  let last = -1;
  for (let i = text.indexOf('\n'); i >= 0 && i < index; i = text.indexOf('\n', i + 1)) {
    line++;
    last = i;
  }
  return { line, column: index - last };
}

/** Refuse text that is too big or is not text. */
export function checkText(text: string, file: string): void {
  if (text.length > MAX_BYTES) throw sizeError(file, Buffer.byteLength(text));
  const nul = text.indexOf('\0');
  if (nul >= 0) {
    throw new ConfigError({ file, ...lineCol(text, nul) }, 'this is a binary file, not YAML text (it contains a NUL byte)', 'check the path: it should name a YAML file');
  }
}

/** Decode file content as UTF-8, refusing binary data and invalid UTF-8 with a location. */
export function decodeText(buf: Uint8Array, file: string): string {
  if (buf.byteLength > MAX_BYTES) throw sizeError(file, buf.byteLength);
  const nul = buf.indexOf(0);
  if (nul >= 0) checkText(new TextDecoder('utf-8').decode(buf.subarray(0, nul + 1)), file);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(buf);
  } catch {
    const loose = new TextDecoder('utf-8').decode(buf);
    const bad = loose.indexOf('\uFFFD');
    throw new ConfigError(
      { file, ...lineCol(loose, Math.max(0, bad)) },
      'this is not UTF-8 text (a binary file, or a file saved in another encoding)',
      'save the file as UTF-8, or check that the path names a YAML file',
    );
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  checkText(text, file);
  return text;
}

function readError(file: string, e: unknown, what: string): ConfigError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new ConfigError({ file }, `${what} does not exist`, 'check the path (relative paths start from the current directory)');
  if (code === 'EACCES') return new ConfigError({ file }, `${what} cannot be read: permission denied`, 'check the file permissions');
  if (code === 'EISDIR') return new ConfigError({ file }, `${what} is a directory, not a file`, 'name the YAML file inside it');
  return new ConfigError({ file }, `${what} cannot be read (${code ?? String(e)})`);
}

export async function readTextFile(path: string, what = 'the file', display = path): Promise<string> {
  try {
    const st = await stat(path);
    if (st.isDirectory()) throw Object.assign(new Error('dir'), { code: 'EISDIR' });
    if (st.size > MAX_BYTES) throw sizeError(display, st.size);
    return decodeText(await readFile(path), display);
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw readError(display, e, what);
  }
}

export function readTextFileSync(path: string, what = 'the file', display = path): string {
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw Object.assign(new Error('dir'), { code: 'EISDIR' });
    if (st.size > MAX_BYTES) throw sizeError(display, st.size);
    return decodeText(readFileSync(path), display);
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw readError(display, e, what);
  }
}

const HINTS: Record<string, string> = {
  BAD_INDENT: 'check the indentation: items of one list or mapping start in the same column (use spaces, not tabs)',
  TAB_AS_INDENT: 'indent with spaces, not tabs',
  MISSING_CHAR: 'a quote or bracket is not closed (is the file cut short?)',
  DUPLICATE_KEY: 'each key may appear once in a mapping; remove or rename one of them',
  MULTIPLE_DOCS: 'put everything in one YAML document (remove the extra --- line)',
  BLOCK_AS_IMPLICIT_KEY: 'a ":" is missing, or a value with ": " in it needs quotes',
  MULTILINE_IMPLICIT_KEY: 'a ":" is missing, or a value with ": " in it needs quotes',
  UNEXPECTED_TOKEN: 'a value that starts with a special character ({ [ * & ! | > % @ `) needs quotes',
  BAD_SCALAR_START: 'a value that starts with a special character ({ [ * & ! | > % @ `) needs quotes',
  DEEP: 'the file is nested too deeply: a playbook or vars file is a few levels deep',
  BAD_ALIAS: 'an alias (*name) must refer to an anchor (&name) defined before it',
  TAG_RESOLVE_FAILED: 'remove the tag (the word starting with !)',
};

function errorLocation(src: { file: string; lc: LineCounter }, offset: number): ErrorLocation {
  const p = src.lc.linePos(offset);
  return { file: src.file, line: Math.max(1, p.line), column: Math.max(1, p.col) };
}

function yamlError(file: string, lc: LineCounter, e: YAMLError): ConfigError {
  let message = e.message.split('\n')[0] ?? e.message;
  message = message.replace(/ at line \d+, column \d+:?$/, '');
  if (e.code === 'TAG_RESOLVE_FAILED' && /!vault/.test(message)) {
    return new ConfigError(errorLocation({ file, lc }, e.pos[0]), 'Ansible Vault values (!vault) are not supported', 'pass secrets with -e @file or in the inventory');
  }
  message = message.charAt(0).toLowerCase() + message.slice(1);
  const hint = /call stack/i.test(message) ? HINTS['DEEP'] : HINTS[e.code];
  return new ConfigError(errorLocation({ file, lc }, e.pos[0]), `YAML: ${message}`, hint);
}

/**
 * Parse YAML text into a document (for locations) and plain data.
 * Throws one ConfigError with file:line:column on the first problem.
 */
export function parseYaml(text: string, file: string): YamlSource {
  checkText(text, file);
  const lc = new LineCounter();
  let doc: Document.Parsed;
  try {
    doc = parseDocument(text, {
      lineCounter: lc,
      version: '1.1',
      customTags,
      prettyErrors: false,
      uniqueKeys: true,
      strict: true,
    });
  } catch (e) {
    throw new ConfigError({ file }, `YAML: the file cannot be parsed (${(e as Error).message})`);
  }
  const first = doc.errors[0] ?? doc.warnings[0];
  if (first) throw yamlError(file, lc, first);
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (e) {
    let at: ErrorLocation = { file };
    visit(doc, {
      Alias(_key, node) {
        if (node.range) at = errorLocation({ file, lc }, node.range[0]);
        return visit.BREAK;
      },
    });
    if (e instanceof ReferenceError && /alias/i.test(e.message)) {
      throw new ConfigError(at, 'YAML: too many aliases (*name): this looks like an alias bomb, refusing to expand it', 'write the values out instead of nesting aliases');
    }
    throw new ConfigError(at, `YAML: ${(e as Error).message}`);
  }
  return { file, text, doc, lc, data };
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
