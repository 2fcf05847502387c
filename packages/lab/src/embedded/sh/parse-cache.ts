// Parsed command lines, by their text. A thousand hosts get the same lock
// script, file-write script and unit query: each is parsed once. A fact
// script carries a nonce of its own and is never sent twice; its tree (some
// 200 KB) is kept only while its command line runs (it is parsed by the
// stdin check, the shell, and again for its `sh -c`), so that a big run does
// not keep thousands of them. The trees are shared: nothing may change them.
import { parseScript, type Script } from './ast.ts';

/** the last trees parsed, whatever they are */
const RECENT = 24;
/** trees of scripts that came back (looked up more often than one command line does) */
const FREQUENT = 512;
const PROMOTE_HITS = 8;
/** longer scripts are parsed every time */
const MAX_CACHED_LENGTH = 256 * 1024;

type Entry = { ast: Script; hits: number } | { error: Error; hits: number };

const recent = new Map<string, Entry>();
const frequent = new Map<string, Entry>();

function touch(map: Map<string, Entry>, key: string, e: Entry, max: number): void {
  map.delete(key);
  map.set(key, e);
  if (map.size > max) {
    const oldest = map.keys().next();
    if (oldest.done !== true) map.delete(oldest.value);
  }
}

/** Scripts at least this long are parsed statement by statement (see parseCached). */
const CHUNKED_FROM = 2048;
/** a statement of more lines than this is parsed with the rest of the script in one go */
const MAX_CHUNK_LINES = 64;

/**
 * Line ends where a statement may end: outside quotes, `$(...)`, `${...}`,
 * backquotes, and not escaped. (Only a hint: a chunk is a statement only if
 * it parses on its own.)
 */
export function statementBreaks(text: string): number[] {
  const out: number[] = [];
  const stack: string[] = [];
  let wordStart = true;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    const top = stack[stack.length - 1];
    if (top === "'") {
      const close = text.indexOf("'", i);
      if (close === -1) break;
      i = close;
      stack.pop();
      continue;
    }
    if (c === '\\') {
      i++;
      wordStart = false;
      continue;
    }
    if (top === '"') {
      if (c === '"') stack.pop();
      else if (c === '$' && text[i + 1] === '(') {
        stack.push('(');
        i++;
      } else if (c === '$' && text[i + 1] === '{') {
        stack.push('{');
        i++;
      } else if (c === '`') stack.push('`');
      continue;
    }
    if (top === '`') {
      if (c === '`') stack.pop();
      continue;
    }
    if (c === '\n') {
      if (stack.length === 0) out.push(i);
      wordStart = true;
      continue;
    }
    if (c === '#' && wordStart) {
      const nl = text.indexOf('\n', i);
      if (nl === -1) break;
      i = nl - 1;
      continue;
    }
    // compound commands: no statement ends inside (and the parentheses of `case` patterns close nothing)
    if (wordStart && c >= 'a' && c <= 'w') {
      const word = /^[a-z]+/.exec(text.slice(i, i + 8))?.[0];
      const after = text[i + (word?.length ?? 0)] ?? '';
      if (word !== undefined && /^[\s;)&|]?$/.test(after)) {
        if (word === 'if' || word === 'for' || word === 'while' || word === 'until' || word === 'case') stack.push('kw');
        else if ((word === 'fi' || word === 'done' || word === 'esac') && top === 'kw') stack.pop();
      }
    }
    if (c === "'" || c === '"' || c === '`') stack.push(c);
    else if (c === '$' && text[i + 1] === '{') {
      stack.push('{');
      i++;
    } else if (c === '(') stack.push('(');
    else if (c === ')') {
      if (top === '(') stack.pop();
    } else if (c === '}') {
      if (top === '{') stack.pop();
    }
    wordStart = c === ' ' || c === '\t' || c === ';' || c === '&' || c === '|' || c === '(';
  }
  return out;
}

/**
 * A long script as the concatenation of its statements, each parsed (and
 * cached) on its own: a fact script differs from host to host only in the
 * nonce of its marker lines, so its sections are parsed once for all hosts.
 * undefined when the script cannot be cut so (heredocs, a statement too long).
 */
function parseChunked(text: string): Script | undefined {
  if (text.includes('<<')) return undefined;
  const statements: Script['statements'] = [];
  let start = 0;
  let lines = 0;
  const breaks = statementBreaks(text);
  breaks.push(text.length);
  for (const end of breaks) {
    lines++;
    const chunk = text.slice(start, end);
    // a line continued by a backslash, or a statement that is not complete yet (if ... fi)
    if (chunk.endsWith('\\')) continue;
    let ast: Script | undefined;
    if (chunk.trim() === '') ast = { type: 'Script', statements: [] };
    else {
      try {
        ast = chunkTree(chunk);
      } catch {
        ast = undefined;
      }
    }
    if (ast === undefined) {
      if (lines > MAX_CHUNK_LINES) return undefined;
      continue;
    }
    statements.push(...ast.statements);
    start = end + 1;
    lines = 0;
  }
  if (start < text.length && text.slice(start).trim() !== '') return undefined;
  return { type: 'Script', statements };
}

/** statements seen once (their text only: most are the nonce lines of one fact script) */
const chunksSeen = new Set<string>();
const SEEN = 8192;
/** trees of statements seen again */
const chunks = new Map<string, Script>();
const CHUNKS = 2048;

/** statements longer than this are parsed directly (a one-off: a fact script's `sh -c '...'`) */
const MAX_CHUNK_LENGTH = 4096;
/** characters held by chunksSeen at most */
const SEEN_CHARS = 4 * 1024 * 1024;
let seenChars = 0;

/** chunks known not to be whole statements (the first lines of an if ... fi) */
const incomplete = new Set<string>();

function chunkTree(chunk: string): Script {
  if (chunk.length > MAX_CHUNK_LENGTH) return parseScript(chunk);
  const known = chunks.get(chunk);
  if (known !== undefined) return known;
  if (incomplete.has(chunk)) throw new Error('incomplete');
  let ast: Script;
  try {
    ast = parseScript(chunk);
  } catch (e) {
    if (incomplete.size >= 4096) incomplete.clear();
    incomplete.add(chunk);
    throw e;
  }
  if (chunksSeen.has(chunk)) {
    chunksSeen.delete(chunk);
    if (chunks.size >= CHUNKS) {
      const oldest = chunks.keys().next();
      if (oldest.done !== true) chunks.delete(oldest.value);
    }
    chunks.set(chunk, ast);
  } else {
    if (chunksSeen.size >= SEEN || seenChars > SEEN_CHARS) {
      chunksSeen.clear();
      seenChars = 0;
    }
    chunksSeen.add(chunk);
    seenChars += chunk.length;
  }
  return ast;
}

/** The tree of `text`; throws just-bash's syntax error. */
export function parseCached(text: string): Script {
  if (text.length >= CHUNKED_FROM) {
    const hit = frequent.get(text) ?? recent.get(text);
    if (hit === undefined) {
      const ast = parseChunked(text);
      if (ast !== undefined) {
        touch(recent, text, { ast, hits: 1 }, RECENT);
        return ast;
      }
    }
  }
  return lookup(text);
}

function lookup(text: string): Script {
  let e = frequent.get(text);
  if (e !== undefined) touch(frequent, text, e, FREQUENT);
  else {
    e = recent.get(text);
    if (e === undefined) {
      try {
        e = { ast: parseScript(text), hits: 0 };
      } catch (err) {
        e = { error: err instanceof Error ? err : new Error(String(err)), hits: 0 };
      }
    }
    e.hits++;
    if (text.length <= MAX_CACHED_LENGTH) {
      if (e.hits > PROMOTE_HITS) {
        recent.delete(text);
        touch(frequent, text, e, FREQUENT);
      } else touch(recent, text, e, RECENT);
    }
  }
  if ('error' in e) throw e.error;
  return e.ast;
}
