// Reading inventory sources and choosing each one's format as Ansible does:
// .yml/.yaml/.json and files without an extension are tried as YAML first
// (then INI), anything else is INI. `a,b:2222,c,` (a path that does not
// exist, with a comma) is a list of hosts. A directory is every file in it
// (sorted, skipping what Ansible skips). Several sources (-i a -i b) are
// read in order into one inventory; then group_vars/ and host_vars/ beside
// each source and beside the playbook are read (adjacent.ts). Hostile input
// (binary, huge, not UTF-8, an inventory script) is a ConfigError, never a crash.

import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { ConfigError } from '../errors.ts';
import { YamlSyntaxError } from '../yaml/ansible-yaml.ts';
import { byCodePoint } from '../yaml/py-values.ts';
import { readAdjacentVars, type AdjacentVars, type VarsFile } from './adjacent.ts';
import { readIni, splitLines } from './ini.ts';
import { InventoryBuilder } from './model.ts';
import { parseAddress } from './ranges.ts';
import { validateInventory } from './schema.ts';
import type { Inventory } from './types.ts';
import { NotYamlInventory, readYamlInventory } from './yaml.ts';

export const MAX_INVENTORY_BYTES = 16 * 1024 * 1024;

const YAML_EXTENSIONS = ['.yaml', '.yml', '.json'];

/** os.path.splitext's extension: from the last dot of the name, not counting leading dots */
export function extensionOf(path: string): string {
  const name = basename(path);
  const stripped = name.replace(/^\.+/, '');
  const dot = stripped.lastIndexOf('.');
  return dot < 0 ? '' : stripped.slice(dot);
}

const EXPORT_HINT = (source: string): string =>
  `passthru reads static inventories; export this one with: ansible-inventory -i ${source} --list --yaml > inventory.yml`;

function looksLikeYaml(text: string): boolean {
  for (const raw of splitLines(text)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    return line === '---' || line.startsWith('{') || /^[^\s=[\]]+:(\s|$)/.test(line);
  }
  return false;
}

function chooseFormat(text: string, b: InventoryBuilder): void {
  const source = b.source;
  const ext = extensionOf(source).toLowerCase();
  if (ext !== '' && !YAML_EXTENSIONS.includes(ext)) return readIni(text, b);
  let yamlError: ConfigError;
  try {
    return readYamlInventory(text, b);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    yamlError = e;
  }
  // Ansible's next plugin in line is the INI one
  try {
    return readIni(text, b);
  } catch (iniError) {
    if (!(iniError instanceof ConfigError)) throw iniError;
    if (ext !== '') throw yamlError;
    const notAMapping = yamlError instanceof NotYamlInventory && !yamlError.mapping;
    if (notAMapping) throw iniError;
    if (yamlError instanceof YamlSyntaxError && !looksLikeYaml(text)) throw iniError;
    throw yamlError;
  }
}

/** Parse inventory text; `source` is its path (its extension picks the format, it names the file in errors). */
export function parseInventory(text: string, source: string): Inventory {
  const b = new InventoryBuilder(source);
  readInventoryText(text, b);
  return validateInventory(b.finish());
}

function readInventoryText(text: string, b: InventoryBuilder): void {
  const source = b.source;
  if (text.length > MAX_INVENTORY_BYTES) {
    throw new ConfigError({ file: source }, `inventory is too large (${text.length} characters)`, `an inventory over ${MAX_INVENTORY_BYTES / 1024 / 1024} MiB is not a hand-written file; check the path`);
  }
  const nul = text.indexOf('\u0000');
  if (nul >= 0) {
    const line = text.slice(0, nul).split('\n').length;
    throw new ConfigError({ file: source, line }, 'this is a binary file, not an inventory', 'pass the INI or YAML inventory file with -i');
  }
  if (text.startsWith('#!')) {
    throw new ConfigError({ file: source, line: 1 }, 'this is an inventory script (it starts with #!), which passthru does not run', EXPORT_HINT(source));
  }
  try {
    chooseFormat(text, b);
  } catch (e) {
    if (e instanceof RangeError) {
      // "Maximum call stack size exceeded" on absurdly deep nesting: still the user's file
      throw new ConfigError({ file: source }, `the inventory nests too deeply to read (${e.message})`, 'flatten the nesting of groups or values');
    }
    throw e;
  }
}

/** Ansible's host_list source: "host1,host2:2222,10.0.0.5," */
export function parseHostList(list: string): Inventory {
  const b = new InventoryBuilder(list);
  readHostList(list, b);
  return validateInventory(b.finish());
}

function readHostList(list: string, b: InventoryBuilder): void {
  for (const raw of list.split(',')) {
    const h = raw.trim();
    if (h === '') continue;
    const addr = parseAddress(h);
    const host = addr && !addr.host.includes('[') ? addr.host : h;
    const port = addr && !addr.host.includes('[') ? addr.port : undefined;
    if (!b.hasHost(host)) b.addHost(host, 'ungrouped', port);
  }
}

/** UTF-8, as Ansible wants it; in INI files a comment line may be in another encoding. */
function decode(buf: Buffer, path: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(buf);
  } catch {
    const lines = buf.toString('latin1').split('\n');
    const out: string[] = [];
    let offset = 0;
    for (let i = 0; i < lines.length; i++) {
      const len = Buffer.byteLength(lines[i] as string, 'latin1');
      const bytes = buf.subarray(offset, offset + len);
      offset += len + 1;
      try {
        out.push(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
      } catch {
        const first = bytes[0];
        if (first === 0x23 || first === 0x3b) { out.push(''); continue; } // '#' or ';'
        throw new ConfigError({ file: path, line: i + 1 }, 'this line is not valid UTF-8', 'save the inventory as UTF-8 (e.g. iconv -f latin1 -t utf-8)');
      }
    }
    return out.join('\n');
  }
}

/** INVENTORY_IGNORE_EXTS and the names InventoryManager always skips in an inventory directory */
const IGNORED = /^\.|^host_vars$|^group_vars$|^vars_plugins$|(?:\.pyc|\.pyo|\.swp|\.bak|~|\.rpm|\.md|\.txt|\.rst|\.orig|\.ini|\.cfg|\.retry)$/;

export interface LoadOptions {
  /**
   * The directory whose group_vars/ and host_vars/ count as the playbook's:
   * the playbook's directory for `run`; the current directory for `exec`
   * and `inventory`, as for ansible and ansible-inventory.
   */
  playbookDir?: string | undefined;
  /** playbookDir was named (the playbook's, or --playbook-dir): `inventory --export` shows its vars */
  playbookDirExplicit?: boolean | undefined;
}

/**
 * Read inventory sources (INI, YAML or JSON files, directories of them, or
 * comma-separated host lists) in order into one inventory, with the
 * group_vars/ and host_vars/ beside them and beside the playbook. Opens no connection.
 */
export async function loadInventory(sources: string | readonly string[], opts: LoadOptions = {}): Promise<Inventory> {
  const list = typeof sources === 'string' ? [sources] : [...sources];
  if (list.length === 0) throw new ConfigError({ file: '-i' }, 'no inventory given', 'pass an inventory file or directory with -i');
  const b = new InventoryBuilder(list[0] as string);
  const dirs: string[] = [];
  for (const source of list) {
    const kind = await readSource(source, b);
    if (kind === 'dir') dirs.push(source);
    else if (kind === 'file') dirs.push(dirname(source));
  }
  const inv = b.finish(list.join(','));
  const cache = new Map<string, VarsFile | undefined>();
  const adjacent: AdjacentVars[] = dirs.map((d) => readAdjacentVars(inv, resolve(d), 'inventory', false, cache));
  if (opts.playbookDir !== undefined) adjacent.push(readAdjacentVars(inv, resolve(opts.playbookDir), 'play', opts.playbookDirExplicit ?? false, cache));
  if (adjacent.some((a) => a.groups.size > 0 || a.hosts.size > 0)) inv.adjacent = adjacent;
  return validateInventory(inv);
}

/** One -i source into the builder: what it was (a host list names no directory for group_vars). */
async function readSource(path: string, b: InventoryBuilder): Promise<'file' | 'dir' | 'list'> {
  let st;
  try {
    st = await stat(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && path.includes(',')) {
      b.source = path;
      b.line = undefined;
      readHostList(path, b);
      return 'list';
    }
    if (code === 'ENOENT') throw new ConfigError({ file: path }, 'inventory file not found', 'check the path given with -i (or write hosts as a list: -i host1,host2,)');
    throw new ConfigError({ file: path }, `cannot read the inventory: ${(e as Error).message}`, 'check the path and its permissions');
  }
  if (st.isDirectory()) {
    if ((await readDirectory(path, b)) === 0) {
      throw new ConfigError(
        { file: path },
        'this directory holds no inventory file',
        'put INI, YAML or JSON inventory files in it (Ansible skips hidden files, group_vars/, host_vars/ and *.ini, *.md, *.txt, *~ ... in a directory), or pass the file itself with -i',
      );
    }
    return 'dir';
  }
  await readFileSource(path, st, b);
  return 'file';
}

/** InventoryManager.parse_source on a directory: every entry, sorted, skipping what Ansible skips; sub-directories too. Returns the number of files read. */
async function readDirectory(dir: string, b: InventoryBuilder): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    throw new ConfigError({ file: dir }, `cannot read the inventory directory: ${(e as Error).message}`, 'check the path and its permissions');
  }
  let read = 0;
  for (const name of names.sort(byCodePoint)) {
    if (IGNORED.test(name)) continue;
    const full = join(dir, name);
    const st = await stat(full).catch(() => undefined);
    if (!st) continue; // a dangling link: Ansible finds nothing there either
    if (st.isDirectory()) {
      read += await readDirectory(full, b);
    } else {
      await readFileSource(full, st, b);
      read++;
    }
  }
  return read;
}

async function readFileSource(path: string, st: Awaited<ReturnType<typeof stat>>, b: InventoryBuilder): Promise<void> {
  if (!st.isFile()) throw new ConfigError({ file: path }, 'not a regular file', 'pass the inventory file with -i');
  if (st.size > MAX_INVENTORY_BYTES) {
    throw new ConfigError({ file: path }, `inventory is too large (${st.size} bytes)`, `an inventory over ${MAX_INVENTORY_BYTES / 1024 / 1024} MiB is not a hand-written file; check the path`);
  }
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (e) {
    throw new ConfigError({ file: path }, `cannot read the inventory: ${(e as Error).message}`, 'check the file permissions');
  }
  const nul = buf.indexOf(0);
  if (nul >= 0) {
    const line = buf.subarray(0, nul).toString('latin1').split('\n').length;
    throw new ConfigError({ file: path, line }, 'this is a binary file, not an inventory', 'pass the INI or YAML inventory file with -i');
  }
  b.source = path;
  b.line = undefined;
  readInventoryText(decode(buf, path), b);
}
