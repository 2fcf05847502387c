// The cloud's API state (flavors, images, compute services, servers and
// their migrations) behind the lab's `openstack` CLI, kept in
// /var/lib/lab/openstack.json on the controller.

import { createHash } from 'node:crypto';
import type { HostSpec, InstanceSpec, LabFs } from './types.ts';
import { SECRETS } from './secrets.ts';

export const OPENSTACK_STATE = '/var/lib/lab/openstack.json';

export interface Flavor {
  id: string;
  name: string;
  ram: number;
  disk: number;
  vcpus: number;
  ephemeral: number;
  swap: number;
  isPublic: boolean;
  description: string | null;
  properties: Record<string, string>;
}

export interface Image {
  id: string;
  name: string;
  status: string;
  diskFormat: string;
  containerFormat: string;
  size: number;
  minDisk: number;
  minRam: number;
  visibility: string;
  checksum: string;
  createdAt: string;
  updatedAt: string;
  properties: Record<string, string>;
}

/** A nova-compute service (`openstack compute service list`). */
export interface ComputeService {
  id: string;
  host: string;
  zone: string;
  status: 'enabled' | 'disabled';
  disabledReason: string | null;
  updatedAt: string;
}

export interface Server {
  id: string;
  name: string;
  projectId: string;
  /** the compute it runs on */
  host: string;
  /** ACTIVE, PAUSED, SHUTOFF, MIGRATING (while a live migration runs) */
  status: string;
  taskState: string | null;
  flavor: string;
  image: string;
  locked: boolean;
  pciDevice: boolean;
  migration: 'completes' | 'never';
  /** the host's boot count when the server last started there: a later boot killed it */
  hostBoot: number;
  /** a stop or start in progress, done at `at` (ms since the epoch) */
  pending?: { action: 'stop' | 'start'; at: number } | undefined;
  /** stopped by a reboot of its host (never by an API call) */
  killedByReboot?: boolean | undefined;
  createdAt: string;
  updatedAt: string;
}

/** A live migration (`openstack server migration list`). */
export interface Migration {
  id: number;
  uuid: string;
  serverId: string;
  source: string;
  dest: string | null;
  /** accepted, running, completed, error (cancelled: aborted by the operator) */
  status: string;
  /** when it ends (ms since the epoch); null: it never does */
  endsAt: number | null;
  /** how it ends */
  outcome: 'completed' | 'error';
  /** the instance's status before (a paused instance stays paused) */
  resume?: string | undefined;
  createdAt: string;
  updatedAt: string;
}

export interface OpenstackState {
  /** sha256 of the admin password (the state file is readable by the lab's non-root users) */
  adminPasswordSha256: string;
  flavors: Flavor[];
  images: Image[];
  services?: ComputeService[] | undefined;
  servers?: Server[] | undefined;
  migrations?: Migration[] | undefined;
}

/** How long the lab's cloud takes: a live migration, a stop or start (ms). */
export const MIGRATION_MS = 600;
export const POWER_MS = 200;

export function isoNow(t = Date.now()): string {
  return new Date(t).toISOString().replace(/\.\d+Z$/, '.000000');
}

function serverOf(spec: HostSpec, i: InstanceSpec, created: string): Server {
  return {
    id: labUuid(`server:${i.name}`),
    name: i.name,
    projectId: labUuid(`project:${i.project ?? 'demo'}`).replace(/-/g, ''),
    host: spec.name,
    status: i.status ?? 'ACTIVE',
    taskState: null,
    flavor: i.flavor ?? 'm1.small',
    image: i.image ?? 'cirros-0.6.2-x86_64-disk',
    locked: i.locked ?? false,
    pciDevice: i.pciDevice ?? false,
    migration: i.migration ?? 'completes',
    // started during the first boot
    hostBoot: 1,
    createdAt: created,
    updatedAt: created,
  };
}

/** The compute services and servers of the cluster's computes. */
function computeState(cluster: HostSpec[]): Pick<OpenstackState, 'services' | 'servers' | 'migrations'> {
  const created = '2024-06-03T08:20:11.000000';
  const computes = cluster.filter((h) => h.roles.includes('compute'));
  return {
    services: computes.map((h) => ({ id: labUuid(`service:${h.name}`), host: h.name, zone: 'nova', status: 'enabled', disabledReason: null, updatedAt: created })),
    servers: computes.flatMap((h) => (h.instances ?? []).map((i) => serverOf(h, i, created))),
    migrations: [],
  };
}

export function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

export function labUuid(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function initialOpenstackState(spec: HostSpec, cluster: HostSpec[] = [spec]): OpenstackState {
  const f = (name: string, ram: number, disk: number, vcpus: number, id: string): Flavor => ({
    id,
    name,
    ram,
    disk,
    vcpus,
    ephemeral: 0,
    swap: 0,
    isPublic: true,
    description: null,
    properties: {},
  });
  const img = (name: string, size: number, created: string): Image => ({
    id: labUuid(`image:${spec.name}:${name}`),
    name,
    status: 'active',
    diskFormat: 'qcow2',
    containerFormat: 'bare',
    size,
    minDisk: 0,
    minRam: 0,
    visibility: 'public',
    checksum: createHash('md5').update(name).digest('hex'),
    createdAt: created,
    updatedAt: created,
    properties: {
      os_hidden: 'False',
      os_hash_algo: 'sha512',
      os_hash_value: createHash('sha512').update(name).digest('hex'),
      owner_specified_openstack_md5: '',
      owner_specified_openstack_object: `images/${name}`,
      owner_specified_openstack_sha256: '',
    },
  });
  return {
    adminPasswordSha256: sha256(SECRETS.admin),
    flavors: [
      f('m1.tiny', 512, 1, 1, '1'),
      f('m1.small', 2048, 20, 1, '2'),
      f('m1.medium', 4096, 40, 2, '3'),
      f('m1.large', 8192, 80, 4, '4'),
      f('m1.xlarge', 16384, 160, 8, '5'),
    ],
    images: [img('cirros-0.6.2-x86_64-disk', 21430272, '2024-05-02T09:14:37Z'), img('ubuntu-22.04-server-cloudimg-amd64', 676134912, '2024-05-02T09:21:03Z')],
    ...computeState(cluster),
  };
}

export function readOpenstackState(fs: LabFs): OpenstackState | undefined {
  const t = fs.readFile(OPENSTACK_STATE);
  if (t === undefined) return undefined;
  return JSON.parse(t) as OpenstackState;
}

export function writeOpenstackState(fs: LabFs, s: OpenstackState): void {
  fs.writeFile(OPENSTACK_STATE, `${JSON.stringify(s, null, 2)}\n`, { mode: 0o644 });
}
