// kolla-ansible: where each nova container's configuration lives, which
// release an image is, what `docker inspect` says about a container, and the
// deploy host's override files that keep passthru's settings through the
// next `kolla-ansible reconfigure`. Pure functions; the steps run them.
//
// Sources (kolla-ansible, ansible/roles/nova and nova-cell):
//  - the config of container nova_<svc> is rendered to
//    {{ node_config_directory }}/nova-<svc>/nova.conf (/etc/kolla/nova-<svc>/),
//    bind-mounted read-only at /var/lib/kolla/config_files/ and copied to
//    /etc/nova/nova.conf by kolla_start when the container starts: an edit
//    takes effect at the container's next (re)start, never before;
//  - templates/nova.conf.j2 is merged (merge_configs, later sources win,
//    a key given in a later source replaces every value of it) with
//    {{ node_custom_config }}/global.conf, /nova.conf, /nova/<svc>.conf and
//    /nova/{{ inventory_hostname }}/nova.conf, node_custom_config being
//    /etc/kolla/config on the deploy host;
//  - images are tagged {{ openstack_release }}-{{ base distro }}-{{ version }}
//    (2023.2-ubuntu-jammy), the release alone before 2023.1 (zed, yoga).

import { editOslo, getValues, type IniOp } from '../inifile/oslo.ts';
import type { NovaRelease } from './release.ts';
import type { NovaService } from './services.ts';

/** the host directory kolla renders a container's configuration into */
export function kollaConfigDir(container: string): string {
  return `/etc/kolla/${container.replace(/_/g, '-')}`;
}

/** /etc/kolla/nova-compute/nova.conf for nova_compute */
export function kollaNovaConf(container: string): string {
  return `${kollaConfigDir(container)}/nova.conf`;
}

/** kolla's service name of a container (nova_compute -> nova-compute) */
export function kollaServiceName(container: string): string {
  return container.replace(/_/g, '-');
}

const NAMED = new Set(['train', 'ussuri', 'victoria', 'wallaby', 'xena', 'yoga', 'zed']);

/**
 * The release of a kolla image: `quay.io/openstack.kolla/nova-compute:2023.2-ubuntu-jammy`
 * -> 2023.2, `kolla/centos-source-nova-compute:zed` -> zed. undefined for a
 * tag that does not start with a release (a site's own tag, a digest).
 */
export function releaseFromImage(image: string | undefined): NovaRelease | undefined {
  if (!image) return undefined;
  const at = image.indexOf('@');
  const ref = at >= 0 ? image.slice(0, at) : image;
  const colon = ref.lastIndexOf(':');
  if (colon < 0 || ref.indexOf('/', colon) >= 0) return undefined;
  const tag = ref.slice(colon + 1).toLowerCase();
  const m = /^(\d{4}\.[12]|[a-z]+)(?:$|-)/.exec(tag);
  if (!m) return undefined;
  const r = m[1]!;
  if (/^\d{4}\.[12]$/.test(r)) return r as NovaRelease;
  return NAMED.has(r) ? (r as NovaRelease) : undefined;
}

/** What `docker inspect NAME` (or podman's) says of a container's state. */
export interface ContainerState {
  status: string;
  running: boolean;
  restarting: boolean;
  exitCode: number;
  startedAt?: string | undefined;
  /** healthcheck status (starting, healthy, unhealthy); undefined without a healthcheck */
  health?: string | undefined;
  restartCount: number;
  image?: string | undefined;
}

/** Parse `docker inspect NAME` (a JSON array of one object). */
export function parseInspect(text: string): ContainerState | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  const o = (Array.isArray(v) ? v[0] : v) as Record<string, unknown> | undefined;
  if (!o || typeof o !== 'object') return undefined;
  const st = (o.State ?? {}) as Record<string, unknown>;
  const health = (st.Health ?? st.Healthcheck) as Record<string, unknown> | undefined;
  const cfg = (o.Config ?? {}) as Record<string, unknown>;
  const status = typeof st.Status === 'string' ? st.Status : st.Running === true ? 'running' : 'exited';
  return {
    status,
    running: st.Running === true,
    restarting: st.Restarting === true || status === 'restarting',
    exitCode: typeof st.ExitCode === 'number' ? st.ExitCode : 0,
    startedAt: typeof st.StartedAt === 'string' ? st.StartedAt : undefined,
    health: health && typeof health.Status === 'string' && health.Status !== '' ? health.Status : undefined,
    restartCount: typeof o.RestartCount === 'number' ? o.RestartCount : 0,
    image: typeof cfg.Image === 'string' ? cfg.Image : typeof o.ImageName === 'string' ? o.ImageName : undefined,
  };
}

export type ContainerVerdict = { done: 'up' } | { done: 'down'; why: string } | { done: false; why: string };

/**
 * Whether a container restarted at `restartedAfterCount` restarts is up: running,
 * not in its restart loop, healthy where it has a healthcheck. A container that
 * exited, or that docker is restarting (its process died: nova refused its
 * configuration), is down; one still starting is waited for.
 */
export function containerVerdict(s: ContainerState | undefined): ContainerVerdict {
  if (!s) return { done: 'down', why: 'no such container' };
  if (s.restarting) return { done: 'down', why: `restarting (exit code ${s.exitCode}, restart count ${s.restartCount})` };
  if (!s.running || s.status !== 'running') return { done: 'down', why: `${s.status} (exit code ${s.exitCode})` };
  if (s.health === 'unhealthy') return { done: 'down', why: 'unhealthy' };
  if (s.health === 'starting') return { done: false, why: 'health: starting' };
  return { done: 'up' };
}

/** RFC 3339 with nanoseconds (docker's StartedAt) -> microseconds since the epoch. */
export function parseDockerTime(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(text.trim());
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(ms) || ms <= 0) return undefined;
  return ms * 1000 + (m[2] ? Number(m[2].padEnd(9, '0').slice(0, 6)) : 0);
}

/** Which options each service's configuration gets on a kolla host (DOMAIN: who needs what). */
export const KOLLA_SERVICE_OPTIONS: Readonly<Record<NovaService, { alias: boolean; filters: boolean; deviceSpec: boolean }>> = {
  api: { alias: true, filters: false, deviceSpec: false },
  scheduler: { alias: false, filters: true, deviceSpec: false },
  compute: { alias: true, filters: false, deviceSpec: true },
};

/** One option a kolla host's configuration carries, and where the deploy host keeps it. */
export interface KollaOverride {
  /** relative to /etc/kolla/config: nova/nova-api.conf, nova/<host>/nova.conf */
  file: string;
  section: string;
  key: string;
  values: string[];
}

export const KOLLA_CUSTOM_CONFIG = '/etc/kolla/config';

/**
 * The deploy host's overrides for what passthru set in one container's
 * configuration: the aliases and filters are the same on every host of a
 * service (nova/<service>.conf), a compute's device spec is its own
 * (nova/<inventory_hostname>/nova.conf).
 */
export function kollaOverrides(
  service: NovaService,
  kollaHost: string,
  text: string,
  deviceSpecKey: { section: string; key: string },
): KollaOverride[] {
  const opts = KOLLA_SERVICE_OPTIONS[service];
  const svcFile = `nova/nova-${service}.conf`;
  const out: KollaOverride[] = [];
  if (opts.alias) out.push({ file: svcFile, section: 'pci', key: 'alias', values: getValues(text, 'pci', 'alias') });
  if (opts.filters) {
    const v = getValues(text, 'filter_scheduler', 'enabled_filters');
    if (v.length > 0) out.push({ file: svcFile, section: 'filter_scheduler', key: 'enabled_filters', values: [v[v.length - 1]!] });
  }
  if (opts.deviceSpec) out.push({ file: `nova/${kollaHost}/nova.conf`, section: deviceSpecKey.section, key: deviceSpecKey.key, values: getValues(text, deviceSpecKey.section, deviceSpecKey.key) });
  return out;
}

/** Every override of the same file, section and key from several hosts: the first host's values, and the hosts that disagree. */
export function mergeOverrides(all: ReadonlyArray<{ host: string; overrides: readonly KollaOverride[] }>): { files: Map<string, KollaOverride[]>; conflicts: string[] } {
  const files = new Map<string, KollaOverride[]>();
  const from = new Map<string, string>();
  const conflicts: string[] = [];
  for (const { host, overrides } of all) {
    for (const o of overrides) {
      const list = files.get(o.file) ?? [];
      const known = list.find((x) => x.section === o.section && x.key === o.key);
      const id = `${o.file} [${o.section}] ${o.key}`;
      if (!known) {
        list.push({ ...o, values: [...o.values] });
        from.set(id, host);
      } else if (JSON.stringify(known.values) !== JSON.stringify(o.values)) {
        conflicts.push(`${id}: ${host} has other values than ${from.get(id)} (kept ${from.get(id)}'s)`);
      }
      files.set(o.file, list);
    }
  }
  return { files, conflicts };
}

/** An override file's text with these options set (every other line kept). */
export function applyOverrides(text: string, overrides: readonly KollaOverride[]): string {
  const ops: IniOp[] = overrides.map((o) => (o.values.length === 1 && o.key === 'enabled_filters' ? { op: 'set', section: o.section, key: o.key, value: o.values[0]! } : { op: 'set_multi', section: o.section, key: o.key, values: o.values }));
  return editOslo(text, ops);
}

/** The override files as an operator would add them by hand (the run's notes, when the inventory names no deploy host). */
export function describeOverrides(files: ReadonlyMap<string, readonly KollaOverride[]>): string {
  const out: string[] = [];
  for (const [file, list] of files) {
    out.push(`${KOLLA_CUSTOM_CONFIG}/${file}:`);
    const sections = [...new Set(list.map((o) => o.section))];
    for (const s of sections) {
      out.push(`  [${s}]`);
      for (const o of list.filter((x) => x.section === s)) for (const v of o.values) out.push(`  ${o.key} = ${v}`);
    }
  }
  return out.join('\n');
}
