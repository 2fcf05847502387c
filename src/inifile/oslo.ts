// An oslo.config-aware, line-preserving reader and editor for nova.conf-style
// files.
//
// The grammar is the one of oslo_config/iniparser.py (BaseParser.parse) and
// oslo_config/cfg.py (ConfigParser), read from python3-oslo.config as shipped
// with python3-nova 26 (Zed):
//  - a line is right-stripped first; an empty line ends the current value;
//  - a line starting with a space or a tab continues the previous value
//    (its left-stripped text is appended, values are joined with "\n");
//    with no value open it is an error ("Unexpected continuation line");
//  - `[name]` starts a section; section names are compared lower-cased,
//    except `DEFAULT` (cfg._normalize_group_name);
//  - `#` or `;` start a comment only at the start of a line;
//  - anything else is `key = value` or `key: value`, split at the first `=`
//    or `:` (whichever comes first); key and value are stripped and one pair
//    of matching surrounding quotes is removed from the value;
//  - a key repeated in a section adds a value (MultiStrOpt), and values of
//    a multi-valued option add up across sections of the same name.
//
// The editor never rewrites a line it does not have to: every other line,
// comment and blank stays byte for byte, the line ending of each line is
// kept (CRLF files stay CRLF), and a file without a final newline keeps
// having none.

export type OsloSections = Map<string, Map<string, string[]>>;

export type IniOp =
  /** single-valued: replace the first occurrence in place (keeping its spacing style), remove later duplicates */
  | { op: 'set'; section: string; key: string; value: string }
  /** exactly these values: existing lines reused in place, extras removed, missing ones added after the last */
  | { op: 'set_multi'; section: string; key: string; values: string[] }
  /** add the values that are missing, keep every other */
  | { op: 'ensure_values'; section: string; key: string; values: string[] }
  /** remove the values for which `match` is true */
  | { op: 'remove_values'; section: string; key: string; match: (value: string) => boolean }
  /** remove every occurrence of the key */
  | { op: 'remove'; section: string; key: string };

interface RawLine {
  /** the line without its line ending */
  text: string;
  /** '\n', '\r\n' or '' (last line without newline) */
  eol: string;
}

export interface OsloEntry {
  /** normalized section name (lower case, except DEFAULT) */
  section: string;
  key: string;
  /** the value as oslo.config sees it: stripped, quotes removed, continuation lines joined with "\n" */
  value: string;
  /** index of the key line */
  start: number;
  /** index of the last line of the value (continuations), inclusive */
  end: number;
}

export interface OsloSectionBlock {
  /** normalized name */
  name: string;
  /** name as written between the brackets */
  raw: string;
  /** index of the `[name]` line */
  header: number;
  /** index of the next section header (or the line count) */
  stop: number;
}

export interface OsloProblem {
  /** 1-based line number */
  line: number;
  message: string;
}

export interface OsloDocument {
  lines: RawLine[];
  entries: OsloEntry[];
  sections: OsloSectionBlock[];
  /** what oslo.config would refuse (nova would not start) */
  problems: OsloProblem[];
  /**
   * What each line is to the parser, its value left out: '' blank, '#'
   * comment, '[raw]' section, 'k=key' / 'k:key' a key line (+'"' when quotes
   * were taken off its value), '+' a continuation, '!...' refused
   * (structureOf).
   */
  kinds: string[];
}

/** oslo.config's _normalize_group_name */
export function normalizeSection(name: string): string {
  return name === 'DEFAULT' ? name : name.toLowerCase();
}

function splitLines(text: string): RawLine[] {
  if (text === '') return [];
  const out: RawLine[] = [];
  let pos = 0;
  while (pos < text.length) {
    const nl = text.indexOf('\n', pos);
    if (nl < 0) {
      out.push({ text: text.slice(pos), eol: '' });
      break;
    }
    const crlf = nl > pos && text[nl - 1] === '\r';
    out.push({ text: text.slice(pos, crlf ? nl - 1 : nl), eol: crlf ? '\r\n' : '\n' });
    pos = nl + 1;
  }
  return out;
}

function joinLines(lines: RawLine[]): string {
  let s = '';
  for (const l of lines) s += l.text + l.eol;
  return s;
}

/** Python's str.strip() for the whitespace that matters in config files (trim: what /\s/ matches, at both ends). */
function pyStrip(s: string): string {
  return s.trim();
}

function stripQuotes(value: string): string {
  if (value.length >= 1 && (value[0] === '"' || value[0] === "'") && value[0] === value[value.length - 1]) {
    // Python: value[1:-1] (a single quote character gives '')
    return value.slice(1, -1);
  }
  return value;
}

interface KeyLine {
  key: string;
  value: string;
  sep: '=' | ':';
  quoted: boolean;
}

function splitKeyValue(line: string): KeyLine | undefined {
  const colon = line.indexOf(':');
  const equal = line.indexOf('=');
  if (colon < 0 && equal < 0) return undefined;
  const sep = colon < 0 || (equal >= 0 && equal < colon) ? '=' : ':';
  const at = sep === '=' ? equal : colon;
  const v = pyStrip(line.slice(at + 1));
  const value = stripQuotes(v);
  return { key: pyStrip(line.slice(0, at)), value, sep, quoted: value !== v };
}

function parseLines(lines: RawLine[]): OsloDocument {
  const entries: OsloEntry[] = [];
  const sections: OsloSectionBlock[] = [];
  const problems: OsloProblem[] = [];
  const kinds: string[] = [];
  let section: string | undefined;
  let open: { key: string; parts: string[]; start: number; end: number } | undefined;

  const flush = (): void => {
    if (open && section !== undefined) {
      entries.push({ section, key: open.key, value: open.parts.join('\n'), start: open.start, end: open.end });
    }
    open = undefined;
  };

  const refuse = (i: number, message: string): void => {
    problems.push({ line: i + 1, message });
    kinds.push(`!${message}`);
  };
  lines.forEach((l, i) => {
    const line = l.text.trimEnd();
    if (line === '') {
      flush();
      kinds.push('');
      return;
    }
    if (line.startsWith(' ') || line.startsWith('\t')) {
      if (open) {
        open.parts.push(line.trimStart());
        open.end = i;
        kinds.push('+');
      } else {
        refuse(i, 'Unexpected continuation line');
      }
      return;
    }
    flush();
    if (line.startsWith('[')) {
      if (!line.endsWith(']')) return refuse(i, 'Invalid section (must end with ])');
      if (line.length <= 2) return refuse(i, 'Empty section name');
      const raw = line.slice(1, -1);
      const last = sections[sections.length - 1];
      if (last) last.stop = i;
      sections.push({ name: normalizeSection(raw), raw, header: i, stop: lines.length });
      section = normalizeSection(raw);
      kinds.push(`[${raw}]`);
      return;
    }
    if (line.startsWith('#') || line.startsWith(';')) {
      kinds.push('#');
      return;
    }
    const kv = splitKeyValue(line);
    if (!kv) return refuse(i, "No ':' or '=' found in assignment");
    if (kv.key === '') return refuse(i, 'Key cannot be empty');
    if (section === undefined) return refuse(i, 'Section must be started before assignment');
    open = { key: kv.key, parts: [kv.value], start: i, end: i };
    kinds.push(`k${kv.sep}${kv.key}${kv.quoted ? '"' : ''}`);
  });
  flush();
  return { lines, entries, sections, problems, kinds };
}

/**
 * The shape of a text as oslo.config parses it, without the values: every
 * line's kind, section header and key. Texts of the same shape (nova.conf of
 * hosts deployed from one template: other addresses, other passwords) are
 * parsed the same way: the same errors on the same lines, the same keys,
 * each value taken from the same lines by the same rules.
 */
export function structureOf(text: string): string {
  return readOsloCached(text).structure;
}

/** Parse a nova.conf-style text into lines, entries and sections. Never throws; see `problems`. */
export function parseOslo(text: string): OsloDocument {
  return parseLines(splitLines(text));
}

/** What oslo.config would refuse in a text (parseOslo's `problems`). */
export function osloProblems(text: string): OsloProblem[] {
  return readOsloCached(text).problems.map((p) => ({ ...p }));
}

/** section (normalized) -> key -> values, in file order. */
export function readOslo(text: string): OsloSections {
  const out: OsloSections = new Map();
  for (const [name, keys] of readOsloCached(text).sections) out.set(name, new Map([...keys].map(([k, v]) => [k, [...v]])));
  return out;
}

/** What is read from a text, by the text: its values, what oslo.config refuses in it, its shape. */
interface OsloRead {
  sections: OsloSections;
  problems: readonly OsloProblem[];
  structure: string;
}

/**
 * Planning one host's nova.conf asks for the values of a dozen options of
 * the same few texts (before, after, each file), for what oslo.config
 * refuses in them and for their shape: each text is parsed once.
 * The result is shared: never handed out without a copy.
 */
const parsed = new Map<string, OsloRead>();
const PARSED_KEPT = 16;

function readOsloCached(text: string): OsloRead {
  const hit = parsed.get(text);
  if (hit) return hit;
  const out: OsloSections = new Map();
  const doc = parseOslo(text);
  for (const s of doc.sections) if (!out.has(s.name)) out.set(s.name, new Map());
  for (const e of doc.entries) {
    let keys = out.get(e.section);
    if (!keys) {
      keys = new Map();
      out.set(e.section, keys);
    }
    const vals = keys.get(e.key);
    if (vals) vals.push(e.value);
    else keys.set(e.key, [e.value]);
  }
  const read: OsloRead = { sections: out, problems: doc.problems, structure: doc.kinds.join('\n') };
  if (parsed.size >= PARSED_KEPT) parsed.delete(parsed.keys().next().value as string);
  parsed.set(text, read);
  return read;
}

/** Every value of `key` in `section` (all sections of that name), in file order. */
export function getValues(text: string, section: string, key: string): string[] {
  return [...(readOsloCached(text).sections.get(normalizeSection(section))?.get(key) ?? [])];
}

// ---------------------------------------------------------------- editing

function dominantEol(lines: RawLine[]): string {
  let crlf = 0;
  let lf = 0;
  for (const l of lines) {
    if (l.eol === '\r\n') crlf++;
    else if (l.eol === '\n') lf++;
  }
  return crlf > lf ? '\r\n' : '\n';
}

interface KeyStyle {
  before: string;
  sep: string;
  after: string;
}

const DEFAULT_STYLE: KeyStyle = { before: ' ', sep: '=', after: ' ' };

function styleOf(text: string): KeyStyle | undefined {
  const m = /^([^=:]*?)(\s*)([=:])(\s*)(.*)$/.exec(text);
  if (!m) return undefined;
  const before = m[2] ?? '';
  const sep = m[3] ?? '=';
  const rest = m[5] ?? '';
  // for `key =` with no value, guess the space after from the space before
  const after = rest === '' ? before : (m[4] ?? '');
  return { before, sep, after };
}

/** The spacing most key lines of the section (else the file) use. */
function dominantStyle(doc: OsloDocument, section: string): KeyStyle {
  const pick = (entries: OsloEntry[]): KeyStyle | undefined => {
    const counts = new Map<string, { n: number; s: KeyStyle }>();
    for (const e of entries) {
      const s = styleOf(doc.lines[e.start]?.text ?? '');
      if (!s) continue;
      const k = `${s.before}${s.sep}${s.after}`;
      const c = counts.get(k);
      if (c) c.n++;
      else counts.set(k, { n: 1, s });
    }
    let best: { n: number; s: KeyStyle } | undefined;
    for (const c of counts.values()) if (!best || c.n > best.n) best = c;
    return best?.s;
  };
  return pick(doc.entries.filter((e) => e.section === section)) ?? pick(doc.entries) ?? DEFAULT_STYLE;
}

function continuationIndent(doc: OsloDocument, e: OsloEntry): string {
  for (let i = e.start + 1; i <= e.end; i++) {
    const m = /^([ \t]+)\S/.exec(doc.lines[i]?.text ?? '');
    if (m?.[1]) return m[1];
  }
  return '    ';
}

/** Render `key<style>value`; a value with newlines becomes continuation lines. */
function renderEntry(key: string, value: string, style: KeyStyle, indent: string): string[] {
  const parts = value.split('\n');
  const first = `${key}${style.before}${style.sep}${value === '' ? '' : style.after}${parts[0] ?? ''}`;
  return [first, ...parts.slice(1).map((p) => `${indent}${p}`)];
}

function assertValue(key: string, value: string): void {
  const parts = value.split('\n');
  for (const p of parts) {
    if (p !== p.trim() && p.trim() !== '') {
      // oslo strips every line: the value would not read back as written
      throw new Error(`value of ${key} has leading or trailing whitespace on a line: ${JSON.stringify(value)}`);
    }
    if (p.trim() === '' && parts.length > 1) {
      throw new Error(`value of ${key} has an empty line, which would end the value: ${JSON.stringify(value)}`);
    }
  }
  const first = parts[0] ?? '';
  if (first.length >= 1 && (first[0] === '"' || first[0] === "'") && first[0] === first[first.length - 1] && parts.length === 1) {
    throw new Error(`value of ${key} is wrapped in quotes that oslo.config would strip: ${value}`);
  }
}

class Editor {
  doc: OsloDocument;
  private readonly eol: string;
  private readonly endsWithNewline: boolean;

  constructor(text: string) {
    this.doc = parseOslo(text);
    this.eol = dominantEol(this.doc.lines);
    const last = this.doc.lines[this.doc.lines.length - 1];
    this.endsWithNewline = last === undefined || last.eol !== '';
  }

  text(): string {
    return joinLines(this.doc.lines);
  }

  private reparse(lines: RawLine[]): void {
    this.doc = parseLines(lines);
  }

  entriesOf(section: string, key: string): OsloEntry[] {
    const s = normalizeSection(section);
    return this.doc.entries.filter((e) => e.section === s && e.key === key);
  }

  /** Replace lines [start, end] with new texts (may be empty: delete). */
  private splice(start: number, end: number, texts: string[]): void {
    const lines = this.doc.lines.slice();
    const removed = lines.slice(start, end + 1);
    const lastEol = removed[removed.length - 1]?.eol ?? this.eol;
    const fresh: RawLine[] = texts.map((t, i) => ({ text: t, eol: i === texts.length - 1 ? lastEol : (removed[i]?.eol || this.eol) }));
    if (texts.length === 0 && lastEol === '' && start > 0) {
      // deleting the final line of a file without a final newline: the line before becomes the last one
      const prev = lines[start - 1];
      if (prev) lines[start - 1] = { text: prev.text, eol: '' };
    }
    lines.splice(start, end - start + 1, ...fresh);
    this.reparse(lines);
  }

  /** Insert texts after line index `after` (-1 = at the top). */
  private insertAfter(after: number, texts: string[]): void {
    if (texts.length === 0) return;
    const lines = this.doc.lines.slice();
    const prev = lines[after];
    let tailEol = this.eol;
    if (prev && prev.eol === '') {
      // the previous line was the last one, without a final newline
      lines[after] = { text: prev.text, eol: this.eol };
      tailEol = '';
    }
    const fresh = texts.map((t, i) => ({ text: t, eol: i === texts.length - 1 ? tailEol : this.eol }));
    lines.splice(after + 1, 0, ...fresh);
    this.reparse(lines);
  }

  private removeEntry(e: OsloEntry): void {
    this.splice(e.start, e.end, []);
  }

  private replaceEntry(e: OsloEntry, value: string): void {
    if (e.value === value) return;
    const style = styleOf(this.doc.lines[e.start]?.text ?? '') ?? DEFAULT_STYLE;
    const keyText = (this.doc.lines[e.start]?.text ?? '').slice(0, (this.doc.lines[e.start]?.text ?? '').search(/\s*[=:]/));
    this.splice(e.start, e.end, renderEntry(keyText || e.key, value, style, continuationIndent(this.doc, e)));
  }

  /** Where a new key goes: after the last entry of the section's last block (or after its header). */
  private insertionPoint(section: string): number | undefined {
    const s = normalizeSection(section);
    const blocks = this.doc.sections.filter((b) => b.name === s);
    if (blocks.length === 0) return undefined;
    const inSection = this.doc.entries.filter((e) => e.section === s);
    const last = inSection[inSection.length - 1];
    if (last) return last.end;
    return blocks[blocks.length - 1]!.header;
  }

  addValues(section: string, key: string, values: string[], after?: number): void {
    if (values.length === 0) return;
    const s = normalizeSection(section);
    const style = dominantStyle(this.doc, s);
    const texts = values.flatMap((v) => renderEntry(key, v, style, '    '));
    const at = after ?? this.insertionPoint(section);
    if (at !== undefined) {
      this.insertAfter(at, texts);
      return;
    }
    // new section at the end of the file, separated by a blank line
    const header = `[${section}]`;
    const lines = this.doc.lines;
    const last = lines[lines.length - 1];
    const block: string[] = [];
    if (last !== undefined && last.text.trim() !== '') block.push('');
    block.push(header, ...texts);
    if (lines.length === 0) {
      this.reparse(block.map((t) => ({ text: t, eol: this.eol })));
      return;
    }
    this.insertAfter(lines.length - 1, block);
    if (!this.endsWithNewline) return;
    // keep a final newline when the file had one
    const l2 = this.doc.lines;
    const tail = l2[l2.length - 1];
    if (tail && tail.eol === '') {
      l2[l2.length - 1] = { text: tail.text, eol: this.eol };
      this.reparse(l2);
    }
  }

  set(section: string, key: string, value: string): void {
    assertValue(key, value);
    const es = this.entriesOf(section, key);
    const first = es[0];
    if (!first) {
      this.addValues(section, key, [value]);
      return;
    }
    // remove later duplicates first (from the bottom, so indexes stay valid)
    for (let i = es.length - 1; i >= 1; i--) {
      const cur = this.entriesOf(section, key)[i];
      if (cur) this.removeEntry(cur);
    }
    const again = this.entriesOf(section, key)[0];
    if (again) this.replaceEntry(again, value);
  }

  setMulti(section: string, key: string, values: string[]): void {
    values.forEach((v) => assertValue(key, v));
    const existing = this.entriesOf(section, key);
    // 1. entries whose value is wanted stay untouched
    const wanted = values.slice();
    const keep = new Set<number>();
    existing.forEach((e, i) => {
      const j = wanted.indexOf(e.value);
      if (j >= 0) {
        keep.add(i);
        wanted.splice(j, 1);
      }
    });
    // 2. the other entries take the remaining values in place, in order; extras go
    const plan: Array<{ index: number; value: string | undefined }> = [];
    existing.forEach((_, i) => {
      if (keep.has(i)) return;
      plan.push({ index: i, value: wanted.shift() });
    });
    // apply from the bottom so the indexes of the entries above stay valid
    for (let p = plan.length - 1; p >= 0; p--) {
      const step = plan[p]!;
      const cur = this.entriesOf(section, key)[step.index];
      if (!cur) continue;
      if (step.value === undefined) this.removeEntry(cur);
      else this.replaceEntry(cur, step.value);
    }
    // 3. still missing: after the last line of the key
    if (wanted.length > 0) {
      const now = this.entriesOf(section, key);
      const last = now[now.length - 1];
      this.addValues(section, key, wanted, last?.end);
    }
  }

  ensureValues(section: string, key: string, values: string[]): void {
    values.forEach((v) => assertValue(key, v));
    const have = new Set(this.entriesOf(section, key).map((e) => e.value));
    const missing: string[] = [];
    for (const v of values) {
      if (!have.has(v)) {
        missing.push(v);
        have.add(v);
      }
    }
    if (missing.length === 0) return;
    const now = this.entriesOf(section, key);
    this.addValues(section, key, missing, now[now.length - 1]?.end);
  }

  removeValues(section: string, key: string, match: (value: string) => boolean): void {
    const es = this.entriesOf(section, key);
    for (let i = es.length - 1; i >= 0; i--) {
      const e = es[i]!;
      if (match(e.value)) this.removeEntry(e);
    }
  }
}

/** The same values, in any order, as many times each. */
function sameValues(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const x = [...a].sort();
  const y = [...b].sort();
  return x.every((v, i) => v === y[i]);
}

/**
 * Whether the Editor would leave the text as it is for `op` (checking the
 * values it would check): a set_multi whose values are those already there
 * keeps every entry; a set of the one value there, an ensure_values of values
 * all there, a removal that finds nothing, change nothing either.
 */
function alreadyDone(text: string, op: IniOp): boolean {
  const have = readOsloCached(text).sections.get(normalizeSection(op.section))?.get(op.key) ?? [];
  switch (op.op) {
    case 'set':
      assertValue(op.key, op.value);
      return have.length === 1 && have[0] === op.value;
    case 'set_multi':
      op.values.forEach((v) => assertValue(op.key, v));
      return sameValues(have, op.values);
    case 'ensure_values':
      op.values.forEach((v) => assertValue(op.key, v));
      return op.values.every((v) => have.includes(v));
    case 'remove_values':
      return !have.some((v) => op.match(v));
    case 'remove':
      return have.length === 0;
  }
}

/**
 * Apply the operations in order and return the new text. Lines that no
 * operation has to touch stay byte for byte; when nothing changes the very
 * same string comes back.
 */
export function editOslo(text: string, ops: readonly IniOp[]): string {
  // a rerun: every operation finds the file as it wants it (read from the parse shared with getValues)
  if (ops.every((op) => alreadyDone(text, op))) return text;
  const ed = new Editor(text);
  for (const op of ops) {
    switch (op.op) {
      case 'set':
        ed.set(op.section, op.key, op.value);
        break;
      case 'set_multi':
        ed.setMulti(op.section, op.key, op.values);
        break;
      case 'ensure_values':
        ed.ensureValues(op.section, op.key, op.values);
        break;
      case 'remove_values':
        ed.removeValues(op.section, op.key, op.match);
        break;
      case 'remove':
        ed.removeValues(op.section, op.key, () => true);
        break;
    }
  }
  const out = ed.text();
  return out === text ? text : out;
}
