// The cloud's API state (flavors, images) behind the lab's `openstack` CLI,
// kept in /var/lib/lab/openstack.json on the controller.

import { createHash } from 'node:crypto';
import type { HostSpec, LabFs } from './types.ts';
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

export interface OpenstackState {
  /** sha256 of the admin password (the state file is readable by the lab's non-root users) */
  adminPasswordSha256: string;
  flavors: Flavor[];
  images: Image[];
}

export function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

export function labUuid(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function initialOpenstackState(spec: HostSpec): OpenstackState {
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
