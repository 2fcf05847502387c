// `passthru lab up|down`: the embedded simulated cluster, in the background.

import { parseArgs } from 'node:util';
import { UsageError } from '../errors.ts';
import { labDown, labUp } from '../lab/embedded/commands.ts';

export async function labCommand(argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const [sub, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: { computes: { type: 'string' }, dir: { type: 'string' } },
  });
  if (sub === 'up') {
    const computes = values.computes !== undefined ? Number(values.computes) : undefined;
    if (computes !== undefined && (!Number.isInteger(computes) || computes < 1 || computes > 5000)) {
      throw new UsageError(`--computes ${values.computes}: expected a whole number from 1 to 5000`);
    }
    return labUp({ ...(computes !== undefined ? { computes } : {}), ...(values.dir !== undefined ? { dir: values.dir } : {}), out });
  }
  if (sub === 'down') return labDown({ ...(values.dir !== undefined ? { dir: values.dir } : {}), out });
  throw new UsageError(`lab ${sub ?? ''}: expected 'up' or 'down'`, { hint: 'passthru lab up [--computes N] [--dir D]; passthru lab down' });
}
