// The expression language of templates (`{{ expr }}`) and of when/until/
// changed_when/failed_when: a small, documented subset of Jinja's.
//
// A hand-written tokenizer and recursive-descent parser build a tree; the
// evaluator walks it. No eval, no Function(), no access to JavaScript
// properties that the data does not own.
//
// Grammar, lowest precedence first:
//   or      := and ('or' and)*
//   and     := not ('and' not)*
//   not     := 'not' not | compare
//   compare := filter [('=='|'!='|'<'|'<='|'>'|'>='|'in'|'not' 'in') filter]
//   filter  := unary ('|' NAME ['(' args ')'] | 'is' ['not'] NAME)*
//   unary   := '-' unary | postfix
//   postfix := primary ('.' NAME | '.' INT | '[' or ']')*
//   primary := NUMBER | STRING | true | false | none | NAME | '(' or ')'
//            | '[' [or (',' or)*] ']' | '{' [or ':' or (',' ...)*] '}'
//
// Error messages never contain variable values (they may be secrets): they
// name the expression, the variable and the type of a value.

import type { Vars } from '../inventory/types.ts';
import { didYouMean } from './suggest.ts';

export type { Vars };

/** An error in an expression; template.ts turns it into a ConfigError with the location. */
export class ExprError extends Error {
  readonly hint: string | undefined;
  /** the message already quotes the expression (syntax errors) */
  readonly quotesSource: boolean;
  constructor(message: string, hint?: string, quotesSource = false) {
    super(message);
    this.name = 'ExprError';
    this.hint = hint;
    this.quotesSource = quotesSource;
  }
}

/** The value of a name or key that does not exist. Using it (other than with `default` or `is defined`) is an error. */
export class Undefined {
  /** the expression text that is undefined, e.g. `gpu_alias` or `hostvars[host].gpus` */
  readonly what: string;
  /** true when a top-level variable is missing (as opposed to a key of a value) */
  readonly variable: boolean;
  readonly reason: string | undefined;
  constructor(what: string, variable: boolean, reason?: string) {
    this.what = what;
    this.variable = variable;
    this.reason = reason;
  }
}

export function undefinedError(u: Undefined): ExprError {
  if (u.variable) {
    return new ExprError(
      `undefined variable "${u.what}"`,
      `define it (-e ${u.what}=..., in the play's vars or in the inventory), or give a fallback: ${u.what} | default(...)`,
    );
  }
  return new ExprError(
    `"${u.what}" is undefined${u.reason ? ` (${u.reason})` : ''}`,
    'check the name, or give a fallback with | default(...)',
  );
}

// ---------------------------------------------------------------- tokens

type TokType = 'name' | 'num' | 'str' | 'op' | 'eof';
interface Tok {
  type: TokType;
  value: string;
  num?: number;
  pos: number;
}

const OPS2 = ['==', '!=', '<=', '>='];
const OPS1 = '<>()[]{},:.|=-';

export function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i] ?? '';
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const start = i;
    if (/[A-Za-z_]/.test(c)) {
      while (i < src.length && /[A-Za-z0-9_]/.test(src[i] ?? '')) i++;
      out.push({ type: 'name', value: src.slice(start, i), pos: start });
      continue;
    }
    if (/[0-9]/.test(c)) {
      const m = /^(?:\d+\.\d+|\d+)(?:[eE][+-]?\d+)?/.exec(src.slice(i));
      const text = m?.[0] ?? c;
      i += text.length;
      if (/[A-Za-z_]/.test(src[i] ?? '')) throw syntax(src, i, `unexpected "${src[i]}" after the number ${text}`);
      out.push({ type: 'num', value: text, num: Number(text), pos: start });
      continue;
    }
    if (c === '"' || c === "'") {
      i++;
      let s = '';
      for (;;) {
        if (i >= src.length) throw syntax(src, start, 'a string is not closed', `add the closing ${c}`);
        const d = src[i] ?? '';
        if (d === c) {
          i++;
          break;
        }
        if (d === '\\') {
          const e = src[i + 1] ?? '';
          const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0' };
          s += map[e] ?? `\\${e}`;
          i += 2;
          continue;
        }
        s += d;
        i++;
      }
      out.push({ type: 'str', value: s, pos: start });
      continue;
    }
    const two = src.slice(i, i + 2);
    if (OPS2.includes(two)) {
      out.push({ type: 'op', value: two, pos: start });
      i += 2;
      continue;
    }
    if (OPS1.includes(c)) {
      out.push({ type: 'op', value: c, pos: start });
      i++;
      continue;
    }
    if ('+*/%~'.includes(c)) {
      throw syntax(src, i, `"${c}" is not supported`, 'passthru expressions have no arithmetic or ~ concatenation; write text around {{ }} instead');
    }
    if (c === '&' || (c === '!' && src[i + 1] !== '=')) {
      throw syntax(src, i, `unexpected "${c}"`, 'write "and", "or", "not"');
    }
    throw syntax(src, i, `unexpected character "${c}"`);
  }
  out.push({ type: 'eof', value: '', pos: src.length });
  return out;
}

function syntax(src: string, pos: number, message: string, hint?: string): ExprError {
  let shown = src;
  if (src.length > 80) {
    const from = Math.max(0, pos - 30);
    shown = `${from > 0 ? '...' : ''}${src.slice(from, from + 60)}${from + 60 < src.length ? '...' : ''}`;
  }
  return new ExprError(`${message} at character ${pos + 1} of "${shown}"`, hint, true);
}

// ---------------------------------------------------------------- tree

export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'not in';

export type Expr =
  | { t: 'lit'; v: unknown }
  | { t: 'var'; name: string }
  | { t: 'get'; obj: Expr; key: Expr; text: string }
  | { t: 'list'; items: Expr[] }
  | { t: 'dict'; entries: Array<[Expr, Expr]> }
  | { t: 'neg'; e: Expr }
  | { t: 'not'; e: Expr }
  | { t: 'and' | 'or'; l: Expr; r: Expr }
  | { t: 'cmp'; op: CompareOp; l: Expr; r: Expr }
  | { t: 'test'; e: Expr; name: string; negate: boolean }
  | { t: 'filter'; e: Expr; name: string; argExprs: Expr[] };

const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'is']);
const CONSTANTS: Record<string, unknown> = {
  true: true,
  True: true,
  false: false,
  False: false,
  none: null,
  None: null,
  null: null,
};

const MAX_NESTING = 100;

class Parser {
  private i = 0;
  private depth = 0;
  constructor(
    private readonly src: string,
    private readonly toks: Tok[],
  ) {}

  private peek(o = 0): Tok {
    return this.toks[Math.min(this.i + o, this.toks.length - 1)] as Tok;
  }
  private next(): Tok {
    const t = this.peek();
    if (this.i < this.toks.length - 1) this.i++;
    return t;
  }
  private isOp(v: string, o = 0): boolean {
    const t = this.peek(o);
    return t.type === 'op' && t.value === v;
  }
  private isName(v: string, o = 0): boolean {
    const t = this.peek(o);
    return t.type === 'name' && t.value === v;
  }
  private expectOp(v: string): Tok {
    const t = this.peek();
    if (t.type !== 'op' || t.value !== v) throw this.unexpected(t, `expected "${v}"`);
    return this.next();
  }
  private unexpected(t: Tok, what?: string): ExprError {
    const got = t.type === 'eof' ? 'end of expression' : `"${t.type === 'str' ? `'${t.value}'` : t.value}"`;
    return syntax(this.src, t.pos, `unexpected ${got}${what ? ` (${what})` : ''}`);
  }

  parseAll(): Expr {
    if (this.peek().type === 'eof') throw new ExprError('empty expression', 'write an expression, e.g. my_var or my_var == "x"');
    const e = this.or();
    const t = this.peek();
    if (t.type !== 'eof') {
      if (t.type === 'op' && ['==', '!=', '<', '<=', '>', '>='].includes(t.value)) {
        throw syntax(this.src, t.pos, 'chained comparison', 'compare two values at a time and join them with "and"');
      }
      throw this.unexpected(t);
    }
    return e;
  }

  private nested<T>(f: () => T): T {
    if (++this.depth > MAX_NESTING) {
      throw syntax(this.src, this.peek().pos, `the expression is nested more than ${MAX_NESTING} levels deep`, 'simplify the expression');
    }
    try {
      return f();
    } finally {
      this.depth--;
    }
  }

  private or(): Expr {
    return this.nested(() => {
      let l = this.and();
      while (this.isName('or')) {
        this.next();
        l = { t: 'or', l, r: this.and() };
      }
      return l;
    });
  }
  private and(): Expr {
    let l = this.not();
    while (this.isName('and')) {
      this.next();
      l = { t: 'and', l, r: this.not() };
    }
    return l;
  }
  private not(): Expr {
    if (this.isName('not')) {
      this.next();
      return this.nested(() => ({ t: 'not', e: this.not() }));
    }
    return this.compare();
  }
  private compare(): Expr {
    const l = this.filtered();
    const t = this.peek();
    let op: CompareOp | undefined;
    if (t.type === 'op' && ['==', '!=', '<', '<=', '>', '>='].includes(t.value)) op = t.value as CompareOp;
    else if (this.isName('in')) op = 'in';
    else if (this.isName('not') && this.isName('in', 1)) op = 'not in';
    if (op === undefined) return l;
    this.next();
    if (op === 'not in') this.next();
    return { t: 'cmp', op, l, r: this.filtered() };
  }
  private filtered(): Expr {
    let e = this.unary();
    for (;;) {
      if (this.isOp('|')) {
        this.next();
        const nameTok = this.next();
        if (nameTok.type !== 'name') throw this.unexpected(nameTok, 'expected a filter name after |');
        const name = nameTok.value;
        const argExprs: Expr[] = [];
        const kw = new Map<string, Expr>();
        if (this.isOp('(')) {
          this.next();
          while (!this.isOp(')')) {
            if (this.peek().type === 'name' && this.isOp('=', 1)) {
              const kt = this.next();
              if (kw.has(kt.value)) throw syntax(this.src, kt.pos, `${name}: argument "${kt.value}" given twice`);
              this.next();
              kw.set(kt.value, this.or());
            } else {
              if (kw.size > 0) throw this.unexpected(this.peek(), 'a positional argument after a named one');
              argExprs.push(this.or());
            }
            if (this.isOp(',')) this.next();
            else if (!this.isOp(')')) throw this.unexpected(this.peek(), 'expected "," or ")"');
          }
          this.next();
        }
        e = { t: 'filter', e, name, argExprs: bindFilterArgs(this.src, nameTok.pos, name, argExprs, kw) };
        continue;
      }
      if (this.isName('is')) {
        this.next();
        let negate = false;
        if (this.isName('not')) {
          this.next();
          negate = true;
        }
        const nameTok = this.next();
        if (nameTok.type !== 'name') throw this.unexpected(nameTok, 'expected a test name after "is"');
        const name = nameTok.value === 'none' || nameTok.value === 'None' ? 'none' : nameTok.value;
        if (!Object.hasOwn(TESTS, name)) {
          throw syntax(this.src, nameTok.pos, `unknown test "${name}"${didYouMean(name, Object.keys(TESTS))}`, `tests: ${Object.keys(TESTS).join(', ')}`);
        }
        e = { t: 'test', e, name, negate };
        continue;
      }
      return e;
    }
  }
  private unary(): Expr {
    if (this.isOp('-')) {
      this.next();
      return this.nested(() => ({ t: 'neg', e: this.unary() }));
    }
    return this.postfix();
  }
  private postfix(): Expr {
    const start = this.peek().pos;
    let e = this.primary();
    for (;;) {
      if (this.isOp('.')) {
        this.next();
        const t = this.next();
        let key: Expr;
        if (t.type === 'name') key = { t: 'lit', v: t.value };
        else if (t.type === 'num' && /^\d+$/.test(t.value)) key = { t: 'lit', v: t.num };
        else throw this.unexpected(t, 'expected a key name after "."');
        e = { t: 'get', obj: e, key, text: this.src.slice(start, t.pos + t.value.length).trim() };
        continue;
      }
      if (this.isOp('[')) {
        this.next();
        const key = this.or();
        const close = this.expectOp(']');
        e = { t: 'get', obj: e, key, text: this.src.slice(start, close.pos + 1).trim() };
        continue;
      }
      return e;
    }
  }
  private primary(): Expr {
    const t = this.next();
    switch (t.type) {
      case 'num':
        return { t: 'lit', v: t.num };
      case 'str':
        return { t: 'lit', v: t.value };
      case 'name':
        if (Object.hasOwn(CONSTANTS, t.value)) return { t: 'lit', v: CONSTANTS[t.value] };
        if (KEYWORDS.has(t.value)) throw this.unexpected(t);
        return { t: 'var', name: t.value };
      case 'op':
        if (t.value === '(') {
          const e = this.or();
          this.expectOp(')');
          return e;
        }
        if (t.value === '[') {
          const items: Expr[] = [];
          while (!this.isOp(']')) {
            items.push(this.or());
            if (this.isOp(',')) this.next();
            else if (!this.isOp(']')) throw this.unexpected(this.peek(), 'expected "," or "]"');
          }
          this.next();
          return { t: 'list', items };
        }
        if (t.value === '{') {
          const entries: Array<[Expr, Expr]> = [];
          while (!this.isOp('}')) {
            const k = this.or();
            this.expectOp(':');
            entries.push([k, this.or()]);
            if (this.isOp(',')) this.next();
            else if (!this.isOp('}')) throw this.unexpected(this.peek(), 'expected "," or "}"');
          }
          this.next();
          return { t: 'dict', entries };
        }
        throw this.unexpected(t);
      default:
        throw this.unexpected(t);
    }
  }
}

const MAX_CACHE = 2000;
const cache = new Map<string, Expr>();

/** Parse an expression (cached). Throws ExprError on a syntax error, an unknown filter or test, or bad filter arguments. */
export function parseExpression(src: string): Expr {
  const hit = cache.get(src);
  if (hit) return hit;
  const e = new Parser(src, tokenize(src)).parseAll();
  if (cache.size >= MAX_CACHE) cache.clear();
  cache.set(src, e);
  return e;
}

// ---------------------------------------------------------------- values

export function typeName(v: unknown): string {
  if (v instanceof Undefined) return 'undefined';
  if (v === null || v === undefined) return 'none';
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'object') return 'mapping';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'string') return 'string';
  return typeof v;
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Undefined);
}

/** Python's truthiness: false, none, 0, '', [] and {} are false. */
export function truthy(v: unknown): boolean {
  if (v instanceof Undefined) throw undefinedError(v);
  if (v === null || v === undefined || v === false || v === 0 || v === '') return false;
  if (typeof v === 'number' && Number.isNaN(v)) return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

/** How a value is written into text: strings as they are, none as '', lists and mappings as JSON. */
export function toText(v: unknown): string {
  if (v instanceof Undefined) throw undefinedError(v);
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v) ?? '';
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'number' && typeof b === 'number') return a === b;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isMapping(a) && isMapping(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/** The value of `obj[key]`, only for keys the data owns; an Undefined otherwise. */
function getKey(obj: unknown, key: unknown, text: string, literal: boolean): unknown {
  // a key computed from a variable is a value: never quote it
  if (obj instanceof Undefined) return obj;
  if (key instanceof Undefined) throw undefinedError(key);
  if (Array.isArray(obj) || typeof obj === 'string') {
    if (typeof key !== 'number' || !Number.isInteger(key)) {
      return new Undefined(text, false, `a ${typeName(obj)} is indexed by a whole number, not a ${typeName(key)}`);
    }
    const i = key < 0 ? obj.length + key : key;
    if (i < 0 || i >= obj.length) return new Undefined(text, false, `${literal ? `index ${key}` : 'the index'} is out of range: it has ${obj.length} item${obj.length === 1 ? '' : 's'}`);
    return obj[i];
  }
  if (isMapping(obj)) {
    if (typeof key !== 'string' && typeof key !== 'number') return new Undefined(text, false, `a mapping key must be a string, not a ${typeName(key)}`);
    const k = String(key);
    const own = Object.hasOwn(obj, k);
    // Keys inherited from Object.prototype (constructor, __proto__, toString...) are never data.
    const noKey = literal ? `no key "${k}"` : 'no such key';
    if (!own && (k in Object.prototype || k === '__proto__')) return new Undefined(text, false, noKey);
    const v = obj[k];
    if (v === undefined || typeof v === 'function') return new Undefined(text, false, noKey);
    return v;
  }
  return new Undefined(text, false, `a ${typeName(obj)} has no keys`);
}

function lookup(vars: Vars, name: string): unknown {
  if (!Object.hasOwn(vars, name)) return new Undefined(name, true);
  const v = vars[name];
  if (v === undefined || typeof v === 'function') return new Undefined(name, true);
  return v;
}

function defined(v: unknown): unknown {
  if (v instanceof Undefined) throw undefinedError(v);
  return v;
}

function compare(op: CompareOp, a: unknown, b: unknown): boolean {
  defined(a);
  defined(b);
  switch (op) {
    case '==':
      return deepEqual(a, b);
    case '!=':
      return !deepEqual(a, b);
    case 'in':
    case 'not in': {
      let r: boolean;
      if (Array.isArray(b)) r = b.some((x) => deepEqual(a, x));
      else if (typeof b === 'string') {
        if (typeof a !== 'string') throw new ExprError(`"in" a string needs a string on the left, not a ${typeName(a)}`);
        r = b.includes(a);
      } else if (isMapping(b)) r = (typeof a === 'string' || typeof a === 'number') && Object.hasOwn(b, String(a));
      else throw new ExprError(`"in" needs a list, a string or a mapping on the right, not a ${typeName(b)}`);
      return op === 'in' ? r : !r;
    }
    default: {
      const bothNum = typeof a === 'number' && typeof b === 'number';
      const bothStr = typeof a === 'string' && typeof b === 'string';
      if (!bothNum && !bothStr) {
        const hint =
          typeof a === 'string' || typeof b === 'string'
            ? 'values given with -e key=value are strings: convert with | int, e.g. count | int > 2'
            : undefined;
        throw new ExprError(`cannot compare a ${typeName(a)} with a ${typeName(b)} using ${op}`, hint);
      }
      const x = a as number | string;
      const y = b as number | string;
      return op === '<' ? x < y : op === '<=' ? x <= y : op === '>' ? x > y : x >= y;
    }
  }
}

// ---------------------------------------------------------------- tests and filters

const TESTS: Record<string, (v: unknown) => boolean> = {
  defined: (v) => !(v instanceof Undefined),
  undefined: (v) => v instanceof Undefined,
  none: (v) => defined(v) === null,
  string: (v) => typeof defined(v) === 'string',
  number: (v) => typeof defined(v) === 'number',
  mapping: (v) => isMapping(defined(v)),
  sequence: (v) => Array.isArray(defined(v)),
  // Registered step results: { changed, failed, skipped, ... }
  changed: (v) => truthy(resultField(v, 'changed')),
  failed: (v) => truthy(resultField(v, 'failed')),
  succeeded: (v) => !truthy(resultField(v, 'failed')),
  success: (v) => !truthy(resultField(v, 'failed')),
  skipped: (v) => truthy(resultField(v, 'skipped')),
};

function resultField(v: unknown, key: string): unknown {
  defined(v);
  if (!isMapping(v)) throw new ExprError(`"is ${key}" needs a registered step result (a mapping), not a ${typeName(v)}`);
  return v[key] ?? false;
}

interface FilterDef {
  params: string[];
  required: number;
  /** `default` sees undefined values; the others get an error first */
  acceptsUndefined?: boolean;
  fn: (v: unknown, args: unknown[]) => unknown;
}

function needList(name: string, v: unknown): unknown[] {
  if (!Array.isArray(v)) throw new ExprError(`${name} needs a list, not a ${typeName(v)}`);
  return v;
}

function toInt(v: unknown, dflt: unknown): unknown {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') return Number.isFinite(v) ? Math.trunc(v) : dflt;
  if (typeof v === 'string') {
    const s = v.trim();
    if (/^[+-]?\d+$/.test(s)) return Number.parseInt(s, 10);
    if (/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(s)) {
      const n = Number(s);
      return Number.isFinite(n) ? Math.trunc(n) : dflt;
    }
  }
  return dflt;
}

const FILTERS: Record<string, FilterDef> = {
  default: {
    params: ['default_value', 'boolean'],
    required: 0,
    acceptsUndefined: true,
    fn: (v, [d = '', useOnFalsy = false]) => (v instanceof Undefined || (truthy(useOnFalsy) && !truthy(v)) ? d : v),
  },
  join: {
    params: ['d'],
    required: 0,
    fn: (v, [sep = '']) => needList('join', v).map(toText).join(toText(sep)),
  },
  lower: { params: [], required: 0, fn: (v) => toText(v).toLowerCase() },
  upper: { params: [], required: 0, fn: (v) => toText(v).toUpperCase() },
  trim: { params: [], required: 0, fn: (v) => toText(v).trim() },
  string: { params: [], required: 0, fn: (v) => toText(v) },
  length: {
    params: [],
    required: 0,
    fn: (v) => {
      if (typeof v === 'string') return [...v].length;
      if (Array.isArray(v)) return v.length;
      if (isMapping(v)) return Object.keys(v).length;
      throw new ExprError(`length needs a string, a list or a mapping, not a ${typeName(v)}`);
    },
  },
  int: { params: ['default'], required: 0, fn: (v, [d = 0]) => toInt(v, d) },
  bool: {
    params: [],
    required: 0,
    // Ansible's bool filter: true for true, 1, and the strings yes/on/1/true (any case); everything else false
    fn: (v) => {
      if (typeof v === 'boolean') return v;
      if (typeof v === 'number') return v === 1;
      if (typeof v === 'string') return ['yes', 'on', '1', 'true'].includes(v.trim().toLowerCase());
      return false;
    },
  },
  to_json: { params: [], required: 0, fn: (v) => JSON.stringify(v) ?? 'null' },
  from_json: {
    params: [],
    required: 0,
    fn: (v) => {
      if (typeof v !== 'string') throw new ExprError(`from_json needs a string, not a ${typeName(v)}`);
      try {
        return JSON.parse(v) as unknown;
      } catch (e) {
        // The message of JSON.parse quotes the text: do not pass it on.
        const pos = /position (\d+)/.exec((e as Error).message)?.[1];
        throw new ExprError(`from_json: the string is not valid JSON${pos === undefined ? '' : ` (at character ${Number(pos) + 1})`}`);
      }
    },
  },
  unique: {
    params: [],
    required: 0,
    fn: (v) => {
      const out: unknown[] = [];
      for (const x of needList('unique', v)) if (!out.some((y) => deepEqual(x, y))) out.push(x);
      return out;
    },
  },
  sort: {
    params: ['reverse', 'case_sensitive'],
    required: 0,
    fn: (v, [reverse = false, caseSensitive = false]) => {
      const list = [...needList('sort', v)];
      const allNum = list.every((x) => typeof x === 'number');
      const allStr = list.every((x) => typeof x === 'string');
      if (!allNum && !allStr) throw new ExprError('sort needs a list of numbers or a list of strings, not a mix of types');
      const key = (x: unknown): number | string => (allStr && !truthy(caseSensitive) ? (x as string).toLowerCase() : (x as number | string));
      list.sort((a, b) => {
        const x = key(a);
        const y = key(b);
        return x < y ? -1 : x > y ? 1 : 0;
      });
      return truthy(reverse) ? list.reverse() : list;
    },
  },
  first: {
    params: [],
    required: 0,
    fn: (v) => {
      if (!Array.isArray(v) && typeof v !== 'string') throw new ExprError(`first needs a list or a string, not a ${typeName(v)}`);
      return v.length > 0 ? v[0] : new Undefined('first', false, 'the list is empty');
    },
  },
  last: {
    params: [],
    required: 0,
    fn: (v) => {
      if (!Array.isArray(v) && typeof v !== 'string') throw new ExprError(`last needs a list or a string, not a ${typeName(v)}`);
      return v.length > 0 ? v[v.length - 1] : new Undefined('last', false, 'the list is empty');
    },
  },
  replace: {
    params: ['old', 'new', 'count'],
    required: 2,
    fn: (v, [a, b, count]) => {
      const s = toText(v);
      const from = toText(a);
      const to = toText(b);
      if (from === '') return s;
      const parts = s.split(from);
      if (count === undefined || count === null) return parts.join(to);
      const n = toInt(count, 0) as number;
      let out = parts[0] ?? '';
      for (let i = 1; i < parts.length; i++) out += (i <= n ? to : from) + (parts[i] ?? '');
      return out;
    },
  },
};
FILTERS['d'] = FILTERS['default'] as FilterDef;

/** Names of the supported filters and tests, for documentation and hints. */
export const FILTER_NAMES: readonly string[] = Object.keys(FILTERS);
export const TEST_NAMES: readonly string[] = Object.keys(TESTS);

function bindFilterArgs(src: string, pos: number, name: string, positional: Expr[], kw: ReadonlyMap<string, Expr>): Expr[] {
  const def = Object.hasOwn(FILTERS, name) ? FILTERS[name] : undefined;
  if (!def) {
    throw syntax(src, pos, `unknown filter "${name}"${didYouMean(name, FILTER_NAMES)}`, `filters: ${FILTER_NAMES.filter((f) => f !== 'd').join(', ')}`);
  }
  if (positional.length > def.params.length) {
    throw syntax(src, pos, `${name} takes at most ${def.params.length} argument${def.params.length === 1 ? '' : 's'}, got ${positional.length}`);
  }
  const out: Array<Expr | undefined> = [...positional];
  for (const [k, e] of kw) {
    const i = def.params.indexOf(k);
    if (i < 0) throw syntax(src, pos, `${name} has no argument "${k}"${def.params.length ? ` (it takes: ${def.params.join(', ')})` : ''}`);
    if (out[i] !== undefined) throw syntax(src, pos, `${name}: argument "${k}" given twice`);
    out[i] = e;
  }
  for (let i = 0; i < def.required; i++) {
    if (out[i] === undefined) throw syntax(src, pos, `${name} needs ${def.required} argument${def.required === 1 ? '' : 's'} (${def.params.slice(0, def.required).join(', ')})`);
  }
  // Missing optional arguments in the middle evaluate to JavaScript undefined (the default).
  return out.map((e) => e ?? { t: 'lit', v: undefined });
}

// ---------------------------------------------------------------- evaluation

/** Applied to every value read from a variable or a key (template.ts renders {{ }} in string values with it). */
export type Resolve = (v: unknown) => unknown;

/** Evaluate a parsed expression. The result may be an Undefined (the caller decides whether that is an error). */
export function evalExpr(e: Expr, vars: Vars, resolve: Resolve = (v) => v): unknown {
  const ev = (x: Expr): unknown => evalExpr(x, vars, resolve);
  switch (e.t) {
    case 'lit':
      return e.v;
    case 'var': {
      const v = lookup(vars, e.name);
      return v instanceof Undefined ? v : resolve(v);
    }
    case 'get': {
      const v = getKey(ev(e.obj), ev(e.key), e.text, e.key.t === 'lit');
      return v instanceof Undefined ? v : resolve(v);
    }
    case 'list':
      return e.items.map((x) => defined(ev(x)));
    case 'dict': {
      const out: Record<string, unknown> = {};
      for (const [k, v] of e.entries) {
        const key = defined(ev(k));
        if (typeof key !== 'string' && typeof key !== 'number') throw new ExprError(`a mapping key must be a string or a number, not a ${typeName(key)}`);
        Object.defineProperty(out, String(key), { value: defined(ev(v)), enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    case 'neg': {
      const v = defined(ev(e.e));
      if (typeof v !== 'number') throw new ExprError(`"-" needs a number, not a ${typeName(v)}`);
      return -v;
    }
    case 'not':
      return !truthy(ev(e.e));
    case 'and': {
      const l = ev(e.l);
      return truthy(l) ? ev(e.r) : l;
    }
    case 'or': {
      const l = ev(e.l);
      return truthy(l) ? l : ev(e.r);
    }
    case 'cmp':
      return compare(e.op, ev(e.l), ev(e.r));
    case 'test': {
      const fn = TESTS[e.name] as (v: unknown) => boolean;
      const r = fn(ev(e.e));
      return e.negate ? !r : r;
    }
    case 'filter': {
      const def = FILTERS[e.name] as FilterDef;
      let v = ev(e.e);
      if (!def.acceptsUndefined) v = defined(v);
      const args = e.argExprs.map((a) => defined(ev(a)));
      return def.fn(v, args);
    }
  }
}

// ---------------------------------------------------------------- variables

/**
 * The variables an expression reads (the names at the root of its lookups:
 * `gpu` for `gpu.has_gpu | default(false)`, `groups` and `compute_group` for
 * `groups[compute_group]`), from its syntax tree.
 */
export function variablesOf(e: Expr, out: Set<string> = new Set()): Set<string> {
  switch (e.t) {
    case 'lit':
      break;
    case 'var':
      out.add(e.name);
      break;
    case 'get':
      variablesOf(e.obj, out);
      variablesOf(e.key, out);
      break;
    case 'list':
      for (const x of e.items) variablesOf(x, out);
      break;
    case 'dict':
      for (const [k, v] of e.entries) {
        variablesOf(k, out);
        variablesOf(v, out);
      }
      break;
    case 'neg':
    case 'not':
    case 'test':
      variablesOf(e.e, out);
      break;
    case 'and':
    case 'or':
    case 'cmp':
      variablesOf(e.l, out);
      variablesOf(e.r, out);
      break;
    case 'filter':
      variablesOf(e.e, out);
      for (const a of e.argExprs) variablesOf(a, out);
      break;
  }
  return out;
}
