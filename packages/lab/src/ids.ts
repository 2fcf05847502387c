// Deterministic per-host identifiers (machine-id, file system UUIDs), so that
// a host built twice from one spec is the same host.

import { createHash } from 'node:crypto';
import type { HostSpec } from './types.ts';

function hex(seed: string, len: number): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, len);
}

export function machineId(spec: HostSpec): string {
  return hex(`machine-id:${spec.name}`, 32);
}

export function uuid(spec: HostSpec, purpose: string): string {
  const h = hex(`${purpose}:${spec.name}`, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function shortUuid(spec: HostSpec, purpose: string): string {
  const h = hex(`${purpose}:${spec.name}`, 8).toUpperCase();
  return `${h.slice(0, 4)}-${h.slice(4, 8)}`;
}

/** a fresh random boot id in the kernel's format */
export function randomBootId(): string {
  return crypto.randomUUID();
}
