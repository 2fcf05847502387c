// cat with the real reason of a failure (just-bash's cat says "No such file
// or directory" for everything, also for "Permission denied"). Options
// other than `-`/`--`/`-u` go to just-bash's cat.
import { defineCommand, type Command } from 'just-bash';
import { ShellFs } from '../vfs.ts';
import { errnoText, readStdin, type Proc } from './context.ts';

export function catCommand(proc: Proc): Command {
  return defineCommand('cat', async (args, ctx) => {
    let endOfOptions = false;
    const files: string[] = [];
    for (const arg of args) {
      if (!endOfOptions && arg === '--') endOfOptions = true;
      else if (!endOfOptions && arg === '-u') continue;
      else if (!endOfOptions && arg.startsWith('-') && arg !== '-') {
        if (ctx.origCommand !== undefined) return ctx.origCommand(args);
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
    return { stdout, stderr, exitCode: status, stdoutKind: 'bytes', stdoutEncoding: 'binary' };
  });
}
