import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { parseSystemdTimestamp, unitStartTimes } from '../../src/facts/unit-start-times.ts';

// systemctl show of two units as systemd 252 prints it with --timestamp=us+utc (property order is systemd's, not -p's)
const SHOW_252 = `Id=nova-compute.service
ActiveState=active
ActiveEnterTimestamp=Sun 2026-12-06 21:30:02.123456 UTC

Id=nova-api.service
ActiveState=inactive
ActiveEnterTimestamp=n/a
`;

test('systemd timestamps: microseconds when printed, whole seconds before 248', () => {
  assert.deepEqual(parseSystemdTimestamp('Sun 2026-12-06 21:30:02.123456 UTC'), { us: Date.UTC(2026, 11, 6, 21, 30, 2) * 1000 + 123456, precise: true });
  assert.deepEqual(parseSystemdTimestamp('Sun 2026-12-06 21:30:02 UTC'), { us: Date.UTC(2026, 11, 6, 21, 30, 2) * 1000, precise: false });
  // a local time zone (TZ not honoured) cannot be read reliably: unknown, never a wrong time
  assert.equal(parseSystemdTimestamp('Sun 2026-12-06 22:30:02 CET'), undefined);
  assert.equal(parseSystemdTimestamp(''), undefined);
});

test('one block per unit; a unit never active has no start time', () => {
  const r = unitStartTimes.parse(SHOW_252, 0);
  assert.deepEqual(r.units['nova-compute.service'], { state: 'active', activeEnterUs: Date.UTC(2026, 11, 6, 21, 30, 2) * 1000 + 123456, precise: true, text: 'Sun 2026-12-06 21:30:02.123456 UTC' });
  assert.deepEqual(r.units['nova-api.service'], { state: 'inactive', activeEnterUs: undefined, precise: false, text: 'n/a' });
});

// systemctl of systemd 239 (EL8): --timestamp is an unknown option; the plain show prints seconds
const OLD_SYSTEMCTL = `systemctl() {
  case "$1" in
    list-unit-files) printf '%s\\n' 'openstack-nova-compute.service enabled' ;;
    show)
      case "$2" in --timestamp=*) echo "systemctl: unrecognized option '$2'" >&2; return 1 ;; esac
      [ "$TZ" = UTC ] || { echo 'ActiveEnterTimestamp=Sun 2026-12-06 22:30:02 CET'; return 0; }
      printf 'Id=%s\\nActiveState=active\\nActiveEnterTimestamp=Sun 2026-12-06 21:30:02 UTC\\n' "$8" ;;
  esac
}
`;

test('the probe falls back to the format older systemd knows, in UTC (dash)', () => {
  const r = spawnSync('sh', ['-c', OLD_SYSTEMCTL + unitStartTimes.script], { encoding: 'utf8' });
  assert.equal(r.status, 0);
  assert.deepEqual(unitStartTimes.parse(r.stdout, 0).units['openstack-nova-compute.service'], {
    state: 'active',
    activeEnterUs: Date.UTC(2026, 11, 6, 21, 30, 2) * 1000,
    precise: false,
    text: 'Sun 2026-12-06 21:30:02 UTC',
  });
  const none = spawnSync('sh', ['-c', `systemctl() { return 127; }\n${unitStartTimes.script}`], { encoding: 'utf8' });
  assert.deepEqual(unitStartTimes.parse(none.stdout, none.status ?? 1).units, {});
});
