// How far V8 lets the heap grow past what survived the last full GC, by the
// size of the run.
//
// V8 lets the heap grow to several times what survived the last full GC before it collects
// again; a run over a thousand hosts makes a lot of short-lived garbage (outputs, parsed
// files), so that peak memory was mostly garbage (1000 embedded hosts: 570 MB, of which
// 134 MB live). Growing by half at most holds it near 300 MB for about 3% more CPU.
// A small run (a rerun on a dozen hosts: some 25 MB of heap) gains nothing from it and
// pays full collections for it, from the loading of the modules on: about 25 ms of CPU
// before the first connection and as much after it, on 13 hosts. So the bound is set
// once the number of hosts is known; V8 reads it at each collection.

import { setFlagsFromString } from 'node:v8';

/** from this many hosts on, the heap grows by half at most */
export const BOUNDED_HEAP_HOSTS = 100;

export function boundHeapGrowth(hosts: number): void {
  if (hosts >= BOUNDED_HEAP_HOSTS) setFlagsFromString('--heap-growing-percent=50');
}
