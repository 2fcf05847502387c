// The inventory as passthru understands it, after reading an Ansible INI or
// YAML inventory. Reading an inventory never opens a connection.

import type { AdjacentVars } from './adjacent.ts';

export type Vars = Record<string, unknown>;

export interface InventoryGroup {
  name: string;
  /** hosts listed directly in this group (not through children), in file order */
  hosts: string[];
  /** direct child groups */
  children: string[];
  /** vars set on the group itself ([g:vars] or `vars:`), typed as Ansible types them */
  vars: Vars;
}

export interface InventoryHost {
  name: string;
  /** vars set on the host itself (inline or `hosts: {h: {...}}`) */
  vars: Vars;
}

export interface Inventory {
  /** path of the file read */
  source: string;
  /** every host, in the order Ansible lists them */
  hosts: Map<string, InventoryHost>;
  /** every group, including `all` and `ungrouped` */
  groups: Map<string, InventoryGroup>;
  /** group_vars/ and host_vars/ beside the inventory sources, then beside the playbook, in the order they apply */
  adjacent?: AdjacentVars[] | undefined;
}

/**
 * The connection settings of one host, from its merged vars
 * (ansible_host, ansible_port, ansible_user, ansible_ssh_private_key_file,
 * ansible_become*, and the -o options / -i / -J of ansible_ssh_common_args
 * and ansible_ssh_extra_args). `undefined` means "not set here": ~/.ssh/config
 * and defaults fill it in later (src/ssh/target.ts).
 */
export interface HostConnectionVars {
  /** inventory name */
  name: string;
  /** address to connect to (ansible_host, or the name) */
  host: string;
  port?: number | undefined;
  user?: string | undefined;
  identityFiles: string[];
  become: boolean;
  becomeUser?: string | undefined;
  /** secret: never print */
  becomePassword?: string | undefined;
  userKnownHostsFile?: string | undefined;
  strictHostKeyChecking?: 'yes' | 'no' | 'accept-new' | undefined;
  /** ProxyJump value, as ssh takes it: "user@jump1:22,jump2" */
  proxyJump?: string | undefined;
  /** connect timeout in seconds (ansible_ssh_timeout / -o ConnectTimeout) */
  connectTimeout?: number | undefined;
}
