// `command` (an argv, quoted for the remote shell) and `shell` (a shell
// script as written). Like Ansible, running one counts as a change unless
// `creates`/`removes` say it is done already, or `readonly: true` marks it
// as a probe (then it also runs in check mode and never counts as a change).
//
// As in Ansible, the result is registered whatever the exit code (`rc`,
// `stdout`/`stderr` without the trailing newline, `stdout_lines`,
// `stderr_lines`): an exit code outside `ok_codes` fails the step unless its
// `failed_when` says otherwise, and `until` sees every attempt's result.

import { z } from 'zod';
import { quote, sh } from '../util/shell.ts';
import type { ExecResult } from '../ssh/types.ts';
import type { StepContext, StepKind, StepPlan } from './types.ts';

const common = {
  creates: z.string().optional(),
  removes: z.string().optional(),
  chdir: z.string().optional(),
  stdin: z.string().optional(),
  readonly: z.boolean().default(false),
  /** exit codes that count as success */
  ok_codes: z.array(z.number().int()).default([0]),
};

/** an argv word; a number is written as YAML gives it (`[sleep, 5]`), as Ansible does */
const word = z.union([z.string(), z.number().transform(String)]);

const commandArgs = z.union([
  z.string().transform((cmd) => ({ argv: splitWords(cmd), ...defaults() })),
  z.array(word).min(1).transform((argv) => ({ argv, ...defaults() })),
  z.object({ argv: z.array(word).min(1), ...common }).strict(),
]);
const shellArgs = z.union([
  z.string().transform((script) => ({ script, ...defaults() })),
  z.object({ script: z.string().min(1), ...common }).strict(),
]);

function defaults(): { readonly: boolean; ok_codes: number[] } {
  return { readonly: false, ok_codes: [0] };
}

type Common = { creates?: string | undefined; removes?: string | undefined; chdir?: string | undefined; stdin?: string | undefined; readonly: boolean; ok_codes: number[] };

/** Split a plain command line on whitespace; quotes are not interpreted (use the list form or `shell` for that). */
function splitWords(cmd: string): string[] {
  return cmd.trim().split(/\s+/).filter((w) => w !== '');
}

interface Ran {
  result: Record<string, unknown>;
  fail?: { message: string } | undefined;
}

async function planRun(ctx: StepContext, line: string, a: Common, label: string): Promise<StepPlan> {
  const full = a.chdir ? `cd ${sh`${a.chdir}`} && ${line}` : line;
  const run = async (c: StepContext): Promise<Ran> => {
    const r = await c.host.exec(full, { stdin: a.stdin, become: c.become, becomeUser: c.becomeUser, timeoutMs: c.timeoutMs, signal: c.signal });
    const result = commandResult(r);
    if (a.ok_codes.includes(r.exitCode)) return { result };
    const detail = (r.stderr.trim() || r.stdout.trim()).split('\n').slice(-5).join('\n');
    return { result, fail: { message: `${label}: exited ${r.exitCode}${detail ? `: ${c.secrets.mask(detail)}` : ''}` } };
  };
  if (a.creates !== undefined || a.removes !== undefined) {
    const probe = a.creates !== undefined ? sh`test -e ${a.creates}` : sh`test ! -e ${a.removes ?? ''}`;
    const r = await ctx.host.exec(probe, { become: ctx.become, becomeUser: ctx.becomeUser });
    if (r.exitCode === 0) return { changes: [], result: { rc: 0, stdout: '', stderr: '', stdout_lines: [], stderr_lines: [], skipped_because: a.creates ? `${a.creates} exists` : `${a.removes} is absent` } };
  }
  if (a.readonly) return { changes: [], ...(await run(ctx)) };
  return {
    changes: [{ description: `run: ${ctx.secrets.mask(line)}` }],
    apply: (c) => run(c),
  };
}

/** Python's str.splitlines(), as Ansible makes stdout_lines. */
export function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split(/\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/);
  if (/(?:\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029])$/.test(text)) lines.pop();
  return lines;
}

/** The registered result of a command, as Ansible's command module returns it. */
export function commandResult(r: ExecResult): Record<string, unknown> {
  const stdout = r.stdout.replace(/[\r\n]+$/, '');
  const stderr = r.stderr.replace(/[\r\n]+$/, '');
  return { rc: r.exitCode, stdout, stderr, stdout_lines: splitLines(stdout), stderr_lines: splitLines(stderr) };
}

export const commandStep: StepKind<z.infer<typeof commandArgs>> = {
  kind: 'command',
  schema: commandArgs,
  skipsInCheck: (a) => !a.readonly,
  plan: (ctx, a) => planRun(ctx, quote(a.argv), a, `command ${a.argv[0] ?? ''}`),
};

export const shellStep: StepKind<z.infer<typeof shellArgs>> = {
  kind: 'shell',
  schema: shellArgs,
  skipsInCheck: (a) => !a.readonly,
  plan: (ctx, a) => planRun(ctx, a.script, a, 'shell'),
};
