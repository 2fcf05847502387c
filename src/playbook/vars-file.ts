// Variables from YAML/JSON: vars files (`vars_files:`, `-e @file`) and
// `vars:` mappings. Names must be identifiers; {{ }} in values is checked for
// syntax at load time (and rendered when used).

import { ConfigError, type ErrorLocation } from '../errors.ts';
import type { Vars } from '../inventory/types.ts';
import { ExprError, typeName } from './expression.ts';
import { compileTemplate, hasTemplate } from './template.ts';
import { locationOf, parseYaml, readTextFile, readTextFileSync, type Path, type YamlSource } from './yaml-source.ts';

export const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Variable names passthru (or the engine) sets itself; a playbook may read them but not define them. */
export const RESERVED_VARS: ReadonlySet<string> = new Set(['hostvars', 'groups', 'inventory_hostname', 'play_hosts', 'ansible_play_hosts']);

export function isPlainMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Check every {{ }} in a value for syntax, naming the location of the string on an error. */
export function checkTemplates(value: unknown, path: Path, locate: (path: Path) => ErrorLocation): void {
  if (typeof value === 'string') {
    if (!hasTemplate(value)) return;
    try {
      compileTemplate(value);
    } catch (e) {
      if (e instanceof ExprError) throw new ConfigError(locate(path), e.message, e.hint);
      throw e;
    }
  } else if (Array.isArray(value)) {
    value.forEach((x, i) => checkTemplates(x, [...path, i], locate));
  } else if (isPlainMapping(value)) {
    for (const [k, x] of Object.entries(value)) checkTemplates(x, [...path, k], locate);
  }
}

/** Validate a mapping of variables found at `path` in `src`. */
export function checkVars(value: unknown, src: YamlSource, path: Path, what: string): Vars {
  if (value === null || value === undefined) return {};
  if (!isPlainMapping(value)) {
    throw new ConfigError(locationOf(src, path), `${what} must be a mapping of variable names to values, not a ${typeName(value)}`, 'write one `name: value` per line');
  }
  for (const k of Object.keys(value)) {
    if (!IDENTIFIER.test(k)) {
      throw new ConfigError(
        locationOf(src, [...path, k], { key: true }),
        `"${k}" is not a valid variable name`,
        'variable names are letters, digits and _ and do not start with a digit (e.g. gpu_alias)',
      );
    }
    if (RESERVED_VARS.has(k)) {
      throw new ConfigError(locationOf(src, [...path, k], { key: true }), `"${k}" is set by passthru and cannot be defined`, 'choose another name');
    }
  }
  checkTemplates(value, path, (p) => locationOf(src, p));
  return value;
}

function fromSource(src: YamlSource): Vars {
  return checkVars(src.data, src, [], 'a vars file');
}

/** Read a YAML or JSON file of variables. Errors name file:line:column. */
export async function loadVarsFile(path: string, display = path): Promise<Vars> {
  const text = await readTextFile(path, 'the vars file', display);
  return fromSource(parseYaml(text, display));
}

export function loadVarsFileSync(path: string, display = path): Vars {
  const text = readTextFileSync(path, 'the vars file', display);
  return fromSource(parseYaml(text, display));
}
