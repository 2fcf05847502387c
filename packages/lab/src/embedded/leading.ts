// The first lines of a command line that only print (`echo WORDS`,
// `printf WORDS`, optionally `>&2`), with no quoting, substitution or state.
// They run, and their output reaches the client, before the rest of the line
// waits for stdin: a client may hold its stdin back until it has seen them
// (passthru's pid announcement and become handshake).

const PURE_LINE = /^(?:echo|printf)(?: [A-Za-z0-9_:.,/=+@%$-]+)*(?: 1?>&2)?$/;

export function splitLeadingEchoes(script: string): { lead: string[]; rest: string } {
  const lead: string[] = [];
  let rest = script;
  for (;;) {
    const nl = rest.indexOf('\n');
    if (nl === -1) break;
    const line = rest.slice(0, nl);
    if (!PURE_LINE.test(line) || line.replace(/\$\$/g, '').includes('$')) break;
    lead.push(line);
    rest = rest.slice(nl + 1);
  }
  return { lead, rest };
}
