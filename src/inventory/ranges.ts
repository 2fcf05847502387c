// Host patterns in inventory files, as Ansible reads them:
//   cmp[01:20]      cmp01 … cmp20 (zero-padded because the start is)
//   node[a:c]       nodea nodeb nodec
//   cmp[1:10:2]     cmp1 cmp3 … cmp9 (a stride)
//   host:2222       host, with ansible_port 2222
//   [fe80::1]:2222  an IPv6 address with a port
// Mirrors ansible/parsing/utils/addresses.py and ansible/plugins/inventory/__init__.py.

/** A bad range; the readers turn it into a ConfigError with the file and line. */
export class HostRangeError extends Error {
  constructor(message: string, readonly hint: string) {
    super(message);
  }
}

const numericRange = String.raw`\[(?:[0-9]+:[0-9]+)(?::[0-9]+)?\]`;
const hexRange = String.raw`\[(?:[0-9a-f]+:[0-9a-f]+)(?::[0-9]+)?\]`;
const alnumRange = String.raw`\[(?:[a-z]:[a-z]|[0-9]+:[0-9]+)(?::[0-9]+)?\]`;
const ipv6Component = `(?:[0-9a-f]{1,4}|${hexRange})`;
const ipv4Component = `(?:[01]?[0-9]{1,2}|2[0-4][0-9]|25[0-5]|${numericRange})`;
// Python's \w with re.UNICODE
const W = String.raw`[\p{L}\p{N}\p{Mn}\p{Mc}\p{Pc}]`;
const label = `(?:${W}|${alnumRange})(?:${W}|[_-]|${alnumRange})*(?<![_-])`;

const BRACKETED_HOSTPORT = /^\[(.+)\]:([0-9]+)$/s;
const HOSTPORT = /^((?:[^:[\]]|\[[^\]]*\])*):([0-9]+)$/s;
const IPV4 = new RegExp(`^(?:${ipv4Component}\\.){3}${ipv4Component}$`, 'i');
const c6 = ipv6Component;
const IPV6 = new RegExp(
  '^(?:' +
    [
      `(?:${c6}:){7}${c6}`,
      `(?:${c6}:){1,6}:`,
      `(?:${c6}:)(?::${c6}){1,6}`,
      `(?:${c6}:){2}(?::${c6}){1,5}`,
      `(?:${c6}:){3}(?::${c6}){1,4}`,
      `(?:${c6}:){4}(?::${c6}){1,3}`,
      `(?:${c6}:){5}(?::${c6}){1,2}`,
      `(?:${c6}:){6}(?::${c6})`,
      `:(?::${c6}){1,6}`,
      `${c6}?::`,
      `(?:0:){6}(?:${c6}\\.){3}${c6}`,
      `::(?:ffff:)?(?:${c6}\\.){3}${c6}`,
      `(?:0:){5}ffff:(?:${c6}\\.){3}${c6}`,
    ].join('|') +
    ')$',
  'i',
);
const HOSTNAME = new RegExp(`^${label}(?:\\.${label})*$`, 'iu');
// The common case, ASCII labels of letters, digits, _ and - (not at either end), dotted: a subset of
// HOSTNAME (and of what IPV4 accepts) told without the Unicode classes and the IPv6 alternatives,
// whose first use costs milliseconds to compile.
const PLAIN_HOSTNAME = /^[a-z0-9](?:[a-z0-9_-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9_-]*[a-z0-9])?)*$/i;

/** ansible's parse_address(address, allow_ranges=True): [host, port] or undefined when not an address. */
export function parseAddress(address: string): { host: string; port: number | undefined } | undefined {
  let addr = address;
  let port: number | undefined;
  for (const re of [BRACKETED_HOSTPORT, HOSTPORT]) {
    const m = re.exec(addr);
    if (m) {
      addr = m[1] as string;
      port = Number(m[2]);
    }
  }
  if (PLAIN_HOSTNAME.test(addr) || isIpv4(addr) || isIpv6(addr) || (mayBeHostname(addr) && HOSTNAME.test(addr))) return { host: addr, port };
  return undefined;
}

const IPV4_CHARS = /^[0-9.:[\]]*$/;
const IPV6_CHARS = /^[0-9a-f:.[\]]*$/i;

/** IPV4 only matches digits and dots (and ranges of digits) */
function isIpv4(s: string): boolean {
  return IPV4_CHARS.test(s) && IPV4.test(s);
}

/** every form of IPV6 has a colon (between components, or in a range) and nothing but hex digits, colons, dots and brackets */
function isIpv6(s: string): boolean {
  return s.includes(':') && IPV6_CHARS.test(s) && IPV6.test(s);
}

/** a colon in a host name is in a range ([a:c]): `controller:compute` (a play's hosts) is not one */
function mayBeHostname(s: string): boolean {
  return !s.includes(':') || s.includes('[');
}

export function isIpAddress(name: string): boolean {
  return isIpv4(name) || isIpv6(name);
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
const MAX_HOSTS = 100_000;

/** Python's int() on a range bound: optional sign, digits, single underscores, surrounding spaces. */
function pyInt(s: string): number | undefined {
  const t = s.trim();
  if (!/^[+-]?[0-9](?:_?[0-9])*$/.test(t)) return undefined;
  return Number(t.replace(/_/g, ''));
}

/** expand_hostname_range: every [a:b(:step)] in the pattern, left to right. */
export function expandHostRange(pattern: string): string[] {
  const open = pattern.indexOf('[');
  if (open < 0) return [pattern];
  // like Python: replace the first '[' and then the first ']' by '|', then split on '|'
  const first = pattern.slice(0, open) + '|' + pattern.slice(open + 1);
  const close = first.indexOf(']');
  const marked = close < 0 ? first : first.slice(0, close) + '|' + first.slice(close + 1);
  const parts = marked.split('|');
  if (parts.length !== 3) {
    throw new HostRangeError(`host range in '${pattern}' is not closed or contains '|'`, 'write a range as name[01:20] with one [ and one ]');
  }
  const [head, nrange, tail] = parts as [string, string, string];
  const bounds = nrange.split(':');
  if (bounds.length !== 2 && bounds.length !== 3) {
    throw new HostRangeError(`host range [${nrange}] must be begin:end or begin:end:step`, 'write it as [01:20], [a:f] or [1:20:2]');
  }
  let beg = bounds[0] as string;
  const end = bounds[1] as string;
  const stepText = bounds[2] ?? '1';
  if (beg === '') beg = '0';
  if (end === '') throw new HostRangeError(`host range [${nrange}] must specify an end value`, 'write it as [begin:end], e.g. [01:20]');
  let fill = (x: number | string): string => String(x);
  if (beg[0] === '0' && beg.length > 1) {
    if (beg.length !== end.length) {
      throw new HostRangeError(
        `host range [${nrange}] must specify equal-length begin and end formats`,
        `pad both ends to the same width, e.g. [${beg}:${end.padStart(beg.length, '0')}]`,
      );
    }
    const width = beg.length;
    fill = (x) => {
      const s = String(x);
      return s.startsWith('-') ? '-' + s.slice(1).padStart(width - 1, '0') : s.padStart(width, '0');
    };
  }
  const step = pyInt(stepText);
  if (step === undefined || step === 0) {
    throw new HostRangeError(`host range [${nrange}] has a bad step '${stepText}'`, 'the step must be a whole number above 0, e.g. [1:20:2]');
  }
  let seq: Array<number | string>;
  const ib = LETTERS.indexOf(beg);
  const ie = LETTERS.indexOf(end);
  if (ib >= 0 && ie >= 0) {
    if (ib > ie) throw new HostRangeError(`host range [${nrange}] must have begin <= end`, `swap the bounds: [${end}:${beg}]`);
    seq = [];
    if (step > 0) for (let i = ib; i <= ie; i += step) seq.push(LETTERS[i] as string);
  } else {
    const b = pyInt(beg);
    const e = pyInt(end);
    if (b === undefined || e === undefined) {
      throw new HostRangeError(`host range [${nrange}] mixes letters and numbers`, 'use numbers on both ends ([01:20]) or one letter on each ([a:f])');
    }
    if (Math.abs((e - b) / step) > MAX_HOSTS) throw new HostRangeError(`host range [${nrange}] expands to more than ${MAX_HOSTS} hosts`, 'split it into smaller ranges');
    // Python's range(b, e + 1, step)
    seq = [];
    if (step > 0) for (let i = b; i < e + 1; i += step) seq.push(i);
    else for (let i = b; i > e + 1; i += step) seq.push(i);
  }
  if (seq.length === 0) {
    throw new HostRangeError(
      `host range [${nrange}] in '${pattern}' matches no host (the start is after the end)`,
      `write the smaller number first, e.g. [${end}:${beg}]`,
    );
  }
  const out: string[] = [];
  for (const x of seq) {
    const name = head + fill(x) + tail;
    if (name.includes('[')) out.push(...expandHostRange(name));
    else out.push(name);
    if (out.length > MAX_HOSTS) throw new HostRangeError(`host pattern '${pattern}' expands to more than ${MAX_HOSTS} hosts`, 'split it into smaller ranges');
  }
  return out;
}

/** BaseInventoryPlugin._expand_hostpattern: the hosts a pattern names, and the port it gives them. */
export function expandHostPattern(pattern: string): { hosts: string[]; port: number | undefined } {
  const addr = parseAddress(pattern);
  const base = addr ? addr.host : pattern;
  const port = addr ? addr.port : undefined;
  const hosts = base.includes('[') ? expandHostRange(base) : [base];
  return { hosts, port };
}
