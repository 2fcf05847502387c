// The compute side of the lab's `openstack` CLI: what an operator runs to
// drain a compute before its reboot. `compute service list/set` (enable,
// disable with a reason), `server list --all-projects --host H`, `server
// show`, `server migrate --live-migration [--block-migration] [--host H]`,
// `server migration list`, `server stop/start`. Output shaped like
// python-openstackclient 6.x (novaclient's errors: "... (HTTP 409)
// (Request-ID: ...)").
//
// What nova does and the lab keeps:
//  - the compute API microversion is 2.1 unless --os-compute-api-version (or
//    OS_COMPUTE_API_VERSION) says otherwise. Below 2.25 a live migration
//    without --block-migration is a shared-storage one, refused on the lab's
//    local disks; from 2.25 nova picks (block_migration=auto); --host needs
//    2.30; from 2.34 the pre-checks run after the request was accepted: the
//    migration ends in `error` and the instance stays where it was;
//  - name lookups search the caller's (admin's) project only: the lab's
//    instances belong to `demo`, reachable by ID or with --all-projects;
//  - stop, start and live migrations take a while (the state moves on at
//    each call); a migration of an instance spec'd `migration: never` stays
//    `running`; one with a PCI device fails nova's pre-check; a locked one
//    is refused (stock nova lets admins through; this cloud enforces locks
//    for everyone, as some sites do);
//  - the scheduler places a migrated instance on an enabled compute whose
//    nova-compute runs, not its own; none: "No valid host was found";
//  - a compute that rebooted under a running instance killed it: nova's
//    power-state sync shows it SHUTOFF (the lab reads the compute's boot
//    count through `peer`).

import { randomUUID } from 'node:crypto';
import { BOOT_COUNT } from '../boot.ts';
import { hostUnits } from '../distro.ts';
import { isoNow, labUuid, MIGRATION_MS, POWER_MS, type ComputeService, type Migration, type OpenstackState, type Server } from '../openstack-state.ts';
import type { LabHostControl, ToolResult } from '../types.ts';
import { readUnitState } from '../units.ts';
import { readContainer } from '../containers.ts';
import { fail, ok } from './util.ts';

type Row = Array<[string, unknown]>;

export interface ComputeCli {
  words: string[];
  opts: Map<string, string[]>;
  flags: Set<string>;
}

export interface Formatter {
  one(row: Row): ToolResult;
  list(headers: string[], rows: unknown[][]): ToolResult;
}

export const COMPUTE_COMMANDS = [
  'compute service list',
  'compute service set',
  'server list',
  'server show',
  'server migrate',
  'server migration list',
  'server stop',
  'server start',
];

/** the admin's own project (servers elsewhere need --all-projects or their ID) */
const ADMIN_PROJECT = labUuid('project:admin').replace(/-/g, '');

function opt(c: ComputeCli, name: string): string | undefined {
  const v = c.opts.get(name);
  return v?.length ? v[v.length - 1] : undefined;
}

function reqId(): string {
  return `req-${randomUUID()}`;
}

function httpError(code: number, message: string): ToolResult {
  return fail(1, `${message} (HTTP ${code}) (Request-ID: ${reqId()})\n`);
}

/** The microversion asked for, as [major, minor]. */
function microversion(c: ComputeCli, env: Record<string, string>): number {
  const v = opt(c, '--os-compute-api-version') ?? env['OS_COMPUTE_API_VERSION'] ?? '2.1';
  if (v === 'latest') return 96;
  const m = /^2\.(\d+)$/.exec(v.trim());
  return m ? Number(m[1]) : 1;
}

function bootsOf(host: LabHostControl, name: string): number | undefined {
  const peer = host.peer?.(name);
  if (!peer) return undefined;
  const n = Number((peer.fs.readFile(BOOT_COUNT) ?? '').trim());
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/** nova-compute up (its unit running on the compute), as the service's heartbeat tells it. */
function computeUp(host: LabHostControl, name: string): boolean {
  const peer = host.peer?.(name);
  if (!peer) return true;
  if (peer.spec.kolla) return readContainer(peer.fs, 'nova_compute')?.status === 'running';
  const unit = hostUnits(peer.spec).find((u) => u.nova === 'compute');
  return unit !== undefined && readUnitState(peer.fs, unit.name).active === 'active';
}

/**
 * Move the cloud on to `now`: migrations, stops and starts that are due end;
 * a running instance whose compute booted since it started there is off.
 */
export function settle(state: OpenstackState, host: LabHostControl, now = Date.now()): void {
  const servers = state.servers ?? [];
  const byId = new Map(servers.map((s) => [s.id, s]));
  for (const m of state.migrations ?? []) {
    if (['completed', 'error', 'failed', 'cancelled'].includes(m.status)) continue;
    const s = byId.get(m.serverId);
    if (m.status === 'accepted' && now >= Date.parse(`${m.createdAt}Z`) + 100) m.status = 'running';
    if (m.endsAt === null || now < m.endsAt || !s) continue;
    m.status = m.outcome;
    m.updatedAt = isoNow(now);
    s.status = m.resume ?? 'ACTIVE';
    s.taskState = null;
    s.updatedAt = isoNow(now);
    if (m.outcome === 'completed' && m.dest) {
      s.host = m.dest;
      s.hostBoot = bootsOf(host, m.dest) ?? s.hostBoot;
    }
  }
  for (const s of servers) {
    if (s.pending && now >= s.pending.at) {
      s.status = s.pending.action === 'stop' ? 'SHUTOFF' : 'ACTIVE';
      if (s.pending.action === 'start') s.hostBoot = bootsOf(host, s.host) ?? s.hostBoot;
      s.pending = undefined;
      s.taskState = null;
      s.updatedAt = isoNow(now);
    }
    if (s.status !== 'ACTIVE' && s.status !== 'PAUSED') continue;
    const boots = bootsOf(host, s.host);
    if (boots !== undefined && boots > s.hostBoot) {
      s.status = 'SHUTOFF';
      s.killedByReboot = true;
      s.updatedAt = isoNow(now);
    }
  }
}

function powerState(s: Server): string {
  if (s.status === 'SHUTOFF') return 'Shutdown';
  if (s.status === 'PAUSED') return 'Paused';
  return 'Running';
}

function vmState(s: Server): string {
  return s.status === 'SHUTOFF' ? 'stopped' : s.status === 'PAUSED' ? 'paused' : 'active';
}

function networks(s: Server): Record<string, string[]> {
  const n = Number.parseInt(s.id.slice(0, 4), 16) % 200;
  return { private: [`10.0.0.${20 + n}`] };
}

function instanceName(s: Server): string {
  return `instance-${s.id.slice(0, 8)}`;
}

function serverRow(s: Server): Row {
  return [
    ['OS-EXT-AZ:availability_zone', 'nova'],
    ['OS-EXT-SRV-ATTR:host', s.host],
    ['OS-EXT-SRV-ATTR:hypervisor_hostname', s.host],
    ['OS-EXT-SRV-ATTR:instance_name', instanceName(s)],
    ['OS-EXT-STS:power_state', powerState(s)],
    ['OS-EXT-STS:task_state', s.taskState],
    ['OS-EXT-STS:vm_state', vmState(s)],
    ['addresses', networks(s)],
    ['created', `${s.createdAt.replace(/\.\d+$/, '')}Z`],
    ['flavor', `${s.flavor} (${labUuid(`flavor:${s.flavor}`).slice(0, 8)})`],
    ['id', s.id],
    ['image', `${s.image} (${labUuid(`image:${s.image}`)})`],
    ['locked', s.locked],
    ['name', s.name],
    ['project_id', s.projectId],
    ['status', s.status],
    ['updated', `${s.updatedAt.replace(/\.\d+$/, '')}Z`],
  ];
}

/** A server by ID (any project), or by name in the admin's project only, as the API's lookups go. */
function findServer(state: OpenstackState, key: string): Server | undefined {
  const servers = state.servers ?? [];
  return servers.find((s) => s.id === key) ?? servers.find((s) => s.name === key && s.projectId === ADMIN_PROJECT);
}

function noServer(key: string): ToolResult {
  return fail(1, `No server with a name or ID of '${key}' exists.\n`);
}

function invalidState(s: Server, action: string): ToolResult {
  return httpError(409, `Cannot '${action}' instance ${s.id} while it is in vm_state ${vmState(s)}`);
}

/** Where the scheduler would put an instance leaving `source`: an enabled compute with nova-compute up, the emptiest. */
function schedule(state: OpenstackState, host: LabHostControl, source: string): string | undefined {
  // what runs there, and what is on its way there
  const load = (h: string): number =>
    (state.servers ?? []).filter((s) => s.host === h).length + (state.migrations ?? []).filter((m) => m.dest === h && (m.status === 'accepted' || m.status === 'running')).length;
  const candidates = (state.services ?? []).filter((svc) => svc.status === 'enabled' && svc.host !== source && computeUp(host, svc.host));
  candidates.sort((a, b) => load(a.host) - load(b.host) || a.host.localeCompare(b.host));
  return candidates[0]?.host;
}

function usage(cmd: string, args: string, missing: string): ToolResult {
  return fail(2, `usage: openstack ${cmd} [-h] ${args}\nopenstack ${cmd}: error: the following arguments are required: ${missing}\n`);
}

function serviceList(c: ComputeCli, state: OpenstackState, host: LabHostControl, version: number, fmt: Formatter): ToolResult {
  const long = c.flags.has('--long');
  const hostF = opt(c, '--host');
  const binary = opt(c, '--service');
  const services = (state.services ?? []).filter((s) => (hostF === undefined || s.host === hostF) && (binary === undefined || binary === 'nova-compute'));
  const headers = ['ID', 'Binary', 'Host', 'Zone', 'Status', 'State', 'Updated At', ...(long ? ['Disabled Reason', 'Forced Down'] : [])];
  const all = state.services ?? [];
  const rows = services.map((s: ComputeService) => [
    version >= 53 ? s.id : all.indexOf(s) + 3,
    'nova-compute',
    s.host,
    s.zone,
    s.status,
    computeUp(host, s.host) ? 'up' : 'down',
    s.updatedAt,
    ...(long ? [s.disabledReason, false] : []),
  ]);
  return fmt.list(headers, rows);
}

function serviceSet(c: ComputeCli, state: OpenstackState, version: number, args: string[]): ToolResult {
  const [hostName, binary] = args;
  if (hostName === undefined || binary === undefined) return usage('compute service set', '[--enable | --disable] [--disable-reason <reason>] [--up | --down] <host> <service>', hostName === undefined ? '<host>, <service>' : '<service>');
  const enable = c.flags.has('--enable');
  const disable = c.flags.has('--disable');
  if (enable && disable) return fail(2, 'openstack compute service set: error: argument --disable: not allowed with argument --enable\n');
  const reason = opt(c, '--disable-reason');
  if (reason !== undefined && !disable) return fail(1, 'Cannot specify option --disable-reason without --disable specified.\n');
  const svc = binary === 'nova-compute' ? (state.services ?? []).find((s) => s.host === hostName) : undefined;
  if (!svc) {
    if (version >= 53) return fail(1, `Compute service for host "${hostName}" and binary "${binary}" not found.\n`);
    return fail(1, `Failed to set service status to ${enable ? 'enabled' : 'disabled'}\nCompute service ${binary} of host ${hostName} failed to set.\n`);
  }
  if (enable) {
    svc.status = 'enabled';
    svc.disabledReason = null;
  } else if (disable) {
    svc.status = 'disabled';
    // nova keeps what the last request said: a second disable overwrites the reason
    svc.disabledReason = reason ?? null;
  }
  svc.updatedAt = isoNow();
  return ok();
}

function serverList(c: ComputeCli, state: OpenstackState, fmt: Formatter): ToolResult {
  const all = c.flags.has('--all-projects');
  const hostF = opt(c, '--host');
  const status = opt(c, '--status');
  const servers = (state.servers ?? []).filter(
    (s) => (all || s.projectId === ADMIN_PROJECT) && (hostF === undefined || s.host === hostF) && (status === undefined || s.status === status.toUpperCase()),
  );
  if (c.flags.has('--long')) {
    const headers = ['ID', 'Name', 'Status', 'Task State', 'Power State', 'Networks', 'Image Name', 'Image ID', 'Flavor', 'Availability Zone', 'Host', 'Properties'];
    return fmt.list(
      headers,
      servers.map((s) => [s.id, s.name, s.status, s.taskState, powerState(s), networks(s), s.image, labUuid(`image:${s.image}`), s.flavor, 'nova', s.host, {}]),
    );
  }
  return fmt.list(['ID', 'Name', 'Status', 'Networks', 'Image', 'Flavor'], servers.map((s) => [s.id, s.name, s.status, networks(s), s.image, s.flavor]));
}

function migrate(c: ComputeCli, state: OpenstackState, host: LabHostControl, version: number, args: string[]): ToolResult {
  const key = args[0];
  if (key === undefined) return usage('server migrate', '[--live-migration] [--host <hostname>] [--shared-migration | --block-migration] [--wait] <server>', '<server>');
  if (!c.flags.has('--live-migration')) return fail(1, 'lab: cold migration (server migrate without --live-migration) is not modelled by the passthru lab\n');
  if (c.flags.has('--wait')) return fail(1, 'lab: server migrate --wait is not modelled by the passthru lab\n');
  const target = opt(c, '--host');
  if (target !== undefined && version < 30) return fail(1, '--os-compute-api-version 2.30 or greater is required when using --host\n');
  const s = findServer(state, key);
  if (!s) return noServer(key);
  if (s.locked) return httpError(409, `Instance ${s.id} is locked`);
  if (s.status !== 'ACTIVE' && s.status !== 'PAUSED') return invalidState(s, 'os-migrateLive');
  // below 2.25 the client sends block_migration=false unless --block-migration: a shared-storage migration
  const block = c.flags.has('--block-migration') ? true : c.flags.has('--shared-migration') ? false : version >= 25 ? 'auto' : false;
  if (block === false) {
    return httpError(400, `${s.host} is not on shared storage: Shared storage live-migration requires either shared storage or boot-from-volume with no local disks.`);
  }
  const dest = target ?? schedule(state, host, s.host);
  const precheck = s.pciDevice
    ? 'Migration pre-check error: non-VIF related PCI requests for instance are not allowed for live migration.'
    : dest === undefined || dest === s.host
      ? 'No valid host was found. There are not enough hosts available.'
      : undefined;
  // before 2.34 the pre-checks answer the request itself
  if (precheck !== undefined && version < 34) return httpError(400, precheck);
  const now = Date.now();
  const migrations = (state.migrations ??= []);
  const m: Migration = {
    id: migrations.length + 1,
    uuid: randomUUID(),
    serverId: s.id,
    source: s.host,
    dest: precheck === undefined ? (dest ?? null) : null,
    status: 'accepted',
    endsAt: precheck !== undefined ? now + 150 : s.migration === 'never' ? null : now + MIGRATION_MS,
    outcome: precheck === undefined ? 'completed' : 'error',
    resume: s.status,
    createdAt: isoNow(now),
    updatedAt: isoNow(now),
  };
  migrations.push(m);
  s.status = 'MIGRATING';
  s.taskState = 'migrating';
  s.updatedAt = isoNow(now);
  return ok();
}

function migrationList(c: ComputeCli, state: OpenstackState, version: number, fmt: Formatter): ToolResult {
  const serverKey = opt(c, '--server');
  let serverId: string | undefined;
  if (serverKey !== undefined) {
    const s = findServer(state, serverKey);
    if (!s) return noServer(serverKey);
    serverId = s.id;
  }
  const hostF = opt(c, '--host');
  const status = opt(c, '--status');
  const type = opt(c, '--type');
  if (type !== undefined && !['evacuation', 'live-migration', 'cold-migration', 'resize'].includes(type)) {
    return fail(2, `openstack server migration list: error: argument --type: invalid choice: '${type}' (choose from 'evacuation', 'live-migration', 'cold-migration', 'resize')\n`);
  }
  const list = (state.migrations ?? []).filter(
    (m) =>
      (serverId === undefined || m.serverId === serverId) &&
      (hostF === undefined || m.source === hostF || m.dest === hostF) &&
      (status === undefined || m.status === status) &&
      (type === undefined || type === 'live-migration'),
  );
  const headers = ['Source Node', 'Dest Node', 'Source Compute', 'Dest Compute', 'Dest Host', 'Status', 'Server UUID', 'Old Flavor', 'New Flavor', 'Created At', 'Updated At'];
  const flavorId = (m: Migration): number => {
    const s = (state.servers ?? []).find((x) => x.id === m.serverId);
    return Math.max(1, state.flavors.findIndex((f) => f.name === s?.flavor) + 1);
  };
  const rows = list.map((m) => {
    const r: unknown[] = [m.source, m.dest, m.source, m.dest, null, m.status, m.serverId, flavorId(m), flavorId(m), m.createdAt, m.updatedAt];
    if (version >= 59) r.unshift(m.uuid);
    if (version >= 23) {
      r.unshift(m.id);
      r.splice(r.length - 2, 0, 'live-migration');
    }
    return r;
  });
  if (version >= 59) headers.unshift('UUID');
  if (version >= 23) {
    headers.unshift('Id');
    headers.splice(headers.length - 2, 0, 'Type');
  }
  return fmt.list(headers, rows);
}

function power(state: OpenstackState, action: 'stop' | 'start', args: string[]): ToolResult {
  if (args.length === 0) return usage(`server ${action}`, '[--all-projects] <server> [<server> ...]', '<server>');
  const now = Date.now();
  for (const key of args) {
    const s = findServer(state, key);
    if (!s) return noServer(key);
    if (s.locked) return httpError(409, `Instance ${s.id} is locked`);
    if (s.pending) return httpError(409, `Cannot '${action}' instance ${s.id} while it is in task_state ${s.taskState ?? 'none'}`);
    const from = action === 'stop' ? 'ACTIVE' : 'SHUTOFF';
    if (s.status !== from) return invalidState(s, action);
    s.pending = { action, at: now + POWER_MS };
    s.taskState = action === 'stop' ? 'powering-off' : 'powering-on';
    s.updatedAt = isoNow(now);
  }
  return ok();
}

/** Run one compute command (`cmd` is one of COMPUTE_COMMANDS) on the cloud's state; `changed` says whether to save it. */
export function computeCommand(
  c: ComputeCli,
  cmd: string,
  args: string[],
  state: OpenstackState,
  inv: { host: LabHostControl; env: Record<string, string> },
  fmt: Formatter,
): ToolResult {
  const version = microversion(c, inv.env);
  settle(state, inv.host);
  switch (cmd) {
    case 'compute service list':
      return serviceList(c, state, inv.host, version, fmt);
    case 'compute service set':
      return serviceSet(c, state, version, args);
    case 'server list':
      return serverList(c, state, fmt);
    case 'server show': {
      const key = args[0];
      if (key === undefined) return usage('server show', '[--diagnostics] <server>', '<server>');
      const s = findServer(state, key);
      return s ? fmt.one(serverRow(s)) : noServer(key);
    }
    case 'server migrate':
      return migrate(c, state, inv.host, version, args);
    case 'server migration list':
      return migrationList(c, state, version, fmt);
    case 'server stop':
      return power(state, 'stop', args);
    case 'server start':
      return power(state, 'start', args);
  }
  return fail(1, `lab: 'openstack ${cmd}' is not modelled by the passthru lab\n`);
}
