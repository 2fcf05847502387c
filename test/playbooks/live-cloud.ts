// A live cloud on the real-sshd lab, as drain.test.ts and drain-batches.test.ts
// read it: computes like the demo lab's with instances, and what the
// controller's openstack CLI says of them (where each instance runs, whether
// it runs, each compute's service), the IOMMU on a host, the cloud's state file.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { demoCluster } from '@passthru/lab/specs.ts';
import { OPENSTACK_STATE, type OpenstackState } from '@passthru/lab/openstack-state.ts';
import type { HostSpec, InstanceSpec } from '@passthru/lab/types.ts';
import { ssh } from '@passthru/lab/real/client.ts';
import type { RealLab } from '@passthru/lab/real/lab.ts';

const demo = demoCluster();
export const template = (name: string): HostSpec => demo.find((s) => s.name === name) as HostSpec;

/** A compute like one of the demo lab's, under another name, running `instances`. */
export function compute(name: string, like: 'gpu-rtx' | 'gpu-t4' | 'cpu-only', instances: InstanceSpec[] = []): HostSpec {
  return { ...template(like), name, instances };
}

export interface ServerRow {
  ID: string;
  Name: string;
  Status: string;
  Host: string;
}
export interface ServiceRow {
  Host: string;
  Status: string;
  'Disabled Reason': string | null;
}

export async function openstack<T>(lab: RealLab, args: string): Promise<T> {
  const r = await ssh(lab, 'controller', `. /root/admin-openrc && openstack ${args} -f json`, { timeoutMs: 60_000 });
  assert.equal(r.code, 0, `openstack ${args}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

export const servers = (lab: RealLab): Promise<ServerRow[]> => openstack<ServerRow[]>(lab, 'server list --all-projects --long');
export async function services(lab: RealLab): Promise<Record<string, ServiceRow>> {
  const rows = await openstack<ServiceRow[]>(lab, 'compute service list --service nova-compute --long');
  return Object.fromEntries(rows.map((r) => [r.Host, r]));
}

/** Every instance by name: where it runs and its status. */
export async function placement(lab: RealLab): Promise<Record<string, string>> {
  return Object.fromEntries((await servers(lab)).map((s) => [s.Name, `${s.Status}@${s.Host}`]));
}

/** The IOMMU is on: the kernel lists IOMMU units (and was booted with the arguments). */
export function iommuOn(lab: RealLab, host: string): boolean {
  return lab.readFile(host, '/proc/cmdline').includes('intel_iommu=on') && readdirSync(join(lab.host(host).rootDir, 'sys/class/iommu')).length > 0;
}

export function state(lab: RealLab): OpenstackState {
  return JSON.parse(lab.readFile('controller', OPENSTACK_STATE)) as OpenstackState;
}

/** a loaded machine runs these slowly: time enough, and no test asserts on time */
export const RUN_MS = 600_000;
export const TEST = { timeout: 1_200_000 };
