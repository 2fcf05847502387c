// /proc/sys/kernel/random/boot_id: a random UUID drawn at every boot
// (Documentation/admin-guide/sysctl/kernel.rst "random"); a different value
// means the host has rebooted.

import type { Fact } from './types.ts';

export const bootId: Fact<string> = {
  id: 'boot_id',
  // the shell's own read: no program started
  script: 'IFS= read -r b < /proc/sys/kernel/random/boot_id && printf \'%s\\n\' "$b"',
  parse(output) {
    const v = output.trim();
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v)) throw new Error(`not a boot id: ${v.slice(0, 80)}`);
    return v.toLowerCase();
  },
};
