// sed for the scripts hosts are sent most: `sed -n '1,/^$/p' FILE`,
// `sed 's/^/x /'`, `sed -n 3p`: addresses (N, $, /RE/, ranges, !), the
// commands p, d, q and s///[gpN], basic and extended regular expressions
// translated to JavaScript's; -i edits files in place (-i.SUF keeps a
// copy). Another script, option or regular expression fails with status 1
// and says so (the lab does not simulate it); a file that cannot be read is
// reported as GNU sed does.
import { defineCommand, latin1FromBytes, type Command } from 'just-bash';
import { ShellFs } from '../vfs.ts';
import { bytesToText } from '../sh/bytes.ts';
import { errnoText, type Proc } from './context.ts';
import { posixRegex, Unsupported } from './posix-regex.ts';

type Addr = { line: number } | { last: true } | { re: RegExp };

interface SedCmd {
  a1?: Addr | undefined;
  a2?: Addr | undefined;
  negate: boolean;
  op: 'p' | 'd' | 'q' | 's';
  exit?: number;
  re?: RegExp;
  /** replacement pieces: text, or a group number (0: the whole match) */
  rep?: Array<string | number>;
  global?: boolean;
  nth?: number;
  print?: boolean;
}



function compile(re: string, ere: boolean, flags: string): RegExp {
  if (re === '') throw new Unsupported('empty regex');
  try {
    return new RegExp(posixRegex(re, ere, false), flags);
  } catch (e) {
    if (e instanceof Unsupported) throw e;
    throw new Unsupported('regex');
  }
}

/** Text up to the unescaped delimiter from `i`: [raw text, index of the delimiter]. */
function upTo(s: string, i: number, delim: string): [string, number] {
  let out = '';
  let inBracket = false;
  for (let j = i; j < s.length; j++) {
    const c = s[j] as string;
    if (c === '\\' && j + 1 < s.length) {
      const n = s[j + 1] as string;
      // an escaped delimiter is the delimiter character itself
      out += n === delim && delim !== '\\' ? (/[.*[\]^$\\+?(){}|]/.test(n) ? `\\${n}` : n) : c + n;
      j++;
      continue;
    }
    if (c === '[' && !inBracket) inBracket = true;
    else if (c === ']' && inBracket) inBracket = false;
    if (c === delim && !inBracket) return [out, j];
    if (c === '\n') throw new Unsupported('newline');
    out += c;
  }
  throw new Unsupported('unterminated');
}

function replacement(raw: string): Array<string | number> {
  const out: Array<string | number> = [];
  let text = '';
  const flush = () => {
    if (text !== '') out.push(text);
    text = '';
  };
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i] as string;
    if (c === '&') {
      flush();
      out.push(0);
    } else if (c === '\\') {
      const n = raw[++i];
      if (n === undefined) throw new Unsupported('trailing backslash');
      if (/[0-9]/.test(n)) {
        flush();
        out.push(Number(n));
      } else if (n === 'n') text += '\n';
      else if (n === 't') text += '\t';
      else if (/[LlUuEc]/.test(n)) throw new Unsupported('case conversion');
      else text += n;
    } else text += c;
  }
  flush();
  return out;
}

function address(s: string, i: number, ere: boolean): [Addr | undefined, number] {
  const c = s[i];
  if (c !== undefined && /[0-9]/.test(c)) {
    let j = i;
    while (j < s.length && /[0-9]/.test(s[j] as string)) j++;
    const n = Number(s.slice(i, j));
    if (n === 0 || s[j] === '~') throw new Unsupported('address');
    return [{ line: n }, j];
  }
  if (c === '$') return [{ last: true }, i + 1];
  if (c === '/') {
    const [re, end] = upTo(s, i + 1, '/');
    let j = end + 1;
    let flags = '';
    if (s[j] === 'I') {
      flags = 'i';
      j++;
    }
    return [{ re: compile(re, ere, flags) }, j];
  }
  if (c === '\\') throw new Unsupported('custom delimiter address');
  return [undefined, i];
}

/** The commands of a script, or Unsupported. */
export function parseSedScript(script: string, ere: boolean): SedCmd[] {
  const cmds: SedCmd[] = [];
  let i = 0;
  const ws = () => {
    while (i < script.length && (script[i] === ' ' || script[i] === '\t')) i++;
  };
  for (;;) {
    while (i < script.length && /[\s;]/.test(script[i] as string)) i++;
    if (i >= script.length) break;
    const cmd: SedCmd = { negate: false, op: 'p' };
    let a: Addr | undefined;
    [a, i] = address(script, i, ere);
    cmd.a1 = a;
    ws();
    if (a !== undefined && script[i] === ',') {
      i++;
      ws();
      [a, i] = address(script, i, ere);
      if (a === undefined) throw new Unsupported('range end');
      cmd.a2 = a;
      ws();
    }
    if (script[i] === '!') {
      cmd.negate = true;
      i++;
      ws();
    }
    const op = script[i++];
    if (op === 'p' || op === 'd') cmd.op = op;
    else if (op === 'q') {
      cmd.op = 'q';
      ws();
      let j = i;
      while (j < script.length && /[0-9]/.test(script[j] as string)) j++;
      cmd.exit = j > i ? Number(script.slice(i, j)) : 0;
      i = j;
    } else if (op === 's') {
      const delim = script[i];
      if (delim === undefined || /[\s\\\n]/.test(delim) || /[A-Za-z0-9]/.test(delim)) throw new Unsupported('delimiter');
      const [re, e1] = upTo(script, i + 1, delim);
      const [rep, e2] = upTo(script, e1 + 1, delim);
      i = e2 + 1;
      let flags = '';
      cmd.op = 's';
      cmd.global = false;
      for (; i < script.length; i++) {
        const f = script[i] as string;
        if (f === 'g') cmd.global = true;
        else if (f === 'p') cmd.print = true;
        else if (f === 'i' || f === 'I') flags += 'i';
        else if (/[0-9]/.test(f)) {
          let j = i;
          while (j < script.length && /[0-9]/.test(script[j] as string)) j++;
          cmd.nth = Number(script.slice(i, j));
          i = j - 1;
        } else break;
      }
      cmd.re = compile(re, ere, `${flags}g`);
      cmd.rep = replacement(rep);
    } else throw new Unsupported(`command ${op ?? ''}`);
    ws();
    const end = script[i];
    if (end !== undefined && end !== ';' && end !== '\n') throw new Unsupported('after command');
    cmds.push(cmd);
  }
  return cmds;
}

function substitute(line: string, cmd: SedCmd): [string, boolean] {
  const re = cmd.re as RegExp;
  const rep = cmd.rep as Array<string | number>;
  re.lastIndex = 0;
  let out = '';
  let last = 0;
  let count = 0;
  let done = false;
  let m: RegExpExecArray | null;
  let prevEnd = -1;
  while ((m = re.exec(line)) !== null) {
    // an empty match right after the previous match does not count (s/a*/X/g on "a": "X")
    if (m[0].length === 0 && m.index === prevEnd) {
      re.lastIndex++;
      if (re.lastIndex > line.length) break;
      continue;
    }
    prevEnd = m.index + m[0].length;
    count++;
    const wanted = cmd.nth === undefined ? count === 1 || cmd.global === true : count === cmd.nth || (cmd.global === true && count > cmd.nth);
    if (wanted) {
      out += line.slice(last, m.index);
      for (const piece of rep) out += typeof piece === 'string' ? piece : (m[piece] ?? '');
      last = m.index + m[0].length;
      done = true;
      if (cmd.global !== true && (cmd.nth === undefined || count >= cmd.nth)) break;
    }
    if (m[0].length === 0) re.lastIndex++;
  }
  if (!done) return [line, false];
  return [out + line.slice(last), true];
}

function hit(a: Addr, i: number, n: number, line: string): boolean {
  return 'line' in a ? a.line === i + 1 : 'last' in a ? i === n - 1 : a.re.test(line);
}

/** Run parsed commands over the input text. */
export function runSed(cmds: SedCmd[], input: string, quiet: boolean): { stdout: string; exitCode: number } {
  const lines = input.split('\n');
  const trailing = input.endsWith('\n');
  if (trailing || input === '') lines.pop();
  const n = lines.length;
  const active = cmds.map(() => false);
  let out = '';
  for (let i = 0; i < n; i++) {
    let line = lines[i] as string;
    const eol = i === n - 1 && !trailing ? '' : '\n';
    let deleted = false;
    let quit: number | undefined;
    for (let k = 0; k < cmds.length; k++) {
      const c = cmds[k] as SedCmd;
      let match: boolean;
      if (c.a1 === undefined) match = true;
      else if (c.a2 === undefined) match = hit(c.a1, i, n, line);
      else if (active[k] === true) {
        match = true;
        // a line-number end at or before this line, or a matching regex, closes the range here
        const a2 = c.a2;
        if ('line' in a2 ? a2.line <= i + 1 : hit(a2, i, n, line)) active[k] = false;
      } else if (hit(c.a1, i, n, line)) {
        match = true;
        const a2 = c.a2;
        // the end is looked for from the next line on; a line number not after this one ends it at once
        active[k] = 'line' in a2 ? a2.line > i + 1 : !('last' in a2 && i === n - 1);
      } else match = false;
      if (c.negate) match = !match;
      if (!match) continue;
      if (c.op === 'p') out += line + eol;
      else if (c.op === 'd') {
        deleted = true;
        break;
      } else if (c.op === 'q') {
        quit = c.exit ?? 0;
        break;
      } else {
        const [next, changed] = substitute(line, c);
        line = next;
        if (changed && c.print === true) out += line + eol;
      }
    }
    if (!deleted && !quiet) out += line + eol;
    if (quit !== undefined) return { stdout: out, exitCode: quit };
  }
  return { stdout: out, exitCode: 0 };
}

interface SedArgs {
  quiet: boolean;
  /** -i: each file edited in place; the suffix of its backup ('' for none) */
  inPlace: string | undefined;
  ere: boolean;
  script: string;
  files: string[];
}

function parseArgs(args: string[]): SedArgs {
  let quiet = false;
  let inPlace: string | undefined;
  let ere = false;
  const scripts: string[] = [];
  const operands: string[] = [];
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '--') {
      i++;
      break;
    }
    if (a === '-' || !a.startsWith('-')) {
      operands.push(a);
      continue;
    }
    if (a === '--quiet' || a === '--silent') quiet = true;
    else if (a === '--regexp-extended') ere = true;
    else if (a.startsWith('--expression=')) scripts.push(a.slice(13));
    else if (a === '--in-place' || a.startsWith('--in-place=')) inPlace = a.slice('--in-place='.length);
    else if (a.startsWith('--')) throw new Unsupported(a);
    else {
      for (let j = 1; j < a.length; j++) {
        const f = a[j] as string;
        if (f === 'n') quiet = true;
        else if (f === 'E' || f === 'r') ere = true;
        else if (f === 'i') {
          inPlace = a.slice(j + 1);
          break;
        } else if (f === 'e') {
          const rest = a.slice(j + 1);
          const s = rest !== '' ? rest : args[++i];
          if (s === undefined) throw new Unsupported('-e');
          scripts.push(s);
          break;
        } else throw new Unsupported(`-${f}`);
      }
    }
  }
  operands.push(...args.slice(i));
  if (scripts.length === 0) {
    const s = operands.shift();
    if (s === undefined) throw new Unsupported('no script');
    scripts.push(s);
  }
  return { quiet, inPlace, ere, script: scripts.join('\n'), files: operands };
}

export function sedCommand(proc: Proc): Command {
  return defineCommand('sed', async (args, ctx) => {
    let parsed: SedArgs;
    let cmds: SedCmd[];
    try {
      parsed = parseArgs(args);
      cmds = parseSedScript(parsed.script, parsed.ere);
    } catch (e) {
      if (e instanceof Unsupported) return { stdout: '', stderr: `sed: ${e.message}: not supported by the lab's sed\n`, exitCode: 1 };
      throw e;
    }
    const fs = new ShellFs(proc.host.store, proc);
    const read = async (f: string): Promise<string | { error: string }> => {
      if (f === '-') return bytesToText(latin1FromBytes(ctx.stdin));
      try {
        return await fs.readFile(fs.resolvePath(ctx.cwd, f));
      } catch (e) {
        return { error: `sed: can't read ${f}: ${errnoText(e)}\n` };
      }
    };
    let stderr = '';
    if (parsed.inPlace !== undefined) {
      if (parsed.files.length === 0) return { stdout: '', stderr: 'sed: no input files\n', exitCode: 1 };
      let status = 0;
      for (const f of parsed.files) {
        const text = await read(f);
        if (typeof text !== 'string') {
          stderr += text.error;
          status = 2;
          continue;
        }
        const r = runSed(cmds, text, parsed.quiet);
        const path = fs.resolvePath(ctx.cwd, f);
        try {
          if (parsed.inPlace !== '') await fs.writeFile(`${path}${parsed.inPlace}`, text);
          await fs.writeFile(path, r.stdout);
        } catch (e) {
          stderr += `sed: couldn't edit ${f}: ${errnoText(e)}\n`;
          status = 4;
        }
        if (r.exitCode !== 0) return { stdout: '', stderr, exitCode: r.exitCode };
      }
      return { stdout: '', stderr, exitCode: status };
    }
    let input = '';
    let status = 0;
    for (const f of parsed.files.length === 0 ? ['-'] : parsed.files) {
      const text = await read(f);
      if (typeof text === 'string') input += text;
      else {
        stderr += text.error;
        status = 2;
      }
    }
    const r = runSed(cmds, input, parsed.quiet);
    return { stdout: r.stdout, stderr, exitCode: r.exitCode !== 0 ? r.exitCode : status };
  });
}
