// The machine tools (lspci, dmesg, systemctl, reboot, update-grub, ...) inside
// a real-lab host: src/lab/tools/cli.ts bundled once per lab with esbuild into
// <lab>/tools/ (with the non-TypeScript files beside it, e.g. nova_check.py),
// which every host sees at /usr/lib/passthru-lab/; and per host small
// wrappers `exec /usr/bin/node /usr/lib/passthru-lab/tools.mjs NAME "$@"`
// written into the host's own /usr layer.
import { build } from 'esbuild';
import { chmodSync, copyFileSync, lstatSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export const TOOLS_ENTRY = fileURLToPath(new URL('../tools/cli.ts', import.meta.url));
/** where a host sees the bundle dir */
export const TOOLS_DIR_IN_HOST = '/usr/lib/passthru-lab';
export const BUNDLE_NAME = 'tools.mjs';
/** the host's spec as JSON, which the tools read ($PASSTHRU_LAB_SPEC) */
export const SPEC_IN_HOST = '/usr/share/passthru-lab/spec.json';
const NODE = '/usr/bin/node';

const bundles = new Map<string, Promise<string>>();

/** Bundle `entry` to one ESM file; cached per process. */
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

/** Write the bundle and the entry dir's non-TypeScript files (scripts the tools run) into `dir`. */
export async function writeToolsDir(dir: string, entry = TOOLS_ENTRY): Promise<void> {
  const bundle = await bundleTools(entry);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  writeFileSync(join(dir, BUNDLE_NAME), bundle, { mode: 0o644 });
  const src = dirname(entry);
  for (const name of readdirSync(src)) {
    if (/\.(ts|mts|cts)$/.test(name)) continue;
    try {
      if (!lstatSync(join(src, name)).isFile()) continue;
    } catch {
      continue;
    }
    copyFileSync(join(src, name), join(dir, name));
    chmodSync(join(dir, name), 0o644);
  }
}

/**
 * stdin is /dev/null: no tool reads it, and the CLI would otherwise wait for
 * an EOF that an SSH client keeping the channel's stdin open never sends.
 */
export function execToolLine(tool: string): string {
  return `PASSTHRU_LAB_SPEC=${SPEC_IN_HOST} exec ${NODE} ${TOOLS_DIR_IN_HOST}/${BUNDLE_NAME} ${tool} "$@" </dev/null`;
}

export function wrapperScript(tool: string): string {
  return `#!/bin/sh\n${execToolLine(tool)}\n`;
}

/**
 * Install the wrappers into a host's root (its /usr is its own overlay):
 * /usr/local/sbin (root's and sudo's PATH), /usr/local/bin (other users'),
 * and over this machine's own binary of that name in /usr/bin or /usr/sbin
 * (dmesg, systemctl, reboot -> systemctl, cpuid...), replacing the file or
 * symlink, so an absolute path reaches the lab tool and never this machine's.
 */
export function installWrappers(
  rootDir: string,
  tools: readonly string[],
  allTools: readonly string[] = tools,
  script: (tool: string) => string = wrapperScript,
): string[] {
  const written: string[] = [];
  const machineBinaries = (tool: string): string[] =>
    ['/usr/bin', '/usr/sbin'].map((d) => join(d, tool)).filter((p) => {
      try {
        lstatSync(p);
        return true;
      } catch {
        return false;
      }
    });
  // A lab tool this host does not have (cpuid on a compute) is not found at
  // all, not this machine's real binary: removing it in the overlay hides it.
  for (const tool of allTools) {
    if (tools.includes(tool)) continue;
    for (const p of machineBinaries(tool)) rmSync(join(rootDir, p), { force: true });
  }
  for (const tool of tools) {
    const targets = [`/usr/local/sbin/${tool}`, `/usr/local/bin/${tool}`, ...machineBinaries(tool)];
    for (const t of targets) {
      const file = join(rootDir, t);
      mkdirSync(dirname(file), { recursive: true });
      rmSync(file, { force: true }); // a symlink is replaced, not followed
      writeFileSync(file, script(tool));
      chmodSync(file, 0o755);
      written.push(t);
    }
  }
  return written;
}
