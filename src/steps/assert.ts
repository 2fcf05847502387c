// `assert`: run a read-only command (also in check mode) and check its
// result: exit code, stdout contains / does not contain / matches.

import { z } from 'zod';
import { quote } from '../util/shell.ts';
import type { StepKind } from './types.ts';

const args = z
  .object({
    command: z.union([z.string(), z.array(z.string()).min(1)]).optional(),
    shell: z.string().optional(),
    rc: z.number().int().default(0),
    stdout_contains: z.union([z.string(), z.array(z.string())]).optional(),
    stdout_not_contains: z.union([z.string(), z.array(z.string())]).optional(),
    stdout_matches: z.string().optional(),
    msg: z.string().optional(),
  })
  .strict()
  .refine((a) => (a.command === undefined) !== (a.shell === undefined), { message: 'give exactly one of `command` or `shell`' });

const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

export const assertStep: StepKind<z.infer<typeof args>> = {
  kind: 'assert',
  schema: args,
  repeatable: true,
  async plan(ctx, a) {
    const line = a.shell ?? (Array.isArray(a.command) ? quote(a.command) : (a.command ?? ''));
    const r = await ctx.host.exec(line, { become: ctx.become, becomeUser: ctx.becomeUser, timeoutMs: ctx.timeoutMs, signal: ctx.signal });
    const problems: string[] = [];
    if (r.exitCode !== a.rc) problems.push(`exit code ${r.exitCode}, expected ${a.rc}`);
    for (const s of list(a.stdout_contains)) if (!r.stdout.includes(s)) problems.push(`output does not contain '${s}'`);
    for (const s of list(a.stdout_not_contains)) if (r.stdout.includes(s)) problems.push(`output contains '${s}'`);
    if (a.stdout_matches !== undefined && !new RegExp(a.stdout_matches, 'm').test(r.stdout)) problems.push(`output does not match /${a.stdout_matches}/`);
    const result = { rc: r.exitCode, stdout: r.stdout, stderr: r.stderr };
    if (problems.length === 0) return { changes: [], result };
    const shown = ctx.secrets.mask((r.stdout + r.stderr).trim().split('\n').slice(-5).join('\n'));
    return { changes: [], result, fail: { message: `${a.msg ? `${a.msg}: ` : ''}${problems.join('; ')}${shown ? `\n${shown}` : ''}` } };
  },
};
