// Which nova config files exist. Ubuntu's nova-compute reads
// /etc/nova/nova.conf and /etc/nova/nova-compute.conf (its systemd unit:
// --config-file=/etc/nova/nova.conf --config-file=/etc/nova/nova-compute.conf);
// kolla-ansible renders one per service under /etc/kolla/<service>/nova.conf.
// Every nova service also reads /etc/nova/nova.conf.d/*.conf (oslo.config's
// default config dir, read in name order, even with --config-file given).

import type { Fact } from './types.ts';

export interface NovaConfFiles {
  novaConf: boolean;
  novaComputeConf: boolean;
  /** /etc/kolla/<service>/nova.conf files */
  kolla: string[];
  /** every file found, in the order a service reads them */
  files: string[];
}

export const novaConfFiles: Fact<NovaConfFiles> = {
  id: 'nova_conf_files',
  script: 'for f in /etc/nova/nova.conf /etc/nova/nova-compute.conf /etc/nova/nova.conf.d/*.conf /etc/kolla/nova-*/nova.conf; do [ -e "$f" ] && echo "$f"; done; true',
  parse(output) {
    const files = output.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('/'));
    return {
      novaConf: files.includes('/etc/nova/nova.conf'),
      novaComputeConf: files.includes('/etc/nova/nova-compute.conf'),
      kolla: files.filter((f) => f.startsWith('/etc/kolla/')),
      files,
    };
  },
};
