// `nova_pci`: nova.conf per role. Controllers: [filter_scheduler]
// enabled_filters (release-aware) and [pci] alias; computes: [pci] alias and
// device_spec (passthrough_whitelist before Zed) for exactly this host's GPU
// functions. Every other line of the file stays as it was. Before anything is
// written, the new files are loaded with nova's own code where nova is
// installed. Registers which units must restart (`restart`).

import { z } from 'zod';
import { novaConfFiles, osRelease, novaVersion, systemdUnits } from '../../facts/index.ts';
import { NOVA_CHECK_SCRIPT, NOVA_PYTHON_PROBE, checksForRole, novaCheckCommand, parseNovaCheck } from '../../nova/check.ts';
import { planNovaConfFiles, planPci, type NovaConfWanted } from '../../nova/pci.ts';
import { detectUnits, servicesToRestart, type NovaChange, type NovaRole, type NovaService, type ServiceRef } from '../../nova/services.ts';
import { releaseFromVersion, type NovaRelease } from '../../nova/release.ts';
import { StepError } from '../../errors.ts';
import { readRemoteFile, writeRemoteFile } from '../../ssh/files.ts';
import { quote } from '../../util/shell.ts';
import type { Change, StepContext, StepKind } from '../types.ts';
import { clusterDevices } from './cluster-devices.ts';
import type { PreflightResult } from './preflight.ts';
import { registered } from './roles.ts';

const args = z
  .object({
    role: z.enum(['controller', 'compute']),
    compute_group: z.string().default('compute'),
    /** the variable pci_discover registered on the computes */
    discovered: z.string().default('gpu'),
    /** check the new files with nova's own parser before writing them (where nova is importable) */
    nova_check: z.boolean().default(true),
  })
  .strict();

type Args = z.infer<typeof args>;

async function hostNova(ctx: StepContext, role: NovaRole): Promise<{ release: NovaRelease; units: Partial<Record<NovaService, ServiceRef>>; files: string[] }> {
  const pre = registered<PreflightResult>(ctx, 'preflight');
  if (pre) return { release: pre.release, units: pre.units, files: pre.nova_conf_files };
  // run without the preflight play (--start-at-step, --tags): read it here
  const os = await ctx.gather(osRelease);
  const v = await ctx.gather(novaVersion);
  const release = v.release ?? (v.version ? releaseFromVersion(v.version) : undefined);
  if (!release) throw new StepError(ctx.hostName, 'nova.conf', 'cannot tell which nova release is installed', 'run the preflight step, or pass -e nova_release=...');
  const family = os.family === 'el' ? 'el' : 'debian';
  const units = detectUnits(await ctx.gather(systemdUnits), family, role);
  const files = (await ctx.gather(novaConfFiles)).files.filter((f) => !f.startsWith('/etc/kolla/'));
  return { release, units, files };
}

/** Load candidate files with nova's code on the host, from temp files that are removed again. */
async function novaCheck(ctx: StepContext, files: Array<{ path: string; content: string }>, role: NovaRole): Promise<string | undefined> {
  const probe = await ctx.gather(NOVA_PYTHON_PROBE);
  if (!probe.importable || !probe.python) return undefined;
  const tag = Math.random().toString(36).slice(2, 10);
  const temps = files.map((f, i) => `/tmp/.passthru-nova-check-${tag}-${i}.conf`);
  try {
    for (const [i, f] of files.entries()) {
      await writeRemoteFile(ctx.host, temps[i] ?? '', f.content, { become: ctx.become, backup: false, mode: 0o600, owner: 'root', signal: ctx.signal });
    }
    const r = await ctx.host.exec(novaCheckCommand(temps, checksForRole(role), probe.python), { stdin: NOVA_CHECK_SCRIPT, become: ctx.become, timeoutMs: 120_000 });
    const res = parseNovaCheck(`${r.stdout}\n${r.stderr}`, r.exitCode);
    return res.ok ? undefined : ctx.secrets.mask(`${res.check ? `${res.check}: ` : ''}${res.error ?? 'rejected'}`);
  } finally {
    await ctx.host.exec(`rm -f ${quote(temps)}`, { become: ctx.become }).catch(() => undefined);
  }
}

export const novaPciStep: StepKind<Args> = {
  kind: 'nova_pci',
  schema: args,
  facts: () => [NOVA_PYTHON_PROBE],
  async plan(ctx, a) {
    const role = a.role;
    const { release, units, files: paths } = await hostNova(ctx, role);
    const cluster = clusterDevices(ctx, a.compute_group, a.discovered);
    if (cluster.hosts.length === 0) {
      return { changes: [], skip: `no compute of '${a.compute_group}' reported its devices (${cluster.missing.join(', ') || 'none in the group'})` };
    }
    const pci = planPci(cluster.hosts, { vendors: cluster.vendors });
    const notes: string[] = [];
    if (cluster.missing.length > 0) notes.push(`aliases derived from ${cluster.hosts.length} computes; not from ${cluster.missing.join(', ')} (failed or not reached)`);
    if (pci.aliases.length === 0) return { changes: [], skip: 'no GPU found on any compute: nothing to configure', notes };
    const mine = pci.hosts[ctx.hostName];
    if (role === 'compute' && (!mine || mine.deviceSpec.length === 0)) {
      return { changes: [], skip: 'no passthrough device on this host', notes };
    }
    const wanted: NovaConfWanted = role === 'controller' ? { aliases: pci.aliases, filters: true } : { aliases: pci.aliases, deviceSpec: mine?.deviceSpec ?? [], filters: false };
    // A compute that did not report (failed, unreachable, --limit) may carry a GPU model
    // only it has: keep the aliases already there instead of taking them for stale.
    if (cluster.missing.length > 0) wanted.isManagedAlias = () => false;
    const files = await Promise.all(
      paths.map(async (p) => ({ path: p, content: (await readRemoteFile(ctx.host, p, { become: ctx.become })).content })),
    );
    for (const f of files) ctx.secrets.addFromText(f.content);
    if (files.length === 0) throw new StepError(ctx.hostName, 'nova.conf', 'no nova configuration file found', 'install and configure nova first');
    const planned = planNovaConfFiles(files, role, release, wanted);
    const changed = [...new Set(planned.flatMap((p) => p.changed))] as NovaChange[];
    const changes: Change[] = [];
    for (const p of planned) {
      notes.push(...p.notes);
      if (p.after !== p.before) {
        changes.push({ description: `${p.path}: ${p.changed.join(', ') || 'tidy'} (nova ${release})`, diff: { path: p.path, before: p.before, after: p.after } });
      }
    }
    const restart = servicesToRestart(changed, role)
      .map((s) => units[s])
      .filter((u): u is ServiceRef => u !== undefined)
      .map((u) => (u.kind === 'systemd' ? u.unit : `${u.engine}:${u.name}`));
    const result = { changed, restart, release, aliases: pci.aliases.map((x) => x.name), device_spec: mine?.deviceSpec ?? [] };
    if (changes.length === 0) return { changes: [], notes, result: { ...result, restart: [] } };

    const candidates = planned.map((p) => ({ path: p.path, content: p.after }));
    if (a.nova_check && ctx.check) {
      const problem = await novaCheck(ctx, candidates, role);
      if (problem) return { changes, notes, result, fail: { message: `nova rejects the planned configuration: ${problem}`, hint: 'nothing was written; report this as a passthru bug with the diff above' } };
      if ((await ctx.gather(NOVA_PYTHON_PROBE)).importable) notes.push("nova's own parser accepts the planned configuration");
    }
    return {
      changes,
      notes,
      result,
      apply: async (cx) => {
        if (a.nova_check) {
          const problem = await novaCheck(cx, candidates, role);
          if (problem) throw new StepError(cx.hostName, 'nova.conf', `nova rejects the new configuration, nothing was written: ${problem}`);
        }
        for (const p of planned) {
          if (p.after === p.before) continue;
          const w = await writeRemoteFile(cx.host, p.path, p.after, { become: cx.become, backup: true, signal: cx.signal });
          if (w.backupPath) cx.backups.push({ path: p.path, backupPath: w.backupPath });
        }
        return { result };
      },
    };
  },
};
