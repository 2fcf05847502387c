// /proc/sys/kernel/random/boot_id: a random UUID drawn at every boot
// (Documentation/admin-guide/sysctl/kernel.rst "random"); a different value
// means the host has rebooted.

import type { Fact } from './types.ts';

/** `text` as a boot id (a UUID, lower case), or undefined when it is not one. */
export function bootIdIn(text: string): string | undefined {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(text) ? text.toLowerCase() : undefined;
}

export const bootId: Fact<string> = {
  id: 'boot_id',
  // the shell's own read: no program started
  script: 'IFS= read -r b < /proc/sys/kernel/random/boot_id && printf \'%s\\n\' "$b"',
  parse(output) {
    const v = output.trim();
    const id = bootIdIn(v);
    if (id === undefined) throw new Error(`not a boot id: ${v.slice(0, 80)}`);
    return id;
  },
};
