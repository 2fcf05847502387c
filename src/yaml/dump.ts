// Data written as YAML the way PyYAML's yaml.dump(default_flow_style=False)
// writes it (what `ansible-inventory --yaml` prints): keys sorted, block
// style, `{}`/`[]` for empty collections, lists not indented under their
// key, and a string quoted wherever Ansible's loader would read it as
// something else (yes, 1.0, null, 2024-01-05) or where plain style cannot
// hold it. What it writes reads back, with ansible-yaml.ts, as the same data.

import { implicitTag } from './scalars.ts';
import { byCodePoint, isPyNumber, PyDate, PyFloat, pyFloatRepr, Unsafe } from './py-values.ts';

function floatText(n: number): string {
  if (Number.isNaN(n)) return '.nan';
  if (!Number.isFinite(n)) return n > 0 ? '.inf' : '-.inf';
  const r = pyFloatRepr(n);
  // PyYAML's represent_float: 1e-05 would read back as a string
  return !r.includes('.') && r.includes('e') ? r.replace('e', '.0e') : r;
}

const PLAIN_SAFE = /^[^\s\-?:,[\]{}#&*!|>'"%@`][^\n\r\t]*$/;
/** PyYAML's best_width */
const WIDTH = 80;

type Style = 'plain' | 'single' | 'double';

function styleOf(s: string): Style {
  const plain =
    s !== '' &&
    PLAIN_SAFE.test(s) &&
    !/\s$/.test(s) &&
    !s.includes(': ') &&
    !s.includes(' #') &&
    !s.endsWith(':') &&
    implicitTag(s) === 'str' &&
    // a lone - or a leading "- ", "? ", ": " start other YAML structures
    !/^[-?:](\s|$)/.test(s);
  if (plain || (/^-[^\s]/.test(s) && !/[\s:#,[\]{}]/.test(s) && implicitTag(s) === 'str')) return 'plain';
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff]/.test(s) ? 'double' : 'single';
}

/**
 * A string as PyYAML writes it starting at `column`: plain or 'single'
 * quoted text is folded at a single space once the line is past 80
 * columns (write_plain, write_single_quoted), continuing at `indent`.
 */
function stringText(s: string, fold?: { column: number; indent: number }): string {
  const style = styleOf(s);
  if (style === 'double') return JSON.stringify(s);
  const body = style === 'single' ? s.replace(/'/g, "''") : s;
  const quote = style === 'single' ? "'" : '';
  if (!fold) return quote + body + quote;
  let column = fold.column + quote.length;
  let out = quote;
  // runs of spaces and of other characters, in order
  const runs = body.match(/ +|[^ ]+/g) ?? [];
  runs.forEach((run, i) => {
    const inside = i > 0 && i < runs.length - 1;
    if (run === ' ' && column > WIDTH && (style === 'plain' || inside)) {
      out += `\n${' '.repeat(fold.indent)}`;
      column = fold.indent;
    } else {
      out += run;
      column += run.length;
    }
  });
  return out + quote;
}

function scalarText(v: unknown, fold?: { column: number; indent: number }): string {
  if (v === null || v === undefined) return 'null';
  if (v === true) return 'true';
  if (v === false) return 'false';
  if (v instanceof PyFloat) return floatText(v.value);
  if (isPyNumber(v)) return v.toString();
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : floatText(v);
  if (typeof v === 'string') return stringText(v, fold);
  if (v instanceof Unsafe) return stringText(v.text, fold);
  if (v instanceof PyDate) return v.toString();
  return stringText(String(v), fold);
}

/** a collection, or a date: PyYAML anchors what is shared, dates included */
type Collection = unknown[] | Record<string, unknown>;
type Shared = Collection | PyDate;

function isCollection(v: unknown): v is Collection {
  return v !== null && typeof v === 'object' && !isPyNumber(v) && !(v instanceof Unsafe) && !(v instanceof PyDate);
}

function isEmpty(v: Collection): boolean {
  return Array.isArray(v) ? v.length === 0 : Object.keys(v).length === 0;
}

function emptyText(v: Collection): string {
  return Array.isArray(v) ? '[]' : '{}';
}

function sortedKeys(obj: Record<string, unknown>): string[] {
  return Object.keys(obj).sort(byCodePoint);
}

/** PyYAML's Serializer.anchor_node: a collection met twice gets &idNNN, numbered in the order of its second meeting */
function anchors(root: unknown): Map<Shared, string> {
  const seen = new Set<Shared>();
  const out = new Map<Shared, string>();
  const walk = (v: unknown): void => {
    if (!isCollection(v) && !(v instanceof PyDate)) return;
    if (seen.has(v)) {
      if (!out.has(v)) out.set(v, `id${String(out.size + 1).padStart(3, '0')}`);
      return;
    }
    seen.add(v);
    if (v instanceof PyDate) return;
    if (Array.isArray(v)) v.forEach(walk);
    else for (const k of sortedKeys(v)) walk(v[k]);
  };
  walk(root);
  return out;
}

class Writer {
  readonly lines: string[] = [];
  private readonly written = new Set<Shared>();

  constructor(private readonly ids: Map<Shared, string>) {}

  /** `head` then the value: inline (scalar, empty, *alias) or as a block below it */
  value(head: string, v: unknown, indent: number, blockIndent: number): void {
    if (v instanceof PyDate && this.ids.has(v)) {
      const id = this.ids.get(v) as string;
      const first = !this.written.has(v);
      this.written.add(v);
      this.lines.push(first ? `${head} &${id} ${v.toString()}` : `${head} *${id}`);
      return;
    }
    if (!isCollection(v)) {
      this.lines.push(`${head} ${scalarText(v, { column: head.length + 1, indent })}`);
      return;
    }
    const id = this.ids.get(v);
    if (id !== undefined && this.written.has(v)) {
      this.lines.push(`${head} *${id}`);
      return;
    }
    if (id !== undefined) this.written.add(v);
    const anchor = id !== undefined ? ` &${id}` : '';
    if (isEmpty(v)) {
      this.lines.push(`${head}${anchor} ${emptyText(v)}`);
      return;
    }
    this.lines.push(`${head}${anchor}`);
    this.block(v, blockIndent);
  }

  block(v: Collection, indent: number): void {
    const pad = ' '.repeat(indent);
    if (Array.isArray(v)) {
      for (const item of v) {
        if (isCollection(item) && !isEmpty(item) && !this.ids.has(item)) {
          // the first line of the item goes after "- "
          const start = this.lines.length;
          this.block(item, indent + 2);
          this.lines[start] = `${pad}- ${(this.lines[start] ?? '').slice(indent + 2)}`;
        } else {
          this.value(`${pad}-`, item, indent + 2, indent + 2);
        }
      }
      return;
    }
    for (const k of sortedKeys(v)) {
      const item = v[k];
      // PyYAML does not indent a list under its key
      this.value(`${pad}${stringText(k)}:`, item, indent + 2, Array.isArray(item) ? indent : indent + 2);
    }
  }
}

/** YAML text of the data, ending with a newline. */
export function dumpYaml(value: unknown): string {
  if (!isCollection(value)) return `${scalarText(value)}\n...\n`;
  if (isEmpty(value)) return `${emptyText(value)}\n`;
  const w = new Writer(anchors(value));
  w.block(value, 0);
  return `${w.lines.join('\n')}\n`;
}
