// The openstack CLI (python-openstackclient 6.x on the SDK) for the few
// commands passthru needs: flavor show/create/set/unset/list/delete, image
// show/set/unset/list, token issue, and the compute service and server
// commands of a drain (openstack-compute.ts). Credentials come from the environment
// (an openrc sourced in the same shell) or --os-* options, and are checked
// against the cloud's admin password; keystone (httpd/apache2) and nova-api
// must be running on the controller for the calls to get through.

import { randomUUID } from 'node:crypto';
import type { Tool, ToolInvocation, ToolResult } from '../types.ts';
import { hostUnits } from '../distro.ts';
import { readUnitState } from '../units.ts';
import { labUuid, sha256, readOpenstackState, writeOpenstackState, type Flavor, type Image, type OpenstackState } from '../openstack-state.ts';
import { fail, ok } from './util.ts';
import { COMPUTE_COMMANDS, computeCommand } from './openstack-compute.ts';

type Row = Array<[string, unknown]>;

class Cli {
  readonly words: string[] = [];
  readonly opts = new Map<string, string[]>();
  readonly flags = new Set<string>();
  error?: string;
}

// options that take a value; everything else starting with -- is a flag
const VALUED = new Set([
  '--os-auth-url', '--os-username', '--os-password', '--os-project-name', '--os-project-id', '--os-user-domain-name', '--os-project-domain-name',
  '--os-region-name', '--os-identity-api-version', '--os-cloud', '--os-interface', '--os-auth-type', '--os-compute-api-version', '--os-image-api-version',
  '-f', '--format', '-c', '--column', '--max-width', '--sort-column', '--sort-ascending', '--ram', '--disk', '--vcpus', '--ephemeral', '--swap', '--id',
  '--property', '--description', '--rxtx-factor', '--project', '--project-domain', '--name', '--limit', '--marker', '--tag',
  '--host', '--service', '--disable-reason', '--status', '--server', '--type',
]);

function parse(argv: string[]): Cli {
  const c = new Cli();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a.startsWith('-') && a !== '-') {
      const eq = a.indexOf('=');
      const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
      if (VALUED.has(name)) {
        let v: string | undefined;
        if (a.startsWith('--') && eq > 0) v = a.slice(eq + 1);
        else if (name.length === 2 && a.length > 2) v = a.slice(2);
        else v = argv[++i];
        if (v === undefined) {
          c.error = `argument ${name}: expected one argument`;
          return c;
        }
        const list = c.opts.get(name) ?? [];
        list.push(v);
        c.opts.set(name, list);
      } else {
        c.flags.add(a);
      }
    } else c.words.push(a);
  }
  return c;
}

function opt(c: Cli, ...names: string[]): string | undefined {
  for (const n of names) {
    const v = c.opts.get(n);
    if (v?.length) return v[v.length - 1];
  }
  return undefined;
}

function reqId(): string {
  return `req-${randomUUID()}`;
}

function pyBool(v: unknown): string {
  return v === true ? 'True' : v === false ? 'False' : v === null || v === undefined ? 'None' : String(v);
}

function formatDict(d: Record<string, unknown>): string {
  return Object.keys(d)
    .sort()
    .map((k) => `${k}='${String(d[k])}'`)
    .join(', ');
}

function cell(v: unknown): string {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) return formatDict(v as Record<string, unknown>);
  if (Array.isArray(v)) return v.join(', ');
  if (typeof v === 'number' && !Number.isInteger(v)) return String(v);
  return pyBool(v);
}

function table(headers: string[], rows: string[][]): string {
  const w = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const sep = `+${w.map((n) => '-'.repeat(n + 2)).join('+')}+\n`;
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(w[i] ?? 0)).join(' | ')} |\n`;
  return sep + line(headers) + sep + rows.map(line).join('') + sep;
}

function jsonText(v: unknown): string {
  // cliff's json formatter: indent=2; floats keep their ".0"
  return `${JSON.stringify(v, null, 2).replace(/"rxtx_factor": 1(,?)$/m, '"rxtx_factor": 1.0$1')}\n`;
}

function formatOne(c: Cli, row: Row): ToolResult {
  const fmt = opt(c, '-f', '--format') ?? 'table';
  const cols = [...(c.opts.get('-c') ?? []), ...(c.opts.get('--column') ?? [])];
  const sel = cols.length ? row.filter(([k]) => cols.includes(k)) : row;
  switch (fmt) {
    case 'json':
      return ok(jsonText(Object.fromEntries(sel)));
    case 'value':
      return ok(sel.map(([, v]) => `${cell(v)}\n`).join(''));
    case 'shell':
      return ok(sel.map(([k, v]) => `${k.replace(/[^A-Za-z0-9_]/g, '_')}="${cell(v)}"\n`).join(''));
    case 'yaml':
      return ok(sel.map(([k, v]) => `${k}: ${typeof v === 'object' && v !== null ? JSON.stringify(v) : v === null ? 'null' : String(v)}\n`).join(''));
    default:
      return ok(table(['Field', 'Value'], sel.map(([k, v]) => [k, cell(v)])));
  }
}

function formatList(c: Cli, headers: string[], rows: unknown[][]): ToolResult {
  const fmt = opt(c, '-f', '--format') ?? 'table';
  const cols = [...(c.opts.get('-c') ?? []), ...(c.opts.get('--column') ?? [])];
  const idx = cols.length ? headers.map((h, i) => (cols.includes(h) ? i : -1)).filter((i) => i >= 0) : headers.map((_, i) => i);
  const hs = idx.map((i) => headers[i] as string);
  const rs = rows.map((r) => idx.map((i) => r[i]));
  switch (fmt) {
    case 'json':
      return ok(jsonText(rs.map((r) => Object.fromEntries(r.map((v, i) => [hs[i] as string, v])))));
    case 'value':
      return ok(rs.map((r) => `${r.map(cell).join(' ')}\n`).join(''));
    case 'csv':
      return ok(`${hs.map((h) => `"${h}"`).join(',')}\n${rs.map((r) => r.map((v) => (typeof v === 'string' ? `"${v}"` : cell(v))).join(',')).join('\n')}\n`);
    default:
      return ok(table(hs, rs.map((r) => r.map(cell))));
  }
}

function flavorRow(f: Flavor): Row {
  return [
    ['OS-FLV-DISABLED:disabled', false],
    ['OS-FLV-EXT-DATA:ephemeral', f.ephemeral],
    ['access_project_ids', null],
    ['description', f.description],
    ['disk', f.disk],
    ['id', f.id],
    ['name', f.name],
    ['os-flavor-access:is_public', f.isPublic],
    ['properties', { ...f.properties }],
    ['ram', f.ram],
    ['rxtx_factor', 1],
    ['swap', f.swap],
    ['vcpus', f.vcpus],
  ];
}

function imageRow(i: Image): Row {
  const props: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(i.properties)) props[k] = k === 'os_hidden' ? v === 'True' || v === 'true' : v;
  return [
    ['checksum', i.checksum],
    ['container_format', i.containerFormat],
    ['created_at', i.createdAt],
    ['disk_format', i.diskFormat],
    ['file', `/v2/images/${i.id}/file`],
    ['id', i.id],
    ['min_disk', i.minDisk],
    ['min_ram', i.minRam],
    ['name', i.name],
    ['owner', labUuid('project:admin').replace(/-/g, '')],
    ['properties', props],
    ['protected', false],
    ['schema', '/v2/schemas/image'],
    ['size', i.size],
    ['status', i.status],
    ['tags', []],
    ['updated_at', i.updatedAt],
    ['visibility', i.visibility],
  ];
}

function parseProps(c: Cli, cmd: string): { props: Record<string, string> } | { error: ToolResult } {
  const out: Record<string, string> = {};
  for (const p of c.opts.get('--property') ?? []) {
    const eq = p.indexOf('=');
    if (eq <= 0) return { error: fail(2, `usage: openstack ${cmd} [-h] ...\nopenstack ${cmd}: error: argument --property: Expected 'key=value' type, but got: ${p}\n`) };
    out[p.slice(0, eq)] = p.slice(eq + 1);
  }
  return { props: out };
}

function serviceDown(inv: ToolInvocation, names: string[]): boolean {
  const units = hostUnits(inv.host.spec).filter((u) => names.includes(u.name));
  return units.length > 0 && units.every((u) => readUnitState(inv.fs, u.name).active !== 'active');
}

function findFlavor(s: OpenstackState, key: string): Flavor | undefined {
  return s.flavors.find((f) => f.id === key) ?? s.flavors.find((f) => f.name === key);
}

function findImage(s: OpenstackState, key: string): Image | undefined {
  return s.images.find((i) => i.id === key) ?? s.images.find((i) => i.name === key);
}

function intOpt(c: Cli, name: string, cmd: string, dflt: number): number | ToolResult {
  const v = opt(c, name);
  if (v === undefined) return dflt;
  if (!/^-?\d+$/.test(v)) return fail(2, `usage: openstack ${cmd} [-h] ...\nopenstack ${cmd}: error: argument ${name}: invalid int value: '${v}'\n`);
  return Number(v);
}

export const openstack: Tool = (inv): ToolResult => {
  const c = parse(inv.argv.slice(1));
  if (c.error) return fail(2, `usage: openstack [--version] [-v | -q] [--log-file LOG_FILE] [-h] [--debug]\nopenstack: error: ${c.error}\n`);
  const fmt = opt(c, '-f', '--format');
  if (fmt && !['json', 'shell', 'table', 'value', 'yaml', 'csv'].includes(fmt)) {
    return fail(2, `openstack: error: argument -f/--format: invalid choice: '${fmt}' (choose from 'json', 'shell', 'table', 'value', 'yaml')\n`);
  }
  if (c.flags.has('--version')) return ok('openstack 6.2.0\n');
  if (c.opts.has('--os-cloud')) return fail(1, 'lab: clouds.yaml (--os-cloud) is not modelled by the passthru lab; source an openrc\n');
  // `compute service list` and `server migration list` take three words
  const three = c.words[0] === 'compute' || (c.words[0] === 'server' && c.words[1] === 'migration');
  const [noun = '', verb = '', ...rest] = c.words;
  const cmd = (three ? `${noun} ${verb} ${rest[0] ?? ''}` : `${noun} ${verb}`).trim();
  const args = three ? rest.slice(1) : rest;
  const known = ['flavor show', 'flavor create', 'flavor set', 'flavor unset', 'flavor list', 'flavor delete', 'image show', 'image set', 'image unset', 'image list', 'token issue', ...COMPUTE_COMMANDS];
  if (!cmd) return fail(1, 'lab: interactive openstack shell is not modelled by the passthru lab\n');
  if (!known.includes(cmd)) {
    if (['server', 'hypervisor', 'compute', 'network', 'volume', 'project', 'user', 'endpoint', 'service', 'aggregate', 'host', 'resource', 'catalog'].includes(noun)) {
      return fail(1, `lab: 'openstack ${cmd}' is not modelled by the passthru lab\n`);
    }
    return fail(2, `openstack: '${c.words.join(' ')}' is not an openstack command. See 'openstack --help'.\n`);
  }

  // authentication, as keystoneauth and osc-lib check it
  const env = inv.env;
  const authUrl = opt(c, '--os-auth-url') ?? env.OS_AUTH_URL;
  const username = opt(c, '--os-username') ?? env.OS_USERNAME;
  const password = opt(c, '--os-password') ?? env.OS_PASSWORD;
  if (!authUrl) return fail(1, 'Missing value auth-url required for auth plugin password\n');
  const state = readOpenstackState(inv.fs);
  if (!state) {
    return fail(1, `Failed to discover available identity versions when contacting ${authUrl}. Attempting to parse version from URL.\nUnable to establish connection to ${authUrl}/auth/tokens: ('Connection aborted.', ConnectionRefusedError(111, 'Connection refused'))\n`);
  }
  if (!password) return fail(1, 'No password entered, or found via --os-password or OS_PASSWORD\n');
  if (serviceDown(inv, ['httpd.service', 'apache2.service'])) {
    return fail(1, `Failed to discover available identity versions when contacting ${authUrl}. Attempting to parse version from URL.\nUnable to establish connection to ${authUrl}/auth/tokens: HTTPConnectionPool(host='${inv.host.spec.name}', port=5000): Max retries exceeded with url: /v3/auth/tokens (Caused by NewConnectionError('<urllib3.connection.HTTPConnection object at 0x7f2c1d6a3d90>: Failed to establish a new connection: [Errno 111] Connection refused'))\n`);
  }
  if (username !== 'admin' || sha256(password) !== state.adminPasswordSha256) {
    return fail(1, `The request you have made requires authentication. (HTTP 401) (Request-ID: ${reqId()})\n`);
  }
  if ((noun === 'flavor' || noun === 'server' || noun === 'compute') && serviceDown(inv, ['openstack-nova-api.service', 'nova-api.service'])) {
    return fail(1, `Unable to establish connection to http://${inv.host.spec.name}:8774/v2.1/flavors: HTTPConnectionPool(host='${inv.host.spec.name}', port=8774): Max retries exceeded with url: /v2.1/flavors (Caused by NewConnectionError('<urllib3.connection.HTTPConnection object at 0x7f2c1d6a3d90>: Failed to establish a new connection: [Errno 111] Connection refused'))\n`);
  }

  if (COMPUTE_COMMANDS.includes(cmd)) {
    const r = computeCommand(c, cmd, args, state, inv, { one: (row) => formatOne(c, row), list: (headers, rows) => formatList(c, headers, rows) });
    // the cloud moved on (migrations, stops) even when the command itself failed
    writeOpenstackState(inv.fs, state);
    return r;
  }
  switch (cmd) {
    case 'token issue':
      return formatOne(c, [
        ['expires', new Date(Date.now() + 3600_000).toISOString().replace(/\.\d+Z$/, '+0000')],
        ['id', `gAAAAAB${randomUUID().replace(/-/g, '')}`],
        ['project_id', labUuid('project:admin').replace(/-/g, '')],
        ['user_id', labUuid('user:admin').replace(/-/g, '')],
      ]);
    case 'flavor list': {
      const rows = state.flavors.filter((f) => f.isPublic || c.flags.has('--all') || c.flags.has('--private')).map((f) => [f.id, f.name, f.ram, f.disk, f.ephemeral, f.vcpus, f.isPublic]);
      return formatList(c, ['ID', 'Name', 'RAM', 'Disk', 'Ephemeral', 'VCPUs', 'Is Public'], rows);
    }
    case 'flavor show': {
      const key = args[0];
      if (!key) return fail(2, 'usage: openstack flavor show [-h] [-f {json,shell,table,value,yaml}] [-c COLUMN] <flavor>\nopenstack flavor show: error: the following arguments are required: <flavor>\n');
      const f = findFlavor(state, key);
      if (!f) return fail(1, `No Flavor found for ${key}\n`);
      return formatOne(c, flavorRow(f));
    }
    case 'flavor create': {
      const name = args[0];
      if (!name) return fail(2, 'usage: openstack flavor create [-h] [-f {json,shell,table,value,yaml}] [-c COLUMN] [--id <id>] [--ram <size-mb>] [--disk <size-gb>] [--ephemeral <size-gb>] [--swap <size-mb>] [--vcpus <vcpus>] [--rxtx-factor <factor>] [--public | --private] [--property <key=value>] [--project <project>] [--description <description>] <flavor-name>\nopenstack flavor create: error: the following arguments are required: <flavor-name>\n');
      const ram = intOpt(c, '--ram', cmd, 256);
      const disk = intOpt(c, '--disk', cmd, 0);
      const vcpus = intOpt(c, '--vcpus', cmd, 1);
      const eph = intOpt(c, '--ephemeral', cmd, 0);
      const swap = intOpt(c, '--swap', cmd, 0);
      for (const v of [ram, disk, vcpus, eph, swap]) if (typeof v !== 'number') return v;
      const parsed = parseProps(c, cmd);
      if ('error' in parsed) return parsed.error;
      const props = parsed.props;
      if (state.flavors.some((f) => f.name === name)) {
        return fail(1, `ConflictException: 409: Client Error for url: http://${inv.host.spec.name}:8774/v2.1/flavors, Flavor with name ${name} already exists.\n`);
      }
      const f: Flavor = {
        id: opt(c, '--id') ?? randomUUID(),
        name,
        ram: ram as number,
        disk: disk as number,
        vcpus: vcpus as number,
        ephemeral: eph as number,
        swap: swap as number,
        isPublic: !c.flags.has('--private'),
        description: opt(c, '--description') ?? null,
        properties: props,
      };
      state.flavors.push(f);
      writeOpenstackState(inv.fs, state);
      return formatOne(c, flavorRow(f));
    }
    case 'flavor set':
    case 'flavor unset': {
      const key = args[0];
      if (!key) return fail(2, `usage: openstack ${cmd} [-h] [--property <key=value>] <flavor>\nopenstack ${cmd}: error: the following arguments are required: <flavor>\n`);
      const f = findFlavor(state, key);
      if (!f) return fail(1, `No Flavor found for ${key}\n`);
      if (cmd === 'flavor set') {
        const parsed = parseProps(c, cmd);
        if ('error' in parsed) return parsed.error;
        const props = parsed.props;
        if (c.flags.has('--no-property')) f.properties = {};
        Object.assign(f.properties, props);
      } else {
        for (const k of c.opts.get('--property') ?? []) delete f.properties[k];
      }
      writeOpenstackState(inv.fs, state);
      return ok();
    }
    case 'flavor delete': {
      if (!args.length) return fail(2, 'usage: openstack flavor delete [-h] <flavor> [<flavor> ...]\nopenstack flavor delete: error: the following arguments are required: <flavor>\n');
      let err = '';
      for (const key of args) {
        const f = findFlavor(state, key);
        if (!f) err += `Failed to delete flavor with name or ID '${key}': No Flavor found for ${key}\n`;
        else state.flavors = state.flavors.filter((x) => x !== f);
      }
      writeOpenstackState(inv.fs, state);
      const failed = err.split('\n').length - 1;
      if (err) return fail(1, `${err}${failed} of ${args.length} flavors failed to delete.\n`);
      return ok();
    }
    case 'image list':
      return formatList(c, ['ID', 'Name', 'Status'], state.images.map((i) => [i.id, i.name, i.status]));
    case 'image show': {
      const key = args[0];
      if (!key) return fail(2, 'usage: openstack image show [-h] [-f {json,shell,table,value,yaml}] [-c COLUMN] [--human-readable] <image>\nopenstack image show: error: the following arguments are required: <image>\n');
      const i = findImage(state, key);
      if (!i) return fail(1, `No Image found for ${key}\n`);
      return formatOne(c, imageRow(i));
    }
    case 'image set':
    case 'image unset': {
      const key = args[0];
      if (!key) return fail(2, `usage: openstack ${cmd} [-h] [--property <key=value>] <image>\nopenstack ${cmd}: error: the following arguments are required: <image>\n`);
      const i = findImage(state, key);
      if (!i) return fail(1, `No Image found for ${key}\n`);
      if (cmd === 'image set') {
        const parsed = parseProps(c, cmd);
        if ('error' in parsed) return parsed.error;
        const props = parsed.props;
        Object.assign(i.properties, props);
      } else {
        for (const k of c.opts.get('--property') ?? []) {
          if (!(k in i.properties)) return fail(1, `Failed to unset 1 of 1 properties.\n`);
          delete i.properties[k];
        }
      }
      i.updatedAt = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      writeOpenstackState(inv.fs, state);
      return ok();
    }
  }
  return fail(1, `lab: 'openstack ${cmd}' is not modelled by the passthru lab\n`);
};
