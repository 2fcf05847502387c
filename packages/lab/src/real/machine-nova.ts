// A lab host's /usr and /var are overlays over this machine's, and this
// machine may have python3-nova installed (the tests and passthru's own
// check load nova.conf with nova's code, as on a real host). Its package
// metadata would then tell every host the machine's nova version
// (nova-26.2.2.egg-info, dpkg's python3-nova) instead of the release the
// host's spec gives. So the machine's metadata is made to say the model's
// version (nova's code needs its metadata to import: pbr reads the version
// from it), and dpkg forgets the machine's nova packages.
import { cpSync, existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const SITE_PARENTS = ['usr/lib', 'usr/local/lib'];
const NOVA_PACKAGES = new Set(['python3-nova', 'nova-common', 'openstack-nova-common']);
const INFO_DIR = /^nova-(\d[^/]*?)(?:-py\d[\d.]*)?\.(egg|dist)-info$/;

/** Directories (relative to the host root) holding this machine's nova metadata the model does not give. */
function machineNovaInfoDirs(root: string, modelPaths: ReadonlySet<string>): Array<{ site: string; name: string }> {
  const out: Array<{ site: string; name: string }> = [];
  for (const parent of SITE_PARENTS) {
    let pythons: string[];
    try {
      pythons = readdirSync(join(root, parent)).filter((d) => /^python[23]/.test(d));
    } catch {
      continue;
    }
    for (const py of pythons) {
      for (const s of ['site-packages', 'dist-packages']) {
        const site = `${parent}/${py}/${s}`;
        let entries: string[];
        try {
          entries = readdirSync(join(root, site));
        } catch {
          continue;
        }
        for (const name of entries) {
          if (!INFO_DIR.test(name)) continue;
          const path = `/${site}/${name}`;
          if (![...modelPaths].some((p) => p === path || p.startsWith(`${path}/`))) out.push({ site, name });
        }
      }
    }
  }
  return out;
}

/** The nova version the model gives the host (from its egg-info path), if any. */
function modelNovaVersion(modelPaths: ReadonlySet<string>): string | undefined {
  for (const p of modelPaths) {
    const dir = p.split('/').slice(-2, -1)[0] ?? '';
    const m = INFO_DIR.exec(dir);
    if (m) return m[1];
  }
  return undefined;
}

let lastStatus: { text: string; kept: string } | undefined;

/** dpkg's status database without the nova packages (the last answer cached: every host has the same). */
export function withoutNovaPackages(status: string): string {
  if (lastStatus?.text === status) return lastStatus.kept;
  const kept = filterStatus(status);
  lastStatus = { text: status, kept };
  return kept;
}

function filterStatus(status: string): string {
  return status
    .split(/\n(?=\n)/)
    .filter((stanza) => {
      const m = /^Package: (\S+)$/m.exec(stanza);
      return !(m && NOVA_PACKAGES.has(m[1] ?? ''));
    })
    .join('\n');
}

/**
 * Make this machine's nova package metadata agree with the model on a host
 * whose root (as the lab process sees it) is `root`; `modelPaths` are the
 * paths of the model's files for that host.
 */
export function hideMachineNova(root: string, modelPaths: ReadonlySet<string>): void {
  const version = modelNovaVersion(modelPaths);
  for (const { site, name } of machineNovaInfoDirs(root, modelPaths)) {
    const from = join(root, site, name);
    const kind = name.endsWith('.dist-info') ? 'dist' : 'egg';
    const to = version === undefined ? undefined : join(root, site, `nova-${version}.${kind}-info`);
    if (to !== undefined && to !== from && !existsSync(to)) {
      cpSync(from, to, { recursive: true });
      const meta = join(to, kind === 'egg' ? 'PKG-INFO' : 'METADATA');
      if (existsSync(meta)) writeFileSync(meta, readFileSync(meta, 'utf8').replace(/^Version: .*$/m, `Version: ${version}`));
    }
    if (to !== from) rmSync(from, { recursive: true, force: true });
  }
  const status = join(root, 'var/lib/dpkg/status');
  if (!modelPaths.has('/var/lib/dpkg/status') && existsSync(status)) {
    const text = readFileSync(status, 'utf8');
    const kept = withoutNovaPackages(text);
    if (kept !== text) writeFileSync(status, kept);
  }
}
