// Facts in one round trip: the snippets of every fact are joined into one
// POSIX sh script that prints a marker line before and after each section,
// with the snippet's exit status. Each snippet runs in a subshell with
// stdin from /dev/null and stderr merged into its section, so one failing
// or exiting snippet cannot disturb the others.
//
// The script is POSIX sh, run alike by dash and bash: subshells,
// redirections, `$?`, echo. No trap, no here-strings, no process
// substitution, no arrays.
//
// A command several facts need (the nova unit list and their state, from
// systemctl) runs once: a fact names the shared probes it reads, and each
// probe runs once in the script's own shell before the first section that
// reads it, setting variables that the sections' subshells inherit.

import type { RemoteHost } from '../ssh/types.ts';
import { quote } from '../util/shell.ts';
import type { Fact, SharedProbe } from './types.ts';

export interface FactResult {
  value?: unknown;
  error?: string | undefined;
}

const PREFIX = '@@passthru-fact';

/** A token that the snippets' output will not contain by chance. */
export function newNonce(): string {
  return Math.random().toString(36).slice(2, 10) + Date.now().toString(36);
}

function checkIds(facts: readonly Fact<unknown>[]): void {
  const seen = new Set<string>();
  for (const f of facts) {
    if (!/^[a-z0-9_]+$/.test(f.id)) throw new Error(`bad fact id: ${JSON.stringify(f.id)}`);
    if (seen.has(f.id)) throw new Error(`fact listed twice: ${f.id}`);
    seen.add(f.id);
  }
}

/** A shared probe as the gather script runs it: in the script's shell, silent. */
function probeLines(p: SharedProbe): string {
  return `{\n${p.script}\n} </dev/null >/dev/null 2>&1`;
}

/** A fact's snippet with the shared probes it reads before it: what its section runs, alone. */
export function standaloneScript(f: Fact<unknown>): string {
  return [...(f.shared ?? []).map(probeLines), f.script].join('\n');
}

/** The remote script. `nonce` makes the markers unique (random by default). */
export function buildGatherScript(facts: readonly Fact<unknown>[], nonce: string = newNonce()): string {
  checkIds(facts);
  const out: string[] = [];
  const probed = new Set<string>();
  for (const f of facts) {
    for (const p of f.shared ?? []) {
      if (probed.has(p.id)) continue;
      probed.add(p.id);
      out.push(probeLines(p));
    }
    out.push(`echo '${PREFIX}:${nonce}:begin:${f.id}'`);
    out.push(`(\n${f.script}\n) </dev/null 2>&1`);
    // the echo guarantees the end marker starts a line even without a final newline
    out.push(`__passthru_rc=$?`);
    out.push('echo');
    out.push(`echo "${PREFIX}:${nonce}:end:${f.id}:$__passthru_rc"`);
  }
  return out.join('\n') + '\n';
}

/** The nonce of a script built by buildGatherScript. */
export function scriptNonce(script: string): string {
  const m = new RegExp(`${PREFIX}:([a-z0-9]+):begin:`).exec(script);
  if (!m) throw new Error('not a gather script');
  return m[1]!;
}

/**
 * The first `marker` (newline, end marker with this run's nonce, fact id,
 * colon) at or after `from` that a decimal exit status follows. A text
 * search: a regex built per fact and host (each nonce is new) is compiled
 * anew and runs once, in V8's regex interpreter, over the rest of the output.
 */
function endMarker(out: string, marker: string, from: number): { index: number; exitCode: number } | undefined {
  for (let at = out.indexOf(marker, from); at >= 0; at = out.indexOf(marker, at + 1)) {
    const digits = at + marker.length;
    let i = digits;
    while (i < out.length && out.charCodeAt(i) >= 48 && out.charCodeAt(i) <= 57) i++;
    if (i > digits) return { index: at, exitCode: Number(out.slice(digits, i)) };
  }
  return undefined;
}

/**
 * Split the output into sections and parse each with its fact. A parser
 * that throws, or a section that is missing, gives an error for that fact
 * only.
 */
export function parseGatherOutput(out: string, facts: readonly Fact<unknown>[], nonce?: string): Map<string, FactResult> {
  const results = new Map<string, FactResult>();
  const n = nonce ?? (new RegExp(`^${PREFIX}:([a-z0-9]+):begin:`, 'm').exec(out)?.[1] ?? '');
  for (const f of facts) {
    const begin = `${PREFIX}:${n}:begin:${f.id}\n`;
    const b = out.indexOf(begin);
    if (b < 0 || n === '') {
      results.set(f.id, { error: 'no output (the gather script stopped before this fact)' });
      continue;
    }
    const start = b + begin.length;
    const end = endMarker(out, `\n${PREFIX}:${n}:end:${f.id}:`, start);
    if (!end) {
      results.set(f.id, { error: 'output cut short (no end marker)' });
      continue;
    }
    // the newline our `echo` added belongs to the end marker
    const body = out.slice(start, end.index);
    const exitCode = end.exitCode;
    try {
      results.set(f.id, { value: f.parse(body, exitCode) });
    } catch (e) {
      results.set(f.id, { error: e instanceof Error ? e.message : String(e) });
    }
  }
  return results;
}

export interface GatherOptions {
  /** run the script through sudo (else facts that need root may report less) */
  become?: boolean | undefined;
  timeoutMs?: number | undefined;
  signal?: AbortSignal | undefined;
}

/** Gather facts from a host in ONE exec round trip. */
export async function gatherFacts(host: RemoteHost, facts: readonly Fact<unknown>[], opts: GatherOptions = {}): Promise<Map<string, FactResult>> {
  if (facts.length === 0) return new Map();
  const nonce = newNonce();
  const script = buildGatherScript(facts, nonce);
  const res = await host.exec(quote(['sh', '-c', script]), {
    become: opts.become === true,
    timeoutMs: opts.timeoutMs,
    signal: opts.signal,
  });
  const results = parseGatherOutput(res.stdout, facts, nonce);
  if (res.exitCode !== 0) {
    // the script itself always ends with status 0; anything else means it was cut short
    for (const [id, r] of results) {
      if (r.error && r.error.startsWith('no output')) {
        results.set(id, { error: `${r.error}; exit status ${res.exitCode}${res.stderr.trim() ? `: ${res.stderr.trim().split('\n').slice(-1)[0]}` : ''}` });
      }
    }
  }
  return results;
}
