// Rolling batches and failure thresholds, computed exactly as Ansible does
// (executor/playbook_executor.py _get_serialized_batches, utils/helpers.py
// pct_to_int, plugins/strategy/linear.py max_fail_percentage).

import type { SerialSpec, SerialValue } from './types.ts';

/**
 * One batch size. A percentage is of ALL the play's hosts (not of those left),
 * rounded down, and at least 1. A number is taken as is.
 */
export function batchSize(value: SerialValue, totalHosts: number): number {
  if (typeof value === 'string' && value.endsWith('%')) {
    const pct = Number.parseInt(value, 10);
    // Python: int((pct / 100.0) * n) or 1 -- the same float arithmetic
    return Math.trunc((pct / 100) * totalHosts) || 1;
  }
  return Math.trunc(Number(value));
}

/**
 * Split the play's hosts into batches, in order.
 * `serial` undefined, 0 or [] = one batch of all hosts. In a list, the last size
 * repeats until every host is in a batch; a size of 0 (or less) takes all the hosts left.
 */
export function batches(hosts: readonly string[], serial: SerialSpec | undefined): string[][] {
  const list: readonly SerialValue[] = serial === undefined ? [] : Array.isArray(serial) ? serial : [serial as SerialValue];
  const sizes = list.length === 0 ? [0] : list;
  const left = [...hosts];
  const total = hosts.length;
  const out: string[][] = [];
  let item = 0;
  while (left.length > 0) {
    const size = batchSize(sizes[item] as SerialValue, total);
    if (size <= 0) {
      out.push(left.splice(0));
      break;
    }
    out.push(left.splice(0, size));
    item = Math.min(item + 1, sizes.length - 1);
  }
  return out;
}

/**
 * Whether a batch has failed too much to go on: more than `pct` percent of
 * the batch failed (Ansible: failed / batch_size > pct / 100). With 0, any
 * failure stops the play. With undefined, there is no threshold (the play
 * goes on with the hosts that are left).
 */
export function maxFailExceeded(failed: number, batchSize: number, pct: number | undefined): boolean {
  if (pct === undefined) return false;
  if (failed <= 0) return false;
  if (batchSize <= 0) return true;
  return failed / batchSize > pct / 100;
}
