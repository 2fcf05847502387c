// `passthru lab up|down`: the embedded simulated cluster, in the background.

import { parseArgs } from 'node:util';
import { UsageError } from '../errors.ts';
import { loadLab } from './lab-module.ts';

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
    return (await loadLab()).labUp({ ...(computes !== undefined ? { computes } : {}), ...(values.dir !== undefined ? { dir: values.dir } : {}), out });
  }
  if (sub === 'down') return (await loadLab()).labDown({ ...(values.dir !== undefined ? { dir: values.dir } : {}), out });
  throw new UsageError(`lab ${sub ?? ''}: expected 'up' or 'down'`, { hint: 'passthru lab up [--computes N] [--dir D]; passthru lab down' });
}
