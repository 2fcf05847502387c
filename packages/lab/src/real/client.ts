// The plain OpenSSH client against a real-lab host, as an operator would run
// it: batch mode, the lab's key and known_hosts, strict host key checking.
import { spawn, type ChildProcess } from 'node:child_process';
import type { RealLab } from './runner.ts';

export interface SshResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface SshOptions {
  user?: string;
  input?: string;
  timeoutMs?: number;
  connectTimeoutSeconds?: number;
}

export function sshArgs(lab: RealLab, name: string, opts: SshOptions = {}): string[] {
  const host = lab.host(name);
  return [
    '-F', '/dev/null',
    '-o', 'BatchMode=yes',
    '-o', `UserKnownHostsFile=${lab.knownHostsPath}`,
    '-o', 'StrictHostKeyChecking=yes',
    '-o', 'IdentitiesOnly=yes',
    '-o', `ConnectTimeout=${opts.connectTimeoutSeconds ?? 5}`,
    '-i', lab.identityFile,
    '-p', String(host.port),
    `${opts.user ?? 'root'}@${host.address}`,
  ];
}

/** Run `command` on a lab host with /usr/bin/ssh; never throws for a failed command. */
export function ssh(lab: RealLab, name: string, command: string, opts: SshOptions = {}): Promise<SshResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('ssh', [...sshArgs(lab, name, opts), command], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const limit = opts.timeoutMs ?? 30_000;
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, limit);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      // a test that meets this sees why the output stopped, not an empty string
      if (killed) stderr += `\n[lab ssh: killed after ${limit} ms without ending: ${command}]\n`;
      resolve({ code, stdout, stderr });
    });
    // ssh may be gone before it read its input (connection refused): not an error of the caller's
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
}

/** An ssh session kept open (`sleep`) to watch it being dropped; `ended` resolves with ssh's exit code. */
export function holdConnection(lab: RealLab, name: string, opts: SshOptions = {}): { child: ChildProcess; ready: Promise<void>; ended: Promise<number | null> } {
  const child = spawn('ssh', [...sshArgs(lab, name, opts), 'echo connected; exec sleep 600'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('connected')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`ssh ended before the session was up (exit ${code})`)));
  });
  ready.catch(() => {});
  const ended = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, ready, ended };
}

/** Poll like a client does after a reboot: until `command` succeeds and its output satisfies `until`. */
export async function pollSsh(
  lab: RealLab,
  name: string,
  command: string,
  until: (stdout: string) => boolean,
  timeoutMs = 30_000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last: SshResult | undefined;
  while (Date.now() < deadline) {
    last = await ssh(lab, name, command, { connectTimeoutSeconds: 2, timeoutMs: 5000 });
    if (last.code === 0 && until(last.stdout)) return last.stdout;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${name}: "${command}" did not succeed within ${timeoutMs} ms (last: ${last?.code} ${last?.stderr.trim()})`);
}
