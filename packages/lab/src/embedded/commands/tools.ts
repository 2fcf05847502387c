// The model's machine-specific tools (lspci, systemctl, update-grub, ...)
// as commands of the simulated shell. A tool run by a non-root user sees the
// files through that user's permissions: writing /boot/grub/grub.cfg as ops
// fails like it would on a real host.
import { defineCommand, latin1FromBytes, type Command } from 'just-bash';
import type { FileMeta, LabFs, Tool } from '../../types.ts';
import { dirnameOf, fsError, permits, type HostStore } from '../vfs.ts';
import type { Cred } from '../users.ts';
import { errnoText, inheritsChannelStdin, type Proc } from './context.ts';

/** LabFs as one non-root user: reads need r, writes need w (or w on the directory for new files). */
class UserLabFs implements LabFs {
  constructor(
    private store: HostStore,
    private cred: Cred,
  ) {}

  private check(path: string, bits: number, op: string): void {
    const node = this.store.node(path);
    if (node !== undefined) {
      if (!permits(node, this.cred, bits)) throw fsError('EACCES', op, path);
      return;
    }
    const parent = this.store.node(dirnameOf(path));
    if (bits & 2 && parent !== undefined && !permits(parent, this.cred, 3)) throw fsError('EACCES', op, path);
  }

  readFile(path: string): string | undefined {
    const node = this.store.node(path);
    if (node !== undefined && node.type === 'file' && !permits(node, this.cred, 4)) throw fsError('EACCES', 'open', path);
    return this.store.readFile(path);
  }
  writeFile(path: string, content: string, meta?: Partial<FileMeta>): void {
    this.check(path, 2, 'open');
    this.store.writeFile(path, content, meta);
  }
  exists(path: string): boolean {
    return this.store.exists(path);
  }
  isDirectory(path: string): boolean {
    return this.store.isDirectory(path);
  }
  readdir(path: string): string[] {
    return this.store.readdir(path);
  }
  remove(path: string): void {
    const parent = this.store.node(dirnameOf(path));
    if (parent !== undefined && !permits(parent, this.cred, 3)) throw fsError('EACCES', 'unlink', path);
    this.store.remove(path);
  }
  mkdirp(path: string): void {
    if (!this.store.exists(path)) this.check(path, 2, 'mkdir');
    this.store.mkdirp(path);
  }
}

export function toolCommand(proc: Proc, name: string, tool: Tool): Command {
  return defineCommand(name, async (args, ctx) => {
    const fs: LabFs = proc.cred.uid === 0 ? proc.host.store : new UserLabFs(proc.host.store, proc.cred);
    const env = ctx.exportedEnv ?? Object.fromEntries(ctx.env);
    try {
      // the tools do not wait for the client's stdin
      const raw = inheritsChannelStdin(proc, ctx) ? '' : latin1FromBytes(ctx.stdin);
      const stdin = Buffer.from(raw, 'latin1').toString('utf8');
      const shell = ctx.exec;
      // docker exec: the command runs in this shell (the embedded lab has no container view of its own)
      const exec =
        shell === undefined
          ? undefined
          : async (command: string, input: string) => {
              const r = await shell(command, { cwd: ctx.cwd, stdin: input, ...(ctx.signal === undefined ? {} : { signal: ctx.signal }) });
              return { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode };
            };
      const r = await tool({ argv: [name, ...args], stdin, env: { ...env, USER: proc.cred.user }, fs, host: proc.host.control, exec });
      return { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode };
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'EACCES' || code === 'EPERM') {
        const path = /'([^']*)'/.exec((e as Error).message)?.[1];
        return { stdout: '', stderr: `${name}: ${path === undefined ? '' : `${path}: `}${errnoText(e)}\n`, exitCode: 1 };
      }
      return { stdout: '', stderr: `${name}: ${e instanceof Error ? e.message : String(e)}\n`, exitCode: 1 };
    }
  });
}
