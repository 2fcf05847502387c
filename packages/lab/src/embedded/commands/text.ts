// Line and byte filters of coreutils: head, tail, wc, tee, cut, tr, sort,
// uniq, basename, dirname. They read their operands (or stdin) as bytes and
// write bytes; options are GNU's, the ones scripts use.
import { defineCommand, type Command } from 'just-bash';
import { ShellFs } from '../vfs.ts';
import { errnoText, fail, readStdin, type Proc } from './context.ts';
import { bytesResult, linesOf, parseOptions, readInputs, usage } from './input.ts';

/** `-5` is `-n 5` (head, tail). */
function countShorthand(args: readonly string[]): string[] {
  return args.map((a, i) => (/^-\d+$/.test(a) && !/^-[nc]$|^--(lines|bytes)$/.test(args[i - 1] ?? '') ? `-n${a.slice(1)}` : a));
}

function headTail(proc: Proc, name: 'head' | 'tail'): Command {
  return defineCommand(name, async (args, ctx) => {
    const o = parseOptions(countShorthand(args), ['n', 'c', 'lines', 'bytes']);
    if (o.bad !== undefined) return usage(name, `option requires an argument -- '${o.bad.replace(/^-+/, '')}'`);
    const lineSpec = o.flags.get('n') ?? o.flags.get('lines');
    const byteSpec = o.flags.get('c') ?? o.flags.get('bytes');
    const spec = byteSpec ?? lineSpec ?? '10';
    const m = /^([+-]?)(\d+)$/.exec(spec);
    if (m === null) return fail(`${name}: invalid number of ${byteSpec !== undefined ? 'bytes' : 'lines'}: '${spec}'`);
    const n = Number(m[2]);
    const sign = m[1];
    const inputs = await readInputs(proc, ctx, name, o.operands, 'open');
    const headers = inputs.files.length > 1 && !o.flags.has('q');
    let out = '';
    inputs.files.forEach((f, i) => {
      if (headers) out += `${i > 0 ? '\n' : ''}==> ${f.name === '-' ? 'standard input' : f.name} <==\n`;
      if (byteSpec !== undefined) {
        if (name === 'head') out += sign === '-' ? f.data.slice(0, Math.max(0, f.data.length - n)) : f.data.slice(0, n);
        else out += sign === '+' ? f.data.slice(Math.max(0, n - 1)) : n === 0 ? '' : f.data.slice(-n);
        return;
      }
      const lines = linesOf(f.data);
      if (name === 'head') out += (sign === '-' ? lines.slice(0, Math.max(0, lines.length - n)) : lines.slice(0, n)).join('');
      else out += (sign === '+' ? lines.slice(Math.max(0, n - 1)) : n === 0 ? [] : lines.slice(-n)).join('');
    });
    return bytesResult(out, inputs.stderr, inputs.status);
  });
}

export function headCommand(proc: Proc): Command {
  return headTail(proc, 'head');
}

export function tailCommand(proc: Proc): Command {
  return headTail(proc, 'tail');
}

export function wcCommand(proc: Proc): Command {
  return defineCommand('wc', async (args, ctx) => {
    const o = parseOptions(args);
    let want = ['l', 'w', 'c', 'm', 'L'].filter((f) => o.flags.has(f) || o.flags.has({ l: 'lines', w: 'words', c: 'bytes', m: 'chars', L: 'max-line-length' }[f] as string));
    if (want.length === 0) want = ['l', 'w', 'c'];
    const inputs = await readInputs(proc, ctx, 'wc', o.operands);
    const rows: Array<{ counts: number[]; name: string }> = [];
    const total = want.map(() => 0);
    for (const f of inputs.files) {
      const text = Buffer.from(f.data, 'latin1').toString('utf8');
      const counts = want.map((w) => {
        switch (w) {
          case 'l':
            return (f.data.match(/\n/g) ?? []).length;
          case 'w':
            return (f.data.match(/\S+/g) ?? []).length;
          case 'c':
            return f.data.length;
          case 'm':
            return [...text].length;
          default:
            return Math.max(0, ...text.split('\n').map((l) => l.length));
        }
      });
      counts.forEach((c, i) => (total[i] = want[i] === 'L' ? Math.max(total[i] as number, c) : (total[i] as number) + c));
      rows.push({ counts, name: o.operands.length === 0 ? '' : f.name });
    }
    if (rows.length > 1) rows.push({ counts: total, name: 'total' });
    // one number from stdin alone is printed bare; otherwise columns as wide as the largest
    const single = o.operands.length === 0 && want.length === 1;
    const width = single ? 0 : Math.max(1, ...rows.flatMap((r) => r.counts.map((c) => String(c).length)));
    const out = rows.map((r) => `${r.counts.map((c) => String(c).padStart(width)).join(' ')}${r.name === '' ? '' : ` ${r.name}`}\n`).join('');
    return { stdout: out, stderr: inputs.stderr, exitCode: inputs.status };
  });
}

export function teeCommand(proc: Proc): Command {
  return defineCommand('tee', async (args, ctx) => {
    const o = parseOptions(args);
    const append = o.flags.has('a') || o.flags.has('append');
    const data = await readStdin(proc, ctx);
    const fs = new ShellFs(proc.host.store, proc);
    let stderr = '';
    for (const file of o.operands) {
      try {
        const p = fs.resolvePath(ctx.cwd, file);
        if (append) await fs.appendFile(p, data, 'binary');
        else await fs.writeFile(p, data, 'binary');
      } catch (e) {
        stderr += `tee: ${file}: ${errnoText(e)}\n`;
      }
    }
    return bytesResult(data, stderr, stderr === '' ? 0 : 1);
  });
}

/** 1-based ranges of `cut -f/-c/-b`: "1,3-5,7-" */
function ranges(spec: string): Array<[number, number]> | undefined {
  const out: Array<[number, number]> = [];
  for (const part of spec.split(',')) {
    const m = /^(\d*)(-?)(\d*)$/.exec(part);
    if (m === null || (m[1] === '' && m[3] === '')) return undefined;
    const from = m[1] === '' ? 1 : Number(m[1]);
    const to = m[2] === '' ? from : m[3] === '' ? Infinity : Number(m[3]);
    if (from < 1) return undefined;
    out.push([from, to]);
  }
  return out;
}

export function cutCommand(proc: Proc): Command {
  return defineCommand('cut', async (args, ctx) => {
    const o = parseOptions(args, ['d', 'f', 'c', 'b', 'delimiter', 'fields', 'characters', 'bytes', 'output-delimiter']);
    if (o.bad !== undefined) return usage('cut', `option requires an argument -- '${o.bad.replace(/^-+/, '')}'`);
    const fields = o.flags.get('f') ?? o.flags.get('fields');
    const chars = o.flags.get('c') ?? o.flags.get('characters') ?? o.flags.get('b') ?? o.flags.get('bytes');
    const spec = fields ?? chars;
    if (spec === undefined) return usage('cut', 'you must specify a list of bytes, characters, or fields');
    const r = ranges(spec);
    if (r === undefined) return usage('cut', `invalid field value '${spec}'`);
    const delim = o.flags.get('d') ?? o.flags.get('delimiter') ?? '\t';
    if (fields !== undefined && delim.length !== 1) return usage('cut', 'the delimiter must be a single character');
    const outDelim = o.flags.get('output-delimiter') ?? (fields !== undefined ? delim : '');
    const onlyDelimited = o.flags.has('s') || o.flags.has('only-delimited');
    const inside = (i: number) => r.some(([a, b]) => i >= a && i <= b);
    const inputs = await readInputs(proc, ctx, 'cut', o.operands);
    let out = '';
    for (const f of inputs.files) {
      for (const raw of linesOf(f.data)) {
        const line = raw.endsWith('\n') ? raw.slice(0, -1) : raw;
        if (fields !== undefined) {
          if (!line.includes(delim)) {
            if (!onlyDelimited) out += `${line}\n`;
            continue;
          }
          out += `${line.split(delim).filter((_, i) => inside(i + 1)).join(outDelim)}\n`;
        } else out += `${[...line].filter((_, i) => inside(i + 1)).join(outDelim)}\n`;
      }
    }
    return bytesResult(out, inputs.stderr, inputs.status);
  });
}

/** tr's SET: ranges a-z, classes [:upper:] ..., escapes \n \t \\. */
function trSet(spec: string): string {
  const classes: Record<string, string> = {
    upper: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
    lower: 'abcdefghijklmnopqrstuvwxyz',
    digit: '0123456789',
    space: ' \t\n\r\f\v',
    blank: ' \t',
    alpha: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz',
    alnum: '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz',
    punct: '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~',
  };
  const chars: string[] = [];
  for (let i = 0; i < spec.length; i++) {
    const cls = /^\[:([a-z]+):\]/.exec(spec.slice(i));
    if (cls !== null && classes[cls[1] as string] !== undefined) {
      chars.push(...(classes[cls[1] as string] as string));
      i += cls[0].length - 1;
      continue;
    }
    let c = spec[i] as string;
    if (c === '\\' && i + 1 < spec.length) {
      const n = spec[++i] as string;
      c = ({ n: '\n', t: '\t', r: '\r', '\\': '\\', f: '\f', v: '\v', '0': '\0' } as Record<string, string>)[n] ?? n;
    }
    if (spec[i + 1] === '-' && i + 2 < spec.length) {
      const end = spec[i + 2] as string;
      for (let x = c.charCodeAt(0); x <= end.charCodeAt(0); x++) chars.push(String.fromCharCode(x));
      i += 2;
      continue;
    }
    chars.push(c);
  }
  return chars.join('');
}

export function trCommand(proc: Proc): Command {
  return defineCommand('tr', async (args, ctx) => {
    const o = parseOptions(args);
    const del = o.flags.has('d') || o.flags.has('delete');
    const squeeze = o.flags.has('s') || o.flags.has('squeeze-repeats');
    const complement = o.flags.has('c') || o.flags.has('C');
    const [s1, s2] = o.operands.map(trSet);
    if (s1 === undefined) return usage('tr', 'missing operand');
    const data = await readStdin(proc, ctx);
    const inSet1 = (c: string) => s1.includes(c) !== complement;
    let out = '';
    let last = '';
    for (const c of data) {
      let x: string | undefined = c;
      if (del) {
        if (inSet1(c)) continue;
      } else if (s2 !== undefined && inSet1(c)) {
        x = complement ? s2[s2.length - 1] : (s2[Math.min(s1.indexOf(c), s2.length - 1)] ?? '');
      }
      const squeezeSet = del || s2 === undefined ? s2 ?? s1 : s2;
      if (squeeze && x === last && squeezeSet.includes(x as string)) continue;
      out += x;
      last = x as string;
    }
    return bytesResult(out);
  });
}

export function sortCommand(proc: Proc): Command {
  return defineCommand('sort', async (args, ctx) => {
    const o = parseOptions(args, ['t', 'k', 'o', 'field-separator', 'key', 'output']);
    if (o.bad !== undefined) return usage('sort', `option requires an argument -- '${o.bad.replace(/^-+/, '')}'`);
    const numeric = o.flags.has('n') || o.flags.has('numeric-sort');
    const version = o.flags.has('V') || o.flags.has('version-sort');
    const reverse = o.flags.has('r') || o.flags.has('reverse');
    const unique = o.flags.has('u') || o.flags.has('unique');
    const sep = o.flags.get('t') ?? o.flags.get('field-separator');
    const key = o.flags.get('k') ?? o.flags.get('key');
    const inputs = await readInputs(proc, ctx, 'sort', o.operands, 'read');
    const lines = inputs.files.flatMap((f) => linesOf(f.data).map((l) => (l.endsWith('\n') ? l.slice(0, -1) : l)));
    const keyOf = (line: string): string => {
      if (key === undefined) return line;
      const m = /^(\d+)(?:,(\d+))?/.exec(key);
      if (m === null) return line;
      const fields = sep === undefined ? line.trim().split(/\s+/) : line.split(sep);
      const from = Number(m[1]) - 1;
      const to = m[2] === undefined ? fields.length : Number(m[2]);
      return fields.slice(from, to).join(sep ?? ' ');
    };
    const cmp = (a: string, b: string): number => {
      const ka = keyOf(a);
      const kb = keyOf(b);
      if (numeric) {
        const d = (parseFloat(ka) || 0) - (parseFloat(kb) || 0);
        if (d !== 0) return d;
      } else if (version) {
        const d = ka.localeCompare(kb, 'en', { numeric: true });
        if (d !== 0) return d;
      } else if (ka !== kb) return ka < kb ? -1 : 1;
      return a < b ? -1 : a > b ? 1 : 0;
    };
    let sorted = [...lines].sort(cmp);
    if (reverse) sorted.reverse();
    if (unique) sorted = sorted.filter((l, i) => i === 0 || cmp(sorted[i - 1] as string, l) !== 0);
    const out = sorted.map((l) => `${l}\n`).join('');
    const target = o.flags.get('o') ?? o.flags.get('output');
    if (target !== undefined) {
      const fs = new ShellFs(proc.host.store, proc);
      try {
        await fs.writeFile(fs.resolvePath(ctx.cwd, target), out, 'binary');
      } catch (e) {
        return fail(`sort: cannot create ${target}: ${errnoText(e)}`, 2);
      }
      return bytesResult('', inputs.stderr, inputs.status === 0 ? 0 : 2);
    }
    return bytesResult(out, inputs.stderr, inputs.status === 0 ? 0 : 2);
  });
}

export function uniqCommand(proc: Proc): Command {
  return defineCommand('uniq', async (args, ctx) => {
    const o = parseOptions(args);
    const count = o.flags.has('c') || o.flags.has('count');
    const onlyDup = o.flags.has('d') || o.flags.has('repeated');
    const onlyUnique = o.flags.has('u') || o.flags.has('unique');
    const inputs = await readInputs(proc, ctx, 'uniq', o.operands.slice(0, 1));
    const lines = linesOf(inputs.files[0]?.data ?? '').map((l) => (l.endsWith('\n') ? l.slice(0, -1) : l));
    let out = '';
    for (let i = 0; i < lines.length; ) {
      let j = i + 1;
      while (j < lines.length && lines[j] === lines[i]) j++;
      const n = j - i;
      if ((!onlyDup || n > 1) && (!onlyUnique || n === 1)) out += count ? `${String(n).padStart(7)} ${lines[i]}\n` : `${lines[i]}\n`;
      i = j;
    }
    return bytesResult(out, inputs.stderr, inputs.status);
  });
}

export function basenameCommand(): Command {
  return defineCommand('basename', async (args) => {
    const o = parseOptions(args, ['s', 'suffix']);
    const multiple = o.flags.has('a') || o.flags.has('multiple') || o.flags.has('s') || o.flags.has('suffix');
    const suffix = o.flags.get('s') ?? o.flags.get('suffix') ?? (multiple ? undefined : o.operands[1]);
    const names = multiple ? o.operands : o.operands.slice(0, 1);
    if (names.length === 0) return usage('basename', 'missing operand');
    const out = names.map((n) => {
      const t = n.replace(/\/+$/, '');
      let b = t === '' ? (n === '' ? '' : '/') : t.slice(t.lastIndexOf('/') + 1);
      if (suffix !== undefined && suffix !== '' && b !== suffix && b.endsWith(suffix)) b = b.slice(0, -suffix.length);
      return `${b}\n`;
    });
    return { stdout: out.join(''), stderr: '', exitCode: 0 };
  });
}

export function dirnameCommand(): Command {
  return defineCommand('dirname', async (args) => {
    const names = args.filter((a) => a !== '--');
    if (names.length === 0) return usage('dirname', 'missing operand');
    const out = names.map((n) => {
      const t = n.replace(/\/+$/, '');
      if (t === '') return n.startsWith('/') ? '/\n' : '.\n';
      const i = t.lastIndexOf('/');
      if (i === -1) return '.\n';
      const d = t.slice(0, i).replace(/\/+$/, '');
      return `${d === '' ? '/' : d}\n`;
    });
    return { stdout: out.join(''), stderr: '', exitCode: 0 };
  });
}
