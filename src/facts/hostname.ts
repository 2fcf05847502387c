// The host's name as the kernel has it (`uname -n`): what nova-compute
// reports itself as (socket.gethostname()) unless nova.conf sets [DEFAULT] host.

import type { Fact } from './types.ts';

export const hostname: Fact<string> = {
  id: 'hostname',
  script: 'uname -n',
  parse(output, exitCode) {
    const v = output.trim();
    if (exitCode !== 0 || v === '' || /\s/.test(v)) throw new Error(`uname -n: ${v.slice(0, 80) || `exit ${exitCode}`}`);
    return v;
  },
};
