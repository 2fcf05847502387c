// Data written as YAML the way PyYAML's yaml.dump(default_flow_style=False)
// writes it (what `ansible-inventory --yaml` prints): keys sorted, block
// style, `{}`/`[]` for empty collections, lists not indented under their
// key, and a string quoted wherever Ansible's loader would read it as
// something else (yes, 1.0, null, 2024-01-05) or where plain style cannot
// hold it. What it writes reads back, with ansible-yaml.ts, as the same data.

import { implicitTag } from './scalars.ts';
import { byCodePoint, isPyNumber, PyFloat, pyFloatRepr, Unsafe } from './py-values.ts';

function floatText(n: number): string {
  if (Number.isNaN(n)) return '.nan';
  if (!Number.isFinite(n)) return n > 0 ? '.inf' : '-.inf';
  const r = pyFloatRepr(n);
  // PyYAML's represent_float: 1e-05 would read back as a string
  return !r.includes('.') && r.includes('e') ? r.replace('e', '.0e') : r;
}

const PLAIN_SAFE = /^[^\s\-?:,[\]{}#&*!|>'"%@`][^\n\r\t]*$/;

function stringText(s: string): string {
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
  if (plain || (/^-[^\s]/.test(s) && !/[\s:#,[\]{}]/.test(s) && implicitTag(s) === 'str')) return s;
  // eslint-disable-next-line no-control-regex
  if (!/[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff]/.test(s)) return `'${s.replace(/'/g, "''")}'`;
  return JSON.stringify(s);
}

function scalarText(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (v === true) return 'true';
  if (v === false) return 'false';
  if (v instanceof PyFloat) return floatText(v.value);
  if (isPyNumber(v)) return v.toString();
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : floatText(v);
  if (typeof v === 'string') return stringText(v);
  if (v instanceof Unsafe) return stringText(v.text);
  return stringText(String(v));
}

function isCollection(v: unknown): v is unknown[] | Record<string, unknown> {
  return v !== null && typeof v === 'object' && !isPyNumber(v) && !(v instanceof Unsafe);
}

function isEmpty(v: unknown[] | Record<string, unknown>): boolean {
  return Array.isArray(v) ? v.length === 0 : Object.keys(v).length === 0;
}

function emptyText(v: unknown[] | Record<string, unknown>): string {
  return Array.isArray(v) ? '[]' : '{}';
}

function block(value: unknown, indent: number, lines: string[]): void {
  const pad = ' '.repeat(indent);
  if (Array.isArray(value)) {
    for (const item of value) {
      if (isCollection(item) && !isEmpty(item)) {
        // the first line of the item goes after "- "
        const sub: string[] = [];
        block(item, indent + 2, sub);
        const first = (sub[0] ?? '').slice(indent + 2);
        lines.push(`${pad}- ${first}`, ...sub.slice(1));
      } else {
        lines.push(`${pad}- ${isCollection(item) ? emptyText(item) : scalarText(item)}`);
      }
    }
    return;
  }
  const obj = value as Record<string, unknown>;
  for (const k of Object.keys(obj).sort(byCodePoint)) {
    const v = obj[k];
    const key = stringText(k);
    if (isCollection(v) && !isEmpty(v)) {
      lines.push(`${pad}${key}:`);
      // PyYAML does not indent a list under its key
      block(v, Array.isArray(v) ? indent : indent + 2, lines);
    } else {
      lines.push(`${pad}${key}: ${isCollection(v) ? emptyText(v) : scalarText(v)}`);
    }
  }
}

/** YAML text of the data, ending with a newline. */
export function dumpYaml(value: unknown): string {
  if (!isCollection(value)) return `${scalarText(value)}\n...\n`;
  if (isEmpty(value)) return `${emptyText(value)}\n`;
  const lines: string[] = [];
  block(value, 0, lines);
  return `${lines.join('\n')}\n`;
}
