// Numbers as Python holds them, where a JavaScript number would print them
// differently: a float with a whole value (4.0, 1000.0 from `1e3` in INI),
// a float Python writes in exponent form (1e-05, 1.5e+16), -0.0, inf/nan,
// and an int beyond 2^53 (12345678901234567890 keeps its digits). Every
// other number stays a plain JS number, so most data is plain.
//
// The loaders (YAML, JSON, INI) produce these; `passthru inventory` prints
// them as ansible-inventory does. The engine sees plain numbers
// (plainData), since its expressions work on JS values.

/** A Python float whose JS rendering would differ from Python's repr. */
export class PyFloat {
  constructor(readonly value: number) {}
  valueOf(): number {
    return this.value;
  }
  toString(): string {
    return pyFloatRepr(this.value);
  }
}

/** A Python int too big for a JS number to hold exactly. */
export class PyInt {
  constructor(readonly value: bigint) {}
  valueOf(): number {
    return Number(this.value);
  }
  toString(): string {
    return this.value.toString();
  }
}

/** A YAML timestamp as Python holds it (a date or a datetime): JSON writes .isoformat(), str() and YAML the same with a space before the time. */
export class PyDate {
  constructor(readonly iso: string) {}
  toString(): string {
    return this.iso.replace('T', ' ');
  }
}

/** Text marked !unsafe: never templated; ansible-inventory prints it as {"__ansible_unsafe": text}. */
export class Unsafe {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

/** Python's repr() of a float (shortest round-trip digits; exponent form below 1e-4 and from 1e16). */
export function pyFloatRepr(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (!Number.isFinite(n)) return n > 0 ? 'inf' : '-inf';
  if (n === 0) return Object.is(n, -0) ? '-0.0' : '0.0';
  const [mantissa, expText] = Math.abs(n).toExponential().split('e') as [string, string];
  const exp = Number(expText);
  const digits = mantissa.replace('.', '');
  const sign = n < 0 ? '-' : '';
  if (exp < -4 || exp >= 16) {
    const e = `${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
    return `${sign}${mantissa}e${e}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  const whole = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
  const frac = digits.slice(exp + 1);
  return `${sign}${whole}.${frac === '' ? '0' : frac}`;
}

/** A float as Python holds it: a plain number where JS prints it the same, a PyFloat otherwise. */
export function pyFloat(n: number): number | PyFloat {
  return Number.isFinite(n) && pyFloatRepr(n) === String(n) ? n : new PyFloat(n);
}

/** An int as Python holds it: a plain number where it fits exactly, a PyInt otherwise. */
export function pyInt(n: bigint): number | PyInt {
  return n <= BigInt(Number.MAX_SAFE_INTEGER) && n >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(n) : new PyInt(n);
}

export function isPyNumber(v: unknown): v is PyFloat | PyInt {
  return v instanceof PyFloat || v instanceof PyInt;
}

/** a PyFloat, PyInt, PyDate or Unsafe: a value of the loaders that is not plain JS data */
export function isMarked(v: unknown): v is PyFloat | PyInt | PyDate | Unsafe {
  return isPyNumber(v) || v instanceof Unsafe || v instanceof PyDate;
}

/** `{{` and `{%` in !unsafe text written so that the engine's templating leaves them as they are */
function escapeTemplate(text: string): string {
  return text.replace(/\{\{|\{%/g, (m) => `{{ "${m}" }}`);
}

/**
 * The value with every PyFloat/PyInt made a plain number and every !unsafe
 * text a plain string (what the engine's expressions work on). With
 * `template: true` !unsafe text is escaped so that templating keeps it as written.
 */
export function plainData(v: unknown, opts: { template?: boolean } = {}): unknown {
  if (isPyNumber(v)) return v.valueOf();
  if (v instanceof Unsafe) return opts.template ? escapeTemplate(v.text) : v.text;
  if (v instanceof PyDate) return v.iso;
  if (Array.isArray(v)) return v.some(needsPlain) ? v.map((x) => plainData(x, opts)) : v;
  if (v !== null && typeof v === 'object' && needsPlain(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) Object.defineProperty(out, k, { value: plainData(x, opts), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return v;
}

function needsPlain(v: unknown): boolean {
  if (isMarked(v)) return true;
  if (Array.isArray(v)) return v.some(needsPlain);
  if (v !== null && typeof v === 'object') return Object.values(v).some(needsPlain);
  return false;
}

/** A number's text as Python's json.dumps writes it. */
function jsonNumber(v: number | PyFloat | PyInt): string {
  if (v instanceof PyInt) return v.toString();
  const n = v.valueOf();
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? 'Infinity' : '-Infinity';
  return v instanceof PyFloat ? pyFloatRepr(n) : String(n);
}

/** Python's json.dumps(value, sort_keys=True, indent=4) with ensure_ascii off, as ansible-inventory prints. */
export function pyJson(value: unknown, depth = 0): string {
  const pad = ' '.repeat(4 * (depth + 1));
  const end = ' '.repeat(4 * depth);
  if (typeof value === 'number' || isPyNumber(value)) return jsonNumber(value);
  if (value instanceof Unsafe) return pyJson({ __ansible_unsafe: value.text }, depth);
  if (value instanceof PyDate) return pyJsonString(value.iso);
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((v) => pad + pyJson(v, depth + 1)).join(',\n')}\n${end}]`;
  }
  if (value !== null && typeof value === 'object') {
    // written by hand: a JS object would put integer-like keys ("10", "2") first, whatever their sorted order
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort(byCodePoint);
    if (keys.length === 0) return '{}';
    return `{\n${keys.map((k) => `${pad}${pyJsonString(k)}: ${pyJson(obj[k], depth + 1)}`).join(',\n')}\n${end}}`;
  }
  if (typeof value === 'string') return pyJsonString(value);
  return JSON.stringify(value) ?? 'null';
}

/** Python's sort order of str: by code point (JS sorts by UTF-16 unit). */
export function byCodePoint(a: string, b: string): number {
  if (a === b) return 0;
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = (x[i] as string).codePointAt(0)! - (y[i] as string).codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/** json.dumps of a string with ensure_ascii=False: only ", \ and control characters escaped, as JSON.stringify does. */
function pyJsonString(s: string): string {
  return JSON.stringify(s);
}

/** Python's str() of a value (as `ansible-inventory --graph --vars` writes `{name = value}`). */
export function pyStr(v: unknown): string {
  if (v instanceof Unsafe || v instanceof PyDate) return v.toString();
  return typeof v === 'string' ? v : pyRepr(v);
}

/** Python's repr() of the data a loader produces. */
export function pyRepr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (v instanceof PyFloat) return v.toString();
  if (v instanceof PyInt) return v.toString();
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return pyStringRepr(v);
  if (v instanceof Unsafe) return pyStringRepr(v.text);
  if (v instanceof PyDate) return pyDateRepr(v.iso);
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  if (typeof v === 'object') {
    return `{${Object.entries(v).map(([k, x]) => `${pyStringRepr(k)}: ${pyRepr(x)}`).join(', ')}}`;
  }
  return String(v);
}

function pyStringRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === quote || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + quote;
}

/** repr() of a date or datetime: datetime.date(2024, 1, 5), datetime.datetime(2024, 1, 5, 10, 20, 30) */
function pyDateRepr(iso: string): string {
  const m = /^(\d+)-(\d+)-(\d+)(?:T(\d+):(\d+):(\d+)(?:\.(\d+))?)?/.exec(iso);
  if (!m) return pyStringRepr(iso);
  const n = (i: number): string => String(Number(m[i]));
  if (m[4] === undefined) return `datetime.date(${n(1)}, ${n(2)}, ${n(3)})`;
  const parts = [n(1), n(2), n(3), n(4), n(5)];
  if (Number(m[6]) || m[7]) parts.push(n(6));
  if (m[7]) parts.push(n(7));
  return `datetime.datetime(${parts.join(', ')}${/[+-]\d\d:\d\d$/.test(iso) ? ', tzinfo=...' : ''})`;
}
