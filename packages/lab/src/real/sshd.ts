// Debian's OpenSSH sshd as a lab host runs it: its config, its host key, the
// known_hosts line a client needs for it.
import { execFile } from 'node:child_process';
import { readFileSync, renameSync, rmSync } from 'node:fs';

export const SSHD = '/usr/sbin/sshd';
export const HOST_KEY = '/etc/ssh/ssh_host_ed25519_key';
export const AUTHORIZED_KEYS_DIR = '/etc/ssh/authorized_keys';

/** /etc/ssh/sshd_config of one lab host. Defaults kept where the brief asks for them (MaxSessions 10). */
export function sshdConfig(address: string, port: number): string {
  return [
    '# passthru real lab host',
    `ListenAddress ${address}:${port}`,
    `HostKey ${HOST_KEY}`,
    `AuthorizedKeysFile ${AUTHORIZED_KEYS_DIR}/%u`,
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PermitRootLogin prohibit-password',
    // sshd without PAM; sudo keeps using PAM (/etc/pam.d/sudo) for opsp's password.
    'UsePAM no',
    'PidFile none',
    'StrictModes no',
    'MaxSessions 10',
    'PrintMotd no',
    'PrintLastLog no',
    'UseDNS no',
    'AcceptEnv LANG LC_*',
    'Subsystem sftp /usr/lib/openssh/sftp-server',
    '',
  ].join('\n');
}

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')}: ${stderr || err.message}`));
      else resolve(stdout);
    });
  });
}

/**
 * Generate an ed25519 key pair at `path` (+ `.pub`) with ssh-keygen, replacing
 * any key there (written beside, then renamed: ssh-keygen would ask before
 * overwriting). Returns the public key line "ssh-ed25519 AAAA...".
 */
export async function generateKey(path: string, comment = ''): Promise<string> {
  const tmp = `${path}.new-${process.pid}`;
  rmSync(tmp, { force: true });
  rmSync(`${tmp}.pub`, { force: true });
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', tmp]);
  renameSync(`${tmp}.pub`, `${path}.pub`);
  renameSync(tmp, path);
  return readFileSync(`${path}.pub`, 'utf8').trim();
}

/** The host pattern OpenSSH writes in known_hosts: `addr` on port 22, `[addr]:port` otherwise. */
export function knownHostsPattern(address: string, port: number): string {
  return port === 22 ? address : `[${address}]:${port}`;
}

/** One known_hosts line: pattern, key type, key (the comment dropped). */
export function knownHostsLine(address: string, port: number, publicKey: string): string {
  const [type, key] = publicKey.trim().split(/\s+/);
  return `${knownHostsPattern(address, port)} ${type} ${key}`;
}
