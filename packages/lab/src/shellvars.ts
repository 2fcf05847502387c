// A small evaluator for the shell assignments of /etc/default/grub and
// /etc/default/grub.d/*.cfg, which grub-mkconfig sources with /bin/sh.
// Assignments (NAME=word, export NAME=word) with '...', "...", $VAR, ${VAR}
// and command substitutions (answered by a callback) are evaluated; other
// statements are ignored. An unterminated quote is the syntax error a real
// shell reports.

export class ShellSyntaxError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly eofLine: number,
    readonly quote: string,
  ) {
    super(`${file}: line ${line}: unexpected EOF while looking for matching \`${quote}'`);
  }

  /** bash's report (EL: grub2-mkconfig runs under bash) */
  bashMessage(): string {
    return `${this.file}: line ${this.line}: unexpected EOF while looking for matching \`${this.quote}'\n${this.file}: line ${this.eofLine}: syntax error: unexpected end of file\n`;
  }

  /** dash's report (Debian/Ubuntu: /bin/sh is dash) */
  dashMessage(self: string): string {
    return `${self}: ${this.eofLine}: ${this.file}: Syntax error: Unterminated quoted string\n`;
  }
}

export type Substitute = (command: string) => string;

/** Evaluate one sourced file into vars (mutated). */
export function sourceShell(file: string, text: string, vars: Map<string, string>, subst: Substitute): void {
  const src = text;
  let i = 0;
  let line = 1;
  const lines = src.split('\n').length;

  const expandVar = (name: string): string => vars.get(name) ?? '';

  while (i < src.length) {
    // skip blanks and separators
    const c = src[i];
    if (c === '\n') {
      line++;
      i++;
      continue;
    }
    if (c === ' ' || c === '\t' || c === ';') {
      i++;
      continue;
    }
    if (c === '#') {
      while (i < src.length && src[i] !== '\n') i++;
      continue;
    }
    // read one simple command: words until newline/;/# at word start
    const words: string[] = [];
    let word = '';
    let inWord = false;
    const startLine = line;
    while (i < src.length) {
      const ch = src[i] as string;
      if (ch === '\n' || ch === ';') break;
      if ((ch === ' ' || ch === '\t') && true) {
        if (inWord) {
          words.push(word);
          word = '';
          inWord = false;
        }
        i++;
        continue;
      }
      if (ch === '#' && !inWord) {
        while (i < src.length && src[i] !== '\n') i++;
        break;
      }
      inWord = true;
      if (ch === "'") {
        const end = src.indexOf("'", i + 1);
        if (end < 0) throw new ShellSyntaxError(file, line, lines, "'");
        const part = src.slice(i + 1, end);
        line += countNl(part);
        word += part;
        i = end + 1;
      } else if (ch === '"') {
        let j = i + 1;
        let out = '';
        const qline = line;
        for (;;) {
          if (j >= src.length) throw new ShellSyntaxError(file, qline, lines, '"');
          const d = src[j] as string;
          if (d === '"') break;
          if (d === '\\' && j + 1 < src.length && '$`"\\\n'.includes(src[j + 1] as string)) {
            if (src[j + 1] !== '\n') out += src[j + 1];
            else line++;
            j += 2;
            continue;
          }
          if (d === '$') {
            const r = readDollar(src, j, expandVar, subst);
            if (r) {
              out += r.value;
              j = r.end;
              continue;
            }
          }
          if (d === '`') {
            const end = src.indexOf('`', j + 1);
            if (end < 0) throw new ShellSyntaxError(file, line, lines, '`');
            out += subst(src.slice(j + 1, end));
            j = end + 1;
            continue;
          }
          if (d === '\n') line++;
          out += d;
          j++;
        }
        word += out;
        i = j + 1;
      } else if (ch === '`') {
        const end = src.indexOf('`', i + 1);
        if (end < 0) throw new ShellSyntaxError(file, line, lines, '`');
        word += subst(src.slice(i + 1, end));
        i = end + 1;
      } else if (ch === '$') {
        const r = readDollar(src, i, expandVar, subst);
        if (r) {
          word += r.value;
          i = r.end;
        } else {
          word += '$';
          i++;
        }
      } else if (ch === '\\' && i + 1 < src.length) {
        if (src[i + 1] === '\n') line++;
        else word += src[i + 1];
        i += 2;
      } else {
        word += ch;
        i++;
      }
    }
    if (inWord) words.push(word);
    void startLine;
    let w = words;
    if (w[0] === 'export') w = w.slice(1);
    // only pure assignments are evaluated
    if (w.length > 0 && w.every((x) => /^[A-Za-z_][A-Za-z0-9_]*=/.test(x))) {
      for (const a of w) {
        const eq = a.indexOf('=');
        vars.set(a.slice(0, eq), a.slice(eq + 1));
      }
    }
  }
}

function countNl(s: string): number {
  let n = 0;
  for (const ch of s) if (ch === '\n') n++;
  return n;
}

function readDollar(
  src: string,
  i: number,
  expandVar: (n: string) => string,
  subst: Substitute,
): { value: string; end: number } | undefined {
  const next = src[i + 1];
  if (next === '{') {
    const end = src.indexOf('}', i + 2);
    if (end < 0) return undefined;
    const inner = src.slice(i + 2, end);
    const m = /^([A-Za-z_][A-Za-z0-9_]*)(?::?-(.*))?$/.exec(inner);
    if (!m) return { value: '', end: end + 1 };
    const v = expandVar(m[1] as string);
    return { value: v === '' && m[2] !== undefined ? m[2] : v, end: end + 1 };
  }
  if (next === '(') {
    let depth = 1;
    let j = i + 2;
    while (j < src.length && depth > 0) {
      if (src[j] === '(') depth++;
      else if (src[j] === ')') depth--;
      j++;
    }
    return { value: subst(src.slice(i + 2, j - 1)), end: j };
  }
  const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i + 1));
  if (m) return { value: expandVar(m[0]), end: i + 1 + m[0].length };
  return undefined;
}
