// Which units (or containers) run nova-api, nova-scheduler and nova-compute
// on a host, by deployment family. TABLES, each row with its source; the
// host's own unit list decides, and an unclear answer is an error that says
// what was found ("never guess silently").

export type NovaService = 'api' | 'scheduler' | 'compute';
export type NovaRole = 'controller' | 'compute';
/** how nova is deployed: distribution packages (el = RDO, debian = Debian/Ubuntu) or kolla containers */
export type NovaFamily = 'el' | 'debian' | 'kolla';
export type NovaChange = 'alias' | 'device_spec' | 'filters';

export type ServiceRef =
  | { kind: 'systemd'; unit: string; service: NovaService }
  | { kind: 'container'; engine: 'docker' | 'podman'; name: string; service: NovaService };

export interface InstalledUnit {
  name: string;
  /** list-unit-files state: enabled, disabled, masked, static, ... (undefined = unknown) */
  state?: string | undefined;
}

export interface UnitInventory {
  units: InstalledUnit[];
  containers: Array<{ engine: 'docker' | 'podman'; name: string }>;
  /** apache/httpd configuration files that serve the nova API through mod_wsgi */
  apacheNovaConfs: string[];
}

interface UnitRow {
  family: 'el' | 'debian';
  service: NovaService;
  /** dedicated unit */
  unit: string;
  /** web server that may serve the API through mod_wsgi instead */
  wsgi?: string;
  source: string;
}

export const UNIT_TABLE: readonly UnitRow[] = [
  { family: 'el', service: 'api', unit: 'openstack-nova-api.service', wsgi: 'httpd.service',
    source: 'RDO openstack-nova spec (openstack-nova-api.service); packstack/puppet-nova nova::wsgi::apache_api serves the API from httpd (/etc/httpd/conf.d/10-nova_api_wsgi.conf)' },
  { family: 'el', service: 'scheduler', unit: 'openstack-nova-scheduler.service', source: 'RDO openstack-nova spec; Nova install guide for RHEL/CentOS: systemctl restart openstack-nova-scheduler.service' },
  { family: 'el', service: 'compute', unit: 'openstack-nova-compute.service', source: 'RDO openstack-nova spec; Nova install guide for RHEL/CentOS: systemctl restart openstack-nova-compute.service' },
  { family: 'debian', service: 'api', unit: 'nova-api.service', wsgi: 'apache2.service',
    source: 'Debian/Ubuntu nova-api package (nova-api.service); Ubuntu\'s newest packages serve the API from apache2 (/etc/apache2/sites-enabled/nova-api.conf)' },
  { family: 'debian', service: 'scheduler', unit: 'nova-scheduler.service', source: 'Debian/Ubuntu nova-scheduler package; Nova install guide for Ubuntu: service nova-scheduler restart' },
  { family: 'debian', service: 'compute', unit: 'nova-compute.service', source: 'Debian/Ubuntu nova-compute package; Nova install guide for Ubuntu: service nova-compute restart' },
];

/** kolla-ansible container names (ansible/roles/nova/defaults/main.yml, nova-cell/defaults/main.yml) */
export const KOLLA_CONTAINERS: Readonly<Record<NovaService, string>> = {
  api: 'nova_api',
  scheduler: 'nova_scheduler',
  compute: 'nova_compute',
};

/** Which services a role needs. A host with both roles (all-in-one) needs all three. */
export const ROLE_SERVICES: Readonly<Record<NovaRole, readonly NovaService[]>> = {
  controller: ['api', 'scheduler'],
  compute: ['compute'],
};

/**
 * Which service reads which option (DOMAIN: alias -> nova-api for flavor
 * requests and nova-compute for resize claims, nova/conf/pci.py alias help;
 * device_spec -> nova-compute; enabled_filters -> nova-scheduler).
 */
export const CHANGE_SERVICES: Readonly<Record<NovaChange, readonly NovaService[]>> = {
  alias: ['api', 'compute'],
  device_spec: ['compute'],
  filters: ['scheduler'],
};

export class NovaServiceError extends Error {
  readonly found: string[];
  constructor(message: string, found: string[]) {
    super(message);
    this.found = found;
  }
}

function asInventory(installed: UnitInventory | ReadonlyArray<string | InstalledUnit>): UnitInventory {
  if (!Array.isArray(installed)) return installed as UnitInventory;
  const units: InstalledUnit[] = [];
  const containers: UnitInventory['containers'] = [];
  for (const u of installed as ReadonlyArray<string | InstalledUnit>) {
    const name = typeof u === 'string' ? u : u.name;
    const m = /^(docker|podman):(.+)$/.exec(name);
    if (m) containers.push({ engine: m[1] as 'docker' | 'podman', name: m[2]! });
    else units.push(typeof u === 'string' ? { name: u } : u);
  }
  return { units, containers, apacheNovaConfs: [] };
}

const OFF = new Set(['disabled', 'masked', 'masked-runtime', 'bad', 'not-found']);

function describe(inv: UnitInventory): string[] {
  return [
    ...inv.units.map((u) => (u.state ? `${u.name} (${u.state})` : u.name)),
    ...inv.containers.map((c) => `${c.engine}:${c.name}`),
    ...inv.apacheNovaConfs,
  ];
}

function roles(role: NovaRole | readonly NovaRole[]): NovaRole[] {
  return typeof role === 'string' ? [role] : [...role];
}

/**
 * The unit or container of every service the role needs. `installed` is the
 * systemdUnits fact (or a plain list of unit names; `docker:NAME` /
 * `podman:NAME` for containers). Throws NovaServiceError listing what was
 * found when a service cannot be told apart.
 */
export function detectUnits(
  installed: UnitInventory | ReadonlyArray<string | InstalledUnit>,
  family: NovaFamily,
  role: NovaRole | readonly NovaRole[],
): Partial<Record<NovaService, ServiceRef>> {
  const inv = asInventory(installed);
  const needed = [...new Set(roles(role).flatMap((r) => ROLE_SERVICES[r]))];
  const out: Partial<Record<NovaService, ServiceRef>> = {};
  const found = describe(inv);
  const problems: string[] = [];

  for (const service of needed) {
    const container = inv.containers.find((c) => c.name === KOLLA_CONTAINERS[service]);
    if (family === 'kolla') {
      if (container) out[service] = { kind: 'container', engine: container.engine, name: container.name, service };
      else problems.push(`no ${KOLLA_CONTAINERS[service]} container for nova-${service}`);
      continue;
    }
    const row = UNIT_TABLE.find((r) => r.family === family && r.service === service)!;
    const unit = inv.units.find((u) => u.name === row.unit);
    const unitOn = unit !== undefined && !OFF.has(unit.state ?? '');
    const web = row.wsgi ? inv.units.find((u) => u.name === row.wsgi) : undefined;
    const webServesNova = web !== undefined && !OFF.has(web.state ?? '') && inv.apacheNovaConfs.length > 0;
    if (container && unitOn) {
      problems.push(`nova-${service} is both ${row.unit} and container ${container.name}`);
      continue;
    }
    if (unitOn && webServesNova) {
      problems.push(`nova-${service} may be ${row.unit} or ${row.wsgi} (${inv.apacheNovaConfs.join(', ')})`);
      continue;
    }
    if (unitOn) out[service] = { kind: 'systemd', unit: row.unit, service };
    else if (webServesNova) out[service] = { kind: 'systemd', unit: row.wsgi!, service };
    else if (container) out[service] = { kind: 'container', engine: container.engine, name: container.name, service };
    else if (unit) problems.push(`${row.unit} is ${unit.state}`);
    else problems.push(`no ${row.unit}${row.wsgi ? ` and no ${row.wsgi} serving nova` : ''}`);
  }
  if (problems.length > 0) {
    throw new NovaServiceError(
      `cannot tell which units run nova here: ${problems.join('; ')}; found: ${found.join(', ') || 'nothing'}`,
      found,
    );
  }
  return out;
}

/** The services to restart after changing these options, for this role (api, scheduler, compute order). */
export function servicesToRestart(changed: readonly NovaChange[], role: NovaRole | readonly NovaRole[]): NovaService[] {
  const mine = new Set(roles(role).flatMap((r) => ROLE_SERVICES[r]));
  const want = new Set(changed.flatMap((c) => CHANGE_SERVICES[c]));
  return (['api', 'scheduler', 'compute'] as const).filter((s) => mine.has(s) && want.has(s));
}

/** argv that restarts a service. */
export function restartArgv(ref: ServiceRef): string[] {
  return ref.kind === 'systemd' ? ['systemctl', 'restart', ref.unit] : [ref.engine, 'restart', ref.name];
}

/** kolla when the host runs nova containers, else the distribution's packages. */
export function novaFamily(osFamily: 'debian' | 'el' | 'other', installed: UnitInventory): NovaFamily | undefined {
  const names = new Set(Object.values(KOLLA_CONTAINERS));
  if (installed.containers.some((c) => names.has(c.name))) return 'kolla';
  return osFamily === 'other' ? undefined : osFamily;
}
