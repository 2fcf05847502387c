// From the PCI devices really present on the hosts to nova's configuration:
// [pci] alias (one per distinct function type across the compute group),
// [pci] device_spec per host, the flavor's pci_passthrough:alias, and
// warnings for IOMMU groups that would be split.
//
// Formats are nova's (nova/conf/pci.py, nova/pci/request.py _ALIAS_SCHEMA,
// nova/pci/devspec.py, nova/pci/whitelist.py, read in python3-nova 26):
//  - alias: a JSON object (a list is rejected) with name (required),
//    vendor_id / product_id (4 hex digits), device_type (type-PCI, type-PF,
//    type-VF), numa_policy; lines with the same name are OR-ed and must
//    agree on device_type and numa_policy;
//  - device_spec: a JSON object or a list of objects; vendor_id /
//    product_id / address (glob "0000:3b:00.*" or a regex dict); missing
//    fields are wildcards;
//  - flavor extra spec pci_passthrough:alias = "name:count[,name:count]".

import { editOslo, getValues, osloProblems, type IniOp } from '../inifile/oslo.ts';
import { parseFilterList, planEnabledFilters } from './filters.ts';
import { atLeast, type NovaRelease } from './release.ts';
import type { NovaChange, NovaRole } from './services.ts';

/** One PCI function as the pciDevices fact reports it. */
export interface PciFunction {
  /** domain:bus:slot.func, e.g. 0000:3b:00.0 */
  address: string;
  /** 4 hex digits, lower case */
  vendor: string;
  device: string;
  /** class code: 6 hex digits (class, subclass, prog-if) or 4 */
  class: string;
  vendorName?: string | undefined;
  deviceName?: string | undefined;
  className?: string | undefined;
  /** IOMMU group; undefined while the IOMMU is off */
  iommuGroup?: number | undefined;
  driver?: string | undefined;
  bootVga?: boolean | undefined;
}

export interface HostDevices {
  host: string;
  /** every PCI function of the host (not only the GPUs: the group check needs the others) */
  devices: PciFunction[];
}

export type DeviceType = 'type-PCI' | 'type-PF' | 'type-VF';
export type NumaPolicy = 'legacy' | 'preferred' | 'required' | 'socket';

export interface PciAlias {
  name: string;
  vendor_id: string;
  product_id: string;
  device_type: DeviceType;
  numa_policy?: NumaPolicy | undefined;
}

export interface DeviceSpec {
  vendor_id: string;
  product_id?: string | undefined;
  address?: string | undefined;
}

export interface GpuCard {
  host: string;
  /** domain:bus:slot */
  slot: string;
  /** the card's functions of the selected vendor, by function number */
  functions: PciFunction[];
  /** vendor:device of the display function */
  model: string;
}

export interface CardModel {
  /** vendor:device of the display function, e.g. 10de:1e04 */
  model: string;
  vendor: string;
  product: string;
  /** lspci's device name when known, e.g. "TU102 [GeForce RTX 2080 Ti]" */
  name: string;
  /** the aliases one card of this model needs, with how many functions of each */
  functions: Array<{ alias: string; count: number }>;
  hosts: string[];
}

export interface PciWarning {
  host: string;
  /** error: the guest will not start / the device cannot be isolated; warning: works but deserves a look; info */
  level: 'error' | 'warning' | 'info';
  message: string;
}

export interface HostPciPlan {
  host: string;
  cards: GpuCard[];
  /** exactly this host's devices to pass through (empty: no GPU here) */
  deviceSpec: DeviceSpec[];
  /** true when the device spec matches by address (the host has excluded cards with the same ids) */
  byAddress: boolean;
  /** slots of the cards left out on purpose */
  excluded: string[];
}

export interface PciPlan {
  aliases: PciAlias[];
  hosts: Record<string, HostPciPlan>;
  models: CardModel[];
  warnings: PciWarning[];
}

export interface PciPlanOptions {
  /** vendor ids whose display cards are passed through (default ['10de'], NVIDIA) */
  vendors?: readonly string[] | undefined;
  /** per host: addresses or slots of cards NOT to pass through (e.g. the console GPU) */
  exclude?: Readonly<Record<string, readonly string[]>> | undefined;
  numaPolicy?: NumaPolicy | undefined;
  deviceType?: DeviceType | undefined;
}

/** Vendor ids -> short names used in alias names (pci.ids). */
export const VENDOR_SLUGS: Readonly<Record<string, string>> = {
  '10de': 'nvidia',
  '1002': 'amd',
  '8086': 'intel',
  '1a03': 'aspeed',
  '102b': 'matrox',
};

/**
 * Function kind by PCI class/subclass (PCI Code and ID Assignment
 * Specification; pci.ids "C" section): the readable part of alias names.
 */
export const FUNCTION_KINDS: Readonly<Record<string, string>> = {
  '0300': 'vga',
  '0301': 'xga',
  '0302': '3d',
  '0380': 'display',
  '0401': 'audio',
  '0403': 'audio',
  '0c03': 'usb',
  '0c05': 'smbus',
  '0c80': 'serial',
  '0600': 'hostbridge',
  '0604': 'bridge',
  '0680': 'bridge',
};

const BRIDGE_CLASSES = ['0600', '0604', '0680'];

function class4(c: string): string {
  return c.replace(/^0x/, '').toLowerCase().slice(0, 4);
}

export function functionKind(fn: Pick<PciFunction, 'class'>): string {
  const c = class4(fn.class);
  return FUNCTION_KINDS[c] ?? `class${c}`;
}

/** The alias name of a function type: <vendor>-<product>-<kind>, e.g. nvidia-1e04-vga, nvidia-10f7-audio. */
export function aliasName(fn: Pick<PciFunction, 'vendor' | 'device' | 'class'>): string {
  const v = fn.vendor.toLowerCase();
  return `${VENDOR_SLUGS[v] ?? v}-${fn.device.toLowerCase()}-${functionKind(fn)}`;
}

/** Alias names passthru generates (any vendor slug or id, 4 hex digits, a kind). */
export const MANAGED_ALIAS_NAME = /^[a-z0-9]+-[0-9a-f]{4}-[a-z0-9]+$/;

function slotOf(address: string): string {
  return address.slice(0, address.lastIndexOf('.'));
}

function funcNo(address: string): number {
  return Number.parseInt(address.slice(address.lastIndexOf('.') + 1), 16);
}

function normAddress(a: string): string {
  const t = a.trim().toLowerCase();
  return /^[0-9a-f]{2}:[0-9a-f]{2}(\.[0-7])?$/.test(t) ? `0000:${t}` : t;
}

function isDisplay(fn: PciFunction): boolean {
  return class4(fn.class).startsWith('03');
}

function describeFn(fn: PciFunction): string {
  const name = [fn.vendorName, fn.deviceName].filter(Boolean).join(' ');
  const cls = fn.className ?? `class ${class4(fn.class)}`;
  return `${fn.address} ${cls}: ${name ? `${name} ` : ''}[${fn.vendor}:${fn.device}]`;
}

/** Compact JSON exactly as nova's jsonutils.loads reads it; keys in a fixed order. */
export function renderAlias(a: PciAlias): string {
  const o: Record<string, string> = { name: a.name, vendor_id: a.vendor_id, product_id: a.product_id, device_type: a.device_type };
  if (a.numa_policy) o.numa_policy = a.numa_policy;
  return JSON.stringify(o);
}

export function renderDeviceSpec(s: DeviceSpec): string {
  const o: Record<string, string> = { vendor_id: s.vendor_id };
  if (s.product_id) o.product_id = s.product_id;
  if (s.address) o.address = s.address;
  return JSON.stringify(o);
}

/** The flavor extra spec value for `count` cards of a model: "nvidia-1e04-vga:2,nvidia-10f7-audio:2,...". */
export function flavorAliasSpec(model: CardModel, count = 1): string {
  if (!Number.isInteger(count) || count < 1) throw new Error(`card count must be a positive integer, got ${count}`);
  return model.functions.map((f) => `${f.alias}:${f.count * count}`).join(',');
}


/**
 * The order localeCompare gives ids and alias names (ASCII: case folded
 * first), without it: its first call loads ICU's collation data, a tenth of
 * a second of a run that changes nothing.
 */
function byText(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  if (x !== y) return x < y ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Derive aliases, per-host device specs, card models and warnings from the
 * devices discovered on the compute hosts.
 *
 * Choices:
 *  - a card is a PCI slot (domain:bus:slot) with a display function (class
 *    03xx) of a selected vendor; all its functions of that vendor travel
 *    together (audio, USB, UCSI serial bus). Other devices of the vendor
 *    (e.g. NVSwitch bridges) are not passed through.
 *  - one alias per distinct vendor:product function type across all hosts,
 *    named after the function itself (nvidia-10f7-audio), so that a name
 *    means the same thing on every host.
 *  - the device spec of a host lists its function types by vendor_id and
 *    product_id; when a card is excluded on a host that has another card
 *    with the same ids, that host's spec switches to addresses
 *    ({"vendor_id": "10de", "address": "0000:3b:00.*"}, one per card), so
 *    that the excluded card stays with the host.
 */
export function planPci(hosts: readonly HostDevices[], opts: PciPlanOptions = {}): PciPlan {
  const vendors = (opts.vendors ?? ['10de']).map((v) => v.toLowerCase().replace(/^0x/, ''));
  const deviceType = opts.deviceType ?? 'type-PCI';
  const warnings: PciWarning[] = [];
  const hostPlans: Record<string, HostPciPlan> = {};
  const aliasByName = new Map<string, { alias: PciAlias; model: string; func: number }>();
  const models = new Map<string, CardModel>();
  const modelFunctionSets = new Map<string, Map<string, string>>(); // model -> host -> function signature

  for (const h of hosts) {
    const devices = h.devices.map((d) => ({ ...d, vendor: d.vendor.toLowerCase(), device: d.device.toLowerCase() }));
    const bySlot = new Map<string, PciFunction[]>();
    for (const d of devices) {
      const s = slotOf(d.address);
      const list = bySlot.get(s);
      if (list) list.push(d);
      else bySlot.set(s, [d]);
    }
    const excludes = (opts.exclude?.[h.host] ?? []).map(normAddress);
    const cards: GpuCard[] = [];
    const excludedCards: GpuCard[] = [];
    const cardSlots = new Set<string>();
    for (const [slot, fns] of bySlot) {
      const mine = fns.filter((f) => vendors.includes(f.vendor)).sort((a, b) => funcNo(a.address) - funcNo(b.address));
      const display = mine.find(isDisplay);
      if (!display) continue;
      const card: GpuCard = { host: h.host, slot, functions: mine, model: `${display.vendor}:${display.device}` };
      const isExcluded = excludes.some((e) => e === slot || mine.some((f) => f.address === e));
      if (isExcluded) excludedCards.push(card);
      else cards.push(card);
      cardSlots.add(slot);
    }
    for (const e of excludes) {
      if (![...cards, ...excludedCards].some((c) => c.slot === e || c.functions.some((f) => f.address === e))) {
        warnings.push({ host: h.host, level: 'warning', message: `excluded address ${e} is not a ${vendors.join('/')} display card on this host` });
      }
    }
    for (const d of devices) {
      if (vendors.includes(d.vendor) && !cardSlots.has(slotOf(d.address))) {
        warnings.push({ host: h.host, level: 'info', message: `not passed through (not part of a display card): ${describeFn(d)}` });
      }
    }

    // aliases and models
    for (const card of cards) {
      const display = card.functions.find(isDisplay)!;
      let model = models.get(card.model);
      if (!model) {
        model = { model: card.model, vendor: display.vendor, product: display.device, name: display.deviceName ?? card.model, functions: [], hosts: [] };
        models.set(card.model, model);
      }
      if (!model.hosts.includes(h.host)) model.hosts.push(h.host);
      const counts = new Map<string, number>();
      for (const f of card.functions) {
        const name = aliasName(f);
        counts.set(name, (counts.get(name) ?? 0) + 1);
        if (!aliasByName.has(name)) {
          const alias: PciAlias = { name, vendor_id: f.vendor, product_id: f.device, device_type: deviceType };
          if (opts.numaPolicy) alias.numa_policy = opts.numaPolicy;
          aliasByName.set(name, { alias, model: card.model, func: funcNo(f.address) });
        }
      }
      const signature = [...counts].map(([n, c]) => `${n}:${c}`).join(',');
      let perHost = modelFunctionSets.get(card.model);
      if (!perHost) {
        perHost = new Map();
        modelFunctionSets.set(card.model, perHost);
      }
      perHost.set(`${h.host} ${card.slot}`, signature);
      for (const [n, c] of counts) {
        const existing = model.functions.find((x) => x.alias === n);
        if (!existing) model.functions.push({ alias: n, count: c });
        else existing.count = Math.max(existing.count, c);
      }
    }

    // device spec
    const fnTypes = new Map<string, DeviceSpec>();
    for (const c of cards) for (const f of c.functions) fnTypes.set(`${f.vendor}:${f.device}`, { vendor_id: f.vendor, product_id: f.device });
    const clash = excludedCards.some((x) => x.functions.some((f) => fnTypes.has(`${f.vendor}:${f.device}`)));
    const deviceSpec: DeviceSpec[] = clash
      ? cards.map((c) => ({ vendor_id: c.functions[0]!.vendor, address: `${c.slot}.*` }))
      : [...fnTypes.values()].sort((a, b) => byText(`${a.vendor_id}:${a.product_id}`, `${b.vendor_id}:${b.product_id}`));
    if (clash) {
      warnings.push({
        host: h.host,
        level: 'info',
        message: `device_spec by address: excluded card(s) ${excludedCards.map((c) => c.slot).join(', ')} have the same ids as the cards passed through`,
      });
    }

    // boot VGA: the host console runs on it
    for (const c of cards) {
      if (c.functions.some((f) => f.bootVga)) {
        warnings.push({ host: h.host, level: 'warning', message: `${c.slot} (${c.model}) is the boot VGA device: the host console will lose its display when it is passed through; exclude it if this host has no other display` });
      }
    }

    // IOMMU groups
    warnings.push(...groupWarnings(h.host, devices, cards));

    hostPlans[h.host] = { host: h.host, cards, deviceSpec, byAddress: clash, excluded: excludedCards.map((c) => c.slot) };
  }

  // the same model with different function sets on different hosts
  for (const [model, perHost] of modelFunctionSets) {
    const sigs = new Set(perHost.values());
    if (sigs.size > 1) {
      const detail = [...perHost].map(([where, sig]) => `${where}: ${sig}`).join('; ');
      warnings.push({ host: '*', level: 'warning', message: `cards ${model} do not expose the same functions everywhere (${detail}); a flavor asking for all of them only fits the cards that have them all` });
    }
  }

  const modelOrder = [...models.keys()].sort();
  const aliases = [...aliasByName.values()]
    .sort((a, b) => modelOrder.indexOf(a.model) - modelOrder.indexOf(b.model) || a.func - b.func || byText(a.alias.name, b.alias.name))
    .map((x) => x.alias);
  const modelList = modelOrder.map((m) => models.get(m)!);
  return { aliases, hosts: hostPlans, models: modelList, warnings };
}

function groupWarnings(host: string, devices: PciFunction[], cards: GpuCard[]): PciWarning[] {
  const out: PciWarning[] = [];
  const fns = cards.flatMap((c) => c.functions);
  if (fns.length === 0) return out;
  if (fns.some((f) => f.iommuGroup === undefined)) {
    out.push({ host, level: 'info', message: 'IOMMU groups are not known yet (IOMMU not active): check them again after the reboot' });
    return out;
  }
  const cardOf = new Map<string, GpuCard>();
  for (const c of cards) for (const f of c.functions) cardOf.set(f.address, c);
  const groups = new Set(fns.map((f) => f.iommuGroup!));
  for (const g of [...groups].sort((a, b) => a - b)) {
    const members = devices.filter((d) => d.iommuGroup === g);
    const groupCards = [...new Set(members.flatMap((m) => (cardOf.has(m.address) ? [cardOf.get(m.address)!.slot] : [])))];
    if (groupCards.length > 1) {
      out.push({ host, level: 'error', message: `IOMMU group ${g} holds several cards (${groupCards.join(', ')}): they can only go to the same instance, which nova does not know; one request will fail` });
    }
    for (const m of members) {
      if (cardOf.has(m.address)) continue;
      if (BRIDGE_CLASSES.includes(class4(m.class))) {
        out.push({ host, level: 'warning', message: `IOMMU group ${g} also holds the bridge ${describeFn(m)}: VFIO accepts it, but the slot is not isolated (no ACS)` });
      } else {
        out.push({ host, level: 'error', message: `IOMMU group ${g} would be split: ${describeFn(m)} is not passed through with ${groupCards.join(', ')}; the instance will fail to start (group not viable)` });
      }
    }
  }
  return out;
}

// ------------------------------------------------------------ nova.conf

export interface NovaConfWanted {
  aliases: readonly PciAlias[];
  /** this host's device spec (computes); undefined: leave device specs alone */
  deviceSpec?: readonly DeviceSpec[] | undefined;
  /** manage [filter_scheduler] enabled_filters on controllers (default true) */
  filters?: boolean | undefined;
  /** manage [pci] alias (default true; a kolla nova_scheduler's file has no use for it) */
  alias?: boolean | undefined;
  /** vendor ids whose device specs passthru owns (default: the vendors of aliases and deviceSpec) */
  managedVendors?: readonly string[] | undefined;
  /** alias names passthru owns besides the wanted ones (default: names shaped like passthru's, MANAGED_ALIAS_NAME) */
  isManagedAlias?: ((name: string) => boolean) | undefined;
}

export interface NovaConfPlan {
  text: string;
  changed: NovaChange[];
  notes: string[];
}

interface OptName {
  section: string;
  key: string;
}

const ALIAS_OPT: OptName = { section: 'pci', key: 'alias' };
/** nova/conf/pci.py: alias deprecated_name='pci_alias', deprecated_group='DEFAULT' */
const ALIAS_DEPRECATED: OptName[] = [{ section: 'DEFAULT', key: 'pci_alias' }];
const DEVICE_SPEC: OptName = { section: 'pci', key: 'device_spec' };
const WHITELIST: OptName = { section: 'pci', key: 'passthrough_whitelist' };
const WHITELIST_DEFAULT: OptName = { section: 'DEFAULT', key: 'pci_passthrough_whitelist' };
const ENABLED_FILTERS: OptName = { section: 'filter_scheduler', key: 'enabled_filters' };
const AVAILABLE_FILTERS: OptName = { section: 'filter_scheduler', key: 'available_filters' };
const ALL_FILTERS = 'nova.scheduler.filters.all_filters';
const PCI_FILTER_CLASS = 'nova.scheduler.filters.pci_passthrough_filter.PciPassthroughFilter';

/**
 * The device spec option names by release: device_spec since Zed (26.0.0,
 * nova/conf/pci.py: MultiStrOpt('device_spec', deprecated_opts=
 * [passthrough_whitelist in [pci], pci_passthrough_whitelist in [DEFAULT]])),
 * [pci] passthrough_whitelist before. Values of every name add up
 * (oslo_config cfg._get_file_value with multi=True).
 */
export function deviceSpecNames(release: NovaRelease): { target: OptName; deprecated: OptName[] } {
  return atLeast(release, 'zed')
    ? { target: DEVICE_SPEC, deprecated: [WHITELIST, WHITELIST_DEFAULT] }
    : { target: WHITELIST, deprecated: [WHITELIST_DEFAULT] };
}

function parseJson(s: string): unknown {
  try {
    return JSON.parse(s) as unknown;
  } catch {
    return undefined;
  }
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

function sameJson(a: string, b: string): boolean {
  const pa = parseJson(a);
  const pb = parseJson(b);
  return pa !== undefined && pb !== undefined && canonical(pa) === canonical(pb);
}

function aliasNameOf(value: string): string | undefined {
  const v = parseJson(value);
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const n = (v as Record<string, unknown>).name;
  return typeof n === 'string' ? n.trim() : undefined;
}

/**
 * The alias values to write: existing ones passthru does not manage stay;
 * a managed one is replaced in place by the wanted alias of the same name
 * (kept as written when equal), or dropped when stale; the other wanted
 * aliases follow, then values moved from a deprecated option name.
 */
function mergeAliases(existing: string[], moved: string[], isManaged: (v: string) => boolean, wanted: PciAlias[]): string[] {
  const out: string[] = [];
  const used = new Set<string>();
  const take = (v: string): void => {
    const name = aliasNameOf(v);
    const w = wanted.find((a) => a.name === name);
    if (!w || used.has(w.name)) return; // stale, or a second line of the same name
    used.add(w.name);
    const rendered = renderAlias(w);
    out.push(sameJson(v, rendered) ? v : rendered);
  };
  for (const v of existing) {
    if (isManaged(v)) take(v);
    else out.push(v);
  }
  for (const v of moved) if (isManaged(v)) take(v);
  for (const w of wanted) {
    if (used.has(w.name)) continue;
    used.add(w.name);
    out.push(renderAlias(w));
  }
  for (const v of moved) if (!isManaged(v) && !out.includes(v)) out.push(v);
  return out;
}

function specVendor(o: unknown): string | undefined {
  if (o === null || typeof o !== 'object' || Array.isArray(o)) return undefined;
  const v = (o as Record<string, unknown>).vendor_id;
  return typeof v === 'string' ? v.trim().toLowerCase().replace(/^0x/, '') : undefined;
}

/**
 * Split device spec values into the ones passthru owns (a spec whose
 * vendor_id is managed) and the others. A list value mixing both keeps
 * only the others (rewritten as JSON).
 */
function splitSpecs(values: string[], vendors: Set<string>, notes: string[]): { keep: string[]; managed: string[] } {
  const keep: string[] = [];
  const managed: string[] = [];
  for (const v of values) {
    const p = parseJson(v);
    if (p === undefined) {
      keep.push(v);
      notes.push(`kept a device spec that is not valid JSON (nova-compute will refuse it): ${v}`);
      continue;
    }
    const items = Array.isArray(p) ? p : [p];
    const mine = items.filter((i) => vendors.has(specVendor(i) ?? ''));
    if (mine.length === 0) keep.push(v);
    else if (mine.length === items.length) managed.push(v);
    else {
      const others = items.filter((i) => !mine.includes(i));
      keep.push(JSON.stringify(others.length === 1 ? others[0] : others));
      managed.push(JSON.stringify(mine));
      notes.push(`split a device spec list: kept ${JSON.stringify(others)}, replaced ${JSON.stringify(mine)}`);
    }
  }
  return { keep, managed };
}

function rolesOf(role: NovaRole | readonly NovaRole[]): NovaRole[] {
  return typeof role === 'string' ? [role] : [...role];
}

function snapshot(text: string, opts: OptName[]): string {
  return JSON.stringify(opts.map((o) => getValues(text, o.section, o.key)));
}

/**
 * Plan nova.conf for a host: aliases on every role, the device spec on
 * computes (name by release, deprecated names migrated so that no stale
 * entry keeps passing devices through), scheduler filters on controllers.
 * Planning again on the result changes nothing.
 */
export function planNovaConf(
  text: string,
  role: NovaRole | readonly NovaRole[],
  release: NovaRelease,
  wanted: NovaConfWanted,
): NovaConfPlan {
  const roles = rolesOf(role);
  const notes: string[] = [];
  const ops: IniOp[] = [];
  const wantedNames = new Set(wanted.aliases.map((a) => a.name));
  const isManagedAlias = (v: string): boolean => {
    const n = aliasNameOf(v);
    if (n === undefined) return false;
    return wantedNames.has(n) || (wanted.isManagedAlias ?? ((x: string) => MANAGED_ALIAS_NAME.test(x)))(n);
  };

  // --- aliases: [pci] alias, migrating [DEFAULT] pci_alias
  if (wanted.alias !== false) {
    const existing = getValues(text, ALIAS_OPT.section, ALIAS_OPT.key);
    const old = ALIAS_DEPRECATED.flatMap((o) => getValues(text, o.section, o.key));
    const desired = mergeAliases(existing, old, isManagedAlias, [...wanted.aliases]);
    ops.push({ op: 'set_multi', ...ALIAS_OPT, values: desired });
    for (const o of ALIAS_DEPRECATED) {
      if (getValues(text, o.section, o.key).length > 0) {
        ops.push({ op: 'remove', ...o });
        notes.push(`moved [${o.section}] ${o.key} to [pci] alias`);
      }
    }
  }

  // --- device spec: computes
  if (roles.includes('compute') && wanted.deviceSpec !== undefined) {
    const { target, deprecated } = deviceSpecNames(release);
    const vendors = new Set(
      (wanted.managedVendors ?? [...wanted.aliases.map((a) => a.vendor_id), ...wanted.deviceSpec.map((s) => s.vendor_id)]).map((v) => v.toLowerCase()),
    );
    const all = [target, ...deprecated].flatMap((o) => getValues(text, o.section, o.key));
    const { keep, managed } = splitSpecs(all, vendors, notes);
    const fresh = wanted.deviceSpec.map(renderDeviceSpec).map((w) => managed.find((m) => sameJson(m, w)) ?? w);
    const desired = [...keep];
    for (const f of fresh) if (!desired.includes(f)) desired.push(f);
    ops.push({ op: 'set_multi', ...target, values: desired });
    for (const o of deprecated) {
      if (getValues(text, o.section, o.key).length > 0) {
        ops.push({ op: 'remove', ...o });
        notes.push(`moved [${o.section}] ${o.key} to [${target.section}] ${target.key} (values of both names add up)`);
      }
    }
    if (!atLeast(release, 'zed') && getValues(text, DEVICE_SPEC.section, DEVICE_SPEC.key).length > 0) {
      notes.push(`[pci] device_spec is unknown to ${release} and ignored by it; passthrough_whitelist is used`);
    }
  }

  // --- scheduler filters: controllers
  if (roles.includes('controller') && wanted.filters !== false) {
    const values = getValues(text, ENABLED_FILTERS.section, ENABLED_FILTERS.key);
    const current = values[values.length - 1];
    const plan = planEnabledFilters(current, release);
    if (plan.changed || values.length > 1) ops.push({ op: 'set', ...ENABLED_FILTERS, value: plan.value });
    if (plan.removed.length > 0) notes.push(`removed filters that ${release} no longer has: ${plan.removed.join(', ')}`);
    const available = getValues(text, AVAILABLE_FILTERS.section, AVAILABLE_FILTERS.key);
    if (available.length > 0 && !available.some((a) => a.trim() === ALL_FILTERS || a.trim() === PCI_FILTER_CLASS)) {
      ops.push({ op: 'ensure_values', ...AVAILABLE_FILTERS, values: [PCI_FILTER_CLASS] });
      notes.push(`available_filters does not include all_filters: added ${PCI_FILTER_CLASS}`);
    }
    if (parseFilterList(plan.value).length === 0) notes.push('enabled_filters is empty');
  }

  const out = editOslo(text, ops);
  const changed: NovaChange[] = [];
  if (snapshot(text, [ALIAS_OPT, ...ALIAS_DEPRECATED]) !== snapshot(out, [ALIAS_OPT, ...ALIAS_DEPRECATED])) changed.push('alias');
  // lines oslo.config refuses: nova does not start with this file, whatever passthru changes
  for (const p of osloProblems(text)) notes.push(`line ${p.line}: ${p.message} (oslo.config refuses this file)`);
  const specOpts = [DEVICE_SPEC, WHITELIST, WHITELIST_DEFAULT];
  if (snapshot(text, specOpts) !== snapshot(out, specOpts)) changed.push('device_spec');
  if (snapshot(text, [ENABLED_FILTERS, AVAILABLE_FILTERS]) !== snapshot(out, [ENABLED_FILTERS, AVAILABLE_FILTERS])) changed.push('filters');
  return { text: out, changed, notes: changed.length > 0 ? notes : notes.filter((n) => n.startsWith('line ')) };
}

/**
 * Several config files read by the same service (Ubuntu's nova-compute
 * reads /etc/nova/nova.conf and /etc/nova/nova-compute.conf): the first
 * file gets the plan; from the others, entries passthru owns are removed,
 * since values of multi-valued options add up across files.
 */
export function planNovaConfFiles(
  files: ReadonlyArray<{ path: string; content: string }>,
  role: NovaRole | readonly NovaRole[],
  release: NovaRelease,
  wanted: NovaConfWanted,
): Array<{ path: string; before: string; after: string; changed: NovaChange[]; notes: string[] }> {
  return files.map((f, i) => {
    if (i === 0) {
      const p = planNovaConf(f.content, role, release, wanted);
      return { path: f.path, before: f.content, after: p.text, changed: p.changed, notes: p.notes };
    }
    const wantedNames = new Set(wanted.aliases.map((a) => a.name));
    const isManagedAlias = (v: string): boolean => {
      const n = aliasNameOf(v);
      return n !== undefined && (wantedNames.has(n) || (wanted.isManagedAlias ?? ((x: string) => MANAGED_ALIAS_NAME.test(x)))(n));
    };
    const vendors = new Set((wanted.managedVendors ?? [...wanted.aliases.map((a) => a.vendor_id), ...(wanted.deviceSpec ?? []).map((s) => s.vendor_id)]).map((v) => v.toLowerCase()));
    const isManagedSpec = (v: string): boolean => {
      const p = parseJson(v);
      if (p === undefined) return false;
      const items = Array.isArray(p) ? p : [p];
      return items.length > 0 && items.every((x) => vendors.has(specVendor(x) ?? ''));
    };
    const ops: IniOp[] = [
      { op: 'remove_values', ...ALIAS_OPT, match: isManagedAlias },
      ...ALIAS_DEPRECATED.map((o): IniOp => ({ op: 'remove_values', ...o, match: isManagedAlias })),
      ...[DEVICE_SPEC, WHITELIST, WHITELIST_DEFAULT].map((o): IniOp => ({ op: 'remove_values', ...o, match: isManagedSpec })),
    ];
    const after = editOslo(f.content, ops);
    const changed: NovaChange[] = [];
    if (snapshot(f.content, [ALIAS_OPT, ...ALIAS_DEPRECATED]) !== snapshot(after, [ALIAS_OPT, ...ALIAS_DEPRECATED])) changed.push('alias');
    if (snapshot(f.content, [DEVICE_SPEC, WHITELIST, WHITELIST_DEFAULT]) !== snapshot(after, [DEVICE_SPEC, WHITELIST, WHITELIST_DEFAULT])) changed.push('device_spec');
    return { path: f.path, before: f.content, after, changed, notes: changed.length > 0 ? [`removed entries passthru manages from ${f.path} (they add up with ${files[0]!.path})`] : [] };
  });
}
