// `vfio_pci`: the passthrough GPU functions bound to vfio-pci at boot, so
// that libvirt never has to take them from a host driver when an instance
// starts (with nouveau or nvidia loaded, or the device in use by the host,
// that fails or hangs). Policy: `auto` (when a function is held by a driver
// other than vfio-pci or pci-stub), `always`, `never`.
//
// The distribution's way: /etc/modprobe.d/passthru-vfio.conf with
// `options vfio-pci ids=...` and a `softdep <driver> pre: vfio-pci` for each
// driver that holds a function today, so that vfio-pci claims first; and
// vfio-pci loaded early from the initramfs (Debian/Ubuntu:
// /etc/initramfs-tools/modules + update-initramfs; EL:
// /etc/dracut.conf.d/passthru-vfio.conf + dracut), which carries a copy of
// modprobe.d. The ids claim every device with those ids: a host device with
// the same vendor:device as a passthrough function (its console GPU) is
// refused, with driver_override as the way out. The binding takes effect at
// the next boot: the reboot that enables the IOMMU, never a second one.

import { z } from 'zod';
import { osRelease, pciDevices, vfioFiles } from '../../facts/index.ts';
import { INITRAMFS_MODULES, VFIO_DRACUT_CONF as DRACUT_CONF, VFIO_MODPROBE, type VfioFiles } from '../../facts/vfio-files.ts';
import { planPci, type PciFunction } from '../../nova/pci.ts';
import { writeRemoteFile } from '../../ssh/files.ts';
import { StepError } from '../../errors.ts';
import { quote } from '../../util/shell.ts';
import type { Change, StepContext, StepKind } from '../types.ts';
import { regenerateFailure, regenerateScript } from './regenerate.ts';

const args = z
  .object({
    /** auto: when a function is held by another driver; always; never */
    policy: z.enum(['auto', 'always', 'never']).default('auto'),
    /** PCI vendor id(s) of the devices to pass through */
    vendor: z.union([z.string(), z.array(z.string())]).default('10de'),
  })
  .strict();

export { VFIO_MODPROBE };
const EARLY = ['vfio', 'vfio_iommu_type1', 'vfio_pci'] as const;
/** drivers that already leave a device free for passthrough */
export const FREE_DRIVERS: ReadonlySet<string> = new Set(['vfio-pci', 'pci-stub']);

/** The functions of the host's passthrough GPUs (every function of each card of the vendors), as nova's plan picks them. */
export function passthroughFunctions(hostName: string, devices: PciFunction[], vendor: string | string[]): PciFunction[] {
  const vendors = Array.isArray(vendor) ? vendor : [vendor];
  return (planPci([{ host: hostName, devices }], { vendors }).hosts[hostName]?.cards ?? []).flatMap((c) => c.functions);
}

export function showFunction(f: PciFunction): string {
  return `${f.address} ${f.vendor}:${f.device} (${f.driver ?? 'no driver'})`;
}
/** kernel module of a PCI driver, where its name differs (sysfs shows the driver) */
const MODULE_OF: Record<string, string> = { xhci_hcd: 'xhci_pci', 'nvidia-gpu': 'i2c_nvidia_gpu', 'ehci-pci': 'ehci_pci', ahci: 'ahci' };

export function driverModule(driver: string): string {
  return MODULE_OF[driver] ?? driver.replace(/-/g, '_');
}

export function modprobeConf(ids: readonly string[], drivers: readonly string[]): string {
  const lines = [
    '# Written by passthru: GPU functions for PCI passthrough bound to vfio-pci at boot.',
    '# This file is rewritten by passthru; your own options belong in another file.',
    `options vfio-pci ids=${ids.join(',')}`,
    ...drivers.map((d) => `softdep ${driverModule(d)} pre: vfio-pci`),
  ];
  return `${lines.join('\n')}\n`;
}

/** Debian/Ubuntu: /etc/initramfs-tools/modules with the vfio modules added (every other line kept). */
export function withInitramfsModules(current: string): string {
  const have = new Set(current.split('\n').map((l) => (l.trim().split(/\s+/)[0] ?? '').replace(/-/g, '_')));
  const missing = EARLY.filter((m) => !have.has(m));
  if (missing.length === 0) return current;
  const sep = current === '' || current.endsWith('\n') ? '' : '\n';
  return `${current}${sep}# added by passthru: vfio-pci claims the passthrough GPUs before their host drivers\n${missing.join('\n')}\n`;
}

const DRACUT_TEXT = `# Written by passthru: vfio-pci in the initramfs, to claim the passthrough GPUs before their host drivers.\nforce_drivers+=" ${EARLY.join(' ')} "\n`;

interface FileEdit {
  path: string;
  before: string;
  after: string;
}

function edit(files: VfioFiles, path: string, want: (current: string) => string): FileEdit | undefined {
  const cur = files[path];
  const before = cur ?? '';
  const after = want(before);
  return after === before && cur !== undefined ? undefined : { path, before, after };
}

export const vfioStep: StepKind<z.infer<typeof args>> = {
  kind: 'vfio_pci',
  schema: args,
  facts: () => [osRelease, pciDevices, vfioFiles],
  async plan(ctx, a) {
    const os = await ctx.gather(osRelease);
    const devices = await ctx.gather(pciDevices);
    const files = await ctx.gather(vfioFiles);
    const functions = passthroughFunctions(ctx.hostName, devices, a.vendor);
    const result = { reboot_required: false, functions: functions.map((f) => ({ address: f.address, id: `${f.vendor}:${f.device}`, driver: f.driver ?? null })), policy: a.policy };
    if (functions.length === 0) return { changes: [], result, notes: ['no passthrough function on this host'] };
    const held = functions.filter((f) => f.driver !== undefined && !FREE_DRIVERS.has(f.driver));
    if (a.policy === 'never') return { changes: [], result, notes: [`vfio=never: left to their drivers: ${functions.map(showFunction).join(', ')}`] };
    if (a.policy === 'auto' && held.length === 0) {
      return { changes: [], result, notes: [`every passthrough function is free for libvirt (${functions.map(showFunction).join(', ')}): nothing to bind`] };
    }
    const ids = [...new Set(functions.map((f) => `${f.vendor}:${f.device}`))].sort();
    const chosen = new Set(functions.map((f) => f.address));
    const clash = devices.filter((d) => !chosen.has(d.address) && ids.includes(`${d.vendor}:${d.device}`));
    if (clash.length > 0) {
      return {
        changes: [],
        result,
        fail: {
          message: `vfio-pci would also take ${clash.map(showFunction).join(', ')} from the host: options vfio-pci ids= claims every device with the ids ${ids.join(',')}`,
          hint: 'bind the passthrough functions by address instead (driverctl set-override ADDR vfio-pci, or driver_override), or run with -e vfio=never',
        },
      };
    }
    const drivers = [...new Set(held.map((f) => f.driver as string))].sort();
    const el = os.family === 'el';
    const edits = [
      edit(files, VFIO_MODPROBE, (cur) => {
        // softdeps of drivers seen on an earlier run stay (they hold nothing now because of them)
        const earlier = [...cur.matchAll(/^softdep (\S+) pre: vfio-pci$/gm)].map((m) => m[1] ?? '');
        const all = [...new Set([...drivers.map(driverModule), ...earlier])].sort();
        return modprobeConf(ids, all);
      }),
      el ? edit(files, DRACUT_CONF, () => DRACUT_TEXT) : edit(files, INITRAMFS_MODULES, withInitramfsModules),
    ].filter((e): e is FileEdit => e !== undefined);
    const regenerate = el ? ['dracut', '-f', '--regenerate-all'] : ['update-initramfs', '-u', '-k', 'all'];
    const unbound = functions.filter((f) => f.driver !== 'vfio-pci');
    const changes: Change[] = edits.map((e) => ({ description: `vfio-pci binding in ${e.path}`, diff: { path: e.path, before: e.before, after: e.after } }));
    if (edits.length > 0) changes.push({ description: `regenerate the initramfs: ${quote(regenerate)}` });
    const notes = [`to vfio-pci at the next boot: ${unbound.map(showFunction).join(', ') || 'none (all bound already)'}`];
    const planned = { ...result, reboot_required: unbound.length > 0, ids };
    return {
      changes,
      notes,
      result: planned,
      apply: async (cx) => {
        // the files side by side (two channels), each written atomically; a new file's directory made first
        const written = await Promise.allSettled(
          edits.map((e) =>
            writeRemoteFile(cx.host, e.path, e.after, { become: cx.become, backup: e.before !== '', signal: cx.signal, ...(e.before === '' ? { mode: 0o644, mkdir: true } : {}) }),
          ),
        );
        written.forEach((w, i) => {
          const e = edits[i];
          if (w.status === 'fulfilled' && w.value.backupPath && e) cx.backups.push({ path: e.path, backupPath: w.value.backupPath });
        });
        const failed = written.find((w): w is PromiseRejectedResult => w.status === 'rejected');
        if (failed) throw failed.reason;
        if (edits.length > 0) {
          // the initramfs, then what the next steps read (the reboot: the boot_id) in the same round trip
          const back = cx.readBack?.([]);
          const r = await cx.host.exec(quote(['sh', '-c', `${regenerateScript([regenerate])}\n${back?.script ?? ''}`]), { become: cx.become, timeoutMs: 600_000, signal: cx.signal });
          const failure = regenerateFailure([regenerate], r, (t) => cx.secrets.mask(t));
          if (failure !== undefined) throw new StepError(cx.hostName, 'vfio-pci', failure, 'the files above are in place; regenerate the initramfs by hand before rebooting');
          if (back) {
            back.accept(r.stdout);
            return { result: planned, factsCurrent: true };
          }
        }
        return { result: planned };
      },
    };
  },
};
