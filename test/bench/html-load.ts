// How fast the HTML report opens at 1000 hosts, and how big it is:
//
//   npm run bench:html [-- --hosts 1000 --runs 5]
//
// Builds the report of a synthetic 1000-host rollout through the same
// ReportBuilder a run uses (4 plays; 1 controller and 999 computes of 5
// distributions and 3 GPU models; 750 reboots of 3-9 s; nova.conf and GRUB
// diffs; 10 failed and 5 unreachable hosts), writes the HTML page, and opens
// it in headless Chromium (test/ui/chromium.ts) `--runs` times from its
// file:// URL. Prints the file size, and per run the time from navigation to
// the load event (the inline script has drawn every lane by then) and the
// script's own drawing time; the target is under 2 s and 5 MB. A
// measurement, not a test: no assertion on time.

import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { EventBus, type EngineEvent, type StepOutcome } from '../../src/engine/events.ts';
import { writeHtmlReport } from '../../src/ui/html/write.ts';
import { ReportBuilder } from '../../src/ui/report.ts';
import { SecretRegistry } from '../../src/util/secrets.ts';
import { openPage } from '../ui/chromium.ts';

const { values } = parseArgs({ options: { hosts: { type: 'string', default: '1000' }, runs: { type: 'string', default: '5' } } });
const HOSTS = Number(values.hosts);
const RUNS = Number(values.runs);

const DISTROS = ['Ubuntu 22.04.4 LTS', 'Rocky Linux 9.4 (Blue Onyx)', 'Rocky Linux 8.10 (Green Obsidian)', 'Debian GNU/Linux 12 (bookworm)', 'Ubuntu 24.04 LTS'];
const MODELS = [
  { model: '10de:1e04', name: 'TU102 [GeForce RTX 2080 Ti]', fns: [['1e04', '030000', 'vga'], ['10f7', '040300', 'audio'], ['1ad6', '0c0330', 'usb'], ['1ad7', '0c8000', 'serial']] },
  { model: '10de:1eb8', name: 'TU104GL [Tesla T4]', fns: [['1eb8', '030200', '3d']] },
  { model: '10de:2236', name: 'GA102GL [A10]', fns: [['2236', '030200', '3d']] },
] as const;

function outcome(name: string, kind: string, status: StepOutcome['status'], ms: number, extra: Partial<StepOutcome> = {}): StepOutcome {
  return { name, kind, status, changed: status === 'changed', changes: [], diffs: [], duration_ms: ms, notes: [], ...extra };
}

function events(): EngineEvent[] {
  const t0 = Date.UTC(2026, 11, 6, 22, 0, 0);
  const hosts = ['ctl', ...Array.from({ length: HOSTS - 1 }, (_, i) => `cmp${String(i + 1).padStart(4, '0')}`)];
  const plays = ['Preflight and GPU discovery', 'Roll out', 'Verify'];
  const ev: EngineEvent[] = [{ type: 'run-start', check: false, plays, hosts, time: t0 }];
  const out = new Set<string>();
  let t = t0;
  const step = (play: string, host: string, start: number, o: StepOutcome): number => {
    ev.push({ type: 'step-start', play, host, step: o.name, kind: o.kind, time: start });
    ev.push({ type: 'step-end', play, host, step: o.name, outcome: o, time: start + o.duration_ms });
    return start + o.duration_ms;
  };
  for (const [pi, play] of plays.entries()) {
    const inPlay = hosts.filter((h) => !out.has(h));
    ev.push({ type: 'play-start', play, index: pi, hosts: inPlay, batches: [inPlay], time: t });
    let end = t;
    for (const [i, host] of inPlay.entries()) {
      const n = hosts.indexOf(host);
      const distro = DISTROS[n % DISTROS.length] as string;
      const model = MODELS[n % 3] as (typeof MODELS)[number];
      const jitter = (n * 37) % 400;
      let s = t + (i % 50) * 20;
      ev.push({ type: 'host-start', play, host, time: s });
      if (pi === 0 && n % 200 === 199) {
        ev.push({ type: 'step-end', play, host, step: 'connect', outcome: outcome('connect', 'connect', 'unreachable', 0, { error: `${host}: connect to 10.0.${n >> 8}.${n & 255}:22: timed out after 10 s` }), time: s + 10_000 });
        ev.push({ type: 'host-end', play, host, status: 'unreachable', time: s + 10_000 });
        out.add(host);
        end = Math.max(end, s + 10_000);
        continue;
      }
      ev.push({ type: 'host-phase', play, host, phase: 'connect', start: s, time: s + 300 + jitter });
      s += 300 + jitter;
      ev.push({ type: 'host-phase', play, host, phase: 'facts', start: s, time: s + 200 });
      s += 200;
      let status: 'ok' | 'changed' | 'failed' = 'ok';
      const devices = model.fns.map(([device, cls], f) => ({ address: `0000:3b:00.${f}`, vendor: '10de', device, class: cls, deviceName: f === 0 ? model.name : undefined, iommuGroup: pi === 0 && n % 4 !== 3 ? undefined : 20 }));
      const cards = [{ slot: '0000:3b:00', model: model.model, functions: devices.map((d) => d.address) }];
      if (pi === 0) {
        if (host !== 'ctl' && n % 100 === 50) {
          s = step(play, host, s, outcome('preflight checks', 'pci_preflight', 'failed', 40, { error: "CPU flag 'vmx' is missing from /proc/cpuinfo: hardware virtualisation is off, this host cannot run KVM guests; nothing was changed on it", hint: "enable 'Intel Virtualization Technology (VT-x)' in the firmware" }));
          status = 'failed';
          out.add(host);
        } else {
          s = step(play, host, s, outcome('preflight checks', 'pci_preflight', 'ok', 60, { notes: [`${distro}, UEFI, Intel(R) Xeon(R) Gold 6248R CPU @ 3.00GHz, nova 2024.1 (29.2.0), ${host === 'ctl' ? 'controller' : 'compute'}`], result: { os: distro, boot_mode: n % 2 ? 'uefi' : 'bios', cpu_vendor: n % 4 === 3 ? 'amd' : 'intel', release: '2024.1', roles: [host === 'ctl' ? 'controller' : 'compute'] } }));
          if (host !== 'ctl') s = step(play, host, s, outcome('discover GPUs', 'pci_discover', 'ok', 30, { notes: [`0000:3b:00: ${devices.map((d, f) => `${f}=10de:${d.device}`).join(' ')}`], result: { has_gpu: true, iommu_active: n % 4 === 3, cards, devices } }));
        }
      } else if (pi === 1 && host !== 'ctl') {
        const grub = { path: '/etc/default/grub', before: `GRUB_DEFAULT=0\nGRUB_TIMEOUT=5\nGRUB_DISTRIBUTOR="${distro}"\nGRUB_CMDLINE_LINUX_DEFAULT="quiet"\nGRUB_CMDLINE_LINUX=""\n`, after: `GRUB_DEFAULT=0\nGRUB_TIMEOUT=5\nGRUB_DISTRIBUTOR="${distro}"\nGRUB_CMDLINE_LINUX_DEFAULT="quiet"\nGRUB_CMDLINE_LINUX="intel_iommu=on iommu=pt"\n` };
        const reboot = n % 4 !== 3;
        s = step(play, host, s, outcome('kernel arguments', 'kernel_iommu', 'changed', 900 + jitter, { changes: ['kernel arguments in /etc/default/grub: intel_iommu=on iommu=pt; regenerate the boot configuration'], diffs: [grub] }));
        s = step(play, host, s, reboot ? outcome('reboot to enable the IOMMU', 'reboot', 'changed', 3000 + ((n * 7919) % 6000), { changes: ['reboot and wait until the host is back (new boot_id)'] }) : outcome('reboot to enable the IOMMU', 'reboot', 'skipped', 0, { skipReason: 'when: kernel.reboot_required' }));
        s = step(play, host, s, outcome('verify IOMMU', 'iommu_verify', 'ok', 400, { notes: ['IOMMU active: /sys/class/iommu: dmar0; 42 IOMMU groups'], result: { active: true, groups: 42, evidence: '/sys/class/iommu: dmar0' } }));
        s = step(play, host, s, outcome('IOMMU groups of the GPUs', 'pci_discover', 'ok', 30, { result: { has_gpu: true, iommu_active: true, cards, devices: devices.map((d) => ({ ...d, iommuGroup: 20 })) } }));
        const nova = { path: '/etc/nova/nova.conf', before: '[DEFAULT]\nmy_ip = 10.0.0.1\n\n[database]\nconnection = mysql+pymysql://nova:NOVA_DBPASS@ctl/nova\n', after: `[DEFAULT]\nmy_ip = 10.0.0.1\n\n[database]\nconnection = mysql+pymysql://nova:NOVA_DBPASS@ctl/nova\n\n[pci]\n${devices.map((d) => `alias = {"name":"nvidia-${d.device}","vendor_id":"10de","product_id":"${d.device}","device_type":"type-PCI"}`).join('\n')}\ndevice_spec = {"vendor_id":"10de","product_id":"${model.model.slice(5)}"}\n` };
        s = step(play, host, s, outcome('nova.conf', 'nova_pci', 'changed', 700, { changes: ['/etc/nova/nova.conf: alias, device_spec (nova 2024.1)'], diffs: [nova], notes: ["nova's own parser accepts the planned configuration"], result: { aliases: MODELS.flatMap((m) => m.fns.map(([d, , k]) => `nvidia-${d}-${k}`)) } }));
        s = step(play, host, s, outcome('restart nova services', 'service', 'changed', 1500, { changes: ['restart nova-compute.service'] }));
        status = 'changed';
      } else if (pi === 1) {
        s = step(play, host, s, outcome('nova.conf', 'nova_pci', 'changed', 800, { changes: ['/etc/nova/nova.conf: alias, filters (nova 2024.1)'] }));
        s = step(play, host, s, outcome('GPU flavor and image properties', 'openstack_gpu', 'changed', 2500, { result: { flavors: MODELS.map((m) => ({ name: `gpu.large-${m.model.slice(5)}`, alias: m.fns.map(([d, , k]) => `nvidia-${d}-${k}:1`).join(',') })) } }));
        status = 'changed';
      } else {
        s = step(play, host, s, outcome('IOMMU active', 'iommu_verify', 'ok', 300));
        s = step(play, host, s, outcome('nova units active', 'nova_units_active', 'ok', 200));
      }
      ev.push({ type: 'host-end', play, host, status, time: s });
      end = Math.max(end, s);
    }
    ev.push({ type: 'play-end', play, time: end });
    t = end + 10;
  }
  ev.push({ type: 'run-end', interrupted: false, time: t });
  return ev;
}

const dir = mkdtempSync(join(tmpdir(), 'passthru-html-bench-'));
try {
  const bus = new EventBus();
  const secrets = new SecretRegistry();
  secrets.add('NOVA_DBPASS');
  const builder = new ReportBuilder(bus, secrets);
  for (const e of events()) bus.emit(e);
  const hostGroups = (h: string): string[] => (h === 'ctl' ? ['controller'] : ['compute', `rack${Number(h.slice(3)) % 10}`]);
  const report = builder.build({ version: 'bench', playbook: '/bench/pci-passthrough.yaml', inventory: '/bench/inventory.ini', options: { forks: 250 }, groups: hostGroups });
  const file = join(dir, 'report.html');
  const w0 = performance.now();
  await writeHtmlReport(file, report);
  const writeMs = performance.now() - w0;
  const size = statSync(file).size;
  process.stdout.write(`HTML report of ${HOSTS} hosts: ${(size / 1e6).toFixed(2)} MB (target < 5 MB), written in ${writeMs.toFixed(0)} ms\n`);
  const loads: number[] = [];
  const pages: number[] = [];
  const tasks: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const page = await openPage(pathToFileURL(file).href, { width: 1400, height: 900 });
    const t = await page.evaluate<{ load: number; page: number; script: number; lanes: number }>(
      `(() => { const n = performance.getEntriesByType('navigation')[0]; return { load: Math.round(n.loadEventEnd), page: Math.round(n.loadEventEnd - n.responseStart), script: Number(document.body.dataset.ready), lanes: document.querySelectorAll('.lane').length }; })()`,
    );
    const m = await page.metrics();
    // the GPU map is drawn when it comes near the screen: scroll there and count its rows
    const gpuRows = await page.evaluate<number>(`new Promise((r) => { document.getElementById('gpus').scrollIntoView(); setTimeout(() => r(document.querySelectorAll('#gpus .row').length), 500); })`);
    if (gpuRows !== Object.values(report.hosts).reduce((n, h) => n + (h.facts?.gpus.length ?? 0), 0)) throw new Error(`${gpuRows} rows in the GPU map`);
    await page.close();
    const ms = (k: string): number => Math.round((m[k] ?? 0) * 1000);
    process.stdout.write(`  main thread: tasks ${ms('TaskDuration')} ms = script ${ms('ScriptDuration')} + style ${ms('RecalcStyleDuration')} + layout ${ms('LayoutDuration')} + other\n`);
    tasks.push(ms('TaskDuration'));
    if (t.lanes !== HOSTS) throw new Error(`${t.lanes} lanes for ${HOSTS} hosts`);
    loads.push(t.load);
    pages.push(t.page);
    process.stdout.write(`  run ${i + 1}: load event ${t.load} ms after navigation start (${t.page} ms after the file's first byte: parse, script, ${t.lanes} lanes drawn by the script in ${t.script} ms)\n`);
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  process.stdout.write(`median: load ${median(loads)} ms from navigation start (Chromium's renderer start included), ${median(pages)} ms from the first byte; target < 2000 ms: ${median(loads) < 2000 && size < 5e6 ? 'PASS' : 'MISS'}\n`);
  process.stdout.write(`median main-thread work to open the page: ${median(tasks)} ms (Chromium's TaskDuration; less sensitive to a busy machine than the wall clock)\n`);
  process.stdout.write(`load average during the runs: ${loadavg().map((x) => x.toFixed(1)).join(' ')} on ${cpus().length} CPUs\n`);
} finally {
  if (process.env['KEEP_HTML']) process.stdout.write(`kept: ${join(dir, 'report.html')}\n`);
  else rmSync(dir, { recursive: true, force: true });
}
