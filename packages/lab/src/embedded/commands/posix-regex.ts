// POSIX regular expressions (basic, as grep and sed take them, and
// extended) translated to JavaScript's, for the lab's fast grep and sed.
// What does not translate faithfully throws Unsupported: the command then
// fails and says the lab does not simulate it.

export class Unsupported extends Error {}

const CLASSES: Record<string, string> = {
  alnum: 'A-Za-z0-9',
  alpha: 'A-Za-z',
  blank: ' \\t',
  digit: '0-9',
  lower: 'a-z',
  upper: 'A-Z',
  space: ' \\t\\n\\r\\f\\v',
  xdigit: '0-9A-Fa-f',
  punct: '!-\\/:-@\\[-`{-~',
  print: '\\x20-\\x7e',
  graph: '\\x21-\\x7e',
  cntrl: '\\x00-\\x1f\\x7f',
};

/** A POSIX bracket expression starting at `i` ('['): [JS source, index after ']']. */
function bracket(re: string, i: number): [string, number] {
  let j = i + 1;
  let out = '[';
  if (re[j] === '^') {
    out += '^';
    j++;
  }
  if (re[j] === ']') {
    out += '\\]';
    j++;
  }
  for (; j < re.length; j++) {
    const c = re[j] as string;
    if (c === ']') return [`${out}]`, j + 1];
    if (c === '[' && re[j + 1] === ':') {
      const close = re.indexOf(':]', j + 2);
      if (close === -1) throw new Unsupported('class');
      const cls = CLASSES[re.slice(j + 2, close)];
      if (cls === undefined) throw new Unsupported('class');
      out += cls;
      j = close + 1;
      continue;
    }
    if (c === '[' && (re[j + 1] === '.' || re[j + 1] === '=')) throw new Unsupported('collating');
    out += c === '\\' || c === '[' ? `\\${c}` : c;
  }
  throw new Unsupported('unterminated bracket');
}

/**
 * A POSIX regular expression (BRE, or ERE) as JavaScript source; Unsupported
 * for what has no faithful translation. `alternation`: `|` allowed (only
 * whether a line matches is asked: leftmost-longest and leftmost-first agree).
 */
export function posixRegex(re: string, ere: boolean, alternation: boolean): string {
  let out = '';
  for (let i = 0; i < re.length; i++) {
    const c = re[i] as string;
    const atStart = out === '' || out.endsWith('(') || out.endsWith('|');
    if (c === '\\') {
      const n = re[i + 1];
      if (n === undefined) throw new Unsupported('trailing backslash');
      i++;
      if (!ere && '(){}+?'.includes(n)) out += n;
      else if (n === '|') {
        if (!alternation || ere) throw new Unsupported('alternation');
        out += '|';
      }
      else if (/[1-9]/.test(n)) out += `\\${n}`;
      else if (n === 'n') out += '\\n';
      else if (n === 't') out += '\\t';
      else if ('wWsSb'.includes(n)) out += `\\${n}`;
      else if (/[.*[\]^$\\/+?(){}|&-]/.test(n)) out += `\\${n}`;
      else throw new Unsupported(`\\${n}`);
      continue;
    }
    if (c === '[') {
      const [src, next] = bracket(re, i);
      out += src;
      i = next - 1;
      continue;
    }
    if (c === '^') {
      out += atStart || ere ? '^' : '\\^';
      continue;
    }
    if (c === '$') {
      const end = i === re.length - 1 || (!ere && (re.startsWith('\\)', i + 1) || re.startsWith('\\|', i + 1))) || (ere && re[i + 1] === ')');
      out += end || ere ? '$' : '\\$';
      continue;
    }
    if (c === '*') {
      out += atStart || out.endsWith('^') ? '\\*' : '*';
      continue;
    }
    if (ere) {
      if (c === '|' && !alternation) throw new Unsupported('alternation');
      out += c;
      continue;
    }
    if ('(){}+?|/'.includes(c)) out += `\\${c}`;
    else out += c;
  }
  return out;
}

