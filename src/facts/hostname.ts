// The host's name as the kernel has it (`uname -n`, else
// /proc/sys/kernel/hostname): what nova-compute reports itself as
// (socket.gethostname()) unless nova.conf sets [DEFAULT] host. '' when
// neither answers (not an error: the name is only a guess to check).

import type { Fact } from './types.ts';

export const hostname: Fact<string> = {
  id: 'hostname',
  script: 'uname -n 2>/dev/null || cat /proc/sys/kernel/hostname 2>/dev/null || true',
  parse(output) {
    const v = (output.split('\n')[0] ?? '').trim();
    return /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(v) ? v : '';
  },
};
