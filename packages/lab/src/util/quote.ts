// Shell quoting for what the simulated hosts print and re-run (sudo, flock,
// the interpreter's `set -x`): the lab's own, since it is not the product.

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Quote an argv into one POSIX shell command line. */
export function quote(argv: readonly string[]): string {
  return argv.map((a) => (a !== '' && SAFE.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}
