// `pci_preflight`: everything that must hold before passthru touches a host.
// A host that fails here is left exactly as it was; the others go on.

import { z } from 'zod';
import { bootMode, cpu, novaConfFiles, novaVersion, osRelease, systemdUnits } from '../../facts/index.ts';
import { NovaServiceError, detectUnits, type NovaFamily, type NovaService, type ServiceRef } from '../../nova/services.ts';
import { releaseFromVersion, type NovaRelease } from '../../nova/release.ts';
import { kollaNovaConf, releaseFromImage } from '../../nova/kolla.ts';
import type { SystemdUnits } from '../../facts/systemd-units.ts';
import { stepOutput } from '../contract.ts';
import type { StepKind } from '../types.ts';
import { rolesOf } from './roles.ts';

const args = z
  .object({
    controller_group: z.string().default('controller'),
    compute_group: z.string().default('compute'),
    /** skip detection when the host's nova version cannot be read (e.g. "zed", "2023.2") */
    nova_release: z.string().optional(),
  })
  .strict();

const service = z.enum(['api', 'scheduler', 'compute']);
const serviceRef = z.union([
  z.object({ kind: z.literal('systemd'), unit: z.string(), service }),
  z.object({ kind: z.literal('container'), engine: z.enum(['docker', 'podman']), name: z.string(), service }),
]);

/** What `pci_preflight` registers (nova_pci and nova_units_active read it). */
export const preflightOutput = stepOutput(
  'pci_preflight',
  z.object({
    roles: z.array(z.string()),
    os: z.string(),
    family: z.enum(['debian', 'el']),
    major: z.number().optional(),
    boot_mode: z.enum(['bios', 'uefi']),
    cpu_vendor: z.enum(['intel', 'amd']),
    virt_flag: z.string().optional(),
    nova_family: z.enum(['el', 'debian', 'kolla']),
    release: z.custom<NovaRelease>((v) => typeof v === 'string' && v !== '', 'a nova release name'),
    nova_version: z.string().optional(),
    units: z.object({ api: serviceRef.optional(), scheduler: serviceRef.optional(), compute: serviceRef.optional() }),
    nova_conf_files: z.array(z.string()),
  }),
);
export type PreflightResult = z.infer<typeof preflightOutput.schema>;

/** The images of the host's nova containers. */
function kollaImages(units: SystemdUnits, found: Partial<Record<NovaService, ServiceRef>>): string[] {
  const names = Object.values(found).flatMap((u) => (u?.kind === 'container' ? [u.name] : []));
  return units.containers.filter((c) => names.includes(c.name) && c.image).map((c) => c.image!);
}

/** The configuration file of each of the host's nova containers, where it exists. */
function kollaFiles(found: Partial<Record<NovaService, ServiceRef>>, present: readonly string[]): string[] {
  return Object.values(found).flatMap((u) => (u?.kind === 'container' && present.includes(kollaNovaConf(u.name)) ? [kollaNovaConf(u.name)] : []));
}

const FIRMWARE_VT = {
  intel: { flag: 'vmx', setting: 'Intel Virtualization Technology (VT-x)' },
  amd: { flag: 'svm', setting: 'SVM Mode (AMD-V)' },
} as const;

export const preflightStep: StepKind<z.infer<typeof args>> = {
  kind: 'pci_preflight',
  schema: args,
  output: preflightOutput,
  repeatable: true,
  facts: () => [osRelease, bootMode, cpu, systemdUnits, novaConfFiles, novaVersion],
  async plan(ctx, a) {
    const roles = rolesOf(ctx, { controller: a.controller_group, compute: a.compute_group });
    const os = await ctx.gather(osRelease);
    const c = await ctx.gather(cpu);
    const fail = (message: string, hint?: string) => ({ changes: [], fail: { message, hint } });
    if (roles.length === 0) return fail(`host is in neither '${a.controller_group}' nor '${a.compute_group}'`, 'put it in one of the groups, or leave it out of the run');
    if (os.family !== 'debian' && os.family !== 'el') {
      return fail(`unsupported distribution ${os.prettyName || os.id}`, 'passthru supports Debian/Ubuntu and RHEL/CentOS/Rocky/Alma (EL 7-9)');
    }
    if (roles.includes('compute')) {
      if (c.vendor !== 'intel' && c.vendor !== 'amd') return fail(`unknown CPU vendor '${c.vendorId}'`, 'GPU passthrough needs an Intel (VT-d) or AMD (AMD-Vi) host');
      if (!c.virtualization) {
        const vt = FIRMWARE_VT[c.vendor];
        return fail(
          `CPU flag '${vt.flag}' is missing from /proc/cpuinfo: hardware virtualisation is off, this host cannot run KVM guests; nothing was changed on it`,
          `enable '${vt.setting}' in the firmware (BIOS/UEFI) setup, boot, and run passthru again`,
        );
      }
    }
    const files = await ctx.gather(novaConfFiles);
    if (files.files.length === 0) {
      return fail('no /etc/nova/nova.conf on this host', `install and configure nova for its role (${roles.join(', ')}) first`);
    }
    const units = await ctx.gather(systemdUnits);
    const novaFamily: NovaFamily = files.kolla.length > 0 && !files.novaConf ? 'kolla' : os.family;
    let found: Partial<Record<NovaService, ServiceRef>>;
    try {
      found = detectUnits(units, novaFamily, roles);
    } catch (e) {
      if (e instanceof NovaServiceError) return fail(e.message, 'passthru restarts only units it can identify; check the nova services on this host');
      throw e;
    }
    if (novaFamily === 'kolla') {
      const missing = Object.values(found).flatMap((u) => (u?.kind === 'container' && !files.kolla.includes(kollaNovaConf(u.name)) ? [`${kollaNovaConf(u.name)} (container ${u.name})`] : []));
      if (missing.length > 0) return fail(`no kolla configuration ${missing.join(', ')}`, 'deploy nova with kolla-ansible on this host first (kolla-ansible deploy)');
    }
    const version = await ctx.gather(novaVersion);
    let release: NovaRelease | undefined = version.release;
    // kolla: nova is only in the containers; their image tag names the release
    const images = novaFamily === 'kolla' ? kollaImages(units, found) : [];
    if (novaFamily === 'kolla') release = images.map((i) => releaseFromImage(i)).find((r) => r !== undefined);
    if (a.nova_release) release = a.nova_release as NovaRelease;
    if (!release && version.version) {
      try {
        release = releaseFromVersion(version.version);
      } catch {
        release = undefined;
      }
    }
    if (!release) {
      const what = novaFamily === 'kolla' ? `no release in the nova image tags (${images.join(', ') || 'no image'})` : 'no nova package metadata found';
      return fail(`cannot tell which nova release is installed (${what})`, 'pass it with -e nova_release=zed (or 2023.1, 2024.1, ...)');
    }
    const boot = await ctx.gather(bootMode);
    const result: PreflightResult = {
      roles,
      os: os.prettyName || `${os.id} ${os.versionId}`,
      family: os.family,
      major: os.major,
      boot_mode: boot,
      cpu_vendor: c.vendor === 'amd' ? 'amd' : 'intel',
      virt_flag: c.virtFlag,
      nova_family: novaFamily,
      release,
      nova_version: version.version,
      units: found,
      nova_conf_files: novaFamily === 'kolla' ? kollaFiles(found, files.kolla) : files.files.filter((f) => !f.startsWith('/etc/kolla/')),
    };
    return {
      changes: [],
      result,
      notes: [`${result.os}, ${boot.toUpperCase()}, ${c.model || c.vendor}, nova ${release}${novaFamily === 'kolla' ? ` (kolla: ${Object.values(found).map((u) => (u?.kind === 'container' ? `${u.engine}:${u.name}` : '')).join(', ')})` : version.version ? ` (${version.version})` : ''}, ${roles.join('+')}`],
    };
  },
};
