// Inventory host -> open SSH connection: connection vars from the inventory,
// merged with ~/.ssh/config, then one ssh2 connection.

import { connect } from '../ssh/connection.ts';
import { resolveTarget } from '../ssh/target.ts';
import { connectionVars } from '../inventory/index.ts';
import type { Inventory } from '../inventory/types.ts';
import type { RemoteHost } from '../ssh/types.ts';
import type { SecretRegistry } from '../util/secrets.ts';
import type { Connector } from '../engine/connections.ts';

export interface ConnectorOptions {
  sshConfigPath?: string | undefined;
  askSecret?: ((prompt: string) => Promise<string>) | undefined;
  /** --become on the command line */
  become?: boolean | undefined;
  /** connect timeout in seconds, overriding the inventory */
  connectTimeout?: number | undefined;
  secrets: SecretRegistry;
}

export function makeConnector(inv: Inventory, opts: ConnectorOptions): Connector {
  return async (name: string): Promise<RemoteHost> => {
    const vars = connectionVars(inv, name);
    opts.secrets.add(vars.becomePassword);
    const target = resolveTarget(
      { ...vars, become: vars.become || opts.become === true, ...(opts.connectTimeout !== undefined ? { connectTimeout: opts.connectTimeout } : {}) },
      { ...(opts.sshConfigPath !== undefined ? { sshConfigPath: opts.sshConfigPath } : {}) },
    );
    return connect(target, opts.askSecret ? { askSecret: opts.askSecret } : {});
  };
}
