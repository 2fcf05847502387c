// The Ansible INI inventory of a real lab: what an operator would hand to
// ansible or passthru for this cluster.
import type { Role } from '../types.ts';

export interface InventoryHost {
  name: string;
  address: string;
  port: number;
  roles: readonly Role[];
}

export interface InventoryOptions {
  identityFile: string;
  knownHostsPath: string;
  user?: string;
}

/** Ansible group of each role. */
export const ROLE_GROUPS: Record<Role, string> = { controller: 'controller', compute: 'compute', guest: 'guests' };

/**
 * INI inventory: one group per role (controller, compute, guests; a host with
 * two roles is in both), connection vars on the host lines, and the shared
 * ones (user, key, known_hosts) in [all:vars].
 */
export function inventoryIni(hosts: readonly InventoryHost[], opts: InventoryOptions): string {
  const out: string[] = ['# passthru real lab (generated)'];
  for (const role of Object.keys(ROLE_GROUPS) as Role[]) {
    const members = hosts.filter((h) => h.roles.includes(role));
    out.push('', `[${ROLE_GROUPS[role]}]`);
    for (const h of members) out.push(`${h.name} ansible_host=${h.address} ansible_port=${h.port}`);
  }
  // ansible splits this value like a shell: keep the paths plain.
  for (const p of [opts.knownHostsPath, opts.identityFile]) {
    if (!/^[A-Za-z0-9_@%+=:,./-]+$/.test(p)) throw new Error(`lab inventory: path needs quoting, use a plain lab dir: ${p}`);
  }
  const sshArgs = `-o UserKnownHostsFile=${opts.knownHostsPath} -o StrictHostKeyChecking=yes`;
  out.push(
    '',
    '[all:vars]',
    `ansible_user=${opts.user ?? 'root'}`,
    `ansible_ssh_private_key_file=${opts.identityFile}`,
    `ansible_ssh_common_args='${sshArgs}'`,
    '',
  );
  return out.join('\n');
}
