// `nova_pci`: nova.conf per role. Controllers: [filter_scheduler]
// enabled_filters (release-aware) and [pci] alias; computes: [pci] alias and
// device_spec (passthrough_whitelist before Zed) for exactly this host's GPU
// functions; a host in both groups gets both in one edit. Every other line
// of the file stays as it was. Before anything is written, the new files are
// loaded with nova's own code where nova is installed (nova-check.ts).
// Registers which units must restart (`restart`).

import { stepOutput } from '../contract.ts';
import { z } from 'zod';
import { novaConfFiles, novaConfText, osRelease, novaVersion, systemdUnits } from '../../facts/index.ts';
import { NOVA_PYTHON_PROBE, checksForRole, type NovaCheck, type NovaPython } from '../../nova/check.ts';
import { deviceSpecNames, planNovaConf, planNovaConfFiles, type NovaConfWanted } from '../../nova/pci.ts';
import { KOLLA_CUSTOM_CONFIG, KOLLA_SERVICE_OPTIONS, describeOverrides, kollaNovaConf, kollaOverrides, mergeOverrides } from '../../nova/kolla.ts';
import { detectUnits, servicesToRestart, type NovaChange, type NovaRole, type NovaService, type ServiceRef } from '../../nova/services.ts';
import { releaseFromVersion, type NovaRelease } from '../../nova/release.ts';
import { novaValues, type NovaValues } from '../../nova/values.ts';
import { StepError } from '../../errors.ts';
import { readRemoteFile, writeRemoteFile } from '../../ssh/files.ts';
import type { Change, StepContext, StepKind, StepPlan } from '../types.ts';
import { clusterPlan } from './cluster-devices.ts';
import { containerNovaPython, novaCheck, prepareNovaCheck, type NovaCandidate, type NovaContainer } from './nova-check.ts';
import { discoveryOutput } from './discover.ts';
import { preflightOutput } from './preflight.ts';
import { rolesOf } from './roles.ts';

const args = z
  .object({
    /** the host's nova role; `auto`: from the groups it is in (both: one edit for both) */
    role: z.enum(['controller', 'compute', 'auto']).default('auto'),
    controller_group: z.string().default('controller'),
    compute_group: z.string().default('compute'),
    /** the variable pci_discover registered on the computes */
    discovered: z.string().default('gpu'),
    /** check the new files with nova's own parser before writing them (where nova is importable) */
    nova_check: z.boolean().default(true),
    /** kolla hosts: the inventory group of the kolla-ansible deploy host (its /etc/kolla/config overrides, kolla_config step) */
    kolla_deploy_group: z.string().default('kolla_deploy'),
  })
  .strict();

type Args = z.infer<typeof args>;


function hostRoles(ctx: StepContext, a: Args): NovaRole[] {
  if (a.role !== 'auto') return [a.role];
  const pre = ctx.input(preflightOutput);
  const roles = pre?.roles.filter((r): r is NovaRole => r === 'controller' || r === 'compute');
  return roles && roles.length > 0 ? roles : rolesOf(ctx, { controller: a.controller_group, compute: a.compute_group });
}

async function hostNova(ctx: StepContext, roles: NovaRole[]): Promise<{ release: NovaRelease; units: Partial<Record<NovaService, ServiceRef | undefined>>; files: string[]; kolla: boolean }> {
  const pre = ctx.input(preflightOutput);
  if (pre) return { release: pre.release, units: pre.units, files: pre.nova_conf_files, kolla: pre.nova_family === 'kolla' };
  // run without the preflight play (--start-at-step, --tags): read it here
  const os = await ctx.gather(osRelease);
  const v = await ctx.gather(novaVersion);
  const release = v.release ?? (v.version ? releaseFromVersion(v.version) : undefined);
  if (!release) throw new StepError(ctx.hostName, 'nova.conf', 'cannot tell which nova release is installed', 'run the preflight step, or pass -e nova_release=...');
  const family = os.family === 'el' ? 'el' : 'debian';
  const found = await ctx.gather(novaConfFiles);
  if (found.kolla.length > 0 && !found.novaConf) throw new StepError(ctx.hostName, 'nova.conf', 'a kolla host: its nova release and containers come from the preflight step', 'run the preflight step (it is tagged `always`)');
  const units = detectUnits(await ctx.gather(systemdUnits), family, roles);
  const files = found.files.filter((f) => !f.startsWith('/etc/kolla/'));
  return { release, units, files, kolla: false };
}

/** The texts of the config files, from the facts (one round trip for the whole run) or read now. */
async function readConfigs(ctx: StepContext, paths: string[]): Promise<Array<{ path: string; content: string }>> {
  const known = await ctx.gather(novaConfText).catch(() => undefined);
  return Promise.all(
    paths.map(async (p) => ({ path: p, content: known?.files[p] ?? (await readRemoteFile(ctx.host, p, { become: ctx.become })).content })),
  );
}

type PlannedFile = ReturnType<typeof planNovaConfFiles>[number];

/** Files one nova service reads (a package host's files, or one kolla container's), checked together. */
interface CheckGroup {
  files: PlannedFile[];
  checks: NovaCheck[];
  /** the option values nova will read from the new files */
  values: NovaValues;
  container?: NovaContainer | undefined;
}

interface Candidate {
  roles: NovaRole[];
  release: NovaRelease;
  planned: PlannedFile[];
  groups: CheckGroup[];
  changes: Change[];
  notes: string[];
  result: Record<string, unknown>;
}

function toCheck(g: CheckGroup): NovaCandidate {
  return { files: g.files.map((p) => ({ path: p.path, text: p.after })), checks: g.checks, values: g.values, container: g.container };
}

/** The python nova's checks of a group run with: the host's, or (kolla) the container's. */
async function pythonFor(ctx: StepContext, g: CheckGroup): Promise<NovaPython> {
  if (!g.container) return ctx.gather(NOVA_PYTHON_PROBE);
  const key = `${ctx.hostName}\0${g.container.engine}\0${g.container.name}`;
  const cache = ctx.services.containerNovaPython;
  let p = cache.get(key);
  if (!p) {
    p = containerNovaPython(ctx, g.container);
    cache.set(key, p);
    // a container that was down is asked again next time
    p.then((r) => !r.importable && cache.delete(key), () => cache.delete(key));
  }
  return p;
}

/** The first refusal of nova's code among the groups, whether any could be checked, and the containers that could not be asked. */
async function checkGroups(ctx: StepContext, groups: readonly CheckGroup[]): Promise<{ problem?: string; checked: boolean; unchecked: string[] }> {
  let checked = false;
  const unchecked: string[] = [];
  for (const g of groups) {
    const python = await pythonFor(ctx, g);
    if (g.container && !python.importable) unchecked.push(`${g.container.engine}:${g.container.name} (${python.error ?? 'no nova found in it'})`);
    const r = await novaCheck(ctx, toCheck(g), python);
    checked ||= r.checked;
    if (r.problem) return { problem: g.container ? `${g.container.name}: ${r.problem}` : r.problem, checked, unchecked };
  }
  return { checked, unchecked };
}

/** What a candidate was computed from: the same inputs give the same candidate. */
interface CandidateInputs {
  roles: string;
  nova: Awaited<ReturnType<typeof hostNova>>;
  cluster: ReturnType<typeof clusterPlan>;
  files: Array<{ path: string; content: string }>;
}

function sameInputs(x: CandidateInputs, y: CandidateInputs): boolean {
  return (
    x.roles === y.roles &&
    x.cluster === y.cluster &&
    x.nova.release === y.nova.release &&
    JSON.stringify(x.nova.units) === JSON.stringify(y.nova.units) &&
    x.files.length === y.files.length &&
    x.files.every((f, i) => f.path === y.files[i]?.path && f.content === y.files[i]?.content)
  );
}

/**
 * The candidate of one host's step, by its arguments (the engine renders and
 * validates them once per host and step: prepare and plan get the same
 * object): made once, and again only when what it is made from changed in
 * between (an earlier step edited nova.conf, a compute registered other devices).
 */
const candidates = new WeakMap<Args, { inputs: CandidateInputs; value: Candidate | StepPlan }>();

/** What this host's nova config files should become; a StepPlan when there is nothing to write. */
async function candidate(ctx: StepContext, a: Args): Promise<Candidate | StepPlan> {
  const roles = hostRoles(ctx, a);
  if (roles.length === 0) return { changes: [], skip: `host is in neither '${a.controller_group}' nor '${a.compute_group}'` };
  const nova = await hostNova(ctx, roles);
  const planned = clusterPlan(ctx, a.compute_group, a.discovered);
  const { cluster } = planned;
  if (cluster.hosts.length === 0) {
    return { changes: [], skip: `no compute of '${a.compute_group}' reported its devices (${cluster.missing.join(', ') || 'none in the group'})` };
  }
  const files = await readConfigs(ctx, nova.files);
  const inputs: CandidateInputs = { roles: roles.join(','), nova, cluster: planned, files };
  const known = candidates.get(a);
  if (known && sameInputs(known.inputs, inputs)) return known.value;
  const value = makeCandidate(ctx, a, inputs, roles);
  candidates.set(a, { inputs, value });
  return value;
}

function makeCandidate(ctx: StepContext, a: Args, inputs: CandidateInputs, roles: NovaRole[]): Candidate | StepPlan {
  const { release, units } = inputs.nova;
  const { cluster, plan: pci } = inputs.cluster;
  const files = inputs.files;
  const notes: string[] = [];
  if (cluster.missing.length > 0) notes.push(`aliases derived from ${cluster.hosts.length} computes; not from ${cluster.missing.join(', ')} (failed or not reached)`);
  if (pci.aliases.length === 0) return { changes: [], skip: 'no GPU found on any compute: nothing to configure', notes };
  const mine = pci.hosts[ctx.hostName];
  const compute = roles.includes('compute');
  if (compute && !roles.includes('controller') && (!mine || mine.deviceSpec.length === 0)) {
    return { changes: [], skip: 'no passthrough device on this host', notes };
  }
  const wanted: NovaConfWanted = {
    aliases: pci.aliases,
    filters: roles.includes('controller'),
    deviceSpec: compute && mine && mine.deviceSpec.length > 0 ? mine.deviceSpec : undefined,
  };
  // A compute that did not report (failed, unreachable, --limit) may carry a GPU model
  // only it has: keep the aliases already there instead of taking them for stale.
  if (cluster.missing.length > 0) wanted.isManagedAlias = () => false;
  for (const f of files) ctx.secrets.addFromText(f.content);
  if (files.length === 0) throw new StepError(ctx.hostName, 'nova.conf', 'no nova configuration file found', 'install and configure nova first');
  const groups = inputs.nova.kolla ? kollaGroups(ctx, inputs, wanted) : packageGroups(files, roles, release, wanted);
  const planned = groups.flatMap((g) => g.files);
  const changes: Change[] = [];
  for (const p of planned) {
    notes.push(...p.notes);
    if (p.after !== p.before) {
      changes.push({ description: `${p.path}: ${p.changed.join(', ') || 'tidy'} (nova ${release})`, diff: { path: p.path, before: p.before, after: p.after } });
    }
  }
  let restart: string[];
  const result: Record<string, unknown> = { release, roles, aliases: pci.aliases.map((x) => x.name), device_spec: mine?.deviceSpec ?? [] };
  if (inputs.nova.kolla) {
    // exactly the containers whose own file changes
    restart = groups.filter((g) => g.container && g.files.some((f) => f.after !== f.before)).map((g) => `${g.container!.engine}:${g.container!.name}`);
    const overrides = groups.flatMap((g) => (g.container ? kollaOverrides(serviceOf(units, g.container.name), kollaHostName(ctx), g.files[0]!.after, deviceSpecNames(release).target) : []));
    result.kolla_overrides = overrides;
    if ((ctx.groups[a.kolla_deploy_group] ?? []).length === 0) {
      notes.push(
        `kolla-ansible reconfigure rewrites ${groups.map((g) => g.files[0]!.path).join(', ')} from the deploy host's ${KOLLA_CUSTOM_CONFIG}; ` +
          `no host of the inventory is in '${a.kolla_deploy_group}', so add these overrides there yourself:\n${describeOverrides(mergeOverrides([{ host: ctx.hostName, overrides }]).files)}`,
      );
    }
  } else {
    const changed = [...new Set(planned.flatMap((p) => p.changed))] as NovaChange[];
    restart = servicesToRestart(changed, roles)
      .map((s) => units[s])
      .filter((u): u is ServiceRef => u !== undefined)
      .map((u) => (u.kind === 'systemd' ? u.unit : `${u.engine}:${u.name}`));
  }
  result.changed = [...new Set(planned.flatMap((p) => p.changed))];
  result.restart = restart;
  if (changes.length === 0) return { changes: [], notes, result: { ...result, restart: [] } };
  return { roles, release, planned, groups, changes, notes, result };
}

function packageGroups(files: CandidateInputs['files'], roles: NovaRole[], release: NovaRelease, wanted: NovaConfWanted): CheckGroup[] {
  const planned = planNovaConfFiles(files, roles, release, wanted);
  const checks = checksForRole(roles);
  return [{ files: planned, checks, values: novaValues(planned.map((p) => p.after), release, checks) }];
}

function serviceOf(units: CandidateInputs['nova']['units'], container: string): NovaService {
  return (Object.values(units).find((u) => u?.kind === 'container' && u.name === container)?.service ?? 'compute') as NovaService;
}

/** The host's name in kolla-ansible's inventory (its per-host override directory): host var kolla_hostname, else its name here. */
function kollaHostName(ctx: StepContext): string {
  const v = ctx.vars['kolla_hostname'];
  return typeof v === 'string' && v !== '' ? v : ctx.hostName;
}

/**
 * kolla: each container reads its own file (/etc/kolla/<service>/nova.conf),
 * given what its service uses: nova_api the aliases, nova_scheduler the
 * filters, nova_compute the aliases and this host's device spec.
 */
function kollaGroups(ctx: StepContext, inputs: CandidateInputs, wanted: NovaConfWanted): CheckGroup[] {
  const { release, units } = inputs.nova;
  const groups: CheckGroup[] = [];
  for (const ref of Object.values(units)) {
    if (!ref || ref.kind !== 'container') continue;
    const path = kollaNovaConf(ref.name);
    const f = inputs.files.find((x) => x.path === path);
    if (!f) throw new StepError(ctx.hostName, 'nova.conf', `no ${path} for container ${ref.name}`, 'deploy nova with kolla-ansible on this host first');
    const opts = KOLLA_SERVICE_OPTIONS[ref.service];
    const w: NovaConfWanted = { ...wanted, alias: opts.alias, filters: opts.filters, deviceSpec: opts.deviceSpec ? wanted.deviceSpec : undefined };
    const p = planNovaConf(f.content, ref.service === 'compute' ? 'compute' : 'controller', release, w);
    const checks: NovaCheck[] = [...(opts.alias ? (['alias'] as const) : []), ...(opts.deviceSpec && w.deviceSpec ? (['device_spec'] as const) : []), ...(opts.filters ? (['filters'] as const) : [])];
    groups.push({
      files: [{ path, before: f.content, after: p.text, changed: p.changed, notes: p.notes }],
      checks,
      values: novaValues([p.text], release, checks),
      container: { engine: ref.engine, name: ref.name },
    });
  }
  return groups;
}

/** What nova_pci registers (nova_restart reads it): the units whose options this run changes. */
export const novaPciOutput = stepOutput('nova_pci', z.object({ restart: z.array(z.string()) }).passthrough());

export const novaPciStep: StepKind<Args> = {
  kind: 'nova_pci',
  schema: args,
  reads: [preflightOutput, discoveryOutput],
  facts: () => [NOVA_PYTHON_PROBE, novaConfText],
  async prepare(ctx, a) {
    // announce this host's checks: the first host that runs a batch of nova checks
    // (often one that is not about to reboot) checks them too, ahead of this host's turn
    if (!a.nova_check) return;
    const c = await candidate(ctx, a);
    if (!('planned' in c)) return;
    for (const g of c.groups) void pythonFor(ctx, g).then((p) => prepareNovaCheck(ctx, toCheck(g), p), () => undefined);
  },
  async plan(ctx, a) {
    const c = await candidate(ctx, a);
    if (!('planned' in c)) return c;
    const { changes, result, planned } = c;
    const notes = [...c.notes];
    if (a.nova_check && ctx.check) {
      const { problem, checked, unchecked } = await checkGroups(ctx, c.groups);
      if (unchecked.length > 0) notes.push(`nova's code could not be asked in ${unchecked.join(', ')}: not checked there`);
      if (problem) return { changes, notes, result, fail: { message: `nova rejects the planned configuration: ${problem}`, hint: 'nothing was written; report this as a passthru bug with the diff above' } };
      if (checked) notes.push("nova's own parser accepts the planned configuration");
    }
    return {
      changes,
      notes,
      result,
      apply: async (cx) => {
        if (a.nova_check) {
          const { problem } = await checkGroups(cx, c.groups);
          if (problem) throw new StepError(cx.hostName, 'nova.conf', `nova rejects the new configuration, nothing was written: ${problem}`);
        }
        // the last write reads back what the next steps read (the restart: unit start times), in its round trip
        const writes = planned.filter((p) => p.after !== p.before);
        const back = cx.readBack?.([]);
        let factsCurrent = false;
        for (const [i, p] of writes.entries()) {
          const then = i === writes.length - 1 ? back?.script : undefined;
          const w = await writeRemoteFile(cx.host, p.path, p.after, { become: cx.become, backup: true, signal: cx.signal, ...(then !== undefined ? { then } : {}) });
          if (w.backupPath) cx.backups.push({ path: p.path, backupPath: w.backupPath });
          if (back && w.then?.exitCode === 0) {
            back.accept(w.then.stdout);
            factsCurrent = true;
          }
        }
        return { result, factsCurrent };
      },
    };
  },
};
