// Dev aid: a normalized listing of the files a boot writes (run, dev, proc,
// sys, /var/log/lab, /var/log/nova) of every host, after the first boot and
// after a reboot of every host, to compare two versions of the boot code:
//   node --import tsx test/lab/real/snapshot-boot.ts OUT.json [computes=6] [base=127.0.74]
import { lstatSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchCluster } from '../specs.ts';
import { ssh } from './client.ts';
import { startRealLab, type RealLab } from './lab.ts';

const [out = '/tmp/snap.json', computes = '6', base = '127.0.74'] = process.argv.slice(2);
const TOPS = ['run', 'dev', 'proc', 'sys', 'var/log/lab', 'var/log/nova', 'etc/nova'];

function normalize(text: string, bootIds: string[]): string {
  let t = text;
  for (const id of bootIds) t = t.split(id).join('BOOTID');
  return t
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z/g, 'ISOTIME')
    .replace(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ \d+/g, 'STAMP PID')
    .replace(/[A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d/g, 'JTIME')
    .replace(/\[\d+\]/g, '[PID]')
    .replace(/MainPID=\d+/g, 'MainPID=N')
    .replace(/^\d+$/gm, 'NUM');
}

function listing(lab: RealLab, name: string, bootIds: string[]): Record<string, string> {
  const root = lab.host(name).rootDir;
  const outMap: Record<string, string> = {};
  const walk = (rel: string): void => {
    const full = join(root, rel);
    let st;
    try {
      st = lstatSync(full);
    } catch {
      return;
    }
    const head = `${(st.mode & 0o170000).toString(8)} ${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}`;
    if (st.isSymbolicLink()) outMap[rel] = `${head} -> ${readlinkSync(full)}`;
    else if (st.isDirectory()) {
      outMap[rel] = `${head} dir`;
      for (const e of readdirSync(full).sort()) walk(`${rel}/${e}`);
    } else outMap[rel] = `${head} ${normalize(readFileSync(full, 'utf8'), bootIds)}`;
  };
  for (const t of TOPS) walk(`/${t}`);
  return outMap;
}

const lab = await startRealLab(benchCluster(Number(computes)), { base, rebootSeconds: 0.2 });
try {
  const snap: Record<string, Record<string, Record<string, string>>> = {};
  const ids = (): string[] => lab.hosts.map((h) => lab.bootId(h.name));
  snap['first'] = Object.fromEntries(lab.hosts.map((h) => [h.name, listing(lab, h.name, ids())]));
  // every host: IOMMU args in its boot loader's config as the rollout writes them (grubby or update-grub), then a reboot
  const edit =
    'if command -v grubby >/dev/null; then grubby --update-kernel=ALL --args="intel_iommu=on iommu=pt"; ' +
    `else sed -i 's/^GRUB_CMDLINE_LINUX="\\(.*\\)"/GRUB_CMDLINE_LINUX="\\1 intel_iommu=on iommu=pt"/' /etc/default/grub && update-grub; fi >/dev/null 2>&1; echo rc=$?`;
  for (const h of lab.hosts) {
    const r = await ssh(lab, h.name, edit);
    if (!r.stdout.includes('rc=0')) throw new Error(`${h.name}: ${r.stdout} ${r.stderr}`);
  }
  await Promise.all(lab.hosts.map((h) => lab.reboot(h.name)));
  snap['reboot'] = Object.fromEntries(lab.hosts.map((h) => [h.name, listing(lab, h.name, ids())]));
  await Promise.all(lab.hosts.map((h) => lab.stopHost(h.name)));
  await Promise.all(lab.hosts.map((h) => lab.startHost(h.name)));
  snap['restart'] = Object.fromEntries(lab.hosts.map((h) => [h.name, listing(lab, h.name, ids())]));
  writeFileSync(out, JSON.stringify(snap, null, 1));
  console.log(`wrote ${out}: ${Object.values(snap['first']).reduce((n, m) => n + Object.keys(m).length, 0)} entries per snapshot`);
} finally {
  await lab.stop();
}
