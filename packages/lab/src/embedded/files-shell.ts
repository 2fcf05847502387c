// The lab's shell over a given set of files, without SSH, a machine model
// or machine tools: for tests of the scripts passthru sends (facts, file
// reads) in the shell the embedded lab runs them with.
//
//   const sh = filesShell({ '/etc/default/grub': 'GRUB_CMDLINE_LINUX=""\n' });
//   const r = await sh.exec(script);   // { stdout, stderr, exitCode }
//
// Lines run as root in /root, with the lab's commands in /usr/bin and /bin,
// over these files plus what every Linux host has (/tmp, /root, /etc/passwd
// and /etc/group with root, unless given).
import { benchCluster } from '../specs.ts';
import type { HostSpec, LabHostControl } from '../types.ts';
import { LockTable } from './commands/flock.ts';
import { binNames } from './commands/index.ts';
import type { RunningProc, ShellHost } from './commands/context.ts';
import { runShell, type ShellResult } from './shell.ts';
import { HostStore, type RootfsEntry } from './vfs.ts';

export interface FilesShell {
  /** Run one command line (stdin: its whole input). */
  exec(script: string, opts?: { stdin?: string | undefined }): Promise<ShellResult>;
  /** A file's content now, or undefined. */
  readFile(path: string): string | undefined;
}

const BASE: Record<string, string> = {
  '/etc/passwd': 'root:x:0:0:root:/root:/bin/bash\n',
  '/etc/group': 'root:x:0:\n',
};

const ROOT = { owner: 'root', group: 'root' };

/** A host of its own (fresh files) for every call. */
export function filesShell(files: Readonly<Record<string, string>> = {}): FilesShell {
  const store = new HostStore();
  const entries: Array<[string, RootfsEntry]> = [
    ['/tmp/', { content: '', meta: { mode: 0o1777, ...ROOT } }],
    ['/root/', { content: '', meta: { mode: 0o700, ...ROOT } }],
    ['/usr/bin/', { content: '', meta: { mode: 0o755, ...ROOT } }],
    ['/bin/', { content: '', meta: { mode: 0o755, ...ROOT } }],
    ['/dev/', { content: '', meta: { mode: 0o755, ...ROOT } }],
  ];
  for (const [path, content] of Object.entries({ ...BASE, ...files })) entries.push([path, { content, meta: { mode: 0o644, ...ROOT } }]);
  store.load(entries);
  store.binNames = binNames([]);
  const spec: HostSpec = { ...(benchCluster(1)[1] as HostSpec), name: 'localhost' };
  const control: LabHostControl = {
    spec,
    requestReboot: () => {
      throw new Error('filesShell: a files-only host does not reboot');
    },
  };
  const host: ShellHost = {
    name: 'localhost',
    procs: new Map<number, RunningProc>(),
    spec,
    store,
    locks: new LockTable(),
    tools: {},
    control,
    sudoers: [],
    kernelRelease: () => '6.8.0-lab',
  };
  return {
    exec: (script, opts = {}) => runShell(host, { user: 'root', command: script, stdin: opts.stdin }),
    readFile: (path) => store.readFile(path),
  };
}
