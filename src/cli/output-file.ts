// A file the command will write at the end (--json): checked before anything
// runs, so that a typo in its directory cannot cost the recap of a rollout.

import { accessSync, constants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from '../errors.ts';

export function checkOutputFile(flag: string, path: string): void {
  if (path.trim() === '') throw new UsageError(`--${flag} is empty`, { hint: `give a file name, e.g. --${flag} report.json` });
  const abs = resolve(path);
  const isDir = (p: string): boolean => {
    try {
      return statSync(p).isDirectory();
    } catch {
      return false;
    }
  };
  if (isDir(abs)) throw new UsageError(`--${flag} ${path}: is a directory`, { hint: `give a file name in it, e.g. --${flag} ${path.replace(/\/$/, '')}/report.json` });
  const dir = dirname(abs);
  if (!isDir(dir)) throw new UsageError(`--${flag} ${path}: the directory ${dir} does not exist`, { hint: `create it first (mkdir -p ${dir}), or give another path` });
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw new UsageError(`--${flag} ${path}: cannot write in ${dir}`, { hint: 'give a path in a directory you can write to' });
  }
}

/** Write it at the end; a failure (the directory went away meanwhile, disk full) is one clear error, not a trace. */
export async function writeOutputFile(flag: string, path: string, write: () => Promise<void>): Promise<void> {
  try {
    await write();
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new UsageError(`--${flag} ${path}: could not write it: ${why}`, { hint: 'the run itself is over: its recap is above' });
  }
}
