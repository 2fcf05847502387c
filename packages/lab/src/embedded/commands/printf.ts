// echo and printf as bash's builtins do them: echo's -n/-e/-E, printf's
// format reused until the arguments run out, %b and the escapes of both.
import { defineCommand, type Command } from 'just-bash';

/** Backslash escapes of `echo -e` and `%b` (`\c` stops all output: `stop`). */
function escapes(s: string, octalNeedsZero: boolean): { text: string; stop: boolean } {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (c !== '\\' || i + 1 >= s.length) {
      out += c;
      continue;
    }
    const n = s[++i] as string;
    switch (n) {
      case 'a': out += '\x07'; break;
      case 'b': out += '\b'; break;
      case 'c': return { text: out, stop: true };
      case 'e': case 'E': out += '\x1b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'v': out += '\v'; break;
      case '\\': out += '\\'; break;
      case 'x': {
        const m = /^[0-9a-fA-F]{1,2}/.exec(s.slice(i + 1));
        if (m === null) out += '\\x';
        else {
          out += String.fromCharCode(parseInt(m[0], 16));
          i += m[0].length;
        }
        break;
      }
      default: {
        const digits = octalNeedsZero ? (n === '0' ? /^[0-7]{0,3}/.exec(s.slice(i + 1)) : null) : /^[0-7]{1,3}/.exec(s.slice(i));
        if (digits !== null) {
          out += String.fromCharCode(parseInt(digits[0] || '0', 8) & 0xff);
          i += octalNeedsZero ? digits[0].length : digits[0].length - 1;
        } else out += `\\${n}`;
      }
    }
  }
  return { text: out, stop: false };
}

export function echoCommand(): Command {
  return defineCommand('echo', async (args) => {
    let newline = true;
    let interpret = false;
    let i = 0;
    for (; i < args.length; i++) {
      const a = args[i] as string;
      if (!/^-[neE]+$/.test(a)) break;
      for (const f of a.slice(1)) {
        if (f === 'n') newline = false;
        else interpret = f === 'e';
      }
    }
    let text = args.slice(i).join(' ');
    if (interpret) {
      const e = escapes(text, true);
      if (e.stop) return { stdout: e.text, stderr: '', exitCode: 0 };
      text = e.text;
    }
    return { stdout: newline ? `${text}\n` : text, stderr: '', exitCode: 0 };
  });
}

/** A numeric argument of printf: decimal, 0x hex, 0 octal, or 'c (the character's code). */
function numberArg(a: string | undefined, errors: string[]): number {
  if (a === undefined || a === '') return 0;
  if (/^['"]/.test(a)) return a.length > 1 ? (a.codePointAt(1) ?? 0) : 0;
  const t = a.trim();
  let v: number;
  if (/^[+-]?0[xX][0-9a-fA-F]+$/.test(t)) v = parseInt(t, 16);
  else if (/^[+-]?0[0-7]+$/.test(t)) v = parseInt(t, 8);
  else if (/^[+-]?\d+$/.test(t)) v = parseInt(t, 10);
  else if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) v = Number(t);
  else {
    errors.push(`printf: ${a}: invalid number`);
    const m = /^[+-]?\d+/.exec(t);
    return m === null ? 0 : parseInt(m[0], 10);
  }
  return v;
}

function pad(s: string, flags: string, width: number | undefined): string {
  if (width === undefined || s.length >= width) return s;
  if (flags.includes('-')) return s.padEnd(width);
  if (flags.includes('0') && /^[+-]?[0-9]/.test(s)) {
    const sign = /^[+-]/.test(s) ? (s[0] as string) : '';
    return sign + s.slice(sign.length).padStart(width - sign.length, '0');
  }
  return s.padStart(width);
}

/** %q: a word the shell reads back as `s`. */
function shellQuoted(s: string): string {
  if (s === '') return "''";
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s;
  return s.replace(/[^A-Za-z0-9_@%+=:,./-]/g, (c) => (c === '\n' ? "$'\\n'" : `\\${c}`));
}

const CONVERSION = /%([-+ #0]*)(\*|\d+)?(?:\.(\*|\d*))?([diouxXeEfFgGcsbq%])/y;

export function printfCommand(): Command {
  return defineCommand('printf', async (args, ctx) => {
    let a = [...args];
    let varName: string | undefined;
    if (a[0] === '-v') {
      varName = a[1];
      a = a.slice(2);
    }
    if (a[0] === '--') a = a.slice(1);
    const format = a[0];
    if (format === undefined) return { stdout: '', stderr: 'bash: printf: usage: printf [-v var] format [arguments]\n', exitCode: 2 };
    const rest = a.slice(1);
    const errors: string[] = [];
    let out = '';
    let used = 0;
    let stop = false;
    do {
      const start = used;
      for (let i = 0; i < format.length && !stop; ) {
        const c = format[i] as string;
        if (c === '\\') {
          const m = /^\\(?:[0-7]{1,3}|x[0-9a-fA-F]{1,2}|.)/s.exec(format.slice(i));
          const seq = m === null ? '\\' : m[0];
          const e = escapes(seq, false);
          out += e.text;
          i += seq.length;
          continue;
        }
        if (c !== '%') {
          out += c;
          i++;
          continue;
        }
        CONVERSION.lastIndex = i;
        const m = CONVERSION.exec(format);
        if (m === null) {
          errors.push(`printf: ${format.slice(i, i + 2)}: invalid format character`);
          stop = true;
          break;
        }
        i += m[0].length;
        const flags = m[1] ?? '';
        const conv = m[4] as string;
        if (conv === '%') {
          out += '%';
          continue;
        }
        const width = m[2] === '*' ? numberArg(rest[used++], errors) : m[2] === undefined ? undefined : Number(m[2]);
        const precision = m[3] === undefined ? undefined : m[3] === '*' ? numberArg(rest[used++], errors) : Number(m[3] || '0');
        const arg = rest[used++];
        switch (conv) {
          case 's':
            out += pad(precision === undefined ? (arg ?? '') : (arg ?? '').slice(0, precision), flags, width);
            break;
          case 'b': {
            const e = escapes(arg ?? '', true);
            out += pad(e.text, flags, width);
            if (e.stop) stop = true;
            break;
          }
          case 'q':
            out += pad(shellQuoted(arg ?? ''), flags, width);
            break;
          case 'c':
            out += pad((arg ?? '').slice(0, 1), flags, width);
            break;
          case 'd':
          case 'i': {
            const v = Math.trunc(numberArg(arg, errors));
            let s = String(Math.abs(v));
            if (precision !== undefined) s = s.padStart(precision, '0');
            s = (v < 0 ? '-' : flags.includes('+') ? '+' : flags.includes(' ') ? ' ' : '') + s;
            out += pad(s, flags, width);
            break;
          }
          case 'o':
          case 'u':
          case 'x':
          case 'X': {
            let v = Math.trunc(numberArg(arg, errors));
            if (v < 0) v = Number(BigInt.asUintN(64, BigInt(v)));
            let s = conv === 'o' ? v.toString(8) : conv === 'u' ? String(v) : v.toString(16);
            if (conv === 'X') s = s.toUpperCase();
            if (precision !== undefined) s = s.padStart(precision, '0');
            if (flags.includes('#') && v !== 0) s = (conv === 'o' ? '0' : conv === 'x' ? '0x' : conv === 'X' ? '0X' : '') + s;
            out += pad(s, flags, width);
            break;
          }
          default: {
            const v = numberArg(arg, errors);
            const p = precision ?? 6;
            let s = conv === 'e' || conv === 'E' ? v.toExponential(p).replace(/e([+-])(\d)$/, 'e$10$2') : conv === 'g' || conv === 'G' ? String(Number(v.toPrecision(p || 1))) : v.toFixed(p);
            if (conv === 'E' || conv === 'G' || conv === 'F') s = s.toUpperCase();
            if (v >= 0 && flags.includes('+')) s = `+${s}`;
            out += pad(s, flags, width);
          }
        }
      }
      // the format is used again while arguments are left (and it used some)
      if (used === start) break;
    } while (used < rest.length && !stop);
    const stderr = errors.map((e) => `bash: ${e}\n`).join('');
    const status = errors.length > 0 ? 1 : 0;
    if (varName !== undefined) {
      ctx.assignShellVariable?.(varName, out);
      return { stdout: '', stderr, exitCode: status };
    }
    return { stdout: out, stderr, exitCode: status };
  });
}
