// `passthru lab up|down`: the embedded simulated cluster, in the background.

import { UsageError } from '../errors.ts';
import { HelpShown, parse, unknownCommand } from '../cli/args.ts';
import { commandHelp, LAB, LAB_DOWN, LAB_UP } from '../cli/spec.ts';
import { loadLab } from './lab-module.ts';
import { boundHeapGrowth } from '../cli/heap.ts';

export async function labCommand(argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === '--help' || sub === '-h' || sub === 'help') throw new HelpShown(commandHelp(LAB));
  if (sub === 'up') {
    const p = parse(LAB_UP, rest);
    const computes = p.int('computes', { min: 1, max: 5000 });
    const dir = p.text('dir');
    // the lab's hosts live in this process
    boundHeapGrowth((computes ?? 0) + 1);
    return (await loadLab()).labUp({ ...(computes !== undefined ? { computes } : {}), ...(dir !== undefined ? { dir } : {}), out });
  }
  if (sub === 'down') {
    const dir = parse(LAB_DOWN, rest).text('dir');
    return (await loadLab()).labDown({ ...(dir !== undefined ? { dir } : {}), out });
  }
  if (sub === undefined || sub.startsWith('-')) throw new UsageError(`lab ${sub ?? ''}: expected 'up' or 'down'`.replace(' :', ':'), { hint: 'passthru lab up [--computes N] [--dir D]; passthru lab down; passthru lab --help' });
  throw unknownCommand(sub, ['up', 'down'], 'lab ');
}
