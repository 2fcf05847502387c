// Reading a text file a user wrote (playbook, vars file, group_vars/,
// host_vars/): too big, binary or not UTF-8 ends in one ConfigError naming
// the file (and line:column where there is one), never a crash.

import { readFileSync, statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { ConfigError } from '../errors.ts';

/** Files bigger than this are refused: no playbook or vars file is that big, and parsing one would take a while. */
export const MAX_BYTES = 5 * 1024 * 1024;

function sizeError(file: string, bytes: number): ConfigError {
  return new ConfigError(
    { file },
    `the file is ${(bytes / 1024 / 1024).toFixed(1)} MB; passthru reads YAML files up to ${MAX_BYTES / 1024 / 1024} MB`,
    'is this the right file? a playbook or vars file is a few kilobytes',
  );
}

function lineCol(text: string, index: number): { line: number; column: number } {
  let line = 1;
  let last = -1;
  for (let i = text.indexOf('\n'); i >= 0 && i < index; i = text.indexOf('\n', i + 1)) {
    line++;
    last = i;
  }
  return { line, column: index - last };
}

/** Refuse text that is too big or is not text. */
export function checkText(text: string, file: string): void {
  if (text.length > MAX_BYTES) throw sizeError(file, Buffer.byteLength(text));
  const nul = text.indexOf('\0');
  if (nul >= 0) {
    throw new ConfigError({ file, ...lineCol(text, nul) }, 'this is a binary file, not YAML text (it contains a NUL byte)', 'check the path: it should name a YAML file');
  }
}

/** Decode file content as UTF-8, refusing binary data and invalid UTF-8 with a location. */
export function decodeText(buf: Uint8Array, file: string): string {
  if (buf.byteLength > MAX_BYTES) throw sizeError(file, buf.byteLength);
  const nul = buf.indexOf(0);
  if (nul >= 0) checkText(new TextDecoder('utf-8').decode(buf.subarray(0, nul + 1)), file);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(buf);
  } catch {
    const loose = new TextDecoder('utf-8').decode(buf);
    const bad = loose.indexOf('\uFFFD');
    throw new ConfigError(
      { file, ...lineCol(loose, Math.max(0, bad)) },
      'this is not UTF-8 text (a binary file, or a file saved in another encoding)',
      'save the file as UTF-8, or check that the path names a YAML file',
    );
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  checkText(text, file);
  return text;
}

function readError(file: string, e: unknown, what: string): ConfigError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new ConfigError({ file }, `${what} does not exist`, 'check the path (relative paths start from the current directory)');
  if (code === 'EACCES') return new ConfigError({ file }, `${what} cannot be read: permission denied`, 'check the file permissions');
  if (code === 'EISDIR') return new ConfigError({ file }, `${what} is a directory, not a file`, 'name the YAML file inside it');
  return new ConfigError({ file }, `${what} cannot be read (${code ?? String(e)})`);
}

export async function readTextFile(path: string, what = 'the file', display = path): Promise<string> {
  try {
    const st = await stat(path);
    if (st.isDirectory()) throw Object.assign(new Error('dir'), { code: 'EISDIR' });
    if (st.size > MAX_BYTES) throw sizeError(display, st.size);
    return decodeText(await readFile(path), display);
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw readError(display, e, what);
  }
}

export function readTextFileSync(path: string, what = 'the file', display = path): string {
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw Object.assign(new Error('dir'), { code: 'EISDIR' });
    if (st.size > MAX_BYTES) throw sizeError(display, st.size);
    return decodeText(readFileSync(path), display);
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw readError(display, e, what);
  }
}

