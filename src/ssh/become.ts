// sudo for one command.
//
//   no password:   sudo -n -u USER -- sh -c 'echo MARK<newline>CMD'
//   with password: sudo -S -p PROMPT -u USER -- sh -c 'echo MARK<newline>CMD'
//
// The password goes to sudo's stdin, never into argv. It is written only
// when sudo prints PROMPT (on stderr), and the caller's stdin only after the
// command printed MARK on stdout: so under a NOPASSWD rule the password
// never leaks into the command's stdin, and sudo never reads the caller's
// stdin as a second password attempt. A second PROMPT means the password was
// wrong: the channel is closed at once (no retry storm, no lock-out).

import { randomBytes } from 'node:crypto';
import { BecomeError } from '../errors.ts';
import { quote } from '../util/shell.ts';

const TAG = randomBytes(6).toString('hex');
/** what sudo -S prints when it wants the password (goes to stderr) */
export const SUDO_PROMPT = `[passthru-sudo-${TAG}]`;
/** first stdout line of a command that sudo let through */
export const BECOME_MARK = `passthru-become-ok-${TAG}`;

/** sudo needs a password and none was given: SshHost may ask for one and retry. */
export class BecomePasswordRequired extends BecomeError {}

/** The command line that runs `command` as `user` through sudo. */
export function becomeCommand(command: string, user: string, withPassword: boolean): string {
  const script = `echo ${BECOME_MARK}\n${command}`;
  return withPassword
    ? quote(['sudo', '-S', '-p', SUDO_PROMPT, '-u', user, '--', 'sh', '-c', script])
    : quote(['sudo', '-n', '-u', user, '--', 'sh', '-c', script]);
}

export type BecomeAction = 'send-password' | 'rejected';

/**
 * Follows the output of a become command: strips MARK from stdout and the
 * prompts from stderr, says when to send the password and when sudo let the
 * command through.
 */
export class BecomeFilter {
  /** the command runs (sudo printed MARK) */
  through = false;
  private promptsSeen = 0;
  private preOut = Buffer.alloc(0);
  private preErr = '';

  constructor(private readonly withPassword: boolean) {}

  /** stdout chunk -> what belongs to the command's stdout; `opened` on the chunk that carried MARK */
  stdout(chunk: Buffer): { data: Buffer; opened: boolean } {
    if (this.through) return { data: chunk, opened: false };
    this.preOut = Buffer.concat([this.preOut, chunk]);
    const nl = this.preOut.indexOf(0x0a);
    if (nl < 0) return { data: Buffer.alloc(0), opened: false };
    const line = this.preOut.subarray(0, nl).toString('utf8');
    const rest = this.preOut.subarray(nl + 1);
    this.preOut = Buffer.alloc(0);
    if (line.endsWith(BECOME_MARK)) {
      this.through = true;
      return { data: rest, opened: true };
    }
    // cannot happen with sudo; keep whatever came
    this.through = true;
    return { data: Buffer.concat([Buffer.from(line + '\n'), rest]), opened: true };
  }

  /** stderr chunk -> what to keep, and whether sudo just asked for the password (again) */
  stderr(chunk: Buffer): { data: Buffer; action?: BecomeAction } {
    if (this.through || !this.withPassword) {
      if (!this.through) this.preErr += chunk.toString('utf8');
      return { data: this.through ? chunk : Buffer.alloc(0) };
    }
    this.preErr += chunk.toString('utf8');
    const count = this.preErr.split(SUDO_PROMPT).length - 1;
    let action: BecomeAction | undefined;
    if (count > this.promptsSeen) {
      action = this.promptsSeen === 0 && count === 1 ? 'send-password' : 'rejected';
      this.promptsSeen = count;
    }
    return action ? { data: Buffer.alloc(0), action } : { data: Buffer.alloc(0) };
  }

  /** stderr printed before the command started (sudo's own messages), prompts removed */
  sudoStderr(): string {
    return this.preErr.split(SUDO_PROMPT).join('');
  }
}

/**
 * The BecomeError for a command that sudo did not let through (`filter.through` is false).
 * `rejected` when the filter saw a second password prompt.
 */
export function becomeFailure(host: string, user: string, sudoStderr: string, exitCode: number, rejected: boolean): BecomeError {
  const text = sudoStderr.trim();
  const firstLine = text.split('\n').find((l) => l.trim() !== '') ?? '';
  if (rejected || /incorrect password|Sorry, try again|no password was provided|password attempts?/i.test(text)) {
    return new BecomeError(host, 'sudo password rejected', {
      hint: 'Check ansible_become_password (or the password typed for --ask-become-pass); passthru does not retry, to avoid locking the account.',
    });
  }
  if (/a password is required|a terminal is required/i.test(text)) {
    return new BecomePasswordRequired(host, `sudo needs a password to run commands as ${user}`, {
      hint: 'Set ansible_become_password (e.g. in an ansible-vault vars file), run with --ask-become-pass, or allow this user NOPASSWD in sudoers.',
    });
  }
  if (/not in the sudoers|not allowed to (run|execute)|may not run sudo/i.test(text)) {
    return new BecomeError(host, `sudo refused: ${firstLine}`, { hint: `Allow the SSH user to run commands as ${user} in /etc/sudoers.d/, or connect as a user that may.` });
  }
  if (/unknown user/i.test(text)) {
    return new BecomeError(host, `sudo: there is no user ${user} on the host (${firstLine})`, { hint: 'Check ansible_become_user.' });
  }
  if (exitCode === 127 && /sudo.*not found|not found.*sudo/i.test(text)) {
    return new BecomeError(host, 'sudo is not installed on the host', { hint: 'Install sudo, or connect as root (ansible_user=root) without become.' });
  }
  return new BecomeError(host, `sudo failed (exit ${exitCode})${firstLine ? `: ${firstLine}` : ''}`, {
    hint: `Try by hand: ssh to the host and run sudo -u ${user} true`,
  });
}
