// oslo.config's file parser (oslo_config/iniparser.py + cfg.ConfigParser):
// sections, repeated keys collected in order, indented continuation lines
// joined with "\n", blank lines ending a value, '#'/';' comments at line
// start; its ParseError texts verbatim.

import { pyStrRepr } from './pyjson.ts';

export interface OsloValue {
  file: string;
  line: number;
  value: string;
}

export interface OsloFile {
  file: string;
  /** section name (lowercased, as oslo normalizes groups) -> key -> values in order */
  sections: Map<string, Map<string, OsloValue[]>>;
}

export class ConfigFileParseError extends Error {
  constructor(
    readonly file: string,
    readonly detail: string,
  ) {
    super(`Failed to parse ${file}: ${detail}`);
  }
}

export function parseOslo(file: string, text: string): OsloFile {
  const sections = new Map<string, Map<string, OsloValue[]>>();
  let section: string | undefined;
  let key: string | undefined;
  let keyLine = 0;
  let value: string[] = [];
  let lineno = 0;
  const err = (msg: string, line: string | null): never => {
    throw new ConfigFileParseError(file, `at ${file}:${lineno}, ${msg}: ${line === null ? 'None' : pyStrRepr(line)}`);
  };
  const assign = (): void => {
    if (key === undefined) return;
    if (section === undefined) err('Section must be started before assignment', null);
    const s = sections.get(section as string) ?? new Map<string, OsloValue[]>();
    sections.set(section as string, s);
    const list = s.get(key) ?? [];
    list.push({ file, line: keyLine, value: value.join('\n') });
    s.set(key, list);
    key = undefined;
    value = [];
  };
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  for (const raw of lines) {
    lineno++;
    const line = raw.replace(/\s+$/, '');
    if (!line) {
      assign();
      continue;
    }
    if (line.startsWith(' ') || line.startsWith('\t')) {
      if (key === undefined) err('Unexpected continuation line', line);
      value.push(line.replace(/^\s+/, ''));
      continue;
    }
    assign();
    if (line.startsWith('[')) {
      if (!line.endsWith(']')) err('Invalid section (must end with ])', line);
      if (line.length <= 2) err('Empty section name', line);
      section = line.slice(1, -1).toLowerCase();
      if (!sections.has(section)) sections.set(section, new Map());
    } else if (line.startsWith('#') || line.startsWith(';')) {
      // comment
    } else {
      const colon = line.indexOf(':');
      const equal = line.indexOf('=');
      if (colon < 0 && equal < 0) err("No ':' or '=' found in assignment", line);
      let k: string;
      let v: string;
      if (colon < 0 || (equal >= 0 && equal < colon)) {
        k = line.slice(0, equal);
        v = line.slice(equal + 1);
      } else {
        k = line.slice(0, colon);
        v = line.slice(colon + 1);
      }
      v = v.trim();
      if (v && v[0] === v[v.length - 1] && (v.startsWith('"') || v.startsWith("'"))) v = v.slice(1, -1);
      k = k.trim();
      if (!k) err('Key cannot be empty', line);
      key = k;
      keyLine = lineno;
      value = [v];
    }
  }
  assign();
  return { file, sections };
}

/** values of a multi-valued option across files and names (new and deprecated), in file then line order */
export function multiValues(files: OsloFile[], names: Array<[string, string]>): OsloValue[] {
  const out: OsloValue[] = [];
  for (const f of files) {
    const vals: OsloValue[] = [];
    for (const [sec, key] of names) vals.push(...(f.sections.get(sec)?.get(key) ?? []));
    vals.sort((a, b) => a.line - b.line);
    out.push(...vals);
  }
  return out;
}

/** value of a single-valued option: the last one set wins */
export function lastValue(files: OsloFile[], names: Array<[string, string]>): OsloValue | undefined {
  const all = multiValues(files, names);
  return all[all.length - 1];
}
