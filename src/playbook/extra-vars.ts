// -e / --extra-vars, as Ansible reads them (utils/vars.py load_extra_vars):
//   -e 'key=value other="two words"'   strings, always (Ansible does not type k=v values)
//   -e '{"json": 1}'  -e '[...]'        JSON or YAML (must be a mapping)
//   -e @vars.yaml  -e @vars.json        a file, relative to the current directory
// Later -e win over earlier ones (top-level keys replaced, as Ansible's default).
// Error messages never repeat the values (they may be secrets).

import { homedir } from 'node:os';
import { UsageError } from '../errors.ts';
import type { Vars } from '../inventory/types.ts';
import { isPlainMapping, loadVarsFile, IDENTIFIER } from './vars-file.ts';
import { parseYaml } from './yaml-source.ts';
import { ConfigError } from '../errors.ts';

/** Split like Ansible's split_args: on whitespace, keeping quoted parts and {{ }} together. */
function splitWords(s: string, argNo: number): string[] {
  const words: string[] = [];
  let cur = '';
  let quote = '';
  let braces = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (quote) {
      cur += c;
      if (c === '\\' && i + 1 < s.length) cur += s[++i];
      else if (c === quote) quote = '';
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      cur += c;
      continue;
    }
    if (c === '{' && s[i + 1] === '{') {
      braces++;
      cur += '{{';
      i++;
      continue;
    }
    if (c === '}' && s[i + 1] === '}' && braces > 0) {
      braces--;
      cur += '}}';
      i++;
      continue;
    }
    if (/\s/.test(c) && braces === 0) {
      if (cur) words.push(cur);
      cur = '';
      continue;
    }
    cur += c;
  }
  if (quote) throw new UsageError(`-e argument ${argNo}: a ${quote === '"' ? 'double' : 'single'} quote is not closed`, { hint: 'close the quote, or quote the whole -e argument for the shell' });
  if (cur) words.push(cur);
  return words;
}

function unquote(v: string): string {
  if (v.length > 1 && (v[0] === '"' || v[0] === "'") && v[v.length - 1] === v[0] && v[v.length - 2] !== '\\') return v.slice(1, -1);
  return v;
}

function parseKeyValues(s: string, argNo: number): Vars {
  const out: Vars = {};
  splitWords(s, argNo).forEach((w, i) => {
    const eq = w.indexOf('=');
    if (eq <= 0) {
      throw new UsageError(`-e argument ${argNo}: word ${i + 1} is not key=value`, {
        hint: 'write -e key=value (several pairs separated by spaces), -e \'{"key": "value"}\', or -e @file.yaml',
      });
    }
    const key = w.slice(0, eq).trim();
    if (!IDENTIFIER.test(key)) {
      throw new UsageError(`-e argument ${argNo}: "${key}" is not a valid variable name`, { hint: 'variable names are letters, digits and _ and do not start with a digit' });
    }
    Object.defineProperty(out, key, { value: unquote(w.slice(eq + 1).trim()), enumerable: true, writable: true, configurable: true });
  });
  return out;
}

function parseInline(s: string, argNo: number): Vars {
  const file = `-e argument ${argNo}`;
  const src = parseYaml(s, file);
  if (!isPlainMapping(src.data)) {
    throw new ConfigError({ file }, 'extra vars must be a mapping (a JSON object), not a list', 'write -e \'{"key": "value"}\'');
  }
  return src.data;
}

export async function parseExtraVars(args: readonly string[]): Promise<Vars> {
  let vars: Vars = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    const argNo = i + 1;
    if (arg.trim() === '') continue;
    let data: Vars;
    if (arg.startsWith('@')) {
      let path = arg.slice(1);
      if (path === '') throw new UsageError(`-e argument ${argNo}: "@" needs a file name`, { hint: 'write -e @vars.yaml' });
      if (path.startsWith('~/')) path = homedir() + path.slice(1);
      data = await loadVarsFile(path);
    } else if (arg[0] === '/' || arg[0] === '.') {
      throw new UsageError(`-e argument ${argNo} looks like a file name: put @ before it`, { hint: 'write -e @path/to/vars.yaml' });
    } else if (arg[0] === '{' || arg[0] === '[') {
      data = parseInline(arg, argNo);
    } else {
      data = parseKeyValues(arg, argNo);
    }
    vars = { ...vars, ...data };
  }
  return vars;
}
