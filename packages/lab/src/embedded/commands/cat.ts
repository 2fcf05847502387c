// cat: files (or stdin) as bytes, with the real reason of a failure;
// -n numbers the lines, -E ends them with `$`; -u is accepted (no buffering
// here). Another option fails and says so.
import { defineCommand, type Command } from 'just-bash';
import { ShellFs } from '../vfs.ts';
import { errnoText, readStdin, type Proc } from './context.ts';

export function catCommand(proc: Proc): Command {
  return defineCommand('cat', async (args, ctx) => {
    let endOfOptions = false;
    let number = false;
    let ends = false;
    const files: string[] = [];
    for (const arg of args) {
      if (!endOfOptions && arg === '--') endOfOptions = true;
      else if (!endOfOptions && arg.startsWith('-') && arg !== '-') {
        for (const f of arg.startsWith('--') ? [arg] : arg.slice(1)) {
          if (f === 'n' || f === '--number') number = true;
          else if (f === 'E' || f === '--show-ends') ends = true;
          else if (f !== 'u') return { stdout: '', stderr: `cat: ${f.startsWith('--') ? f : `-${f}`}: not supported by the lab's cat\n`, exitCode: 1 };
        }
      } else files.push(arg);
    }
    if (files.length === 0) files.push('-');
    const fs = new ShellFs(proc.host.store, proc);
    let stdout = '';
    let stderr = '';
    let status = 0;
    for (const file of files) {
      if (file === '-') {
        stdout += await readStdin(proc, ctx);
        continue;
      }
      try {
        stdout += (await fs.readFileBytes(fs.resolvePath(ctx.cwd, file))) as unknown as string;
      } catch (e) {
        stderr += `cat: ${file}: ${errnoText(e)}\n`;
        status = 1;
      }
    }
    if (number || ends) {
      let n = 0;
      stdout = stdout.replace(/[^\n]*\n|[^\n]+$/g, (line) => {
        const nl = line.endsWith('\n');
        const body = nl ? line.slice(0, -1) : line;
        return `${number ? `${String(++n).padStart(6)}\t` : ''}${body}${ends && nl ? '$' : ''}${nl ? '\n' : ''}`;
      });
    }
    return { stdout, stderr, exitCode: status, stdoutKind: 'bytes', stdoutEncoding: 'binary' };
  });
}
