// Asking the user, only ever on a TTY: a secret without echo (never stored,
// never logged), or a yes/no question.

import { createInterface } from 'node:readline';
import { UsageError } from '../errors.ts';

export function interactive(): boolean {
  return process.stdin.isTTY === true && process.stdout.isTTY === true && process.env['CI'] !== 'true';
}

/** Read a secret from the terminal without echoing it. */
export function askSecret(prompt: string): Promise<string> {
  if (!process.stdin.isTTY) {
    return Promise.reject(new UsageError(`${prompt.replace(/:\s*$/, '')} is needed, but there is no terminal to ask on`, { hint: 'run from a terminal, or use ssh-agent / NOPASSWD sudo / ansible_become_password in a vars file' }));
  }
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(prompt);
    stdin.setRawMode(true);
    stdin.resume();
    let value = '';
    const done = (err?: Error): void => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (buf: Buffer): void => {
      for (const ch of buf.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new UsageError('cancelled'));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on('data', onData);
  });
}

/**
 * A yes/no question on the terminal. Only `y`/`yes` is a yes; Enter, any
 * other answer, Ctrl-C at the question, end of input (Ctrl-D) and `signal`
 * all answer no.
 */
export function askYesNo(question: string, opts: { signal?: AbortSignal | undefined } = {}): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  return new Promise<boolean>((resolve) => {
    let settled = false;
    const done = (yes: boolean, newline: boolean): void => {
      if (settled) return;
      settled = true;
      opts.signal?.removeEventListener('abort', onAbort);
      if (newline) process.stderr.write('\n');
      rl.close();
      resolve(yes);
    };
    const onAbort = (): void => done(false, true);
    rl.on('SIGINT', () => done(false, true));
    rl.on('close', () => done(false, true));
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    rl.question(`${question} [y/N] `, (answer) => done(/^y(es)?$/i.test(answer.trim()), false));
  });
}
