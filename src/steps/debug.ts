// `debug`: print a message (templated) as a note; changes nothing.

import { z } from 'zod';
import type { StepKind } from './types.ts';

const args = z.union([z.string().transform((msg) => ({ msg })), z.object({ msg: z.unknown() }).strict()]);

export const debugStep: StepKind<z.infer<typeof args>> = {
  kind: 'debug',
  schema: args,
  repeatable: true,
  plan: async (ctx, a) => {
    const text = typeof a.msg === 'string' ? a.msg : JSON.stringify(a.msg);
    return { changes: [], notes: [ctx.secrets.mask(text)], result: { msg: a.msg } };
  },
};
