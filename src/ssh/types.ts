// The transport as the rest of passthru sees it. The engine and the steps
// talk to a RemoteHost and never know whether it is the embedded lab, the
// real-sshd lab or a production host.

export interface ExecResult {
  stdout: string;
  stderr: string;
  /** exit status; 255 when the remote side gave none (killed by a signal) */
  exitCode: number;
  signal?: string | undefined;
}

export interface ExecOptions {
  /** written to the command's stdin, then stdin is closed */
  stdin?: string | Buffer | undefined;
  /** per-command timeout; on expiry the channel is closed and CommandTimeoutError is thrown */
  timeoutMs?: number | undefined;
  /** run through sudo (sudo -n, or sudo -S with the become password sent on stdin, never in argv) */
  become?: boolean | undefined;
  becomeUser?: string | undefined;
  signal?: AbortSignal | undefined;
}

export interface RemoteHost {
  /** inventory name */
  readonly name: string;
  /**
   * Run one shell command line (build it with quote()/sh from src/util/shell.ts)
   * on a channel of the host's single connection. At most 10 channels are open
   * at once per connection; further calls wait for a free one.
   * Rejects with ConnectionLostError when the connection drops meanwhile,
   * CommandTimeoutError on timeout, BecomeError when sudo refuses.
   * A non-zero exit is NOT an error: look at exitCode.
   */
  exec(command: string, opts?: ExecOptions): Promise<ExecResult>;
  /**
   * Drop the current connection (if any) and connect again, retrying with
   * capped backoff until `timeoutMs`; every attempt is bounded (TCP connect,
   * banner, key exchange, auth) by `attemptTimeoutMs`.
   */
  reconnect(opts?: ReconnectOptions): Promise<void>;
  readonly connected: boolean;
  close(): Promise<void>;
}

export interface ReconnectOptions {
  timeoutMs?: number | undefined;
  attemptTimeoutMs?: number | undefined;
  signal?: AbortSignal | undefined;
}

/** Everything needed to open one connection, after inventory vars and ~/.ssh/config are merged. */
export interface ConnectTarget {
  /** inventory name, used in every message */
  name: string;
  host: string;
  port: number;
  user: string;
  /** private key files to try, in order */
  identityFiles: string[];
  /** ssh-agent socket (SSH_AUTH_SOCK) */
  agent?: string | undefined;
  /** known_hosts files to check, in order (UserKnownHostsFile, then GlobalKnownHostsFile) */
  knownHostsFiles: string[];
  strictHostKeyChecking: 'yes' | 'no' | 'accept-new';
  /** jump hosts, outermost first */
  jumps: ConnectTarget[];
  /** ms for each attempt: TCP connect + banner + key exchange + auth */
  connectTimeoutMs: number;
  keepaliveIntervalMs: number;
  become: boolean;
  becomeUser?: string | undefined;
  /** secret */
  becomePassword?: string | undefined;
}
