// `blockinfile`: a block of lines between two marker lines, kept as given.

import { z } from 'zod';
import { fileOptions } from './file-options.ts';
import { planFileEdit } from './file-edit.ts';
import type { StepKind } from './types.ts';

const args = z
  .object({
    ...fileOptions,
    block: z.string().default(''),
    marker: z.string().default('# {mark} PASSTHRU MANAGED BLOCK'),
    state: z.enum(['present', 'absent']).default('present'),
  })
  .strict();

type Args = z.infer<typeof args>;

export function editBlock(text: string, a: Args): string {
  const begin = a.marker.replace('{mark}', 'BEGIN');
  const end = a.marker.replace('{mark}', 'END');
  const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n');
  const b = lines.indexOf(begin);
  const e = b >= 0 ? lines.indexOf(end, b) : -1;
  const body = a.block === '' ? [] : a.block.replace(/\n$/, '').split('\n');
  const wanted = a.state === 'present' ? [begin, ...body, end] : [];
  if (b >= 0 && e >= 0) lines.splice(b, e - b + 1, ...wanted);
  else if (a.state === 'present') lines.push(...wanted);
  else return text;
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

export const blockinfileStep: StepKind<Args> = {
  kind: 'blockinfile',
  aliases: { dest: 'path', destfile: 'path', name: 'path' },
  schema: args,
  plan: (ctx, a) => planFileEdit(ctx, a.path, (before) => ({ after: editBlock(before, a) }), { ...a, description: `block in ${a.path}` }),
};
