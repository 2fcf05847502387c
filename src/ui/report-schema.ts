// The JSON report's schema (version 2), as zod: `passthru report` checks a
// file against it before drawing it, and the tests check what run writes.

import { z } from 'zod';
import { REPORT_SCHEMA } from './report.ts';

const status = z.enum(['ok', 'changed', 'failed', 'unreachable', 'skipped']);
/** a step's status: a host's, or a failure that ignore_errors let pass */
const stepStatus = z.enum(['ok', 'changed', 'failed', 'unreachable', 'skipped', 'ignored']);
const iso = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'an ISO 8601 time');
const ms = z.number().int().nonnegative();

const gpuFunction = z.strictObject({
  address: z.string(),
  id: z.string(),
  kind: z.string(),
  iommu_group: z.number().int().optional(),
  alias: z.string().optional(),
});

export const HostFactsSchema = z.strictObject({
  os: z.string().optional(),
  family: z.string().optional(),
  os_major: z.number().optional(),
  boot_mode: z.string().optional(),
  cpu_vendor: z.string().optional(),
  nova_release: z.string().optional(),
  roles: z.array(z.string()).optional(),
  iommu: z.strictObject({ active: z.boolean(), evidence: z.string().optional(), groups: z.number().optional() }).optional(),
  gpus: z.array(
    z.strictObject({
      slot: z.string(),
      model: z.string(),
      name: z.string().optional(),
      functions: z.array(gpuFunction),
      iommu_groups: z.array(z.number().int()),
      flavor: z.string().optional(),
    }),
  ),
});

export const ReportStepSchema = z.strictObject({
  name: z.string(),
  play: z.string(),
  kind: z.string().optional(),
  status: stepStatus,
  changed: z.boolean(),
  started_at: iso,
  duration_ms: ms,
  changes: z.array(z.string()),
  notes: z.array(z.string()),
  skip_reason: z.string().optional(),
  diff: z.string().optional(),
  error: z.string().optional(),
  hint: z.string().optional(),
});

export const ReportSchema = z.strictObject({
  schema: z.literal(REPORT_SCHEMA),
  passthru: z.string(),
  started_at: iso,
  ended_at: iso,
  duration_ms: ms,
  check: z.boolean(),
  interrupted: z.boolean(),
  playbook: z.string().nullable(),
  inventory: z.string().nullable(),
  options: z.record(z.string(), z.unknown()),
  plays: z.array(z.strictObject({ name: z.string(), started_at: iso, duration_ms: ms, hosts: z.number().int().nonnegative(), aborted: z.string().optional() })),
  summary: z.strictObject({ ok: ms, changed: ms, failed: ms, unreachable: ms, skipped: ms, ignored: ms, hosts: ms }),
  failed_hosts: z.array(z.string()),
  unreachable_hosts: z.array(z.string()),
  limit_retry: z.string(),
  warnings: z.array(z.strictObject({ time: iso, host: z.string().optional(), message: z.string() })),
  flavors: z.array(z.strictObject({ name: z.string(), alias: z.string() })),
  hosts: z.record(
    z.string(),
    z.strictObject({
      status,
      error: z.string().optional(),
      groups: z.array(z.string()),
      facts: HostFactsSchema.optional(),
      phases: z.array(z.strictObject({ play: z.string(), phase: z.enum(['connect', 'facts']), started_at: iso, duration_ms: ms })),
      steps: z.array(ReportStepSchema),
      last_step: z.strictObject({ play: z.string(), step: z.string(), done: z.boolean() }).optional(),
      held: z.array(z.strictObject({ what: z.string(), undo: z.string() })).optional(),
    }),
  ),
});
