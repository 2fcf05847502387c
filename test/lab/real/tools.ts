// The machine tools (lspci, dmesg, systemctl, reboot, update-grub, ...) inside
// a real-lab host: src/lab/tools/cli.ts bundled once per lab with esbuild, and
// per host small wrappers `exec node <bundle> NAME "$@"`.
import { build } from 'esbuild';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { Distro, Role } from '../../../src/lab/types.ts';

export const TOOLS_ENTRY = fileURLToPath(new URL('../../../src/lab/tools/cli.ts', import.meta.url));
const NODE = '/usr/bin/node';

const COMMON = ['lspci', 'dmesg', 'systemctl', 'journalctl', 'reboot', 'shutdown', 'openstack', 'cpuid'];

/** The tools a host of this distro has (no update-grub on EL, no grubby on EL7 or Debian/Ubuntu). */
export function toolsFor(distro: Distro, _roles: readonly Role[] = []): string[] {
  switch (distro) {
    case 'debian-12':
    case 'ubuntu-22.04':
    case 'ubuntu-24.04':
      return [...COMMON, 'update-grub'];
    case 'centos-7':
      return [...COMMON, 'grub2-mkconfig'];
    case 'rocky-8':
    case 'rocky-9':
      return [...COMMON, 'grub2-mkconfig', 'grubby'];
  }
}

/**
 * Where the machine itself has a binary of that name (dmesg, systemctl, reboot,
 * cpuid...), the wrapper is bind-mounted over it too, so an absolute path
 * (/usr/bin/systemctl, /sbin/reboot) reaches the lab tool and never this machine's.
 */
export function shadowedBinaries(tool: string): string[] {
  return ['/usr/bin', '/usr/sbin'].map((d) => join(d, tool)).filter((p) => existsSync(p));
}

const bundles = new Map<string, Promise<string>>();

/** Bundle `entry` (default src/lab/tools/cli.ts) to one ESM file; cached per process. */
export function bundleTools(entry = TOOLS_ENTRY): Promise<string> {
  let p = bundles.get(entry);
  if (!p) {
    p = build({
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      write: false,
      logLevel: 'silent',
      // CommonJS dependencies call require(): give the ESM bundle one.
      banner: { js: "import { createRequire as __labRequire } from 'node:module'; const require = __labRequire(import.meta.url);" },
    }).then((r) => {
      const out = r.outputFiles[0];
      if (!out) throw new Error(`esbuild produced no output for ${entry}`);
      return out.text;
    });
    bundles.set(entry, p);
    p.catch(() => bundles.delete(entry));
  }
  return p;
}

export function wrapperScript(bundlePath: string, tool: string): string {
  return `#!/bin/sh\nexec ${NODE} ${bundlePath} ${tool} "$@"\n`;
}

/** Write one wrapper per tool into `dir` (bind-mounted over /usr/local/sbin and /usr/local/bin). */
export function installWrappers(dir: string, bundlePath: string, tools: readonly string[]): void {
  mkdirSync(dir, { recursive: true });
  for (const tool of tools) {
    const file = join(dir, tool);
    writeFileSync(file, wrapperScript(bundlePath, tool));
    chmodSync(file, 0o755);
  }
}
