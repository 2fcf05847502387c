// Cost of one boot's file work (bootprep.ts) on a real-lab host, through the
// holder's /proc/<pid>/root path as the lab does it:
//   node --import tsx test/lab/real/measure-bootprep.ts [iterations=50] [base=127.0.75]
// starts benchCluster(1), powers cmp001 off, then runs its boot's file work
// `iterations` times (as a reboot: /run and /dev only) and prints the median
// and max of each part.
import { readFileSync } from 'node:fs';
import { bootHost } from '../boot.ts';
import { NodeFs } from '../nodefs.ts';
import { buildRootfs } from '../rootfs.ts';
import { benchCluster } from '../specs.ts';
import { idsOf, prepareBoot, type BootHostData, type BootTimings } from './bootprep.ts';
import { canonicalPath, RUNTIME_TOPS, topOf, type ModelFile } from './files.ts';
import { startRealLab } from './lab.ts';
import { TOOLS_DIR_IN_HOST } from './tools.ts';

const n = Number(process.argv[2] ?? 50);
const base = process.argv[3] ?? '127.0.75';
const specs = benchCluster(1);
const lab = await startRealLab(specs, { base, rebootSeconds: 0.2 });
try {
  const h = lab.host('cmp001');
  await lab.stopHost('cmp001');
  const runtimeFiles: Array<[string, ModelFile]> = [];
  for (const [p, f] of buildRootfs(h.spec, specs)) {
    const c = canonicalPath(p);
    if ((RUNTIME_TOPS as readonly string[]).includes(topOf(c))) runtimeFiles.push([c, f]);
  }
  const data: BootHostData = {
    name: h.name,
    spec: h.spec,
    stateDir: `/tmp/measure-bootprep-${process.pid}`, // the fstab goes there, not into the lab's host
    rootDir: h.rootDir,
    overlayTops: ['etc', 'var', 'usr'],
    runtimeFiles,
    passwd: readFileSync(`${h.rootDir}/etc/passwd`, 'utf8'),
    group: readFileSync(`${h.rootDir}/etc/group`, 'utf8'),
    toolsDir: `${lab.dir}/tools`,
    toolsDirInHost: TOOLS_DIR_IN_HOST,
  };
  const { mkdirSync, rmSync } = await import('node:fs');
  mkdirSync(data.stateDir, { recursive: true });
  const model = { bootHost, makeFs: (root: string) => new NodeFs(root) };
  const ids = idsOf(data.passwd, data.group);
  const all: Array<BootTimings & { total: number }> = [];
  for (let i = 0; i < n; i++) {
    const t = prepareBoot(model, data, { bootId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, first: false }, ids);
    all.push({ ...t, total: t.reset + t.bootHost + t.fstab });
  }
  rmSync(data.stateDir, { recursive: true, force: true });
  const stat = (k: keyof (typeof all)[number]): string => {
    const xs = all.map((x) => x[k]).sort((a, b) => a - b);
    return `${k} median ${xs[Math.floor(xs.length / 2)]!.toFixed(1)} max ${xs[xs.length - 1]!.toFixed(1)} ms`;
  };
  console.log(`${n} boots of ${h.name}: ${stat('total')}; ${stat('reset')}; ${stat('bootHost')}; ${stat('fstab')}`);
} finally {
  await lab.stop();
}
