// What a command reads: its file operands, or its stdin (no operand, or
// `-`), as latin1 byte strings, and the coreutils message for each file it
// could not read.
import type { ResolvedCommandContext } from 'just-bash';
import { ShellFs } from '../vfs.ts';
import { errnoText, fail, readStdin, type Proc } from './context.ts';

export interface Inputs {
  /** one entry per operand that could be read, in order */
  files: Array<{ name: string; data: string }>;
  stderr: string;
  status: number;
}

/** How the command names a file it cannot read: `wc: F: ...`, `head: cannot open 'F' for reading: ...`, `sort: cannot read: F: ...`. */
export type ReadError = 'plain' | 'open' | 'read';

export async function readInputs(proc: Proc, ctx: ResolvedCommandContext, name: string, operands: readonly string[], style: ReadError = 'plain'): Promise<Inputs> {
  const out: Inputs = { files: [], stderr: '', status: 0 };
  const fs = new ShellFs(proc.host.store, proc);
  for (const file of operands.length === 0 ? ['-'] : operands) {
    if (file === '-') {
      out.files.push({ name: file, data: await readStdin(proc, ctx) });
      continue;
    }
    try {
      out.files.push({ name: file, data: (await fs.readFileBytes(fs.resolvePath(ctx.cwd, file))) as unknown as string });
    } catch (e) {
      const what = style === 'open' ? `cannot open '${file}' for reading` : style === 'read' ? `cannot read: ${file}` : file;
      out.stderr += `${name}: ${what}: ${errnoText(e)}\n`;
      out.status = 1;
    }
  }
  return out;
}

/** A command's result with stdout as latin1 bytes. */
export function bytesResult(stdout: string, stderr = '', exitCode = 0): { stdout: string; stderr: string; exitCode: number; stdoutKind: 'bytes' } {
  return { stdout, stderr, exitCode, stdoutKind: 'bytes' };
}

/** Lines of `data`, each with its newline (the last may have none). */
export function linesOf(data: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (;;) {
    const nl = data.indexOf('\n', start);
    if (nl === -1) {
      if (start < data.length) out.push(data.slice(start));
      return out;
    }
    out.push(data.slice(start, nl + 1));
    start = nl + 1;
  }
}

/**
 * Short options of a coreutils command: `-abc`, `-n5`, `-n 5`, `--long`,
 * `--long=value`, `--` ends them; options after operands count too (GNU).
 * `withValue`: the short and long options that take a value.
 */
export function parseOptions(
  args: readonly string[],
  withValue: readonly string[] = [],
): { flags: Map<string, string>; operands: string[]; bad?: string } {
  const flags = new Map<string, string>();
  const operands: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '--') {
      operands.push(...args.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const key = eq === -1 ? a.slice(2) : a.slice(2, eq);
      if (eq !== -1) flags.set(key, a.slice(eq + 1));
      else if (withValue.includes(key)) {
        const v = args[++i];
        if (v === undefined) return { flags, operands, bad: a };
        flags.set(key, v);
      } else flags.set(key, '');
      continue;
    }
    if (a.length < 2 || !a.startsWith('-')) {
      operands.push(a);
      continue;
    }
    for (let j = 1; j < a.length; j++) {
      const f = a[j] as string;
      if (withValue.includes(f)) {
        const v = j + 1 < a.length ? a.slice(j + 1) : args[++i];
        if (v === undefined) return { flags, operands, bad: `-${f}` };
        flags.set(f, v);
        break;
      }
      flags.set(f, '');
    }
  }
  return { flags, operands };
}

/** A usage error as coreutils print it (the message, then where help is). */
export function usage(name: string, message: string, status = 1): ReturnType<typeof fail> {
  return fail(`${name}: ${message}\nTry '${name} --help' for more information.`, status);
}
