// `ini`: edit an oslo.config-style file (nova.conf) line by line: repeated
// keys are separate values, comments and blank lines stay exactly as they are.

import { z } from 'zod';
import { editOslo, type IniOp } from '../inifile/oslo.ts';
import { fileOptions } from './file-options.ts';
import { planFileEdit } from './file-edit.ts';
import type { StepKind } from './types.ts';

const scalar = z.union([z.string(), z.number(), z.boolean()]).transform(String);

const args = z
  .object({
    ...fileOptions,
    section: z.string().min(1),
    option: z.string().min(1),
    /** single-valued option */
    value: scalar.optional(),
    /** multi-valued option (one line per value) */
    values: z.array(scalar).optional(),
    /** for `values`: `exact` makes these the only values, `add` keeps the others */
    multi: z.enum(['exact', 'add']).default('exact'),
    state: z.enum(['present', 'absent']).default('present'),
  })
  .strict()
  .refine((a) => a.state === 'absent' || (a.value === undefined) !== (a.values === undefined), { message: 'give exactly one of `value` or `values`' });

type Args = z.infer<typeof args>;

export function iniOps(a: Args): IniOp[] {
  const { section, option: key } = a;
  if (a.state === 'absent') {
    if (a.values !== undefined) {
      const drop = new Set(a.values);
      return [{ op: 'remove_values', section, key, match: (v) => drop.has(v) }];
    }
    return [{ op: 'remove', section, key }];
  }
  if (a.values !== undefined) {
    return [a.multi === 'exact' ? { op: 'set_multi', section, key, values: a.values } : { op: 'ensure_values', section, key, values: a.values }];
  }
  return [{ op: 'set', section, key, value: a.value ?? '' }];
}

export const iniStep: StepKind<Args> = {
  kind: 'ini',
  aliases: { dest: 'path', key: 'option' },
  schema: args,
  plan: (ctx, a) =>
    planFileEdit(ctx, a.path, (before) => ({ after: editOslo(before, iniOps(a)) }), {
      ...a,
      description: `${a.state === 'absent' ? 'remove' : 'set'} [${a.section}] ${a.option} in ${a.path}`,
    }),
};
