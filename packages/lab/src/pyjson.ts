// Python's json.loads (CPython 3.11, C scanner) with its exact error
// messages, and Python's repr() of the values it returns: nova quotes both in
// its exceptions, so the lab's nova checks must produce the same text.

export type PyValue = null | boolean | number | string | PyValue[] | PyDict | PyFloat;
export class PyDict {
  constructor(readonly entries: Array<[string, PyValue]>) {}
  get(k: string): PyValue | undefined {
    let v: PyValue | undefined;
    for (const [kk, vv] of this.entries) if (kk === k) v = vv;
    return v;
  }
  has(k: string): boolean {
    return this.entries.some(([kk]) => kk === k);
  }
  /** keys in insertion order, later duplicates replace earlier ones in place (as a Python dict does) */
  keys(): string[] {
    const seen: string[] = [];
    for (const [k] of this.entries) if (!seen.includes(k)) seen.push(k);
    return seen;
  }
}
export class PyFloat {
  constructor(readonly value: number, readonly text: string) {}
}

export class PyJsonError extends Error {
  constructor(
    readonly msg: string,
    readonly doc: string,
    readonly pos: number,
  ) {
    const lineno = countChar(doc.slice(0, pos), '\n') + 1;
    const last = doc.lastIndexOf('\n', pos - 1);
    const colno = last < 0 ? pos + 1 : pos - last;
    super(`${msg}: line ${lineno} column ${colno} (char ${pos})`);
  }
}

function countChar(s: string, c: string): number {
  let n = 0;
  for (const ch of s) if (ch === c) n++;
  return n;
}

const WS = /[ \t\n\r]*/y;

function skipWs(s: string, i: number): number {
  WS.lastIndex = i;
  WS.exec(s);
  return WS.lastIndex;
}

class StopIteration {
  constructor(readonly pos: number) {}
}

const NUMBER = /(-?(?:0|[1-9]\d*))(\.\d+)?([eE][-+]?\d+)?/y;

function scanOnce(s: string, idx: number): [PyValue, number] {
  const c = s[idx];
  if (c === undefined) throw new StopIteration(idx);
  if (c === '"') return scanString(s, idx + 1);
  if (c === '{') return parseObject(s, idx + 1);
  if (c === '[') return parseArray(s, idx + 1);
  if (c === 'n' && s.startsWith('null', idx)) return [null, idx + 4];
  if (c === 't' && s.startsWith('true', idx)) return [true, idx + 4];
  if (c === 'f' && s.startsWith('false', idx)) return [false, idx + 5];
  NUMBER.lastIndex = idx;
  const m = NUMBER.exec(s);
  if (m && m.index === idx) {
    if (m[2] || m[3]) return [new PyFloat(Number(m[0]), m[0]), idx + m[0].length];
    return [Number(m[1]), idx + m[0].length];
  }
  if (c === 'N' && s.startsWith('NaN', idx)) return [new PyFloat(NaN, 'nan'), idx + 3];
  if (c === 'I' && s.startsWith('Infinity', idx)) return [new PyFloat(Infinity, 'inf'), idx + 8];
  if (c === '-' && s.startsWith('-Infinity', idx)) return [new PyFloat(-Infinity, '-inf'), idx + 9];
  throw new StopIteration(idx);
}

function scanString(s: string, end: number): [string, number] {
  const begin = end - 1;
  let out = '';
  for (;;) {
    if (end >= s.length) throw new PyJsonError('Unterminated string starting at', s, begin);
    const ch = s[end] as string;
    if (ch === '"') return [out, end + 1];
    if (ch === '\\') {
      const e = s[end + 1];
      if (e === undefined) throw new PyJsonError('Unterminated string starting at', s, begin);
      const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
      if (e in simple) {
        out += simple[e];
        end += 2;
        continue;
      }
      if (e === 'u') {
        const hex = s.slice(end + 2, end + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new PyJsonError('Invalid \\uXXXX escape', s, end + 1);
        out += String.fromCharCode(Number.parseInt(hex, 16));
        end += 6;
        continue;
      }
      throw new PyJsonError('Invalid \\escape', s, end);
    }
    if (ch.charCodeAt(0) < 0x20) throw new PyJsonError('Invalid control character at', s, end);
    out += ch;
    end++;
  }
}

function parseObject(s: string, end: number): [PyDict, number] {
  const entries: Array<[string, PyValue]> = [];
  end = skipWs(s, end);
  let next = s[end];
  if (next !== '"') {
    if (next === '}') return [new PyDict(entries), end + 1];
    throw new PyJsonError('Expecting property name enclosed in double quotes', s, end);
  }
  end++;
  for (;;) {
    const [key, e1] = scanString(s, end);
    end = skipWs(s, e1);
    if (s[end] !== ':') throw new PyJsonError("Expecting ':' delimiter", s, end);
    end = skipWs(s, end + 1);
    let value: PyValue;
    try {
      [value, end] = scanOnce(s, end);
    } catch (e) {
      if (e instanceof StopIteration) throw new PyJsonError('Expecting value', s, e.pos);
      throw e;
    }
    entries.push([key, value]);
    end = skipWs(s, end);
    next = s[end];
    end++;
    if (next === '}') break;
    if (next !== ',') throw new PyJsonError("Expecting ',' delimiter", s, end - 1);
    end = skipWs(s, end);
    next = s[end];
    end++;
    if (next !== '"') throw new PyJsonError('Expecting property name enclosed in double quotes', s, end - 1);
  }
  return [new PyDict(entries), end];
}

function parseArray(s: string, end: number): [PyValue[], number] {
  const values: PyValue[] = [];
  end = skipWs(s, end);
  if (s[end] === ']') return [values, end + 1];
  for (;;) {
    let value: PyValue;
    try {
      [value, end] = scanOnce(s, end);
    } catch (e) {
      if (e instanceof StopIteration) throw new PyJsonError('Expecting value', s, e.pos);
      throw e;
    }
    values.push(value);
    end = skipWs(s, end);
    const next = s[end];
    end++;
    if (next === ']') break;
    if (next !== ',') throw new PyJsonError("Expecting ',' delimiter", s, end - 1);
    end = skipWs(s, end);
  }
  return [values, end];
}

/** json.loads(s) */
export function pyJsonLoads(s: string): PyValue {
  const idx = skipWs(s, 0);
  let obj: PyValue;
  let end: number;
  try {
    [obj, end] = scanOnce(s, idx);
  } catch (e) {
    if (e instanceof StopIteration) throw new PyJsonError('Expecting value', s, e.pos);
    throw e;
  }
  end = skipWs(s, end);
  if (end !== s.length) throw new PyJsonError('Extra data', s, end);
  return obj;
}

/** repr() of a Python str */
export function pyStrRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + quote;
}

/** repr() of a value json.loads returned */
export function pyRepr(v: PyValue): string {
  if (v === null) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return pyStrRepr(v);
  if (v instanceof PyFloat) {
    if (Number.isNaN(v.value)) return 'nan';
    if (!Number.isFinite(v.value)) return v.value > 0 ? 'inf' : '-inf';
    const r = String(v.value);
    return /[.e]/.test(r) ? r.replace('e+', 'e+') : `${r}.0`;
  }
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  const d = v;
  return `{${d.keys().map((k) => `${pyStrRepr(k)}: ${pyRepr(d.get(k) as PyValue)}`).join(', ')}}`;
}

export function pyTypeName(v: PyValue): string {
  if (v === null) return 'NoneType';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return 'int';
  if (typeof v === 'string') return 'str';
  if (v instanceof PyFloat) return 'float';
  if (Array.isArray(v)) return 'list';
  return 'dict';
}
