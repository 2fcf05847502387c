// Reading an inventory source and choosing its format as Ansible does:
// .yml/.yaml/.json and files without an extension are tried as YAML first
// (then INI), anything else is INI. `a,b:2222,c,` (a path that does not
// exist, with a comma) is a list of hosts. Hostile input (binary, huge,
// not UTF-8, an inventory script) is a ConfigError, never a crash.

import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { ConfigError } from '../errors.ts';
import { parseIni, splitLines } from './ini.ts';
import { InventoryBuilder } from './model.ts';
import { parseAddress } from './ranges.ts';
import { validateInventory } from './schema.ts';
import type { Inventory } from './types.ts';
import { YamlSyntaxError } from './yaml-values.ts';
import { NotYamlInventory, parseYamlInventory } from './yaml.ts';

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

function chooseFormat(text: string, source: string): Inventory {
  const ext = extensionOf(source).toLowerCase();
  if (ext !== '' && !YAML_EXTENSIONS.includes(ext)) return parseIni(text, source);
  let yamlError: ConfigError;
  try {
    return parseYamlInventory(text, source);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    yamlError = e;
  }
  // Ansible's next plugin in line is the INI one
  try {
    return parseIni(text, source);
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
    return validateInventory(chooseFormat(text, source));
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
  for (const raw of list.split(',')) {
    const h = raw.trim();
    if (h === '') continue;
    const addr = parseAddress(h);
    const host = addr && !addr.host.includes('[') ? addr.host : h;
    const port = addr && !addr.host.includes('[') ? addr.port : undefined;
    if (!b.hasHost(host)) b.addHost(host, 'ungrouped', port);
  }
  return validateInventory(b.finish());
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

/** Read an inventory file (INI, YAML or JSON), or a comma-separated host list. Opens no connection. */
export async function loadInventory(path: string): Promise<Inventory> {
  let st;
  try {
    st = await stat(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && path.includes(',')) return parseHostList(path);
    if (code === 'ENOENT') throw new ConfigError({ file: path }, 'inventory file not found', 'check the path given with -i (or write hosts as a list: -i host1,host2,)');
    throw new ConfigError({ file: path }, `cannot read the inventory: ${(e as Error).message}`, 'check the path and its permissions');
  }
  if (st.isDirectory()) {
    throw new ConfigError({ file: path }, 'this is a directory, passthru reads one inventory file', `pass the inventory file inside it, e.g. -i ${path.replace(/\/$/, '')}/hosts`);
  }
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
  return parseInventory(decode(buf, path), path);
}
