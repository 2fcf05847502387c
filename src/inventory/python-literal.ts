// Python's ast.literal_eval, as Ansible's INI reader applies it to every
// value: `1` is an int, `1.5` a float, `True` a bool, `None` null, `'x'` a
// string, `[1, 2]` a list, `{'a': 1}` a dict; anything Python cannot read
// as a literal (yes, true, 010, {a: 1}, hello) stays the text it was.

import { setOwn } from '../util/own.ts';
import { pyFloat, pyFloatRepr, pyInt } from '../yaml/py-values.ts';

export type PyValue =
  | { t: 'int'; v: bigint }
  | { t: 'float'; v: number }
  | { t: 'complex' }
  | { t: 'bool'; v: boolean }
  | { t: 'none' }
  | { t: 'ellipsis' }
  | { t: 'str'; v: string }
  | { t: 'bytes'; v: Uint8Array }
  | { t: 'list' | 'tuple' | 'set'; v: PyValue[] }
  | { t: 'dict'; v: Array<[PyValue, PyValue]> };

/** Thrown where Python raises TypeError (an unhashable dict key or set item): Ansible fails on it. */
export class PyLiteralTypeError extends Error {}

class NotLiteral extends Error {}

const MAX_DEPTH = 190; // CPython refuses deeper nesting with a SyntaxError

type Tok =
  | { k: 'num'; text: string; imag: boolean; float: boolean }
  | { k: 'str'; value: string; bytes: boolean; fstring: boolean }
  | { k: 'name'; text: string }
  | { k: 'op'; text: string }
  | { k: 'end' };

const OPS = ['...', '(', ')', '[', ']', '{', '}', ',', ':', '-', '+'];
// Python identifier characters (close enough to str.isidentifier for our use)
const ID_START = /[\p{L}\p{Nl}_]/u;
const ID_CONT = /[\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}_]/u;
const STRING_PREFIX = /^(?:r|u|b|br|rb|f|fr|rf)$/i;

function tokenize(src: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i] as string;
    if (c === ' ' || c === '\t' || c === '\f') { i++; continue; }
    if (c === '#') break; // comment to the end of the line
    if (c === '\n' || c === '\r') throw new NotLiteral();
    // numbers
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(src[i + 1] ?? ''))) {
      const m = /^(?:0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|(?:(?:[0-9](?:_?[0-9])*)?\.[0-9](?:_?[0-9])*|[0-9](?:_?[0-9])*\.)(?:[eE][+-]?[0-9](?:_?[0-9])*)?[jJ]?|[0-9](?:_?[0-9])*[eE][+-]?[0-9](?:_?[0-9])*[jJ]?|[0-9](?:_?[0-9])*[jJ]?)/.exec(src.slice(i));
      if (!m) throw new NotLiteral();
      const text = m[0];
      const next = src[i + text.length] ?? '';
      if (ID_CONT.test(next) || next === '.') throw new NotLiteral(); // 1abc, 1_, 1.2.3
      const imag = /[jJ]$/.test(text);
      const isFloat = !/^0[xXoObB]/.test(text) && /[.eE]/.test(text);
      if (!imag && !isFloat && !/^0[xXoObB]/.test(text) && /^0/.test(text) && !/^0(?:_?0)*$/.test(text)) {
        throw new NotLiteral(); // 010: leading zeros are a SyntaxError
      }
      toks.push({ k: 'num', text, imag, float: isFloat });
      i += text.length;
      continue;
    }
    // names and string prefixes
    if (ID_START.test(c)) {
      let j = i + 1;
      while (j < src.length && ID_CONT.test(src[j] as string)) j++;
      const word = src.slice(i, j);
      if ((src[j] === "'" || src[j] === '"') && STRING_PREFIX.test(word)) {
        const [tok, end] = readString(src, j, word.toLowerCase());
        toks.push(tok);
        i = end;
        continue;
      }
      toks.push({ k: 'name', text: word });
      i = j;
      continue;
    }
    if (c === "'" || c === '"') {
      const [tok, end] = readString(src, i, '');
      toks.push(tok);
      i = end;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (!op) throw new NotLiteral();
    toks.push({ k: 'op', text: op });
    i += op.length;
  }
  toks.push({ k: 'end' });
  return toks;
}

function readString(src: string, start: number, prefix: string): [Tok, number] {
  const raw = prefix.includes('r');
  const bytes = prefix.includes('b');
  const fstring = prefix.includes('f');
  const q = src[start] as string;
  const triple = src.startsWith(q.repeat(3), start);
  const delim = triple ? q.repeat(3) : q;
  let i = start + delim.length;
  let out = '';
  for (;;) {
    if (i >= src.length) throw new NotLiteral(); // unterminated
    if (src.startsWith(delim, i)) { i += delim.length; break; }
    const c = src[i] as string;
    if (bytes && c.charCodeAt(0) > 0x7f) throw new NotLiteral(); // bytes can only contain ASCII
    if (c !== '\\') { out += c; i++; continue; }
    const n = src[i + 1];
    if (n === undefined) throw new NotLiteral();
    if (raw) { out += c + n; i += 2; continue; }
    i += 2;
    switch (n) {
      case '\\': out += '\\'; break;
      case "'": out += "'"; break;
      case '"': out += '"'; break;
      case 'a': out += '\x07'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'v': out += '\v'; break;
      case 'x': {
        const h = src.slice(i, i + 2);
        if (!/^[0-9a-fA-F]{2}$/.test(h)) throw new NotLiteral();
        out += String.fromCharCode(parseInt(h, 16));
        i += 2;
        break;
      }
      case 'u':
      case 'U': {
        if (bytes) { out += '\\' + n; break; }
        const len = n === 'u' ? 4 : 8;
        const h = src.slice(i, i + len);
        if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(h)) throw new NotLiteral();
        const cp = parseInt(h, 16);
        if (cp > 0x10ffff) throw new NotLiteral();
        out += String.fromCodePoint(cp);
        i += len;
        break;
      }
      case 'N':
        if (bytes) { out += '\\N'; break; }
        throw new NotLiteral(); // \N{NAME}: no Unicode name table here; keep the text
      default:
        if (/[0-7]/.test(n)) {
          let oct = n;
          while (oct.length < 3 && /[0-7]/.test(src[i] ?? '')) { oct += src[i]; i++; }
          out += String.fromCharCode(parseInt(oct, 8));
        } else {
          out += '\\' + n; // unknown escapes are kept as they are
        }
    }
  }
  return [{ k: 'str', value: out, bytes, fstring }, i];
}

class Parser {
  private pos = 0;
  /** values made by a unary sign or a binary +/-: Python keeps those as operations, not constants */
  private readonly operations = new WeakSet<PyValue>();
  constructor(private readonly toks: Tok[]) {}

  private peek(): Tok { return this.toks[this.pos] as Tok; }
  private isOp(text: string): boolean {
    const t = this.peek();
    return t.k === 'op' && t.text === text;
  }
  private take(text: string): void {
    if (!this.isOp(text)) throw new NotLiteral();
    this.pos++;
  }

  /** top level: an expression, or a bare tuple `1, 2` */
  parseTop(): PyValue {
    const first = this.parseExpr(0);
    let result = first;
    if (this.isOp(',')) {
      const items = [first];
      while (this.isOp(',')) {
        this.pos++;
        if (this.peek().k === 'end') break;
        items.push(this.parseExpr(0));
      }
      result = { t: 'tuple', v: items };
    }
    if (this.peek().k !== 'end') throw new NotLiteral();
    return result;
  }

  private parseExpr(depth: number): PyValue {
    if (depth > MAX_DEPTH) throw new NotLiteral();
    const t = this.peek();
    if (t.k === 'op' && (t.text === '-' || t.text === '+')) {
      this.pos++;
      const operand = this.parseAtom(depth + 1);
      // literal_eval only allows a sign on a number constant (not a bool, not `-(-1)`)
      if (this.operations.has(operand)) throw new NotLiteral();
      let signed: PyValue;
      if (operand.t === 'int') signed = { t: 'int', v: t.text === '-' ? -operand.v : operand.v };
      else if (operand.t === 'float') signed = { t: 'float', v: t.text === '-' ? -operand.v : operand.v };
      else if (operand.t === 'complex') signed = { t: 'complex' };
      else throw new NotLiteral();
      this.operations.add(signed);
      return this.afterSignedNumber(signed);
    }
    const atom = this.parseAtom(depth + 1);
    if (atom.t === 'int' || atom.t === 'float' || atom.t === 'complex') return this.afterSignedNumber(atom);
    if (this.isOp('+') || this.isOp('-')) throw new NotLiteral();
    return atom;
  }

  /** `1+2j` / `1-2j` make a complex; any other + or - is not a literal */
  private afterSignedNumber(left: PyValue): PyValue {
    if (!this.isOp('+') && !this.isOp('-')) return left;
    this.pos++;
    const right = this.parseAtom(0);
    if (left.t !== 'complex' && right.t === 'complex' && !this.operations.has(right)) {
      if (this.isOp('+') || this.isOp('-')) throw new NotLiteral();
      const result: PyValue = { t: 'complex' };
      this.operations.add(result);
      return result;
    }
    throw new NotLiteral();
  }

  private parseAtom(depth: number): PyValue {
    if (depth > MAX_DEPTH) throw new NotLiteral();
    const t = this.peek();
    switch (t.k) {
      case 'num':
        this.pos++;
        return numberValue(t);
      case 'str': {
        // adjacent literals are concatenated; str and bytes cannot be mixed
        let value = '';
        let bytes: boolean | undefined;
        let fstring = false;
        while (this.peek().k === 'str') {
          const s = this.peek() as Extract<Tok, { k: 'str' }>;
          if (bytes !== undefined && bytes !== s.bytes) throw new NotLiteral();
          bytes = s.bytes;
          fstring ||= s.fstring;
          value += s.value;
          this.pos++;
        }
        if (fstring) throw new NotLiteral(); // an f-string is a JoinedStr, not a constant
        if (bytes) return { t: 'bytes', v: Uint8Array.from(value, (ch) => ch.charCodeAt(0) & 0xff) };
        return { t: 'str', v: value };
      }
      case 'name':
        this.pos++;
        if (t.text === 'True') return { t: 'bool', v: true };
        if (t.text === 'False') return { t: 'bool', v: false };
        if (t.text === 'None') return { t: 'none' };
        if (t.text === 'set' && this.isOp('(')) {
          this.pos++;
          this.take(')');
          return { t: 'set', v: [] };
        }
        throw new NotLiteral();
      case 'op':
        if (t.text === '...') { this.pos++; return { t: 'ellipsis' }; }
        if (t.text === '(') return this.parseParen(depth);
        if (t.text === '[') return this.parseList(depth);
        if (t.text === '{') return this.parseBrace(depth);
        throw new NotLiteral();
      case 'end':
        throw new NotLiteral();
    }
  }

  private parseParen(depth: number): PyValue {
    this.take('(');
    if (this.isOp(')')) { this.pos++; return { t: 'tuple', v: [] }; }
    const first = this.parseExpr(depth + 1);
    if (this.isOp(')')) { this.pos++; return first; } // just parentheses
    const items = [first];
    while (this.isOp(',')) {
      this.pos++;
      if (this.isOp(')')) break;
      items.push(this.parseExpr(depth + 1));
    }
    this.take(')');
    return { t: 'tuple', v: items };
  }

  private parseList(depth: number): PyValue {
    this.take('[');
    const items: PyValue[] = [];
    while (!this.isOp(']')) {
      items.push(this.parseExpr(depth + 1));
      if (!this.isOp(',')) break;
      this.pos++;
    }
    this.take(']');
    return { t: 'list', v: items };
  }

  private parseBrace(depth: number): PyValue {
    this.take('{');
    if (this.isOp('}')) { this.pos++; return { t: 'dict', v: [] }; }
    const first = this.parseExpr(depth + 1);
    if (this.isOp(':')) {
      this.pos++;
      const pairs: Array<[PyValue, PyValue]> = [[first, this.parseExpr(depth + 1)]];
      while (this.isOp(',')) {
        this.pos++;
        if (this.isOp('}')) break;
        const k = this.parseExpr(depth + 1);
        this.take(':');
        pairs.push([k, this.parseExpr(depth + 1)]);
      }
      this.take('}');
      for (const [k] of pairs) assertHashable(k);
      return { t: 'dict', v: pairs };
    }
    const items = [first];
    while (this.isOp(',')) {
      this.pos++;
      if (this.isOp('}')) break;
      items.push(this.parseExpr(depth + 1));
    }
    this.take('}');
    for (const item of items) assertHashable(item);
    return { t: 'set', v: items };
  }
}

function assertHashable(v: PyValue): void {
  if (v.t === 'list' || v.t === 'dict' || v.t === 'set') {
    throw new PyLiteralTypeError(`unhashable type: '${v.t}'`);
  }
  if (v.t === 'tuple') v.v.forEach(assertHashable);
}

function numberValue(t: Extract<Tok, { k: 'num' }>): PyValue {
  if (t.imag) return { t: 'complex' };
  const clean = t.text.replace(/_/g, '');
  if (t.float) return { t: 'float', v: Number(clean) };
  const body = clean.replace(/^0[oO]/, '0o').replace(/^0[xX]/, '0x').replace(/^0[bB]/, '0b');
  return { t: 'int', v: BigInt(body) };
}

/** ast.literal_eval(text): the Python value, or undefined where Python raises ValueError/SyntaxError. */
export function literalEval(text: string): PyValue | undefined {
  const src = text.replace(/^[ \t]+/, '');
  try {
    return new Parser(tokenize(src)).parseTop();
  } catch (e) {
    if (e instanceof NotLiteral) return undefined;
    throw e;
  }
}

/** The JSON-shaped value Ansible ends up with (ints, floats, str, lists, dicts; bytes decoded as UTF-8). */
export function toJs(v: PyValue): unknown {
  switch (v.t) {
    case 'int': return pyInt(v.v);
    case 'float': return pyFloat(v.v);
    case 'bool': return v.v;
    case 'none': return null;
    case 'str': return v.v;
    case 'bytes': return new TextDecoder('utf-8').decode(v.v);
    case 'list':
    case 'tuple':
    case 'set':
      return v.v.map(toJs);
    case 'dict': {
      const o: Record<string, unknown> = {};
      for (const [k, val] of v.v) setOwn(o, dictKey(k), toJs(val));
      return o;
    }
    case 'complex':
    case 'ellipsis':
      return undefined;
  }
}

/** How Python's json.dumps writes a dict key. */
function dictKey(k: PyValue): string {
  switch (k.t) {
    case 'str': return k.v;
    case 'int': return k.v.toString();
    case 'float': return pyFloatRepr(k.v);
    case 'bool': return k.v ? 'true' : 'false';
    case 'none': return 'null';
    case 'bytes': return new TextDecoder('utf-8').decode(k.v);
    default: return JSON.stringify(toJs(k));
  }
}

/**
 * Ansible's INI `_parse_value`: literal_eval the text; keep the text when
 * Python cannot read it as a literal (or reads a value JSON cannot hold).
 */
export function iniValue(text: string): unknown {
  const v = literalEval(text);
  if (v === undefined || !jsonable(v)) return text;
  return toJs(v);
}

/** complex numbers and Ellipsis have no JSON form (ansible-inventory fails on them) */
function jsonable(v: PyValue): boolean {
  if (v.t === 'complex' || v.t === 'ellipsis') return false;
  if (v.t === 'list' || v.t === 'tuple' || v.t === 'set') return v.v.every(jsonable);
  if (v.t === 'dict') return v.v.every(([k, val]) => jsonable(k) && jsonable(val));
  return true;
}
