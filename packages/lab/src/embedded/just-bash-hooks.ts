// Two adjustments of just-bash's internals, found once at startup in its
// bundle (neither is exported). Each one is optional: when it cannot be
// found (another just-bash version), the lab works without it.
//
// 1. A file system error during a redirection (`echo x > /etc/foo` as a
//    user who may not write there) escapes the interpreter and ends the whole
//    command line; real bash prints `bash: /etc/foo: Permission denied`,
//    fails that one command and goes on. just-bash does exactly that for one
//    internal error class (GlobError): the file system throws that one.
// 2. just-bash compiles a regular expression (RE2, in JavaScript) for every
//    file name a glob looks at and for every grep/sed call; compiling is most
//    of what `ls /sys/bus/pci/devices/*/vendor` costs. Compiled expressions
//    are immutable, so they are cached by pattern and flags.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

type ErrorCtor = new (message: string, stdout?: string, stderr?: string) => Error;

let failedCommandError: ErrorCtor | undefined;
let prepared: Promise<void> | undefined;

/** compiled RE2 programs kept (distinct patterns; globs and facts use a few hundred) */
const REGEX_CACHE_SIZE = 4096;

async function chunkModules(match: (text: string) => boolean): Promise<Array<Record<string, unknown>>> {
  const entry = fileURLToPath(import.meta.resolve('just-bash'));
  const dir = join(dirname(entry), 'chunks');
  const out: Array<Record<string, unknown>> = [];
  for (const file of readdirSync(dir)) {
    if (!file.endsWith('.js')) continue;
    if (!match(readFileSync(join(dir, file), 'utf8'))) continue;
    out.push((await import(pathToFileURL(join(dir, file)).href)) as Record<string, unknown>);
  }
  return out;
}

function findGlobError(mods: Array<Record<string, unknown>>): ErrorCtor | undefined {
  for (const mod of mods) {
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
  return undefined;
}

type Compile = (pattern: string, flags: number) => unknown;

function cacheRegexCompile(mods: Array<Record<string, unknown>>): void {
  for (const mod of mods) {
    for (const value of Object.values(mod)) {
      if (typeof value !== 'function') continue;
      let re2Class: { compile?: Compile } | undefined;
      try {
        // the exported factory builds a RegExp-like object around an RE2 program
        const probe = (value as (p: string) => { _re2?: { constructor?: { compile?: Compile } } })('a');
        re2Class = probe?._re2?.constructor;
      } catch {
        continue;
      }
      if (re2Class === undefined || typeof re2Class.compile !== 'function') continue;
      const original = re2Class.compile;
      const cache = new Map<string, unknown>();
      re2Class.compile = function (this: unknown, pattern: string, flags: number) {
        const key = `${flags}\u0000${pattern}`;
        let re = cache.get(key);
        if (re === undefined) {
          re = original.call(this, pattern, flags);
          if (cache.size >= REGEX_CACHE_SIZE) cache.clear();
          cache.set(key, re);
        }
        return re;
      };
      return;
    }
  }
}

/** Call (and await) before running commands; cheap after the first time. */
export function prepareJustBash(): Promise<void> {
  prepared ??= (async () => {
    try {
      failedCommandError = findGlobError(await chunkModules((t) => t.includes('name="GlobError"')));
    } catch {
      failedCommandError = undefined;
    }
    try {
      cacheRegexCompile(await chunkModules((t) => t.includes('re2js') && t.includes('static compile(')));
    } catch {
      // uncached: slower, same results
    }
  })();
  return prepared;
}

/**
 * An error that makes just-bash fail the current simple command with
 * `stderr` (exit status 1) instead of ending the command line; `fallback`
 * when that is not available.
 */
export function commandFailure(stderr: string, fallback: Error): Error {
  if (failedCommandError === undefined) return fallback;
  const e = new failedCommandError(fallback.message, '', stderr);
  (e as Error & { code?: string | undefined }).code = (fallback as Error & { code?: string }).code;
  return e;
}
