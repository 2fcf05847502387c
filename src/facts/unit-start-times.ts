// When each nova unit last became active, as systemd says it: one
// `systemctl show -p Id -p ActiveState -p ActiveEnterTimestamp` for every
// nova, openstack-nova, httpd and apache2 unit file (run by the probe shared
// with systemd_units, nova-units-probe.ts), with microseconds where systemd
// can print them (`--timestamp=us+utc`, systemd 248 and later) and whole
// seconds before that. TZ=UTC makes the older format print UTC too.
// Consumed by src/nova/restart-pending.ts.

import { NOVA_UNITS_PROBE } from './nova-units-probe.ts';
import type { Fact } from './types.ts';

export interface UnitStart {
  /** ActiveState: active, inactive, failed, activating... */
  state: string;
  /** ActiveEnterTimestamp in microseconds since the epoch (undefined: never active, or not readable) */
  activeEnterUs?: number | undefined;
  /** systemd printed microseconds (else whole seconds) */
  precise: boolean;
  /** the timestamp as systemd printed it */
  text: string;
}

export interface UnitStartTimes {
  units: Record<string, UnitStart>;
}

// the shared probe's `systemctl show` (see nova-units-probe.ts): one call for this fact and systemd_units
export const UNIT_START_TIMES_SCRIPT = "[ -z \"$__pt_units_show\" ] || printf '%s\\n' \"$__pt_units_show\"";

const STAMP = /^(?:[A-Z][a-z]{2} )?(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))? (?:UTC|GMT|\+0000)$/;

/** `Sun 2026-12-06 21:33:19.123456 UTC` (or without the fraction) -> microseconds since the epoch. */
export function parseSystemdTimestamp(text: string): { us: number; precise: boolean } | undefined {
  const m = STAMP.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (Number.isNaN(ms)) return undefined;
  return { us: ms * 1000 + (frac ? Number(frac.padEnd(6, '0')) : 0), precise: frac !== undefined };
}

export function parseUnitStartTimes(output: string): UnitStartTimes {
  const units: Record<string, UnitStart> = {};
  // one block of KEY=VALUE lines per unit, blocks separated by a blank line
  for (const block of output.split(/\n\s*\n/)) {
    const kv = new Map<string, string>();
    for (const line of block.split('\n')) {
      const i = line.indexOf('=');
      if (i > 0) kv.set(line.slice(0, i).trim(), line.slice(i + 1).trim());
    }
    const id = kv.get('Id');
    if (!id) continue;
    const text = kv.get('ActiveEnterTimestamp') ?? '';
    const t = text === '' || text === 'n/a' ? undefined : parseSystemdTimestamp(text);
    units[id] = { state: kv.get('ActiveState') ?? 'unknown', activeEnterUs: t?.us, precise: t?.precise ?? false, text };
  }
  return { units };
}

export const unitStartTimes: Fact<UnitStartTimes> = {
  id: 'unit_start_times',
  script: UNIT_START_TIMES_SCRIPT,
  shared: [NOVA_UNITS_PROBE],
  parse: (output) => parseUnitStartTimes(output),
};
