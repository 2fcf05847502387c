// cp that knows owners: a new file belongs to the user running cp and takes
// the source's mode minus the umask; an existing target keeps its owner,
// group and mode; -p / -a / --preserve carry mode, owner, group and times.
import { defineCommand, type Command } from 'just-bash';
import { basenameOf, dirnameOf, ShellFs, type FsNode } from '../vfs.ts';
import { errnoText, fail, type Proc } from './context.ts';

interface CpOptions {
  recursive: boolean;
  preserveMode: boolean;
  preserveOwner: boolean;
  preserveTime: boolean;
  noDeref: boolean;
  noClobber: boolean;
  verbose: boolean;
  noTargetDir: boolean;
  targetDir?: string | undefined;
}

function parsePreserve(list: string, o: CpOptions, on: boolean): void {
  for (const item of list.split(',')) {
    if (item === 'mode') o.preserveMode = on;
    else if (item === 'ownership') o.preserveOwner = on;
    else if (item === 'timestamps') o.preserveTime = on;
    else if (item === 'all') {
      o.preserveMode = on;
      o.preserveOwner = on;
      o.preserveTime = on;
    }
  }
}

export function cpCommand(proc: Proc): Command {
  return defineCommand('cp', async (args, ctx) => {
    const o: CpOptions = { recursive: false, preserveMode: false, preserveOwner: false, preserveTime: false, noDeref: false, noClobber: false, verbose: false, noTargetDir: false };
    const operands: string[] = [];
    let endOfOptions = false;
    for (let i = 0; i < args.length; i++) {
      const arg = args[i] as string;
      if (endOfOptions || !arg.startsWith('-') || arg === '-') {
        operands.push(arg);
        continue;
      }
      if (arg === '--') endOfOptions = true;
      else if (arg === '--recursive') o.recursive = true;
      else if (arg === '--archive') {
        o.recursive = true;
        o.noDeref = true;
        parsePreserve('all', o, true);
      } else if (arg === '--preserve') parsePreserve('mode,ownership,timestamps', o, true);
      else if (arg.startsWith('--preserve=')) parsePreserve(arg.slice(11), o, true);
      else if (arg.startsWith('--no-preserve=')) parsePreserve(arg.slice(14), o, false);
      else if (arg === '--no-dereference') o.noDeref = true;
      else if (arg === '--dereference') o.noDeref = false;
      else if (arg === '--no-clobber') o.noClobber = true;
      else if (arg === '--force' || arg === '--remove-destination' || arg.startsWith('--backup') || arg.startsWith('--sparse') || arg.startsWith('--reflink')) continue;
      else if (arg === '--verbose') o.verbose = true;
      else if (arg === '--no-target-directory') o.noTargetDir = true;
      else if (arg.startsWith('--target-directory=')) o.targetDir = arg.slice(19);
      else if (arg === '--target-directory') o.targetDir = args[++i];
      else if (arg.startsWith('--')) return fail(`cp: unrecognized option '${arg}'\nTry 'cp --help' for more information.`);
      else {
        const flags = arg.slice(1);
        for (let j = 0; j < flags.length; j++) {
          const c = flags[j];
          if (c === 'r' || c === 'R') o.recursive = true;
          else if (c === 'a') {
            o.recursive = true;
            o.noDeref = true;
            parsePreserve('all', o, true);
          } else if (c === 'p') parsePreserve('mode,ownership,timestamps', o, true);
          else if (c === 'd' || c === 'P') o.noDeref = true;
          else if (c === 'L') o.noDeref = false;
          else if (c === 'n') o.noClobber = true;
          else if (c === 'v') o.verbose = true;
          else if (c === 'T') o.noTargetDir = true;
          else if (c === 't') {
            o.targetDir = flags.slice(j + 1) || args[++i];
            break;
          } else if (c === 'f' || c === 'i' || c === 'u' || c === 'b' || c === 'x' || c === 'H') continue;
          else return fail(`cp: invalid option -- '${c}'\nTry 'cp --help' for more information.`);
        }
      }
    }
    const fs = new ShellFs(proc.host.store, proc);
    const store = proc.host.store;
    const abs = (p: string) => fs.resolvePath(ctx.cwd, p);
    let dest: string;
    let sources: string[];
    if (o.targetDir !== undefined) {
      dest = o.targetDir;
      sources = operands;
    } else {
      if (operands.length === 0) return fail("cp: missing file operand\nTry 'cp --help' for more information.");
      if (operands.length === 1) return fail(`cp: missing destination file operand after '${operands[0]}'\nTry 'cp --help' for more information.`);
      dest = operands[operands.length - 1] as string;
      sources = operands.slice(0, -1);
    }
    let destIsDir = false;
    try {
      destIsDir = !o.noTargetDir && (await fs.stat(abs(dest))).isDirectory;
    } catch {
      destIsDir = false;
    }
    if (sources.length > 1 && !destIsDir) {
      return fail(o.noTargetDir ? `cp: extra operand '${sources[1]}'` : `cp: target '${dest}': Not a directory`);
    }
    let stdout = '';
    let stderr = '';
    let status = 0;

    const preserve = (from: FsNode, toPath: string): void => {
      const to = store.mutable(store.resolve(toPath, false));
      if (to === undefined) return;
      if (o.preserveMode) to.mode = from.mode;
      if (o.preserveTime) to.mtime = from.mtime;
      if (o.preserveOwner) {
        if (proc.cred.uid === 0) {
          to.owner = from.owner;
          to.group = from.group;
        } else if (proc.cred.groups.includes(from.group)) {
          // a user may only keep a group they are in; cp -p silently keeps theirs otherwise
          to.group = from.group;
        }
      }
    };

    const copyOne = async (srcPath: string, dstPath: string, display: string, displayDst: string): Promise<void> => {
      let srcResolved: string;
      let node: FsNode | undefined;
      try {
        await fs.lstat(srcPath);
        srcResolved = store.resolve(srcPath, !o.noDeref);
        node = store.get(srcResolved);
        if (node === undefined) {
          // a device or a simulated command binary
          await fs.cp(srcPath, dstPath);
          return;
        }
      } catch (e) {
        stderr += `cp: cannot stat '${display}': ${errnoText(e)}\n`;
        status = 1;
        return;
      }
      let dstNode: FsNode | undefined;
      try {
        dstNode = store.get(store.resolve(dstPath, true));
      } catch {
        dstNode = undefined;
      }
      if (dstNode !== undefined && dstNode === node) {
        stderr += `cp: '${display}' and '${displayDst}' are the same file\n`;
        status = 1;
        return;
      }
      if (node.type === 'dir') {
        if (!o.recursive) {
          stderr += `cp: -r not specified; omitting directory '${display}'\n`;
          status = 1;
          return;
        }
        if (dstPath === srcResolved || dstPath.startsWith(`${srcResolved}/`)) {
          stderr += `cp: cannot copy a directory, '${display}', into itself, '${displayDst}'\n`;
          status = 1;
          return;
        }
        try {
          if (dstNode === undefined) {
            await fs.mkdir(dstPath);
            const created = store.mutable(store.resolve(dstPath));
            if (created !== undefined) created.mode = node.mode & 0o777 & ~proc.umask;
          } else if (dstNode.type !== 'dir') {
            stderr += `cp: cannot overwrite non-directory '${displayDst}' with directory '${display}'\n`;
            status = 1;
            return;
          }
        } catch (e) {
          stderr += `cp: cannot create directory '${displayDst}': ${errnoText(e)}\n`;
          status = 1;
          return;
        }
        if (o.verbose) stdout += `'${display}' -> '${displayDst}'\n`;
        for (const child of store.childNames(srcResolved)) {
          await copyOne(`${srcResolved}/${child}`, `${dstPath}/${child}`, `${display}/${child}`, `${displayDst}/${child}`);
        }
        preserve(node, dstPath);
        return;
      }
      if (dstNode !== undefined && o.noClobber) return;
      try {
        if (node.type === 'symlink') {
          if (dstNode !== undefined) await fs.rm(dstPath);
          await fs.symlink(node.target, dstPath);
        } else {
          await fs.cp(srcPath, dstPath);
        }
      } catch (e) {
        const code = (e as { code?: string }).code;
        if (code === 'EACCES' && dstNode === undefined) stderr += `cp: cannot create regular file '${displayDst}': Permission denied\n`;
        else if (code === 'EACCES' && !(await readable(fs, srcPath))) stderr += `cp: cannot open '${display}' for reading: Permission denied\n`;
        else if (code === 'ENOENT' || code === 'ENOTDIR') stderr += `cp: cannot create regular file '${displayDst}': ${errnoText(e)}\n`;
        else stderr += `cp: cannot create regular file '${displayDst}': ${errnoText(e)}\n`;
        status = 1;
        return;
      }
      if (o.verbose) stdout += `'${display}' -> '${displayDst}'\n`;
      preserve(node, dstPath);
    };

    for (const src of sources) {
      const srcPath = abs(src);
      const base = basenameOf(srcPath.replace(/\/+$/, '')) || srcPath;
      const dstPath = destIsDir ? `${abs(dest).replace(/\/$/, '')}/${base}` : abs(dest);
      const displayDst = destIsDir ? `${dest.replace(/\/$/, '')}/${base}` : dest;
      if (!destIsDir && !(await dirExists(fs, dirnameOf(dstPath)))) {
        stderr += `cp: cannot create regular file '${dest}': No such file or directory\n`;
        status = 1;
        continue;
      }
      await copyOne(srcPath, dstPath, src, displayDst);
    }
    return { stdout, stderr, exitCode: status };
  });
}

async function readable(fs: ShellFs, path: string): Promise<boolean> {
  try {
    await fs.readFileBuffer(path);
    return true;
  } catch {
    return false;
  }
}

async function dirExists(fs: ShellFs, path: string): Promise<boolean> {
  try {
    return (await fs.stat(path)).isDirectory;
  } catch {
    return false;
  }
}
