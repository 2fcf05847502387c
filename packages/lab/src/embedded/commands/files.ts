// File commands of coreutils over the host's files, as the login user:
// mkdir, rmdir, rm, mv, touch, ln, readlink. Messages are GNU's.
import { defineCommand, type Command } from 'just-bash';
import { basenameOf, ShellFs } from '../vfs.ts';
import { errnoText, fail, type Proc } from './context.ts';
import { parseOptions, usage } from './input.ts';

interface Outcome {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** Run `each` for every operand; messages gathered, status 1 when one failed. */
async function forEach(operands: readonly string[], each: (op: string) => Promise<string | undefined>): Promise<Outcome> {
  let stderr = '';
  for (const op of operands) {
    const e = await each(op);
    if (e !== undefined) stderr += e.endsWith('\n') ? e : `${e}\n`;
  }
  return { stdout: '', stderr, exitCode: stderr === '' ? 0 : 1 };
}

export function mkdirCommand(proc: Proc): Command {
  return defineCommand('mkdir', async (args, ctx) => {
    const o = parseOptions(args, ['m', 'mode']);
    const parents = o.flags.has('p') || o.flags.has('parents');
    const modeText = o.flags.get('m') ?? o.flags.get('mode');
    const mode = modeText === undefined ? undefined : parseInt(modeText, 8);
    if (modeText !== undefined && (mode === undefined || !/^[0-7]{1,4}$/.test(modeText))) return usage('mkdir', `invalid mode '${modeText}'`);
    if (o.operands.length === 0) return usage('mkdir', 'missing operand');
    const fs = new ShellFs(proc.host.store, proc);
    return forEach(o.operands, async (dir) => {
      const p = fs.resolvePath(ctx.cwd, dir);
      try {
        await fs.mkdir(p, { recursive: parents });
        if (mode !== undefined) await fs.chmod(p, mode);
        return undefined;
      } catch (e) {
        return `mkdir: cannot create directory '${dir}': ${errnoText(e)}`;
      }
    });
  });
}

export function rmdirCommand(proc: Proc): Command {
  return defineCommand('rmdir', async (args, ctx) => {
    const o = parseOptions(args);
    if (o.operands.length === 0) return usage('rmdir', 'missing operand');
    const fs = new ShellFs(proc.host.store, proc);
    return forEach(o.operands, async (dir) => {
      const p = fs.resolvePath(ctx.cwd, dir);
      try {
        const s = await fs.lstat(p);
        if (!s.isDirectory) return `rmdir: failed to remove '${dir}': Not a directory`;
        await fs.rm(p);
        return undefined;
      } catch (e) {
        return `rmdir: failed to remove '${dir}': ${errnoText(e)}`;
      }
    });
  });
}

export function rmCommand(proc: Proc): Command {
  return defineCommand('rm', async (args, ctx) => {
    const o = parseOptions(args);
    const force = o.flags.has('f') || o.flags.has('force');
    const recursive = o.flags.has('r') || o.flags.has('R') || o.flags.has('recursive');
    const dirs = o.flags.has('d') || o.flags.has('dir');
    if (o.operands.length === 0) return force ? { stdout: '', stderr: '', exitCode: 0 } : usage('rm', 'missing operand');
    const fs = new ShellFs(proc.host.store, proc);
    return forEach(o.operands, async (name) => {
      const p = fs.resolvePath(ctx.cwd, name);
      let isDir: boolean;
      try {
        isDir = (await fs.lstat(p)).isDirectory;
      } catch (e) {
        return force && (e as { code?: string }).code === 'ENOENT' ? undefined : `rm: cannot remove '${name}': ${errnoText(e)}`;
      }
      if (isDir && !recursive && !dirs) return `rm: cannot remove '${name}': Is a directory`;
      try {
        await fs.rm(p, { recursive, force });
        return undefined;
      } catch (e) {
        return `rm: cannot remove '${name}': ${errnoText(e)}`;
      }
    });
  });
}

export function mvCommand(proc: Proc): Command {
  return defineCommand('mv', async (args, ctx) => {
    const o = parseOptions(args, ['t', 'target-directory', 'S', 'suffix']);
    const noClobber = o.flags.has('n') || o.flags.has('no-clobber');
    const targetDir = o.flags.get('t') ?? o.flags.get('target-directory');
    const operands = [...o.operands];
    const fs = new ShellFs(proc.host.store, proc);
    const dest = targetDir ?? operands.pop();
    if (dest === undefined || operands.length === 0) return usage('mv', dest === undefined ? 'missing file operand' : `missing destination file operand after '${dest}'`);
    const destPath = fs.resolvePath(ctx.cwd, dest);
    let destIsDir = false;
    try {
      destIsDir = (await fs.stat(destPath)).isDirectory;
    } catch {
      destIsDir = false;
    }
    if (operands.length > 1 && !destIsDir) return fail(`mv: target '${dest}': Not a directory`);
    return forEach(operands, async (src) => {
      const from = fs.resolvePath(ctx.cwd, src);
      const to = destIsDir ? `${destPath === '/' ? '' : destPath}/${basenameOf(from)}` : destPath;
      try {
        if (noClobber && (await fs.exists(to))) return undefined;
        await fs.lstat(from);
        await fs.mv(from, to);
        return undefined;
      } catch (e) {
        const code = (e as { code?: string }).code;
        if (code === 'ENOENT' && !(await fs.exists(from))) return `mv: cannot stat '${src}': No such file or directory`;
        return `mv: cannot move '${src}' to '${dest}': ${errnoText(e)}`;
      }
    });
  });
}

export function touchCommand(proc: Proc): Command {
  return defineCommand('touch', async (args, ctx) => {
    const o = parseOptions(args, ['d', 'date', 't', 'r', 'reference']);
    const noCreate = o.flags.has('c') || o.flags.has('no-create');
    const fs = new ShellFs(proc.host.store, proc);
    let when = new Date();
    const date = o.flags.get('d') ?? o.flags.get('date');
    if (date !== undefined) {
      const d = new Date(/^@\d+$/.test(date) ? Number(date.slice(1)) * 1000 : date);
      if (Number.isNaN(d.getTime())) return fail(`touch: invalid date format '${date}'`);
      when = d;
    }
    const ref = o.flags.get('r') ?? o.flags.get('reference');
    if (ref !== undefined) {
      try {
        when = (await fs.stat(fs.resolvePath(ctx.cwd, ref))).mtime;
      } catch (e) {
        return fail(`touch: failed to get attributes of '${ref}': ${errnoText(e)}`);
      }
    }
    if (o.operands.length === 0) return usage('touch', 'missing file operand');
    return forEach(o.operands, async (name) => {
      const p = fs.resolvePath(ctx.cwd, name);
      try {
        if (!(await fs.exists(p))) {
          if (noCreate) return undefined;
          await fs.writeFile(p, '');
        }
        await fs.utimes(p, when, when);
        return undefined;
      } catch (e) {
        return `touch: cannot touch '${name}': ${errnoText(e)}`;
      }
    });
  });
}

export function lnCommand(proc: Proc): Command {
  return defineCommand('ln', async (args, ctx) => {
    const o = parseOptions(args, ['t', 'target-directory', 'S', 'suffix']);
    const symbolic = o.flags.has('s') || o.flags.has('symbolic');
    const force = o.flags.has('f') || o.flags.has('force');
    const noDeref = o.flags.has('n') || o.flags.has('T') || o.flags.has('no-dereference');
    const fs = new ShellFs(proc.host.store, proc);
    const operands = [...o.operands];
    if (operands.length === 0) return usage('ln', 'missing file operand');
    const dest = o.flags.get('t') ?? o.flags.get('target-directory') ?? (operands.length > 1 ? operands.pop() : '.');
    const destPath = fs.resolvePath(ctx.cwd, dest as string);
    let destIsDir = false;
    try {
      destIsDir = noDeref ? (await fs.lstat(destPath)).isDirectory : (await fs.stat(destPath)).isDirectory;
    } catch {
      destIsDir = false;
    }
    return forEach(operands, async (target) => {
      const link = destIsDir ? `${destPath === '/' ? '' : destPath}/${basenameOf(target.replace(/\/+$/, ''))}` : destPath;
      try {
        if (force && (await fs.lstat(link).then(() => true, () => false))) await fs.rm(link);
        if (symbolic) await fs.symlink(target, link);
        else await fs.link(fs.resolvePath(ctx.cwd, target), link);
        return undefined;
      } catch (e) {
        const code = (e as { code?: string }).code;
        if (code === 'EEXIST') return `ln: failed to create ${symbolic ? 'symbolic ' : 'hard '}link '${dest}': File exists`;
        return `ln: failed to create ${symbolic ? 'symbolic ' : 'hard '}link '${dest}': ${errnoText(e)}`;
      }
    });
  });
}

export function readlinkCommand(proc: Proc): Command {
  return defineCommand('readlink', async (args, ctx) => {
    const o = parseOptions(args);
    const canonical = o.flags.has('f') || o.flags.has('e') || o.flags.has('m') || o.flags.has('canonicalize') || o.flags.has('canonicalize-existing');
    const mustExist = o.flags.has('e') || o.flags.has('canonicalize-existing');
    const missingOk = o.flags.has('m') || o.flags.has('canonicalize-missing');
    const newline = !(o.flags.has('n') || o.flags.has('no-newline'));
    const fs = new ShellFs(proc.host.store, proc);
    let stdout = '';
    let status = 0;
    for (const name of o.operands) {
      const p = fs.resolvePath(ctx.cwd, name);
      try {
        if (canonical) {
          const resolved = proc.host.store.resolve(p);
          if (mustExist && !(await fs.exists(resolved))) throw new Error('missing');
          if (!mustExist && !missingOk && !(await fs.exists(resolved)) && !(await fs.exists(resolved.slice(0, resolved.lastIndexOf('/')) || '/'))) throw new Error('missing');
          stdout += resolved + (newline ? '\n' : '');
        } else stdout += (await fs.readlink(p)) + (newline ? '\n' : '');
      } catch {
        status = 1;
      }
    }
    return { stdout, stderr: '', exitCode: status };
  });
}
