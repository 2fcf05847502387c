// Inventory host -> open SSH connection: connection vars from the inventory,
// merged with ~/.ssh/config, then one ssh2 connection.

import { connect } from '../ssh/connection.ts';
import { resolveTarget } from '../ssh/target.ts';
import { connectionVars } from '../inventory/index.ts';
import type { Inventory, Vars } from '../inventory/types.ts';
import type { RemoteHost } from '../ssh/types.ts';
import type { SecretRegistry } from '../util/secrets.ts';
import type { Connector } from '../engine/connections.ts';
import { UsageError } from '../errors.ts';
import { errorText } from '../engine/step-runner.ts';
import { describeTarget, tracedHost, type Log } from './trace.ts';

export interface ConnectorOptions {
  sshConfigPath?: string | undefined;
  askSecret?: ((prompt: string) => Promise<string>) | undefined;
  /** --become on the command line */
  become?: boolean | undefined;
  /** connect timeout in seconds, overriding the inventory */
  connectTimeout?: number | undefined;
  /** --ask-become-pass: asked once on the terminal, used for every host without its own */
  askBecomePass?: boolean | undefined;
  /** -u, --private-key, -T, --ssh-common-args...: connection vars below every inventory var */
  defaults?: Vars | undefined;
  /** -v count: 2 logs every command, 3 also how each host is reached */
  verbosity?: number | undefined;
  /** where -vv/-vvv lines go (masked here) */
  log?: Log | undefined;
  secrets: SecretRegistry;
}

export function makeConnector(inv: Inventory, opts: ConnectorOptions): Connector {
  let asked: Promise<string> | undefined;
  return async (name: string): Promise<RemoteHost> => {
    const vars = connectionVars(inv, name, opts.defaults);
    if (opts.askBecomePass && vars.becomePassword === undefined) {
      if (!opts.askSecret) throw new UsageError('--ask-become-pass needs a terminal to ask on', { hint: 'set ansible_become_password in a vars file instead' });
      asked ??= opts.askSecret('BECOME password: ');
      vars.becomePassword = await asked;
    }
    opts.secrets.add(vars.becomePassword);
    const target = resolveTarget(
      { ...vars, become: vars.become || opts.become === true, ...(opts.connectTimeout !== undefined ? { connectTimeout: opts.connectTimeout } : {}) },
      { ...(opts.sshConfigPath !== undefined ? { sshConfigPath: opts.sshConfigPath } : {}) },
    );
    const level = opts.verbosity ?? 0;
    const log: Log | undefined = opts.log && level >= 2 ? (line) => opts.log?.(opts.secrets.mask(line)) : undefined;
    if (!log) return connect(target, opts.askSecret ? { askSecret: opts.askSecret } : {});
    if (level >= 3) log(`[${name}] ${describeTarget(target)}`);
    const t0 = Date.now();
    try {
      const host = await connect(target, opts.askSecret ? { askSecret: opts.askSecret } : {});
      if (level >= 3) log(`[${name}] connected in ${Date.now() - t0} ms`);
      return tracedHost(host, level, log);
    } catch (e) {
      if (level >= 3) log(`[${name}] connection failed after ${Date.now() - t0} ms: ${errorText(e)}`);
      throw e;
    }
  };
}
