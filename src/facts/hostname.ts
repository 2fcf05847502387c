// The host's name as the kernel has it (`uname -n`, else
// /proc/sys/kernel/hostname): what nova-compute reports itself as
// (socket.gethostname()) unless nova.conf sets [DEFAULT] host. '' when
// neither answers (not an error: the name is only a guess to check).

import type { Fact } from './types.ts';

export const hostname: Fact<string> = {
  id: 'hostname',
  // the UTS nodename, as `uname -n` prints it, read by the shell itself; uname where /proc says nothing
  script: 'if [ -r /proc/sys/kernel/hostname ] && IFS= read -r h < /proc/sys/kernel/hostname && [ -n "$h" ]; then printf \'%s\\n\' "$h"; else uname -n 2>/dev/null || true; fi',
  parse(output) {
    const v = (output.split('\n')[0] ?? '').trim();
    return /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(v) ? v : '';
  },
};
