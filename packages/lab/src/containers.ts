// kolla-ansible's nova containers on a lab host (spec.kolla): which ones a
// role runs, the image each runs, and what a start does. As kolla does, the
// host's /etc/kolla/<service>/ is the container's /var/lib/kolla/config_files/,
// and kolla_start copies nova.conf from there to the container's own
// /etc/nova/nova.conf when the container starts: the configuration the
// container runs on (CONTAINER_STATE_DIR/<name>/etc-nova/nova.conf here)
// changes only at a (re)start. A start whose configuration nova refuses
// leaves the container in docker's restart loop (restart policy
// unless-stopped), with nova's traceback in `docker logs`.
//
// Runtime state lives under /run (rebuilt at every boot, where docker
// starts the containers again).

import type { HostSpec, LabFs } from './types.ts';
import { distroInfo, type NovaService } from './distro.ts';
import { failureJournalLines } from './novalog.ts';
import type { NovaCheckFailure } from './novacheck.ts';

export const CONTAINER_STATE_DIR = '/run/lab/containers';

export interface LabContainer {
  name: string;
  /** the nova service it runs (nova_libvirt runs none) */
  service?: NovaService | undefined;
  image: string;
}

export interface ContainerState {
  status: 'running' | 'restarting' | 'exited' | 'created';
  startedAt: string;
  finishedAt: string;
  exitCode: number;
  restartCount: number;
  pid: number;
}

/** How long a started container's healthcheck says `starting` before `healthy`. */
export const HEALTHY_AFTER_MS = 1200;

/** nova_api -> /etc/kolla/nova-api */
export function kollaDir(name: string): string {
  return `/etc/kolla/${name.replace(/_/g, '-')}`;
}

/** The configuration the container runs on (its /etc/nova, as kolla_start copied it). */
export function containerEtcNova(name: string): string {
  return `${CONTAINER_STATE_DIR}/${name}/etc-nova`;
}

export function kollaContainers(spec: HostSpec): LabContainer[] {
  if (!spec.kolla || !spec.nova) return [];
  const d = distroInfo(spec.distro);
  const base = d.family === 'el' ? `rocky-${spec.distro === 'rocky-8' ? '8' : '9'}` : spec.distro === 'debian-12' ? 'debian-bookworm' : 'ubuntu-jammy';
  const image = (svc: string): string => `quay.io/openstack.kolla/${svc}:${spec.nova!.release}-${base}`;
  const out: LabContainer[] = [];
  if (spec.roles.includes('controller')) {
    out.push({ name: 'nova_api', service: 'api', image: image('nova-api') });
    out.push({ name: 'nova_scheduler', service: 'scheduler', image: image('nova-scheduler') });
    out.push({ name: 'nova_conductor', service: 'conductor', image: image('nova-conductor') });
  }
  if (spec.roles.includes('compute')) {
    out.push({ name: 'nova_libvirt', image: image('nova-libvirt') });
    out.push({ name: 'nova_compute', service: 'compute', image: image('nova-compute') });
  }
  return out;
}

export function findContainer(spec: HostSpec, name: string): LabContainer | undefined {
  return kollaContainers(spec).find((c) => c.name === name);
}

/** The container that runs a nova service on a kolla host. */
export function containerOf(spec: HostSpec, service: NovaService): LabContainer | undefined {
  return kollaContainers(spec).find((c) => c.service === service);
}

export function readContainer(fs: LabFs, name: string): ContainerState | undefined {
  const text = fs.readFile(`${CONTAINER_STATE_DIR}/${name}/state.json`);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as ContainerState;
  } catch {
    return undefined;
  }
}

export function writeContainer(fs: LabFs, name: string, s: ContainerState): void {
  fs.writeFile(`${CONTAINER_STATE_DIR}/${name}/state.json`, `${JSON.stringify(s)}\n`);
}

/** docker's RFC 3339 time with nanoseconds */
export function dockerTime(d: Date): string {
  return d.toISOString().replace(/Z$/, '000000Z');
}

export function appendLog(fs: LabFs, name: string, lines: string[]): void {
  const path = `${CONTAINER_STATE_DIR}/${name}/log`;
  fs.writeFile(path, (fs.readFile(path) ?? '') + lines.map((l) => `${l}\n`).join(''));
}

export function containerLog(fs: LabFs, name: string): string {
  return fs.readFile(`${CONTAINER_STATE_DIR}/${name}/log`) ?? '';
}

/** kolla_start: the files of /var/lib/kolla/config_files copied into the container. */
export function copyConfig(fs: LabFs, c: LabContainer): void {
  const text = fs.readFile(`${kollaDir(c.name)}/nova.conf`);
  if (text === undefined) return;
  fs.mkdirp(containerEtcNova(c.name));
  fs.writeFile(`${containerEtcNova(c.name)}/nova.conf`, text, { mode: 0o600, owner: 'root', group: 'root' });
}

/**
 * Record a start: the copied configuration is what nova checked (`failure`
 * undefined: it runs). A refused one leaves the container restarting.
 */
export function recordContainerStart(fs: LabFs, spec: HostSpec, c: LabContainer, pid: number, failure: NovaCheckFailure | undefined, now: Date): void {
  const was = readContainer(fs, c.name);
  appendLog(fs, c.name, [
    'INFO:__main__:Loading config file at /var/lib/kolla/config_files/config.json',
    'INFO:__main__:Validating config file',
    'INFO:__main__:Kolla config strategy set to: COPY_ALWAYS',
    `INFO:__main__:Copying /var/lib/kolla/config_files/nova.conf to /etc/nova/nova.conf`,
    `INFO:__main__:Setting permission for /etc/nova/nova.conf`,
    'INFO:__main__:Writing out command to execute',
    `++ cat /run_command`,
    `+ CMD=nova-${c.service ?? 'libvirt'}`,
    `+ exec nova-${c.service ?? 'libvirt'}`,
  ]);
  if (failure && c.service) appendLog(fs, c.name, failureJournalLines(spec, c.service, pid, failure, now));
  writeContainer(fs, c.name, {
    status: failure ? 'restarting' : 'running',
    startedAt: dockerTime(now),
    finishedAt: failure ? dockerTime(now) : (was?.finishedAt ?? '0001-01-01T00:00:00Z'),
    exitCode: failure ? 1 : 0,
    restartCount: failure ? (was?.restartCount ?? 0) + 1 : 0,
    pid: failure ? 0 : pid,
  });
}

/** Stop: the process ends, the state says exited (docker stop's SIGTERM: exit code 0 for nova). */
export function recordContainerStop(fs: LabFs, c: LabContainer, now: Date): void {
  const was = readContainer(fs, c.name);
  if (!was) return;
  writeContainer(fs, c.name, { ...was, status: 'exited', finishedAt: dockerTime(now), exitCode: was.status === 'running' ? 0 : was.exitCode, pid: 0 });
}
