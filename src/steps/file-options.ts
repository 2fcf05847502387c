// Options shared by the steps that write a file.

import { z } from 'zod';

/** "0640", "640", 0o640 or 416 -> 0o640 */
export const modeSchema = z.union([z.number().int().min(0).max(0o7777), z.string().regex(/^0?[0-7]{3,4}$/, 'a mode like "0640"').transform((s) => parseInt(s, 8))]);

export const fileOptions = {
  path: z.string().min(1).startsWith('/', 'an absolute path'),
  mode: modeSchema.optional(),
  owner: z.string().optional(),
  group: z.string().optional(),
  backup: z.boolean().default(true),
  create: z.boolean().default(false),
};
