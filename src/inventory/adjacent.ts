// group_vars/ and host_vars/ beside an inventory source or a playbook, read
// as Ansible's host_group_vars vars plugin and DataLoader.find_vars_files
// read them: for an entity NAME, the first of NAME, NAME.yml, NAME.yaml,
// NAME.json that exists; a directory is read whole (sorted, recursing into
// sub-directories without an extension, skipping hidden files and ~
// backups, taking files with no extension or one of those extensions).
// Empty files count for nothing; each file must hold a mapping.

import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { extname, join, sep } from 'node:path';
import { ConfigError } from '../errors.ts';
import { assignOwn } from '../util/own.ts';
import { loadYaml } from '../yaml/ansible-yaml.ts';
import { byCodePoint } from '../yaml/py-values.ts';
import { readTextFileSync } from '../yaml/text-file.ts';
import type { Inventory, Vars } from './types.ts';

const EXTENSIONS = ['.yml', '.yaml', '.json'];

/** One vars file: its variables, and the line each was set on. */
export interface VarsFile {
  file: string;
  vars: Vars;
  lines: Map<string, number>;
}

/** The group_vars/ and host_vars/ of one directory, for the groups and hosts of an inventory. */
export interface AdjacentVars {
  dir: string;
  /** beside an inventory source, or the playbook's (for ansible-inventory and ad-hoc runs: the current directory) */
  kind: 'inventory' | 'play';
  /** the playbook directory was named (--playbook-dir, or the playbook's own): `--export` shows its vars */
  explicit: boolean;
  groups: Map<string, VarsFile[]>;
  hosts: Map<string, VarsFile[]>;
}

/** DataLoader._get_dir_vars_files */
function dirVarsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort(byCodePoint)) {
    if (name.startsWith('.') || name.endsWith('~')) continue;
    const full = join(dir, name);
    const ext = extname(name);
    const st = statSync(full, { throwIfNoEntry: false });
    if (st?.isDirectory() && ext === '') out.push(...dirVarsFiles(full));
    else if (st?.isFile() && (ext === '' || EXTENSIONS.includes(ext))) out.push(full);
  }
  return out;
}

/** DataLoader.find_vars_files: the files holding the vars of `name` under `dir` */
function findVarsFiles(dir: string, name: string): string[] {
  for (const ext of ['', ...EXTENSIONS]) {
    const path = join(dir, name + ext);
    const st = statSync(path, { throwIfNoEntry: false });
    if (!st) continue;
    return st.isDirectory() ? dirVarsFiles(path) : [path];
  }
  return [];
}

function readVarsFile(path: string, cache: Map<string, VarsFile | undefined>): VarsFile | undefined {
  if (cache.has(path)) return cache.get(path);
  const text = readTextFileSync(path, 'the vars file');
  if (text.startsWith('$ANSIBLE_VAULT')) {
    throw new ConfigError({ file: path, line: 1 }, 'this vars file is encrypted with Ansible Vault, which passthru cannot decrypt', 'decrypt it (ansible-vault decrypt) into a file only you can read, or move the secrets out of it');
  }
  const { root, data } = loadYaml(text, path);
  let out: VarsFile | undefined;
  const empty = data === null || data === '' || data === false || data === 0 || (Array.isArray(data) && data.length === 0);
  if (!empty) {
    if (root?.kind !== 'map' || typeof data !== 'object' || Array.isArray(data)) {
      throw new ConfigError(
        { file: path, line: root?.line ?? 1 },
        `a group_vars/host_vars file must hold a mapping of variables, not ${Array.isArray(data) ? 'a list' : 'a single value'}`,
        'write one `name: value` per line',
      );
    }
    const lines = new Map<string, number>();
    for (const e of root.entries) lines.set(typeof e.key === 'string' ? e.key : String(e.key), e.keyLine);
    out = { file: path, vars: data as Vars, lines };
    if (Object.keys(out.vars).length === 0) out = undefined;
  }
  cache.set(path, out);
  return out;
}

/** Read DIR/group_vars and DIR/host_vars for every group and host of the inventory. */
export function readAdjacentVars(
  inv: Inventory,
  dir: string,
  kind: AdjacentVars['kind'],
  explicit: boolean,
  cache: Map<string, VarsFile | undefined> = new Map(),
): AdjacentVars {
  const out: AdjacentVars = { dir, kind, explicit, groups: new Map(), hosts: new Map() };
  const read = (sub: 'group_vars' | 'host_vars', names: Iterable<string>, into: Map<string, VarsFile[]>): void => {
    const base = join(dir, sub);
    if (!existsSync(base)) return;
    let real: string;
    try {
      real = realpathSync(base);
    } catch {
      return;
    }
    if (!statSync(real).isDirectory()) return; // Ansible warns and skips it
    for (const name of names) {
      if (name.startsWith(sep)) continue; // Ansible skips names like /path/to/chroot
      const files = findVarsFiles(real, name)
        .map((f) => readVarsFile(f, cache))
        .filter((f): f is VarsFile => f !== undefined);
      if (files.length > 0) into.set(name, files);
    }
  };
  read('group_vars', inv.groups.keys(), out.groups);
  read('host_vars', inv.hosts.keys(), out.hosts);
  return out;
}

/** Where a merged variable came from. */
export interface Origin {
  kind: 'group' | 'host';
  name: string;
  file?: string | undefined;
  line?: number | undefined;
}

/**
 * Ansible's _plugins_inventory / _plugins_play: for each directory in turn,
 * the files of each entity in turn, merged into `into` (later wins).
 */
export function pluginVars(
  layers: readonly AdjacentVars[],
  kind: 'group' | 'host',
  names: readonly string[],
  into: Vars,
  origin?: Map<string, Origin>,
): Vars {
  for (const layer of layers) {
    const files = kind === 'group' ? layer.groups : layer.hosts;
    for (const name of names) {
      for (const f of files.get(name) ?? []) {
        assignOwn(into, f.vars);
        if (origin) for (const k of Object.keys(f.vars)) origin.set(k, { kind, name, file: f.file, line: f.lines.get(k) });
      }
    }
  }
  return into;
}
