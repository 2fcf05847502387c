// mktemp: a new file (0600) or directory (0700) owned by the caller.
import { randomBytes } from 'node:crypto';
import { defineCommand, type Command } from 'just-bash';
import { ShellFs } from '../vfs.ts';
import { errnoText, fail, type Proc } from './context.ts';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function fillTemplate(template: string, xs: number): string {
  const bytes = randomBytes(xs);
  let out = '';
  for (let i = 0; i < xs; i++) out += ALPHABET[(bytes[i] as number) % ALPHABET.length];
  return template.slice(0, template.length - xs) + out;
}

export function mktempCommand(proc: Proc): Command {
  return defineCommand('mktemp', async (args, ctx) => {
    let directory = false;
    let dryRun = false;
    let quiet = false;
    let tmpdir: string | undefined;
    let useTmpdir = false;
    let suffix = '';
    const operands: string[] = [];
    for (let i = 0; i < args.length; i++) {
      const arg = args[i] as string;
      if (!arg.startsWith('-') || arg === '-') operands.push(arg);
      else if (arg === '--directory') directory = true;
      else if (arg === '--dry-run') dryRun = true;
      else if (arg === '--quiet') quiet = true;
      else if (arg === '--tmpdir') useTmpdir = true;
      else if (arg.startsWith('--tmpdir=')) {
        useTmpdir = true;
        tmpdir = arg.slice(9);
      } else if (arg.startsWith('--suffix=')) suffix = arg.slice(9);
      else if (arg === '--suffix') suffix = args[++i] ?? '';
      else if (arg.startsWith('--')) return fail(`mktemp: unrecognized option '${arg}'\nTry 'mktemp --help' for more information.`);
      else {
        const flags = arg.slice(1);
        for (let j = 0; j < flags.length; j++) {
          const c = flags[j];
          if (c === 'd') directory = true;
          else if (c === 'u') dryRun = true;
          else if (c === 'q') quiet = true;
          else if (c === 't') useTmpdir = true;
          else if (c === 'p') {
            useTmpdir = true;
            tmpdir = flags.slice(j + 1) || args[++i];
            break;
          } else return fail(`mktemp: invalid option -- '${c}'\nTry 'mktemp --help' for more information.`);
        }
      }
    }
    if (operands.length > 1) return fail(`mktemp: too many templates\nTry 'mktemp --help' for more information.`);
    let template = operands[0];
    if (template === undefined) {
      template = 'tmp.XXXXXXXXXX';
      useTmpdir = true;
    }
    const xs = (/X*$/.exec(template)?.[0] ?? '').length;
    if (xs < 3) return fail(`mktemp: too few X's in template ‘${template}’`);
    if (useTmpdir && template.includes('/')) return fail(`mktemp: invalid template, ‘${template}’, contains directory separator`);
    const base = useTmpdir ? (tmpdir === undefined || tmpdir === '' ? (ctx.env.get('TMPDIR') || '/tmp') : tmpdir) : undefined;
    const fs = new ShellFs(proc.host.store, proc);
    for (let attempt = 0; attempt < 100; attempt++) {
      const name = fillTemplate(template, xs) + suffix;
      const display = base === undefined ? name : `${base.replace(/\/$/, '')}/${name}`;
      const path = fs.resolvePath(ctx.cwd, display);
      if (await fs.exists(path)) continue;
      if (dryRun) return { stdout: `${display}\n`, stderr: '', exitCode: 0 };
      try {
        if (directory) {
          await fs.mkdir(path);
          await fs.chmod(path, 0o700);
        } else {
          await fs.writeFile(path, '');
          await fs.chmod(path, 0o600);
        }
      } catch (e) {
        if (quiet) return { stdout: '', stderr: '', exitCode: 1 };
        return fail(`mktemp: failed to create ${directory ? 'directory' : 'file'} via template ‘${display.slice(0, display.length - xs - suffix.length)}${'X'.repeat(xs)}${suffix}’: ${errnoText(e)}`);
      }
      return { stdout: `${display}\n`, stderr: '', exitCode: 0 };
    }
    return fail('mktemp: failed to create a unique name');
  });
}
