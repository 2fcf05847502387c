// Scalars as Ansible's YAML loader types them: PyYAML's YAML 1.1 implicit
// resolvers and constructors (resolver.py, constructor.py), written out
// regex for regex, and JSON's rules for files that are JSON.

import { PyDate, pyFloat, pyInt, type PyFloat, type PyInt } from './py-values.ts';

export const TAG = 'tag:yaml.org,2002:';

const BOOL = /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/;
const FLOAT = /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;
const INT = /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/;
const NULL = /^(?:~|null|Null|NULL|)$/;
const TIMESTAMP_RESOLVE = /^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$/;
const TIMESTAMP = /^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:(?:[Tt]|[ \t]+)([0-9]{1,2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]*))?(?:[ \t]*(Z|([-+])([0-9]{1,2})(?::([0-9]{2}))?))?)?$/;
const JSON_NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?$/;

export class BadScalar extends Error {}

/** PyYAML's implicit tag for a plain scalar */
export function implicitTag(text: string): string {
  const first = text[0] ?? '';
  if ('yYnNtTfFoO'.includes(first) && first !== '' && BOOL.test(text)) return 'bool';
  if ('-+0123456789.'.includes(first) && first !== '' && FLOAT.test(text)) return 'float';
  if ('-+0123456789'.includes(first) && first !== '' && INT.test(text)) return 'int';
  if (text === '<<') return 'merge';
  if (NULL.test(text)) return 'null';
  if ('0123456789'.includes(first) && first !== '' && TIMESTAMP_RESOLVE.test(text)) return 'timestamp';
  if (text === '=') return 'value';
  return 'str';
}

function sexagesimal(parts: number[]): number {
  let value = 0;
  let base = 1;
  for (const d of [...parts].reverse()) {
    value += d * base;
    base *= 60;
  }
  return value;
}

function constructInt(text: string): number | PyInt {
  let v = text.replace(/_/g, '');
  let sign = 1n;
  if (v[0] === '-') sign = -1n;
  if (v[0] === '-' || v[0] === '+') v = v.slice(1);
  let n: bigint;
  if (v === '0') return 0;
  if (v.startsWith('0b')) n = parseStrict(v.slice(2), 2);
  else if (v.startsWith('0x')) n = parseStrict(v.slice(2), 16);
  else if (v[0] === '0') n = parseStrict(v, 8);
  else if (v.includes(':')) n = BigInt(sexagesimal(v.split(':').map((p) => Number(parseStrict(p, 10)))));
  else n = parseStrict(v, 10);
  return pyInt(sign * n);
}

function parseStrict(digits: string, radix: number): bigint {
  const valid = { 2: /^[01]+$/, 8: /^[0-7]+$/, 10: /^[0-9]+$/, 16: /^[0-9a-fA-F]+$/ }[radix as 2 | 8 | 10 | 16];
  if (!valid.test(digits)) throw new BadScalar(`invalid literal for int() with base ${radix}: '${digits}'`);
  return BigInt((radix === 2 ? '0b' : radix === 8 ? '0o' : radix === 16 ? '0x' : '') + digits);
}

function constructFloat(text: string): number | PyFloat {
  return pyFloat(floatValue(text));
}

function floatValue(text: string): number {
  let v = text.replace(/_/g, '').toLowerCase();
  let sign = 1;
  if (v[0] === '-') sign = -1;
  if (v[0] === '-' || v[0] === '+') v = v.slice(1);
  if (v === '.inf') return sign * Infinity;
  if (v === '.nan') return NaN;
  if (v.includes(':')) return sign * sexagesimal(v.split(':').map(Number));
  const n = Number(v);
  if (Number.isNaN(n)) throw new BadScalar(`could not convert string to float: '${text}'`);
  return sign * n;
}

function constructBool(text: string): boolean {
  const v = ({ yes: true, no: false, true: true, false: false, on: true, off: false } as Record<string, boolean>)[text.toLowerCase()];
  if (v === undefined) throw new BadScalar(`'${text}' is not a boolean (use true or false)`);
  return v;
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** PyYAML's timestamp: a date or datetime (its .isoformat() is what Ansible's JSON encoder writes) */
function constructTimestamp(text: string): PyDate {
  return new PyDate(timestampIso(text));
}

function timestampIso(text: string): string {
  const m = TIMESTAMP.exec(text);
  if (!m) throw new BadScalar(`'${text}' is not a timestamp`);
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const dim = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > dim) throw new BadScalar(`'${text}' is not a valid date`);
  const date = `${pad(year, 4)}-${pad(month)}-${pad(day)}`;
  if (m[4] === undefined) return date;
  const [hour, minute, second] = [Number(m[4]), Number(m[5]), Number(m[6])];
  if (hour > 23 || minute > 59 || second > 59) throw new BadScalar(`'${text}' is not a valid time`);
  let out = `${date}T${pad(hour)}:${pad(minute)}:${pad(second)}`;
  const fraction = m[7] ? Number(m[7].slice(0, 6).padEnd(6, '0')) : 0;
  if (fraction) out += `.${pad(fraction, 6)}`;
  if (m[9]) {
    const tzh = Number(m[10]);
    const tzm = Number(m[11] ?? 0);
    if (tzh > 23 || tzm > 59) throw new BadScalar(`'${text}' has a bad time zone`);
    const sign = m[9] === '-' && (tzh || tzm) ? '-' : '+';
    out += `${sign}${pad(tzh)}:${pad(tzm)}`;
  } else if (m[8] === 'Z') {
    out += '+00:00';
  }
  return out;
}

export function construct(tag: string, text: string): unknown {
  switch (tag) {
    case 'str': return text;
    case 'null': return null;
    case 'bool': return constructBool(text);
    case 'int': return constructInt(text);
    case 'float': return constructFloat(text);
    case 'timestamp': return constructTimestamp(text);
    case 'value': throw new BadScalar(`could not determine a constructor for the tag '${TAG}value' ('=' alone)`);
    default: throw new BadScalar(`unsupported tag '${tag}'`);
  }
}

export function jsonScalar(text: string): unknown {
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (text === 'null') return null;
  if (JSON_NUMBER.test(text)) return /[.eE]/.test(text) ? pyFloat(Number(text)) : pyInt(BigInt(text));
  return text;
}
