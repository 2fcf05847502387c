// Shell patterns: pathname expansion (`/sys/bus/pci/devices/*/vendor`) and
// the matching of `case`, `${x#pat}` and friends.
//
// A pattern is kept as a string in which the characters that are active
// (came from an unquoted part) are plain and every quoted special character
// is escaped with a backslash: "a\*b*" matches "a*b" followed by anything.

const SPECIAL = /[*?[\\]/;

/** A piece of text as a pattern: active (unquoted) or every character literal. */
export function patternOf(text: string, active: boolean): string {
  return active ? text : text.replace(/[*?[\]\\]/g, '\\$&');
}

/** Does the pattern have an active special character (so: needs matching at all)? */
export function hasActiveGlob(pattern: string): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') i++;
    else if (c === '*' || c === '?') return true;
    else if (c === '[' && bracketEnd(pattern, i) !== -1) return true;
  }
  return false;
}

/** The pattern's text with the escapes removed (what an unmatched glob expands to). */
export function unescapePattern(pattern: string): string {
  return SPECIAL.test(pattern) ? pattern.replace(/\\(.)/gs, '$1') : pattern;
}

const CLASSES: Record<string, string> = {
  alnum: 'A-Za-z0-9',
  alpha: 'A-Za-z',
  blank: ' \\t',
  cntrl: '\\x00-\\x1f\\x7f',
  digit: '0-9',
  graph: '\\x21-\\x7e',
  lower: 'a-z',
  print: '\\x20-\\x7e',
  punct: '!-\\/:-@\\[-`{-~',
  space: ' \\t\\n\\r\\f\\v',
  upper: 'A-Z',
  xdigit: '0-9A-Fa-f',
  word: 'A-Za-z0-9_',
};

/** Index of the `]` closing the bracket expression opened at `start`, or -1. */
function bracketEnd(p: string, start: number): number {
  let i = start + 1;
  if (p[i] === '!' || p[i] === '^') i++;
  if (p[i] === ']') i++;
  for (; i < p.length; i++) {
    const c = p[i];
    if (c === '\\') i++;
    else if (c === '[' && p[i + 1] === ':') {
      const close = p.indexOf(':]', i + 2);
      if (close !== -1) i = close + 1;
    } else if (c === ']') return i;
  }
  return -1;
}

function classChar(c: string): string {
  return /[\\\]^-]/.test(c) ? `\\${c}` : c;
}

function bracketSource(p: string, start: number, end: number): string {
  let i = start + 1;
  let negate = false;
  if (p[i] === '!' || p[i] === '^') {
    negate = true;
    i++;
  }
  let out = '';
  let first = true;
  for (; i < end; i++) {
    let c = p[i] as string;
    if (c === '[' && p[i + 1] === ':') {
      const close = p.indexOf(':]', i + 2);
      if (close !== -1 && close < end) {
        out += CLASSES[p.slice(i + 2, close)] ?? '';
        i = close + 1;
        first = false;
        continue;
      }
    }
    if (c === '\\' && i + 1 < end) c = p[++i] as string;
    else if (c === ']' && !first) break;
    first = false;
    if (p[i + 1] === '-' && i + 2 < end && p[i + 2] !== ']') {
      let hi = p[i + 2] as string;
      let skip = 2;
      if (hi === '\\' && i + 3 < end) {
        hi = p[i + 3] as string;
        skip = 3;
      }
      out += `${classChar(c)}-${classChar(hi)}`;
      i += skip;
      continue;
    }
    out += classChar(c);
  }
  if (out === '') return negate ? '[\\s\\S]' : '[^\\s\\S]';
  return `[${negate ? '^' : ''}${out}]`;
}

function regexSource(p: string, pathname: boolean): string {
  let out = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i] as string;
    if (c === '\\') {
      const next = p[i + 1];
      if (next === undefined) out += '\\\\';
      else {
        out += next.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
        i++;
      }
    } else if (c === '*') out += pathname ? '[^/]*' : '[\\s\\S]*';
    else if (c === '?') out += pathname ? '[^/]' : '[\\s\\S]';
    else if (c === '[') {
      const end = bracketEnd(p, i);
      if (end === -1) out += '\\[';
      else {
        out += bracketSource(p, i, end);
        i = end;
      }
    } else out += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return out;
}

const compiled = new Map<string, RegExp>();

/** The whole-string matcher of a pattern (`pathname`: wildcards do not match `/`). */
export function patternRegex(pattern: string, pathname = false): RegExp {
  const key = `${pathname ? 'p' : 's'}${pattern}`;
  let re = compiled.get(key);
  if (re === undefined) {
    re = new RegExp(`^${regexSource(pattern, pathname)}$`, 's');
    if (compiled.size > 4096) compiled.clear();
    compiled.set(key, re);
  }
  return re;
}

/** Does `text` match the whole pattern? */
export function matchPattern(pattern: string, text: string): boolean {
  if (!hasActiveGlob(pattern)) return unescapePattern(pattern) === text;
  return patternRegex(pattern).test(text);
}

/** ${x#pat} ${x##pat} ${x%pat} ${x%%pat} */
export function removePattern(value: string, pattern: string, side: 'prefix' | 'suffix', greedy: boolean): string {
  if (!hasActiveGlob(pattern)) {
    const lit = unescapePattern(pattern);
    if (side === 'prefix') return value.startsWith(lit) ? value.slice(lit.length) : value;
    return value.endsWith(lit) ? value.slice(0, value.length - lit.length) : value;
  }
  const re = patternRegex(pattern);
  const n = value.length;
  if (side === 'prefix') {
    if (greedy) {
      for (let i = n; i >= 0; i--) if (re.test(value.slice(0, i))) return value.slice(i);
    } else {
      for (let i = 0; i <= n; i++) if (re.test(value.slice(0, i))) return value.slice(i);
    }
  } else if (greedy) {
    for (let i = 0; i <= n; i++) if (re.test(value.slice(i))) return value.slice(0, i);
  } else {
    for (let i = n; i >= 0; i--) if (re.test(value.slice(i))) return value.slice(0, i);
  }
  return value;
}

/** ${x/pat/rep} ${x//pat/rep} ${x/#pat/rep} ${x/%pat/rep}: the longest match at the first (every) position. */
export function replacePattern(value: string, pattern: string, replacement: string, all: boolean, anchor: 'start' | 'end' | null): string {
  if (pattern === '') return value;
  const re = patternRegex(pattern);
  const n = value.length;
  if (anchor === 'start') {
    for (let j = n; j >= 0; j--) if (re.test(value.slice(0, j))) return replacement + value.slice(j);
    return value;
  }
  if (anchor === 'end') {
    for (let i = 0; i <= n; i++) if (re.test(value.slice(i))) return value.slice(0, i) + replacement;
    return value;
  }
  let out = '';
  let i = 0;
  while (i < n) {
    let matched = -1;
    for (let j = n; j > i; j--) {
      if (re.test(value.slice(i, j))) {
        matched = j;
        break;
      }
    }
    if (matched === -1) {
      out += value[i];
      i++;
      continue;
    }
    out += replacement;
    i = matched;
    if (!all) return out + value.slice(i);
  }
  return out;
}

export interface GlobFs {
  /** names in a directory (throws when it cannot be read) */
  readdir(path: string): Promise<string[]>;
  /** does the path exist (without following a last symbolic link) */
  exists(path: string): Promise<boolean>;
  isDirectory(path: string): Promise<boolean>;
}

function join(dir: string, name: string): string {
  if (dir === '') return name;
  return dir.endsWith('/') ? `${dir}${name}` : `${dir}/${name}`;
}

/**
 * Pathname expansion of a pattern with an active wildcard: the matching
 * paths, sorted; none: [] (the caller keeps the word as it is).
 */
export async function expandPathname(pattern: string, cwd: string, fs: GlobFs): Promise<string[]> {
  const absolute = pattern.startsWith('/');
  const comps = (absolute ? pattern.slice(1) : pattern).split('/');
  // [shown, absolute path]
  let cur: Array<[string, string]> = [[absolute ? '/' : '', absolute ? '/' : cwd]];
  let literalTail = false;
  for (let k = 0; k < comps.length; k++) {
    const comp = comps[k] as string;
    const last = k === comps.length - 1;
    if (comp === '') {
      if (last) {
        // a trailing slash: directories only
        const dirs: Array<[string, string]> = [];
        for (const [shown, abs] of cur) if (await fs.isDirectory(abs)) dirs.push([`${shown}/`, abs]);
        cur = dirs;
        literalTail = false;
      }
      continue;
    }
    if (!hasActiveGlob(comp)) {
      const name = unescapePattern(comp);
      cur = cur.map(([shown, abs]) => [shown === '/' ? `/${name}` : join(shown, name), join(abs, name)]);
      literalTail = true;
      continue;
    }
    if (literalTail) {
      const keep: Array<[string, string]> = [];
      for (const e of cur) if (await fs.isDirectory(e[1])) keep.push(e);
      cur = keep;
      literalTail = false;
    }
    const re = patternRegex(comp, true);
    const dotOk = comp.startsWith('.') || comp.startsWith('\\.');
    const next: Array<[string, string]> = [];
    for (const [shown, abs] of cur) {
      let names: string[];
      try {
        names = await fs.readdir(abs);
      } catch {
        continue;
      }
      for (const name of names) {
        if (name.startsWith('.') && !dotOk) continue;
        if (name === '.' || name === '..') continue;
        if (re.test(name)) next.push([shown === '/' ? `/${name}` : join(shown, name), join(abs, name)]);
      }
    }
    cur = next;
    if (cur.length === 0) return [];
  }
  if (literalTail) {
    const keep: Array<[string, string]> = [];
    for (const e of cur) if (await fs.exists(e[1])) keep.push(e);
    cur = keep;
  }
  return cur.map(([shown]) => shown).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
