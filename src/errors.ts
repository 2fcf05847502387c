// One error base for everything a user can cause. The CLI prints `message`
// (and `hint` on its own line) and exits with `exitCode`; no stack trace.
//
// Exit codes follow Ansible's:
//   0 all ok, 1 bad usage or configuration, 2 a host failed,
//   4 a host unreachable, 130 interrupted (Ctrl-C).
export const EXIT = {
  ok: 0,
  usage: 1,
  hostFailed: 2,
  unreachable: 4,
  interrupted: 130,
} as const;

export interface ErrorLocation {
  file: string;
  line?: number | undefined;
  column?: number | undefined;
}

export class PassthruError extends Error {
  readonly exitCode: number;
  readonly hint: string | undefined;

  constructor(message: string, options: { exitCode?: number; hint?: string | undefined; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.exitCode = options.exitCode ?? EXIT.usage;
    this.hint = options.hint;
  }
}

/** Bad command line. */
export class UsageError extends PassthruError {}

/** A bad inventory, playbook, ssh config or vars file: always names the file (and line when known). */
export class ConfigError extends PassthruError {
  readonly location: ErrorLocation;

  constructor(location: ErrorLocation, message: string, hint?: string) {
    super(`${formatLocation(location)}: ${message}`, { exitCode: EXIT.usage, hint });
    this.location = location;
  }
}

export function formatLocation(loc: ErrorLocation): string {
  let s = loc.file;
  if (loc.line !== undefined) s += `:${loc.line}`;
  if (loc.line !== undefined && loc.column !== undefined) s += `:${loc.column}`;
  return s;
}

/** Something went wrong talking to one host. Always names the host. */
export class HostError extends PassthruError {
  readonly host: string;

  constructor(host: string, message: string, options: { exitCode?: number; hint?: string | undefined; cause?: unknown } = {}) {
    super(`${host}: ${message}`, { exitCode: options.exitCode ?? EXIT.hostFailed, hint: options.hint, cause: options.cause });
    this.host = host;
  }
}

/** TCP connect, banner, key exchange or authentication did not complete. */
export class UnreachableError extends HostError {
  constructor(host: string, message: string, hint?: string, cause?: unknown) {
    super(host, message, { exitCode: EXIT.unreachable, hint, cause });
  }
}

/** The server refused every credential we offered. */
export class AuthError extends UnreachableError {}

/** The host key does not match known_hosts (or is unknown under strict checking). */
export class HostKeyError extends UnreachableError {
  readonly knownHostsFile: string | undefined;
  readonly knownHostsLine: number | undefined;

  constructor(host: string, message: string, hint: string, file?: string, line?: number) {
    super(host, message, hint);
    this.knownHostsFile = file;
    this.knownHostsLine = line;
  }
}

/** sudo refused: needs a password, or the password was wrong. */
export class BecomeError extends HostError {}

/** A remote command ran past its timeout; its channel was closed. */
export class CommandTimeoutError extends HostError {}

/** The connection dropped while a command was running. */
export class ConnectionLostError extends HostError {
  constructor(host: string, message: string, cause?: unknown) {
    super(host, message, { exitCode: EXIT.unreachable, cause });
  }
}

/** A step failed on a host. */
export class StepError extends HostError {
  readonly step: string;

  constructor(host: string, step: string, message: string, hint?: string) {
    super(host, `${step}: ${message}`, { exitCode: EXIT.hostFailed, hint });
    this.step = step;
  }
}

/** The run was interrupted (Ctrl-C / SIGTERM). */
export class InterruptedError extends PassthruError {
  constructor(message = 'interrupted') {
    super(message, { exitCode: EXIT.interrupted });
  }
}

export function isPassthruError(e: unknown): e is PassthruError {
  return e instanceof PassthruError;
}
