// `copy` (literal content) and `template` (a local file rendered with the
// host's variables) write a whole file.

import { readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { z } from 'zod';
import { StepError } from '../errors.ts';
import { render } from '../playbook/template.ts';
import { fileOptions } from './file-options.ts';
import { planFileEdit } from './file-edit.ts';
import type { StepKind } from './types.ts';

const { path: _path, create: _create, ...writeOptions } = fileOptions;

const copyArgs = z.object({ dest: fileOptions.path, content: z.string(), ...writeOptions }).strict();
const templateArgs = z.object({ dest: fileOptions.path, src: z.string().min(1), ...writeOptions }).strict();

export const copyStep: StepKind<z.infer<typeof copyArgs>> = {
  kind: 'copy',
  schema: copyArgs,
  plan: (ctx, a) => planFileEdit(ctx, a.dest, () => ({ after: a.content }), { ...a, create: true, description: `write ${a.dest}` }),
};

export const templateStep: StepKind<z.infer<typeof templateArgs>> = {
  kind: 'template',
  schema: templateArgs,
  plan: async (ctx, a) => {
    const dir = typeof ctx.vars['playbook_dir'] === 'string' ? ctx.vars['playbook_dir'] : process.cwd();
    const src = isAbsolute(a.src) ? a.src : join(dir, a.src);
    let text: string;
    try {
      text = await readFile(src, 'utf8');
    } catch (e) {
      throw new StepError(ctx.hostName, `template ${a.dest}`, `cannot read template ${src}: ${(e as Error).message}`);
    }
    const rendered = String(render(text, ctx.vars, { file: src }));
    return planFileEdit(ctx, a.dest, () => ({ after: rendered }), { ...a, create: true, description: `write ${a.dest} from ${a.src}` });
  },
};
