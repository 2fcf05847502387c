// What a nova service checks in its configuration when it starts, with
// nova's own exception names and messages (nova/pci/request.py,
// nova/pci/whitelist.py, nova/pci/devspec.py, nova/scheduler/host_manager.py
// and oslo.config). This is the embedded lab's check; the real-sshd lab runs
// nova's own code (src/lab/tools/nova_check.py) when python3-nova is there,
// and the two agree on the cases tested in test/lab/model/novacheck.test.ts.
//
// Note: the real nova-api parses [pci] alias when a request needs it (HTTP
// 400 at server create), not at start; the lab checks it at start of nova-api
// and nova-compute so that a bad alias is seen at once.

import type { HostSpec, LabFs, NovaRelease } from './types.ts';
import { distroInfo, hostUnits, releaseAtLeast, type NovaService } from './distro.ts';
import { containerEtcNova, containerOf } from './containers.ts';
import { ConfigFileParseError, lastValue, multiValues, parseOslo, type OsloFile } from './osloconf.ts';
import { PyDict, PyFloat, PyJsonError, pyJsonLoads, pyRepr, pyStrRepr, pyTypeName, type PyValue } from './pyjson.ts';

export interface NovaCheckFailure {
  /** fully qualified exception class, e.g. nova.exception.PciInvalidAlias */
  exception: string;
  message: string;
}

/**
 * The command line an admin gave the unit in a drop-in
 * (/etc/systemd/system/UNIT.d/*.conf: `ExecStart=` to reset, then
 * `ExecStart=...`), as systemd reads them: in name order, the last wins.
 */
export function dropInExecStart(fs: LabFs, unit: string): string | undefined {
  const dir = `/etc/systemd/system/${unit}.d`;
  let exec: string | undefined;
  for (const name of fs.readdir(dir).filter((n) => n.endsWith('.conf')).sort()) {
    for (const line of (fs.readFile(`${dir}/${name}`) ?? '').split('\n')) {
      const m = /^\s*ExecStart\s*=\s*(.*?)\s*$/.exec(line);
      if (m) exec = m[1] === '' ? undefined : m[1];
    }
  }
  return exec;
}

/** --config-file arguments of a command line (`--config-file F`, `--config-file=F`) */
function configFileArgs(command: string): string[] {
  const words = command.split(/\s+/);
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i] ?? '';
    if (w === '--config-file' && words[i + 1]) out.push(words[++i] ?? '');
    else if (w.startsWith('--config-file=')) out.push(w.slice('--config-file='.length));
  }
  return out;
}

/** the configuration files a nova service of this host reads, in order */
export function novaConfigFiles(fs: LabFs, spec: HostSpec, service: NovaService): string[] {
  // kolla: the container's own /etc/nova/nova.conf, as kolla_start copied it at the start
  if (spec.kolla) {
    const c = containerOf(spec, service);
    return c ? [`${containerEtcNova(c.name)}/nova.conf`] : [];
  }
  const d = distroInfo(spec.distro);
  // --config-file on the command line replaces the default files (nova.conf.d is read all the same)
  const unit = hostUnits(spec).find((u) => u.nova === service);
  const exec = unit ? dropInExecStart(fs, unit.name) : undefined;
  const given = exec ? configFileArgs(exec) : [];
  const files = given.length > 0 ? given : ['/etc/nova/nova.conf'];
  if (given.length === 0 && d.family === 'debian' && service === 'compute' && fs.exists('/etc/nova/nova-compute.conf')) files.push('/etc/nova/nova-compute.conf');
  for (const name of fs.readdir('/etc/nova/nova.conf.d')) if (name.endsWith('.conf')) files.push(`/etc/nova/nova.conf.d/${name}`);
  return files;
}

/** filters nova ships (nova.scheduler.filters.all_filters) in a release */
export function novaFilters(release: NovaRelease): string[] {
  const all = [
    'AggregateImagePropertiesIsolation',
    'AggregateInstanceExtraSpecsFilter',
    'AggregateIoOpsFilter',
    'AggregateMultiTenancyIsolation',
    'AggregateNumInstancesFilter',
    'AggregateTypeAffinityFilter',
    'AllHostsFilter',
    'AvailabilityZoneFilter',
    'ComputeCapabilitiesFilter',
    'ComputeFilter',
    'DifferentHostFilter',
    'ImagePropertiesFilter',
    'IoOpsFilter',
    'IsolatedHostsFilter',
    'JsonFilter',
    'MetricsFilter',
    'NUMATopologyFilter',
    'NumInstancesFilter',
    'PciPassthroughFilter',
    'SameHostFilter',
    'ServerGroupAffinityFilter',
    'ServerGroupAntiAffinityFilter',
    'SimpleCIDRAffinityFilter',
  ];
  // AvailabilityZoneFilter was removed in 2023.2 (placement does the job)
  return releaseAtLeast(release, '2023.2') ? all.filter((f) => f !== 'AvailabilityZoneFilter') : all;
}

export const DEFAULT_ENABLED_FILTERS = ['ComputeFilter', 'ComputeCapabilitiesFilter', 'ImagePropertiesFilter', 'ServerGroupAntiAffinityFilter', 'ServerGroupAffinityFilter'];

/** Check the configuration as the service would at start; undefined when it starts. */
export function checkNovaService(fs: LabFs, spec: HostSpec, service: NovaService): NovaCheckFailure | undefined {
  const release = spec.nova?.release ?? 'zed';
  const files: OsloFile[] = [];
  for (const f of novaConfigFiles(fs, spec, service)) {
    const text = fs.readFile(f);
    if (text === undefined) continue;
    try {
      files.push(parseOslo(f, text));
    } catch (e) {
      if (e instanceof ConfigFileParseError) return { exception: 'oslo_config.cfg.ConfigFileParseError', message: e.message };
      throw e;
    }
  }
  if (service === 'scheduler') return checkFilters(files, release);
  if (service === 'compute') return checkDeviceSpec(files, release) ?? checkAliases(files);
  if (service === 'api') return checkAliases(files);
  return undefined;
}

export function checkFilters(files: OsloFile[], release: NovaRelease): NovaCheckFailure | undefined {
  const v = lastValue(files, [['filter_scheduler', 'enabled_filters']]);
  const enabled = v === undefined ? DEFAULT_ENABLED_FILTERS : v.value.trim() === '' ? [] : v.value.split(',').map((s) => s.trim());
  const availableOpt = multiValues(files, [['filter_scheduler', 'available_filters']]).map((x) => x.value.trim());
  const shipped = novaFilters(release);
  const available = new Set<string>();
  for (const a of availableOpt.length ? availableOpt : ['nova.scheduler.filters.all_filters']) {
    if (a === 'nova.scheduler.filters.all_filters') shipped.forEach((f) => available.add(f));
    else {
      const cls = a.split('.').pop() ?? '';
      if (shipped.includes(cls)) available.add(cls);
    }
  }
  const bad = enabled.filter((f) => !available.has(f));
  if (bad.length) {
    return { exception: 'nova.exception.SchedulerHostFilterNotFound', message: `Scheduler Host Filter ${bad.join(', ')} could not be found.` };
  }
  return undefined;
}

// ------------------------------------------------------------------ [pci] alias

const ALIAS_PROPS = ['name', 'capability_type', 'product_id', 'vendor_id', 'device_type', 'numa_policy'];
const PCI_ID_PATTERN = '^([\\da-fA-F]{4})$';
const PCI_ID_RE = /^([\da-fA-F]{4})\n?$/;
const DEVICE_TYPES = ['type-PCI', 'type-PF', 'type-VF'];
const NUMA_POLICIES = ['required', 'legacy', 'preferred', 'socket'];

function enumRepr(values: string[]): string {
  return `[${values.map(pyStrRepr).join(', ')}]`;
}

/** jsonschema.validate(spec, _ALIAS_SCHEMA) -> the best_match error message, if any */
function aliasSchemaError(spec: PyValue): string | undefined {
  if (!(spec instanceof PyDict)) return `${pyRepr(spec)} is not of type 'object'`;
  const extras = spec.keys().filter((k) => !ALIAS_PROPS.includes(k));
  if (extras.length) return `Additional properties are not allowed (${extras.map(pyStrRepr).join(', ')} ${extras.length === 1 ? 'was' : 'were'} unexpected)`;
  if (!spec.has('name')) return `'name' is a required property`;
  for (const prop of ALIAS_PROPS) {
    if (!spec.has(prop)) continue;
    const v = spec.get(prop) as PyValue;
    if (typeof v !== 'string') return `${pyRepr(v)} is not of type 'string'`;
    if (prop === 'name') {
      if (v.length < 1) return `${pyRepr(v)} is too short`;
      if (v.length > 256) return `${pyRepr(v)} is too long`;
    }
    if (prop === 'capability_type' && v !== 'pci') return `${pyRepr(v)} is not one of ['pci']`;
    if ((prop === 'product_id' || prop === 'vendor_id') && !PCI_ID_RE.test(v)) return `${pyRepr(v)} does not match ${pyStrRepr(PCI_ID_PATTERN)}`;
    if (prop === 'device_type' && !DEVICE_TYPES.includes(v)) return `${pyRepr(v)} is not one of ${enumRepr(DEVICE_TYPES)}`;
    if (prop === 'numa_policy' && !NUMA_POLICIES.includes(v)) return `${pyRepr(v)} is not one of ${enumRepr(NUMA_POLICIES)}`;
  }
  return undefined;
}

export interface ParsedAlias {
  name: string;
  numaPolicy: string;
  specs: Array<Record<string, string>>;
}

/** nova.pci.request._get_alias_from_config(): the aliases, or the PciInvalidAlias it raises */
export function parseAliases(values: string[]): { aliases: Map<string, ParsedAlias> } | { error: NovaCheckFailure } {
  const aliases = new Map<string, ParsedAlias>();
  const fail = (reason: string): { error: NovaCheckFailure } => ({
    error: { exception: 'nova.exception.PciInvalidAlias', message: `Invalid PCI alias definition: ${reason}` },
  });
  for (const text of values) {
    let spec: PyValue;
    try {
      spec = pyJsonLoads(text);
    } catch (e) {
      if (e instanceof PyJsonError) return fail(e.message);
      throw e;
    }
    const schemaErr = aliasSchemaError(spec);
    if (schemaErr) return fail(schemaErr);
    const d = spec as PyDict;
    const rec: Record<string, string> = {};
    for (const k of d.keys()) rec[k] = d.get(k) as string;
    const name = (rec.name ?? '').trim();
    delete rec.name;
    const numa = rec.numa_policy || 'legacy';
    delete rec.numa_policy;
    const devType = rec.device_type;
    delete rec.device_type;
    if (devType) rec.dev_type = devType;
    const existing = aliases.get(name);
    if (!existing) {
      aliases.set(name, { name, numaPolicy: numa, specs: [rec] });
      continue;
    }
    if (existing.numaPolicy !== numa) return fail(`NUMA policy mismatch for alias '${name}'`);
    const first = existing.specs[0] ?? {};
    // nova indexes ['dev_type'] on both: a KeyError when either lacks device_type
    if (!('dev_type' in first) || !('dev_type' in rec)) return fail("'dev_type'");
    if (first.dev_type !== rec.dev_type) return fail(`Device type mismatch for alias '${name}'`);
    existing.specs.push(rec);
  }
  return { aliases };
}

export function checkAliases(files: OsloFile[]): NovaCheckFailure | undefined {
  const values = multiValues(files, [
    ['default', 'pci_alias'],
    ['pci', 'alias'],
  ]).map((v) => v.value);
  const r = parseAliases(values);
  return 'error' in r ? r.error : undefined;
}

// ------------------------------------------------------------------ [pci] device_spec / passthrough_whitelist

function specException(release: NovaRelease): { cls: string; prefix: string } {
  return releaseAtLeast(release, 'zed')
    ? { cls: 'nova.exception.PciConfigInvalidSpec', prefix: 'Invalid [pci]device_spec config: ' }
    : { cls: 'nova.exception.PciConfigInvalidWhitelist', prefix: 'Invalid PCI devices Whitelist config: ' };
}

class SpecError extends Error {
  constructor(readonly failure: NovaCheckFailure) {
    super(failure.message);
  }
}

/** Python's int(s, 16) */
function pyIntHex(s: string): number | undefined {
  const t = s.trim().replace(/^([+-]?)0[xX](?=[0-9a-fA-F_])/, '$1');
  if (!/^[+-]?[0-9a-fA-F](_?[0-9a-fA-F])*$/.test(t)) return undefined;
  return Number.parseInt(t.replace(/_/g, ''), 16);
}

function setPciDevInfo(prop: string, value: PyValue, max: number, ex: { cls: string; prefix: string }): void {
  if (value === '*') return;
  if (typeof value !== 'string') {
    throw new SpecError({ exception: 'builtins.TypeError', message: "int() can't convert non-string with explicit base" });
  }
  const v = pyIntHex(value);
  if (v === undefined) throw new SpecError({ exception: ex.cls, message: `${ex.prefix}property ${prop} ('${value}') does not parse as a hex number.` });
  if (v > max) {
    throw new SpecError({
      exception: ex.cls,
      message: `${ex.prefix}property ${prop} (${value}) is greater than the maximum allowable value (${max.toString(16).toUpperCase()}).`,
    });
  }
}

function pyStr(v: PyValue): string {
  return typeof v === 'string' ? v : pyRepr(v);
}

function wrongAddress(addr: PyValue): SpecError {
  return new SpecError({ exception: 'nova.exception.PciDeviceWrongAddressFormat', message: `The PCI address ${pyStr(addr)} has an incorrect format.` });
}

function checkAddress(addr: PyValue, ex: { cls: string; prefix: string }): void {
  if (typeof addr === 'string') {
    const dot = addr.indexOf('.');
    const dbs = dot < 0 ? addr : addr.slice(0, dot);
    const func = dot < 0 ? '' : addr.slice(dot + 1);
    if (func) {
      const f = func.trim();
      if (f !== '*' && f !== '') setPciDevInfo('func', f, 7, ex);
    }
    if (dbs) {
      const fields = dbs.split(':');
      if (fields.length > 3) throw wrongAddress(addr);
      const all = [...Array<string>(3 - fields.length).fill('*'), ...fields].map((s) => s.trim() || '*');
      setPciDevInfo('domain', all[0] as string, 0xffff, ex);
      setPciDevInfo('bus', all[1] as string, 0xff, ex);
      setPciDevInfo('slot', all[2] as string, 0x1f, ex);
    }
    return;
  }
  if (addr instanceof PyDict) {
    for (const k of ['domain', 'bus', 'slot', 'function']) {
      const v = addr.has(k) ? (addr.get(k) as PyValue) : '.*';
      if (typeof v !== 'string') throw new SpecError({ exception: 'builtins.TypeError', message: 'first argument must be string or compiled pattern' });
      try {
        new RegExp(v);
      } catch {
        throw wrongAddress(addr);
      }
    }
    return;
  }
  throw wrongAddress(addr);
}

function checkOneSpec(ds: PyDict, ex: { cls: string; prefix: string }): void {
  const vendor = ds.has('vendor_id') ? (ds.get('vendor_id') as PyValue) : '*';
  const product = ds.has('product_id') ? (ds.get('product_id') as PyValue) : '*';
  const devname = ds.has('devname') ? (ds.get('devname') as PyValue) : null;
  const address = ds.has('address') ? (ds.get('address') as PyValue) : null;
  if (typeof vendor !== 'string') {
    throw new SpecError({ exception: 'builtins.AttributeError', message: `'${pyTypeName(vendor)}' object has no attribute 'strip'` });
  }
  setPciDevInfo('vendor_id', vendor.trim(), 0xffff, ex);
  setPciDevInfo('product_id', product, 0xffff, ex);
  const truthy = (v: PyValue): boolean => !(v === null || v === false || v === '' || v === 0 || (Array.isArray(v) && v.length === 0) || (v instanceof PyDict && v.entries.length === 0) || (v instanceof PyFloat && v.value === 0));
  if (truthy(address) && truthy(devname)) {
    throw new SpecError({
      exception: 'nova.exception.PciDeviceInvalidDeviceName',
      message: 'Invalid PCI Whitelist: The PCI whitelist can specify devname or address, but not both',
    });
  }
  if (!truthy(devname)) checkAddress(truthy(address) ? (address as PyValue) : '*:*:*.*', ex);
}

/** nova.pci.whitelist.Whitelist(values): undefined, or what it raises */
export function parseDeviceSpecs(values: string[], release: NovaRelease): NovaCheckFailure | undefined {
  const ex = specException(release);
  for (const jsonspec of values) {
    let spec: PyValue;
    try {
      spec = pyJsonLoads(jsonspec);
    } catch (e) {
      if (e instanceof PyJsonError) return { exception: ex.cls, message: `${ex.prefix}Invalid entry: '${jsonspec}'` };
      throw e;
    }
    let list: PyValue[];
    if (spec instanceof PyDict) list = [spec];
    else if (Array.isArray(spec)) list = spec;
    else return { exception: ex.cls, message: `${ex.prefix}Invalid entry: '${jsonspec}'; Expecting list or dict` };
    for (const ds of list) {
      if (!(ds instanceof PyDict)) return { exception: ex.cls, message: `${ex.prefix}Invalid entry: '${pyStr(ds)}'; Expecting dict` };
      try {
        checkOneSpec(ds, ex);
      } catch (e) {
        if (e instanceof SpecError) return e.failure;
        throw e;
      }
    }
  }
  return undefined;
}

export function deviceSpecValues(files: OsloFile[], release: NovaRelease): string[] {
  // device_spec is the name since Zed; before it, only passthrough_whitelist (and its older [DEFAULT] name)
  const names: Array<[string, string]> = [
    ['default', 'pci_passthrough_whitelist'],
    ['pci', 'passthrough_whitelist'],
  ];
  if (releaseAtLeast(release, 'zed')) names.push(['pci', 'device_spec']);
  return multiValues(files, names).map((v) => v.value);
}

export function checkDeviceSpec(files: OsloFile[], release: NovaRelease): NovaCheckFailure | undefined {
  const values = deviceSpecValues(files, release);
  if (values.length === 0) return undefined;
  return parseDeviceSpecs(values, release);
}
