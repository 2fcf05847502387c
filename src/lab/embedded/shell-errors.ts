// A file system error during a redirection (`echo x > /etc/foo` as a user
// who may not write there) escapes just-bash's interpreter and ends the whole
// command line; real bash prints `bash: /etc/foo: Permission denied`, fails
// that one command and goes on. just-bash turns one internal error class
// (its GlobError) into exactly that: a failed simple command with a message.
// The class is not exported, so it is found once, by name, in just-bash's
// bundle. When it cannot be found (another just-bash version), the plain
// error is thrown and the command line ends with the message.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

type ErrorCtor = new (message: string, stdout?: string, stderr?: string) => Error;

let failedCommandError: ErrorCtor | null | undefined;

async function findClass(): Promise<ErrorCtor | null> {
  try {
    const entry = fileURLToPath(import.meta.resolve('just-bash'));
    const chunks = join(dirname(entry), 'chunks');
    for (const file of readdirSync(chunks)) {
      if (!file.endsWith('.js')) continue;
      const text = readFileSync(join(chunks, file), 'utf8');
      if (!text.includes('name="GlobError"')) continue;
      const mod = (await import(pathToFileURL(join(chunks, file)).href)) as Record<string, unknown>;
      for (const value of Object.values(mod)) {
        if (typeof value !== 'function') continue;
        try {
          const instance = new (value as ErrorCtor)('probe', '', 'probe');
          if (instance instanceof Error && instance.name === 'GlobError') return value as ErrorCtor;
        } catch {
          // not a constructor we can call
        }
      }
    }
  } catch {
    // fall through
  }
  return null;
}

/** Call once before running commands (startup). */
export async function loadShellErrors(): Promise<void> {
  if (failedCommandError === undefined) failedCommandError = await findClass();
}

/**
 * An error that makes just-bash fail the current simple command with
 * `stderr` (exit status 1) instead of ending the command line; `fallback`
 * when that is not available.
 */
export function commandFailure(stderr: string, fallback: Error): Error {
  if (failedCommandError === undefined || failedCommandError === null) return fallback;
  const e = new failedCommandError(fallback.message, '', stderr);
  (e as Error & { code?: string | undefined }).code = (fallback as Error & { code?: string }).code;
  return e;
}
