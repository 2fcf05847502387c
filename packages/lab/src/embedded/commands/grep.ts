// grep for what hosts are sent: `grep -c '^processor' /proc/cpuinfo`,
// `grep . /sys/bus/pci/devices/*/vendor ...`, `grep -i -E 'DMAR|IOMMU'`,
// `grep -q`, `grep -m 1`: the options -c -q -i -E -F -v -n -h -H -l -s -x -w
// -m N -e PAT over files or stdin, with JavaScript's regular expressions.
// Another option, or a pattern that does not translate, fails with status 2
// and says so (the lab does not simulate it); a file that cannot be read is
// reported as GNU grep does, and the others are still searched.
import { defineCommand, latin1FromBytes, type Command } from 'just-bash';
import { ShellFs } from '../vfs.ts';
import { bytesToText } from '../sh/bytes.ts';
import { errnoText, type Proc } from './context.ts';
import { posixRegex, Unsupported } from './posix-regex.ts';

interface GrepArgs {
  patterns: string[];
  files: string[];
  ere: boolean;
  fixed: boolean;
  ignoreCase: boolean;
  invert: boolean;
  count: boolean;
  quiet: boolean;
  lineNumbers: boolean;
  names: boolean | undefined;
  listFiles: boolean;
  wholeLine: boolean;
  wholeWord: boolean;
  max: number | undefined;
  /** -s: no message for a file that cannot be read */
  noMessages: boolean;
}

function parseArgs(args: string[]): GrepArgs {
  const g: GrepArgs = { patterns: [], files: [], ere: false, fixed: false, ignoreCase: false, invert: false, count: false, quiet: false, lineNumbers: false, names: undefined, listFiles: false, wholeLine: false, wholeWord: false, max: undefined, noMessages: false };
  const operands: string[] = [];
  let patternGiven = false;
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
    if (a.startsWith('--')) {
      if (a === '--quiet' || a === '--silent') g.quiet = true;
      else if (a === '--count') g.count = true;
      else if (a === '--ignore-case') g.ignoreCase = true;
      else if (a === '--extended-regexp') g.ere = true;
      else if (a === '--fixed-strings') g.fixed = true;
      else if (a === '--invert-match') g.invert = true;
      else if (a === '--line-number') g.lineNumbers = true;
      else if (a === '--no-filename') g.names = false;
      else if (a === '--with-filename') g.names = true;
      else if (a === '--no-messages') g.noMessages = true;
      else if (a.startsWith('--regexp=')) {
        g.patterns.push(a.slice(9));
        patternGiven = true;
      } else if (a.startsWith('--max-count=') && /^\d+$/.test(a.slice(12))) g.max = Number(a.slice(12));
      else throw new Unsupported(a);
      continue;
    }
    for (let j = 1; j < a.length; j++) {
      const f = a[j] as string;
      if (f === 'c') g.count = true;
      else if (f === 'q') g.quiet = true;
      else if (f === 'i') g.ignoreCase = true;
      else if (f === 'E') g.ere = true;
      else if (f === 'F') g.fixed = true;
      else if (f === 'G') g.ere = false;
      else if (f === 'v') g.invert = true;
      else if (f === 'n') g.lineNumbers = true;
      else if (f === 'h') g.names = false;
      else if (f === 'H') g.names = true;
      else if (f === 'l') g.listFiles = true;
      else if (f === 's') g.noMessages = true;
      else if (f === 'x') g.wholeLine = true;
      else if (f === 'w') g.wholeWord = true;
      else if (f === 'e' || f === 'm') {
        const rest = a.slice(j + 1);
        const v = rest !== '' ? rest : args[++i];
        if (v === undefined) throw new Unsupported(`-${f}`);
        if (f === 'e') {
          g.patterns.push(v);
          patternGiven = true;
        } else {
          if (!/^\d+$/.test(v)) throw new Unsupported('-m');
          g.max = Number(v);
        }
        break;
      } else throw new Unsupported(`-${f}`);
    }
  }
  operands.push(...args.slice(i));
  if (!patternGiven) {
    const p = operands.shift();
    if (p === undefined) throw new Unsupported('no pattern');
    g.patterns.push(...p.split('\n'));
  }
  g.files = operands;
  return g;
}

function matcher(g: GrepArgs): RegExp {
  const sources = g.patterns.map((p) => (g.fixed ? p.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&') : posixRegex(p, g.ere, true)));
  let src = sources.length === 1 ? (sources[0] as string) : sources.map((s) => `(?:${s})`).join('|');
  if (g.wholeLine) src = `^(?:${src})$`;
  else if (g.wholeWord) src = `(?<![A-Za-z0-9_])(?:${src})(?![A-Za-z0-9_])`;
  try {
    return new RegExp(src, g.ignoreCase ? 'i' : '');
  } catch {
    throw new Unsupported('regex');
  }
}

export function grepCommand(proc: Proc): Command {
  return defineCommand('grep', async (args, ctx) => {
    let g: GrepArgs;
    let re: RegExp;
    try {
      g = parseArgs(args);
      re = matcher(g);
    } catch (e) {
      if (e instanceof Unsupported) return { stdout: '', stderr: `grep: ${e.message}: not supported by the lab's grep\n`, exitCode: 2 };
      throw e;
    }
    let stderr = '';
    const inputs: Array<[string, string]> = [];
    let failed = false;
    if (g.files.length === 0) inputs.push(['(standard input)', bytesToText(latin1FromBytes(ctx.stdin))]);
    else {
      const fs = new ShellFs(proc.host.store, proc);
      for (const f of g.files) {
        if (f === '-') {
          inputs.push(['(standard input)', bytesToText(latin1FromBytes(ctx.stdin))]);
          continue;
        }
        try {
          inputs.push([f, await fs.readFile(fs.resolvePath(ctx.cwd, f))]);
        } catch (e) {
          if (!g.noMessages) stderr += `grep: ${f}: ${errnoText(e)}\n`;
          failed = true;
        }
      }
    }
    const names = g.names ?? g.files.length > 1;
    let out = '';
    let any = false;
    for (const [name, text] of inputs) {
      const lines = text.split('\n');
      if (text.endsWith('\n') || text === '') lines.pop();
      let n = 0;
      for (let k = 0; k < lines.length; k++) {
        if (g.max !== undefined && n >= g.max) break;
        const line = lines[k] as string;
        if (re.test(line) === g.invert) continue;
        n++;
        any = true;
        if (g.quiet) return { stdout: '', stderr, exitCode: 0 };
        if (g.count || g.listFiles) continue;
        out += `${names ? `${name}:` : ''}${g.lineNumbers ? `${k + 1}:` : ''}${line}\n`;
      }
      if (g.listFiles) {
        if (n > 0) out += `${name}\n`;
      } else if (g.count) out += `${names ? `${name}:` : ''}${n}\n`;
    }
    return { stdout: out, stderr, exitCode: failed ? 2 : any ? 0 : 1 };
  });
}
