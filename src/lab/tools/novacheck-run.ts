// Which nova check a unit start runs: nova's own code (nova_check.py under
// /usr/bin/python3) when the tools run over real files (NodeFs) and python3
// can import nova; otherwise the lab's JS model of the same checks.

import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { HostSpec, LabFs } from '../types.ts';
import type { NovaService } from '../distro.ts';
import { checkNovaService, novaConfigFiles, type NovaCheckFailure } from '../novacheck.ts';
import { NodeFs } from '../nodefs.ts';

export const NOVA_CHECK_PY = fileURLToPath(new URL('./nova_check.py', import.meta.url));
export const SYSTEM_PYTHON = '/usr/bin/python3';

export function runNovaCheckPy(files: string[], release: string, service: NovaService): Promise<NovaCheckFailure | undefined | 'unavailable'> {
  const args = [NOVA_CHECK_PY, '--release', release, '--service', service];
  for (const f of files) args.push('--config-file', f);
  return new Promise((resolve) => {
    execFile(SYSTEM_PYTHON, args, { timeout: 60_000, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8' } }, (err, stdout) => {
      const line = stdout.trim().split('\n').pop() ?? '';
      try {
        const r = JSON.parse(line) as { ok: boolean; exception?: string; message?: string };
        if (r.ok) resolve(undefined);
        else resolve({ exception: r.exception ?? 'Exception', message: r.message ?? '' });
      } catch {
        void err;
        resolve('unavailable');
      }
    });
  });
}

/** check a nova service's configuration as the service would at start */
export async function checkNova(fs: LabFs, spec: HostSpec, service: NovaService): Promise<NovaCheckFailure | undefined> {
  if (fs instanceof NodeFs && process.env.PASSTHRU_LAB_JS_NOVA_CHECK !== '1') {
    const files = novaConfigFiles(fs, spec, service).filter((f) => fs.exists(f)).map((f) => fs.real(f));
    const r = await runNovaCheckPy(files, spec.nova?.release ?? 'zed', service);
    if (r !== 'unavailable') return r === undefined ? undefined : { ...r, message: unprefix(r.message, fs) };
  }
  return checkNovaService(fs, spec, service);
}

/** nova quotes the real file path; show the lab path */
function unprefix(message: string, fs: NodeFs): string {
  return fs.root ? message.split(fs.root).join('') : message;
}
