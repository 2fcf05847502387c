// `kernel_iommu`: the kernel arguments that turn the IOMMU on, put where the
// host's boot loader really takes them from (GRUB_CMDLINE_LINUX edited as a
// set of words, then update-grub / grub2-mkconfig to the file the firmware
// reads / grubby on BLS systems), and whether a reboot is needed: only when
// the IOMMU is not active yet.

import { posix } from 'node:path';
import { z } from 'zod';
import { editGrubCmdline, type GrubFile } from '../../boot/grub-default.ts';
import { iommuKind, kernelArgTest, requiredKernelArgs } from '../../boot/cmdline.ts';
import { diagnoseInactiveIommu } from '../../boot/iommu-diagnosis.ts';
import { planBootloader, type BootloaderPlan } from '../../boot/bootloader.ts';
import { bootMode, bootloaderFiles, cpu, grubDefault, iommu, kernelCmdline, osRelease } from '../../facts/index.ts';
import type { BootloaderFiles } from '../../facts/bootloader-files.ts';
import { StepError } from '../../errors.ts';
import { readRemoteFile, writeRemoteFile } from '../../ssh/files.ts';
import { quote } from '../../util/shell.ts';
import type { Change, StepContext, StepKind } from '../types.ts';
import { regenerateFailure, regenerateScript } from './regenerate.ts';

const args = z
  .object({
    /** add iommu=pt */
    passthrough_mode: z.boolean().default(true),
  })
  .strict();

/** passthru's drop-in on Debian/Ubuntu: `zz` sorts it after the drop-ins of the distribution and of cloud images */
export const GRUB_DROPIN = '/etc/default/grub.d/zz-passthru.cfg';

const LINUX_LINE = /^\s*(linux|linux16|linuxefi)\s+\S+(.*)$/;

/** The kernel command lines the next boot can take, from the config the boot loader reads. */
async function nextBootCmdlines(ctx: StepContext, plan: BootloaderPlan, files: BootloaderFiles): Promise<string[]> {
  if (plan.kind === 'grubby') {
    return Object.values(files.blsOptions).map((o) => {
      const opts = o.replace(/^options\s+/, '');
      return opts.includes('$kernelopts') ? opts.replace('$kernelopts', files.kernelopts?.replace(/^kernelopts=/, '') ?? '') : opts;
    });
  }
  if (!plan.output) return [];
  // the fact has the `linux` lines of the generated configs it found; another path is read now
  let args = files.cfgLinuxArgs[plan.output];
  if (args === undefined && !files.files.includes(plan.output)) {
    const cfg = await readRemoteFile(ctx.host, plan.output, { become: ctx.become });
    if (!cfg.exists) return [];
    args = cfg.content.split('\n').flatMap((l) => {
      const m = LINUX_LINE.exec(l);
      return m ? [m[2] ?? ''] : [];
    });
  }
  return (args ?? []).filter((l) => !/\bsingle\b|\brecovery\b/.test(l));
}

function satisfies(line: string, add: readonly string[], remove: readonly string[]): boolean {
  const has = kernelArgTest(line);
  return add.every(has) && !remove.some(has);
}

/** Fails the step with the regeneration command that failed (regenerate.ts). */
function regenerated(cx: StepContext, commands: readonly string[][], r: { exitCode: number; stdout: string; stderr: string }): void {
  const failure = regenerateFailure(commands, r, (t) => cx.secrets.mask(t));
  if (failure !== undefined) throw new StepError(cx.hostName, 'kernel arguments', failure);
}

export const kernelIommuStep: StepKind<z.infer<typeof args>> = {
  kind: 'kernel_iommu',
  schema: args,
  disruptive: false,
  facts: () => [osRelease, bootMode, cpu, kernelCmdline, iommu, grubDefault, bootloaderFiles],
  async plan(ctx, a) {
    const os = await ctx.gather(osRelease);
    const mode = await ctx.gather(bootMode);
    const c = await ctx.gather(cpu);
    const io = await ctx.gather(iommu);
    const running = await ctx.gather(kernelCmdline);
    const grub = await ctx.gather(grubDefault);
    const files = await ctx.gather(bootloaderFiles);
    const kind = iommuKind(io.firmware, c.vendor);
    if (kind === undefined) return { changes: [], fail: { message: `unknown CPU vendor '${c.vendorId}' and no ACPI DMAR or IVRS table: which IOMMU this host has is unknown` } };
    const want = requiredKernelArgs(kind, { passthroughMode: a.passthrough_mode });
    if (!io.active && io.firmware === 'none') {
      // no reboot can help: touch nothing
      return { changes: [], fail: diagnoseInactiveIommu(io, running.raw, kind, want.add) };
    }
    const plan = planBootloader(os, mode, want, files);

    const changes: Change[] = [];
    const edits: GrubFile[] = [];
    if (grub.main) {
      // Debian/Ubuntu: the arguments go into passthru's own drop-in, which update-grub reads last
      const edited = editGrubCmdline(grub.main, grub.dropins, want.add, want.remove, plan.kind === 'update-grub' ? { dropin: GRUB_DROPIN } : {});
      for (const e of edited.edits) {
        edits.push({ path: e.path, content: e.after });
        changes.push({ description: `kernel arguments in ${e.path}: ${edited.after.linux.trim()}`, diff: { path: e.path, before: e.before, after: e.after } });
      }
    } else if (plan.kind !== 'grubby') {
      return { changes: [], fail: { message: 'no /etc/default/grub on this host', hint: 'set the kernel arguments by hand for this boot loader' } };
    }
    const nextBoot = await nextBootCmdlines(ctx, plan, files);
    const bootConfigOk = nextBoot.length > 0 && nextBoot.every((l) => satisfies(l, want.add, want.remove));
    const regenerate = edits.length > 0 || !bootConfigOk;
    if (regenerate) {
      for (const argv of plan.commands) changes.push({ description: `regenerate the boot configuration: ${quote(argv)}` });
    }

    const runningOk = satisfies(running.raw, want.add, want.remove);
    if (!io.active && runningOk) {
      return { changes: [], fail: diagnoseInactiveIommu(io, running.raw, kind, want.add) };
    }
    const rebootRequired = !io.active;
    const notes = [...plan.notes];
    if (io.firmware !== 'unknown' && kind !== c.vendor) notes.push(`the firmware's IOMMU is ${kind === 'intel' ? 'Intel VT-d (ACPI DMAR)' : 'AMD-Vi (ACPI IVRS)'}, not the CPU vendor's: arguments for it`);
    if (io.active) notes.push(`IOMMU already active (${io.evidence}): no reboot needed`);
    const result = { reboot_required: rebootRequired, args: want.add, removed: want.remove, bootloader: plan.kind, boot_config: plan.output ?? 'BLS entries' };
    return {
      changes,
      notes,
      result,
      apply: async (cx) => {
        // One round trip for the write, the regeneration and reading the result back (with
        // the facts of the steps up to the reboot) when there is one file to write (the
        // directory of passthru's drop-in made in it).
        // (what it writes: the grub defaults and the generated boot configuration; nothing else the next steps read)
        const back = regenerate ? cx.readBack?.([bootloaderFiles], { changed: [grubDefault, bootloaderFiles] }) : undefined;
        const regen = regenerate ? `${regenerateScript(plan.commands)}\n${back?.script ?? ''}` : undefined;
        let readBack: string | undefined;
        const last = edits.length - 1;
        for (const [i, e] of edits.entries()) {
          const then = i === last ? regen : undefined;
          const w = await writeRemoteFile(cx.host, e.path, e.content, { become: cx.become, backup: true, signal: cx.signal, mkdir: e.path === GRUB_DROPIN, ...(then ? { then, timeoutMs: 300_000 } : {}) });
          if (w.backupPath) cx.backups.push({ path: e.path, backupPath: w.backupPath });
          if (w.then) {
            regenerated(cx, plan.commands, w.then);
            readBack = w.then.stdout;
          }
        }
        if (regenerate && edits.length === 0) {
          const r = await cx.host.exec(quote(['sh', '-c', regen!]), { become: cx.become, timeoutMs: 300_000, signal: cx.signal });
          regenerated(cx, plan.commands, r);
          readBack = r.stdout;
        }
        if (regenerate) {
          // what the next boot takes, as read back after the regeneration
          if (back && readBack !== undefined) back.accept(readBack);
          else cx.invalidateFacts();
          const after = await nextBootCmdlines(cx, plan, await cx.gather(bootloaderFiles));
          if (after.length === 0 || !after.every((l) => satisfies(l, want.add, want.remove))) {
            throw new StepError(cx.hostName, 'kernel arguments', `regenerated the boot configuration, but ${plan.output ?? 'the BLS entries'} still lack ${want.add.join(' ')}`, 'check the boot loader configuration by hand');
          }
          return { result, factsCurrent: true };
        }
        return { result };
      },
    };
  },
};
