// The one quoting function: every remote command is built from argument
// arrays through here, so no value is ever pasted into a shell unquoted.

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Quote one word for a POSIX shell (sh, dash, bash). */
export function quoteArg(arg: string): string {
  if (arg !== '' && SAFE.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Quote an argv into one shell command line. */
export function quote(argv: readonly string[]): string {
  return argv.map(quoteArg).join(' ');
}

/** Tagged template: interpolated values are quoted, literal parts kept. Arrays become several words. */
export function sh(strings: TemplateStringsArray, ...values: Array<string | number | readonly string[]>): string {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    if (Array.isArray(v)) out += (v as readonly string[]).map(quoteArg).join(' ');
    else out += quoteArg(String(v));
    out += strings[i + 1] ?? '';
  });
  return out;
}
