// Templating of step arguments and evaluation of conditions.
//
//   render(value, vars, where)   walks strings, lists and mappings; replaces {{ expr }}
//   evaluate(expr, vars, where)  one expression (when/until/changed_when/failed_when)
//   truthy(v)                    Python's truthiness, as Ansible uses it
//
// A string that is exactly one `{{ expr }}` becomes the native value of the
// expression (a number, a list, a mapping...); anywhere else the value is
// written as text: strings as they are, true/false, none as '', lists and
// mappings as JSON. Variables may refer to other variables: a string value
// that holds {{ }} is rendered when it is used.
//
// See docs/playbook-format.md. The expression language is in expression.ts.

import { ConfigError, type ErrorLocation } from '../errors.ts';
import type { Vars } from '../inventory/types.ts';
import { ExprError, Undefined, evalExpr, parseExpression, toText, truthy, undefinedError, variablesOf, type Expr } from './expression.ts';

export { truthy, Undefined };

/** Where a templated value came from: a location, or a function giving the location of a path inside the value. */
export type Where = ErrorLocation | ((path: ReadonlyArray<string | number>) => ErrorLocation);

type Part = string | { src: string; expr: Expr };
interface Compiled {
  parts: Part[];
  /** the whole string is one {{ expr }}: the native value is returned */
  single: boolean;
}

const MAX_DEPTH = 20;
const UNKNOWN: ErrorLocation = { file: '(template)' };
const cache = new Map<string, Compiled>();

/** The string has {{ }} (or a {% %} statement, which render refuses). */
export function hasTemplate(s: string): boolean {
  return s.includes('{{') || s.includes('{%');
}

/**
 * Split a string into text and {{ expressions }}, parsing each expression.
 * Throws ExprError on a syntax error, an unclosed {{, an unknown filter, or a {% %} statement.
 */
export function compileTemplate(s: string): Compiled {
  const hit = cache.get(s);
  if (hit) return hit;
  const stmt = s.indexOf('{%');
  if (stmt >= 0 && s.indexOf('%}', stmt) > 0) {
    throw new ExprError('Jinja statements ({% ... %}) are not supported', 'use when: on the step, or an expression with | default(...); see docs/playbook-format.md');
  }
  const parts: Part[] = [];
  let text = '';
  let i = 0;
  while (i < s.length) {
    const open = s.indexOf('{{', i);
    if (open < 0) {
      text += s.slice(i);
      break;
    }
    text += s.slice(i, open);
    let j = open + 2;
    let depth = 0;
    let quote = '';
    for (; j < s.length; j++) {
      const c = s[j];
      if (quote) {
        if (c === '\\') j++;
        else if (c === quote) quote = '';
        continue;
      }
      if (c === '"' || c === "'") quote = c;
      else if (c === '{') depth++;
      else if (c === '}') {
        if (depth > 0) depth--;
        else if (s[j + 1] === '}') break;
      }
    }
    if (j >= s.length) throw new ExprError(`"{{" at character ${open + 1} is not closed by "}}"`, 'close the expression with }}, or write a literal {{ as {{ "{{" }}');
    const src = s.slice(open + 2, j).trim();
    if (text) parts.push(text);
    text = '';
    parts.push({ src, expr: parseExpression(src) });
    i = j + 2;
  }
  if (text) parts.push(text);
  const first = parts[0];
  const compiled: Compiled = { parts, single: parts.length === 1 && typeof first === 'object' };
  if (cache.size > 5000) cache.clear();
  cache.set(s, compiled);
  return compiled;
}

/** Throws ExprError if the expression has a syntax error, an unknown filter or test. */
export function checkExpression(expr: string): void {
  parseExpression(expr);
}

function locAt(where: Where | undefined, path: ReadonlyArray<string | number>): ErrorLocation {
  if (where === undefined) return UNKNOWN;
  return typeof where === 'function' ? where(path) : where;
}

function fail(e: unknown, loc: ErrorLocation, context: string | undefined): never {
  if (e instanceof ConfigError) throw e;
  if (e instanceof ExprError) {
    throw new ConfigError(loc, context === undefined || e.quotesSource ? e.message : `${e.message} in ${context}`, e.hint);
  }
  throw e;
}

class Renderer {
  constructor(
    private readonly vars: Vars,
    private readonly where: Where | undefined,
  ) {}

  /** resolve {{ }} inside string values of variables, as they are used */
  private readonly resolve = (depth: number) => (v: unknown): unknown => {
    if (typeof v === 'string' && hasTemplate(v)) return this.str(v, [], depth + 1);
    return v;
  };

  value(v: unknown, path: Array<string | number>, depth: number): unknown {
    if (depth > MAX_DEPTH) {
      throw new ConfigError(locAt(this.where, path), `templates nested more than ${MAX_DEPTH} levels deep`, 'a variable probably refers to itself, directly or through others');
    }
    if (typeof v === 'string') return hasTemplate(v) ? this.str(v, path, depth) : v;
    if (Array.isArray(v)) return v.map((x, i) => this.value(x, [...path, i], depth));
    if (v !== null && typeof v === 'object' && !(v instanceof Undefined) && isPlain(v)) {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) {
        Object.defineProperty(out, k, { value: this.value(x, [...path, k], depth), enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    return v;
  }

  str(s: string, path: Array<string | number>, depth: number): unknown {
    if (depth > MAX_DEPTH) {
      throw new ConfigError(locAt(this.where, path), `templates nested more than ${MAX_DEPTH} levels deep`, 'a variable probably refers to itself, directly or through others');
    }
    const loc = (): ErrorLocation => locAt(this.where, path);
    let compiled: Compiled;
    try {
      compiled = compileTemplate(s);
    } catch (e) {
      fail(e, loc(), undefined);
    }
    const resolve = this.resolve(depth);
    if (compiled.single) {
      const part = compiled.parts[0] as { src: string; expr: Expr };
      try {
        const v = evalExpr(part.expr, this.vars, resolve);
        if (v instanceof Undefined) throw undefinedError(v);
        return this.value(v, path, depth + 1);
      } catch (e) {
        fail(e, loc(), `{{ ${part.src} }}`);
      }
    }
    let out = '';
    for (const part of compiled.parts) {
      if (typeof part === 'string') {
        out += part;
        continue;
      }
      try {
        const v = evalExpr(part.expr, this.vars, resolve);
        out += toText(typeof v === 'object' && v !== null && !(v instanceof Undefined) ? this.value(v, path, depth + 1) : v);
      } catch (e) {
        fail(e, loc(), `{{ ${part.src} }}`);
      }
    }
    return out;
  }
}

function isPlain(v: object): boolean {
  const p = Object.getPrototypeOf(v) as unknown;
  return p === Object.prototype || p === null;
}

/**
 * Render every {{ expr }} in a value (strings, lists, mappings; keys are not templated).
 * Throws ConfigError naming `where` (and the expression) on an undefined variable or a bad expression.
 */
export function render(value: unknown, vars: Vars, where?: Where): unknown {
  return new Renderer(vars, where).value(value, [], 0);
}

/**
 * Evaluate one expression (no {{ }}) and return its value.
 * Throws ConfigError naming `where` if the expression is invalid or uses an undefined variable.
 */
export function evaluate(expr: string, vars: Vars, where?: ErrorLocation): unknown {
  const loc = where ?? UNKNOWN;
  let parsed: Expr;
  try {
    parsed = parseExpression(expr);
  } catch (e) {
    fail(e, loc, `(${expr})`);
  }
  return evaluateParsed(parsed, expr, vars, loc);
}

/** evaluate() of an expression parsed already (`src` is its text, for messages). */
export function evaluateParsed(expr: Expr, src: string, vars: Vars, where?: ErrorLocation): unknown {
  const loc = where ?? UNKNOWN;
  const r = new Renderer(vars, loc);
  const resolve = (v: unknown): unknown => (typeof v === 'string' && hasTemplate(v) ? r.str(v, [], 1) : v);
  try {
    const v = evalExpr(expr, vars, resolve);
    if (v instanceof Undefined) throw undefinedError(v);
    return v;
  } catch (e) {
    fail(e, loc, `(${src})`);
  }
}

const readsOf = new WeakMap<object, ReadonlySet<string>>();
const NOTHING: ReadonlySet<string> = new Set();

/**
 * The variables the {{ }} in a value read (in strings, lists and mappings),
 * from the syntax trees. A template that does not parse reads nothing here
 * (rendering it reports the error).
 */
export function templateVariables(value: unknown): ReadonlySet<string> {
  if (typeof value === 'string') {
    if (!hasTemplate(value)) return NOTHING;
    try {
      const out = new Set<string>();
      for (const p of compileTemplate(value).parts) if (typeof p === 'object') variablesOf(p.expr, out);
      return out;
    } catch {
      return NOTHING;
    }
  }
  if (value === null || typeof value !== 'object' || value instanceof Undefined || !(Array.isArray(value) || isPlain(value))) return NOTHING;
  const known = readsOf.get(value);
  if (known) return known;
  const out = new Set<string>();
  for (const x of Array.isArray(value) ? value : Object.values(value)) for (const n of templateVariables(x)) out.add(n);
  const result = out.size === 0 ? NOTHING : out;
  readsOf.set(value, result);
  return result;
}

/** All the conditions hold (a `when:` list is an "and"). An empty list holds. */
export function condition(exprs: readonly string[], vars: Vars, where?: ErrorLocation): boolean {
  for (const e of exprs) {
    const v = evaluate(e, vars, where);
    if (!truthy(v)) return false;
  }
  return true;
}
