// Stopgap between the real lab's tool wrappers and the tools' CLI while both
// are being written: src/lab/tools/cli.ts reads the host's spec from
// $PASSTHRU_LAB_SPEC, and the wrappers test/lab/real/ installs
// (`exec /usr/bin/node /usr/lib/passthru-lab/tools.mjs NAME "$@"`) do not set
// it yet. For each host whose wrappers lack it, the spec is written into the
// host's own /usr layer and the wrappers are rewritten in place (same inode,
// so the lab's bind mounts of them see the change) to export it. A no-op once
// the lab sets the variable itself. Touches only the lab's files under its dir.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { RealLab } from '../lab/real/lab.ts';

const SPEC_IN_HOST = '/usr/local/lib/passthru-bench/spec.json';
const WRAPPER = /^exec (\S+) (\S+) (\S+) "\$@"$/m;
const DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/bin', '/usr/sbin'];
const TOOLS = ['lspci', 'dmesg', 'systemctl', 'journalctl', 'reboot', 'shutdown', 'openstack', 'cpuid', 'update-grub', 'grub2-mkconfig', 'grubby'];

function readOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Returns how many hosts needed the stopgap. */
export function exportLabSpec(lab: RealLab): number {
  let patched = 0;
  for (const h of lab.hosts) {
    let touched = false;
    for (const tool of TOOLS) {
      for (const d of DIRS) {
        const file = join(h.rootDir, d, tool);
        const text = readOrUndefined(file);
        if (text === undefined || text.includes('PASSTHRU_LAB_SPEC') || !WRAPPER.test(text)) continue;
        if (!touched) {
          const spec = join(h.rootDir, SPEC_IN_HOST);
          mkdirSync(dirname(spec), { recursive: true });
          writeFileSync(spec, JSON.stringify(h.spec));
          touched = true;
        }
        writeFileSync(file, text.replace(WRAPPER, (line) => `export PASSTHRU_LAB_SPEC=${SPEC_IN_HOST}\n${line}`));
      }
    }
    if (touched) patched++;
  }
  return patched;
}
