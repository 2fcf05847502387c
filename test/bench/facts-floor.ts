// The facts floor's command: what `passthru run --check` sends each host as
// its facts round trip, taken from the run's -vvv log, and one command line
// for `passthru exec` that runs each host's own script on it.
// Pure functions: no processes, no files.
//
// Why from the log and not rebuilt from src/facts/gather.ts: which facts a
// host reads in its first round trip is decided by the engine (the steps of
// this play and the later ones, their arguments and `when`, the host's
// groups and variables: src/engine/host-play.ts), and the log is what went
// to the host. Rebuilding that list here would be a second copy of the
// engine that could drift from it unnoticed; read from the log, the floor
// follows whatever the engine sends, a read-only lock check included.
//
// What the log shows (src/cli/trace.ts): `[HOST] $ ` then `sudo ` (or
// `sudo -u USER `) when the command runs with become, then the command
// whole, over as many lines as it has. A facts round trip is
// `sh -c 'SCRIPT'` (src/facts/gather.ts gatherFacts: quote(['sh', '-c',
// script])); on the wire it is preceded by the line announcing the shell's
// pid (src/ssh/exec.ts wireCommand), as every command of `passthru exec` is,
// and wrapped in `sudo ... sh -c` only when the login user is not the one to
// become (src/ssh/connection.ts), again as in `passthru exec -b`.

/** marks the begin of a fact's section in a gather script (src/facts/gather.ts) */
const FACT_PREFIX = '@@passthru-fact:';
const NONCE = /@@passthru-fact:([a-z0-9]+):/;

export interface FactsCommand {
  host: string;
  /** the command logged with sudo (the facts are read as root) */
  become: boolean;
  /** the command as it went to the host: `sh -c '...'` */
  command: string;
  /** the script the command runs (the -c argument, unquoted) */
  script: string;
}

/**
 * The end of a word quoted the way src/util/shell.ts quotes (`'...'`, a
 * quote inside written `'\''`) that starts at `text[start]`: the index just
 * after its closing quote, and the word unquoted. Undefined when the quote
 * is not closed.
 */
export function readQuoted(text: string, start: number): { end: number; value: string } | undefined {
  if (text[start] !== "'") return undefined;
  let value = '';
  let i = start + 1;
  for (;;) {
    const close = text.indexOf("'", i);
    if (close < 0) return undefined;
    value += text.slice(i, close);
    if (text.startsWith("\\''", close + 1)) {
      value += "'";
      i = close + 4;
      continue;
    }
    return { end: close + 1, value };
  }
}

/**
 * The first command each host was sent, from a `passthru run -vvv` log,
 * when it is a facts round trip (`sh -c` of a gather script). Throws,
 * naming the host, when a host's first command is not one: the log's shape
 * changed and the floor would time the wrong thing.
 */
export function firstFactsCommands(log: string): FactsCommand[] {
  const out: FactsCommand[] = [];
  const seen = new Set<string>();
  const line = /^\[([^\]\s]+)\] \$ (sudo (?:-u \S+ )?)?/gm;
  for (let m = line.exec(log); m; m = line.exec(log)) {
    const host = m[1] ?? '';
    if (seen.has(host)) continue;
    seen.add(host);
    const at = m.index + m[0].length;
    const head = 'sh -c ';
    const word = log.startsWith(head, at) ? readQuoted(log, at + head.length) : undefined;
    if (!word || !word.value.includes(FACT_PREFIX)) {
      const first = (log.slice(at).split('\n')[0] ?? '').slice(0, 80);
      throw new Error(`${host}: its first command is not a facts script (sh -c '...${FACT_PREFIX}...'): ${first}`);
    }
    out.push({ host, become: m[2] !== undefined, command: log.slice(at, word.end), script: word.value });
    // the next log line starts after the command, whatever its lines hold
    line.lastIndex = word.end;
  }
  return out;
}

/** The script with its nonce replaced by `nonce` (same length: the same bytes to send and print). */
export function withNonce(command: string, nonce: string): string {
  const m = NONCE.exec(command);
  if (!m) return command;
  const old = m[1] ?? '';
  const fixed = nonce.padEnd(old.length, '0').slice(0, old.length);
  return command.split(`${FACT_PREFIX}${old}:`).join(`${FACT_PREFIX}${fixed}:`);
}

export interface HostAddress {
  /** the inventory name */
  name: string;
  /** the address and port passthru connects to (the inventory's ansible_host and ansible_port) */
  address: string;
  port: number;
}

/**
 * One command line for `passthru exec` that runs on each host the facts
 * command it was sent, chosen by the shell that sshd starts from
 * $SSH_CONNECTION (`client port server port`: the address and port the host
 * was reached at), without starting a program. Hosts sent the same script
 * (every compute: their scripts differ only by the nonce, made the same
 * here) share one branch. A host that no branch names fails with rc 97.
 * With a single script the line is that command alone.
 */
export function perHostCommand(commands: readonly FactsCommand[], addresses: readonly HostAddress[]): string {
  const byScript = new Map<string, string[]>();
  for (const c of commands) {
    const command = withNonce(c.command, 'benchfacts');
    byScript.set(command, [...(byScript.get(command) ?? []), c.host]);
  }
  if (byScript.size === 1) return [...byScript.keys()][0] ?? '';
  const where = new Map(addresses.map((a) => [a.name, a]));
  const branches = [...byScript].map(([command, hosts]) => {
    const patterns = hosts.map((h) => {
      const a = where.get(h);
      if (!a) throw new Error(`${h}: no address for this host`);
      return `*' ${a.address} ${a.port}'`;
    });
    return `${patterns.join('|')})\n${command}\n;;`;
  });
  return ['case "$SSH_CONNECTION" in', ...branches, `*) echo "facts floor: no script for $SSH_CONNECTION" >&2; exit 97 ;;`, 'esac'].join('\n');
}
