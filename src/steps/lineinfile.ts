// `lineinfile`: make sure a line is in a file (replacing the last line that
// matches `regexp`), or that no line matches (state: absent).

import { z } from 'zod';
import { fileOptions } from './file-options.ts';
import { planFileEdit } from './file-edit.ts';
import type { StepKind } from './types.ts';

const args = z
  .object({
    ...fileOptions,
    line: z.string().optional(),
    regexp: z.string().optional(),
    state: z.enum(['present', 'absent']).default('present'),
    insertafter: z.string().optional(),
  })
  .strict()
  .refine((a) => a.state === 'absent' || a.line !== undefined, { message: '`line` is required when state is present' })
  .refine((a) => a.state === 'present' || a.line !== undefined || a.regexp !== undefined, { message: 'state: absent needs `regexp` or `line`' });

type Args = z.infer<typeof args>;

export function editLines(text: string, a: Args): string {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const endsWithEol = text === '' || text.endsWith(eol);
  const lines = text === '' ? [] : text.replace(new RegExp(`${eol}$`), '').split(eol);
  const re = a.regexp !== undefined ? new RegExp(a.regexp) : undefined;
  const matches = (l: string): boolean => (re ? re.test(l) : l === a.line);
  if (a.state === 'absent') {
    const kept = lines.filter((l) => !matches(l));
    return kept.length === lines.length ? text : kept.join(eol) + (kept.length > 0 && endsWithEol ? eol : '');
  }
  const line = a.line ?? '';
  let last = -1;
  lines.forEach((l, i) => {
    if (matches(l)) last = i;
  });
  if (last >= 0) {
    if (lines[last] === line) return text;
    lines[last] = line;
  } else if (lines.includes(line)) {
    return text;
  } else if (a.insertafter !== undefined && a.insertafter !== 'EOF') {
    const after = new RegExp(a.insertafter);
    let at = -1;
    lines.forEach((l, i) => {
      if (after.test(l)) at = i;
    });
    lines.splice(at >= 0 ? at + 1 : lines.length, 0, line);
  } else {
    lines.push(line);
  }
  return lines.join(eol) + eol;
}

export const lineinfileStep: StepKind<Args> = {
  kind: 'lineinfile',
  aliases: { regex: 'regexp', dest: 'path', destfile: 'path', name: 'path' },
  schema: args,
  plan: (ctx, a) =>
    planFileEdit(ctx, a.path, (before) => ({ after: editLines(before, a) }), {
      ...a,
      description: a.state === 'absent' ? `remove lines matching ${a.regexp ?? a.line} from ${a.path}` : `line in ${a.path}`,
    }),
};
