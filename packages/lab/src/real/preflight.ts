// Can the real lab run on this machine? (root, OpenSSH's sshd, util-linux.)
import { existsSync } from 'node:fs';

const NEEDED = ['/usr/sbin/sshd', '/usr/bin/ssh-keygen', '/usr/bin/unshare', '/usr/bin/nsenter', '/usr/bin/setpriv', '/usr/bin/openssl'];

/** Why the real lab cannot run here, or undefined when it can. */
export function realLabUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'needs Linux (mount and pid namespaces)';
  if (process.getuid?.() !== 0) return 'needs root (mount/pid namespaces, sshd on port 22)';
  const missing = NEEDED.filter((p) => !existsSync(p));
  if (missing.length > 0) return `needs ${missing.join(', ')} (apt-get install openssh-server openssh-client util-linux openssl)`;
  return undefined;
}
