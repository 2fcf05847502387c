// A compute as the cloud's API sees it: its nova-compute service (enabled or
// disabled in the scheduler, and why) and the instances on it, read with the
// openstack CLI on a controller (python-openstackclient's JSON: `compute
// service list --long`, `server list --all-projects --host H`, `server
// migration list`). Pure parsers and the rules of a drain; the steps that
// act on them are compute-drain.ts and compute-undrain.ts.

import { hostname, novaConfText } from '../../facts/index.ts';
import { getValues } from '../../inifile/oslo.ts';
import { StepError } from '../../errors.ts';
import { quote } from '../../util/shell.ts';
import type { StepContext } from '../types.ts';
import type { OpenstackCli } from './openstack-cli.ts';

/**
 * The compute API microversion of the drain's requests: from 2.25 nova picks
 * block or shared-storage live migration itself (block_migration=auto), and
 * from 2.34 the pre-checks run after the request is accepted: a migration is
 * watched (its status and the instance's host), never judged by the exit code.
 */
export const COMPUTE_API = ['--os-compute-api-version', '2.34'];

/** Every reason passthru writes starts so; a service disabled with another reason is the operator's. */
export const REASON_PREFIX = 'passthru:';

export interface ComputeService {
  host: string;
  status: 'enabled' | 'disabled';
  /** up or down (the service's heartbeat) */
  state: string;
  reason: string | null;
}

export interface Instance {
  id: string;
  name: string;
  status: string;
  /** the compute it runs on (`--long` lists only) */
  host?: string | undefined;
}

export interface MigrationRow {
  id: string;
  server: string;
  status: string;
  source: string | null;
  dest: string | null;
}

type Json = Record<string, unknown>;

function rows(json: unknown, what: string): Json[] {
  if (!Array.isArray(json)) throw new Error(`${what}: expected a JSON list`);
  return json.filter((r): r is Json => r !== null && typeof r === 'object');
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null);

/** parsed listings, by the JSON they were parsed from (one listing is shared by every compute asking at once) */
const servicesOf = new WeakMap<object, ComputeService[]>();
const serversOf = new WeakMap<object, Instance[]>();

/** `openstack compute service list --long -f json` (nova-compute rows only). */
export function parseServices(json: unknown): ComputeService[] {
  const known = json !== null && typeof json === 'object' ? servicesOf.get(json) : undefined;
  if (known) return known;
  const out: ComputeService[] = rows(json, 'compute service list')
    .filter((r) => r['Binary'] === undefined || r['Binary'] === 'nova-compute')
    .map((r) => ({
      host: str(r['Host']) ?? '',
      status: r['Status'] === 'disabled' ? 'disabled' : 'enabled',
      state: str(r['State']) ?? 'unknown',
      reason: str(r['Disabled Reason']),
    }));
  if (json !== null && typeof json === 'object') servicesOf.set(json, out);
  return out;
}

/** `openstack server list [--long] -f json` */
export function parseServers(json: unknown): Instance[] {
  const known = json !== null && typeof json === 'object' ? serversOf.get(json) : undefined;
  if (known) return known;
  const out = rows(json, 'server list').map((r) => ({
    id: str(r['ID']) ?? '',
    name: str(r['Name']) ?? '',
    status: (str(r['Status']) ?? '').toUpperCase(),
    ...(typeof r['Host'] === 'string' ? { host: r['Host'] } : {}),
  }));
  if (json !== null && typeof json === 'object') serversOf.set(json, out);
  return out;
}

/** `openstack server migration list -f json` (at 2.23 and later: with Id and Type). */
export function parseMigrations(json: unknown): MigrationRow[] {
  return rows(json, 'server migration list')
    .filter((r) => r['Type'] === undefined || r['Type'] === 'live-migration')
    .map((r) => ({ id: str(r['Id']) ?? '', server: str(r['Server UUID']) ?? '', status: str(r['Status']) ?? '', source: str(r['Source Compute']), dest: str(r['Dest Compute']) }));
}

/** Statuses of an instance that keep running through nothing: a reboot of its compute kills them. */
const RUNNING = new Set(['ACTIVE', 'PAUSED']);
/** Statuses a reboot of the compute does not harm (nothing runs). */
const AT_REST = new Set(['SHUTOFF', 'SUSPENDED', 'SHELVED', 'SHELVED_OFFLOADED', 'SOFT_DELETED', 'DELETED']);

export interface Sorted {
  /** ACTIVE or PAUSED: what the policy is about */
  running: Instance[];
  /** not running: left as they are through the reboot */
  atRest: Instance[];
  /** in the middle of something (BUILD, MIGRATING, RESIZE, REBOOT, ERROR...): a drain does not guess */
  busy: Instance[];
}

export function sortInstances(list: readonly Instance[]): Sorted {
  const out: Sorted = { running: [], atRest: [], busy: [] };
  for (const i of list) (RUNNING.has(i.status) ? out.running : AT_REST.has(i.status) ? out.atRest : out.busy).push(i);
  return out;
}

export const failedMigration = (status: string): boolean => ['error', 'failed', 'cancelled', 'canceled'].includes(status.toLowerCase());

export function describe(i: Instance): string {
  return `${i.id} (${i.name}, ${i.status})`;
}

export function isPassthruReason(reason: string | null): boolean {
  return reason !== null && reason.startsWith(REASON_PREFIX);
}

/** The commands an operator runs by hand to move the instances (what `refuse` prints). */
export function moveCommands(instances: readonly Instance[]): string[] {
  return instances.map((i) => quote(['openstack', ...COMPUTE_API, 'server', 'migrate', '--live-migration', i.id]));
}

export function enableCommand(novaHost: string): string {
  return quote(['openstack', 'compute', 'service', 'set', '--enable', novaHost, 'nova-compute']);
}

/** The run's name in a disable reason: when and by whom it was started. */
export function runName(ctx: StepContext): string {
  return ctx.services.runName;
}

/**
 * The compute's name in nova: `nova_host` if given, else [DEFAULT] host of
 * its nova config files, else its hostname (`uname -n`), checked against the
 * services the cloud lists. Undefined when none of them is there.
 */
export async function novaHostOf(ctx: StepContext, given: string, services: readonly ComputeService[]): Promise<{ name?: string | undefined; tried: string[] }> {
  const tried: string[] = [];
  if (given) tried.push(given);
  else {
    const conf = await ctx.gather(novaConfText).catch(() => undefined);
    const configured = Object.values(conf?.files ?? {}).flatMap((text) => getValues(text, 'DEFAULT', 'host')).pop();
    if (configured) tried.push(configured.trim());
    const uname = await ctx.gather(hostname).catch(() => undefined);
    if (uname) tried.push(uname, uname.split('.')[0] ?? uname);
    tried.push(ctx.hostName);
  }
  const known = new Set(services.map((s) => s.host));
  return { name: tried.find((n) => known.has(n)), tried: [...new Set(tried)] };
}

/**
 * This compute's service and instances, from the controller, as they are now
 * (a listing issued after this call, shared with the computes asking at the
 * same moment: see OpenstackCli.json `fresh`).
 */
export async function readCompute(cli: OpenstackCli, ctx: StepContext, novaHost: string, step: string, opts: { instances?: boolean } = {}): Promise<{ service: ComputeService; instances: Instance[] }> {
  const [services, servers] = await Promise.all([
    cli.json<unknown>(['compute', 'service', 'list', '--service', 'nova-compute', '--long'], step, { fresh: true }),
    // (instances: false: the service alone, the instances are not listed)
    opts.instances === false ? [] : listInstances(cli, novaHost, step),
  ]);
  const service = parseServices(services).find((s) => s.host === novaHost);
  if (!service) throw new StepError(ctx.hostName, step, `the cloud lists no nova-compute service on ${novaHost} any more (openstack compute service list on ${cli.on})`);
  return { service, instances: servers };
}

/** The instances on this compute now (a listing of every compute issued after this call, shared as readCompute's). */
export async function listInstances(cli: OpenstackCli, novaHost: string, step: string): Promise<Instance[]> {
  return parseServers(await cli.json<unknown>(['server', 'list', '--all-projects', '--long'], step, { fresh: true })).filter((i) => i.host === novaHost);
}

/** For a plan: every instance of the cloud in one listing, shared by the computes planning at the same time. */
export function plannedListing(cli: OpenstackCli, step: string): Promise<unknown> {
  return cli.json<unknown>(['server', 'list', '--all-projects', '--long'], step, { shared: true });
}

/** For a plan: the instances of this compute (from `listing`, when it was started already). */
export async function plannedInstances(cli: OpenstackCli, novaHost: string, step: string, listing: Promise<unknown> = plannedListing(cli, step)): Promise<Instance[]> {
  return parseServers(await listing).filter((i) => i.host === novaHost);
}
