// The startup figures' section of test/bench/RESULTS.md, between two markers:
// written by startup.ts, carried over when run.ts rewrites the rest of the file.

const BEGIN = '<!-- startup: written by npm run bench:startup -->';
const END = '<!-- /startup -->';

function section(md: string): string | undefined {
  const a = md.indexOf(BEGIN);
  const b = md.indexOf(END, a);
  return a >= 0 && b > a ? md.slice(a, b + END.length) : undefined;
}

/** md with its startup section replaced by `startup` (appended when it has none) */
export function replaceStartupSection(md: string, startup: string): string {
  const block = `${BEGIN}\n${startup.trimEnd()}\n${END}`;
  const old = section(md);
  return old === undefined ? `${md.trimEnd()}\n\n${block}\n` : md.replace(old, () => block);
}

/** the new RESULTS.md of run.ts, with the startup section of the old one kept */
export function keepStartupSection(fresh: string, old: string | undefined): string {
  const kept = old === undefined ? undefined : section(old);
  return kept === undefined ? fresh : `${fresh.trimEnd()}\n\n${kept}\n`;
}
