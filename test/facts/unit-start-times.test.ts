import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildGatherScript, parseGatherOutput, standaloneScript } from '../../src/facts/gather.ts';
import { systemdUnits } from '../../src/facts/systemd-units.ts';
import type { Fact } from '../../src/facts/types.ts';
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

// systemctl of systemd SYSTEMD (set by the test): list-unit-files with a preset column from 245, --timestamp from 248;
// every call is logged to $LOG
const FAKE_SYSTEMCTL = `systemctl() {
  echo "$*" >> "$LOG"
  case "$1" in
    list-unit-files)
      if [ "$SYSTEMD" -ge 245 ]; then printf '%s\\n' 'openstack-nova-compute.service enabled disabled' 'httpd.service disabled disabled'
      else printf '%s\\n' 'openstack-nova-compute.service enabled' 'httpd.service disabled'; fi ;;
    show)
      shift; us=
      case "$1" in --timestamp=*) [ "$SYSTEMD" -ge 248 ] || { echo "systemctl: unrecognized option '$1'" >&2; return 1; }; us=.123456; shift ;; esac
      [ "$TZ" = UTC ] || { echo 'ActiveEnterTimestamp=Sun 2026-12-06 22:30:02 CET'; return 0; }
      for u in "$@"; do case "$u" in -p|Id|ActiveState|ActiveEnterTimestamp) continue ;; esac
        case "$u" in httpd.service) printf 'Id=%s\\nActiveState=inactive\\nActiveEnterTimestamp=n/a\\n\\n' "$u" ;;
        *) printf 'Id=%s\\nActiveState=active\\nActiveEnterTimestamp=Sun 2026-12-06 21:30:02%s UTC\\n\\n' "$u" "$us" ;; esac
      done ;;
  esac
}
`;

const SHELLS = ['dash', 'bash', 'busybox'].filter((sh) => spawnSync('sh', ['-c', `command -v ${sh}`]).status === 0);

/** The gather script of both unit facts on a host whose systemd is `systemd`: the facts and every systemctl call. */
function gatherBoth(shell: string, systemd: number): { start: ReturnType<typeof unitStartTimes.parse>; units: ReturnType<typeof systemdUnits.parse>; calls: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'passthru-units-'));
  try {
    const log = join(dir, 'calls');
    writeFileSync(log, '');
    const facts = [systemdUnits, unitStartTimes] as Fact<unknown>[];
    const argv = shell === 'busybox' ? ['busybox', 'sh'] : [shell];
    const r = spawnSync(argv[0]!, [...argv.slice(1), '-c', FAKE_SYSTEMCTL + buildGatherScript(facts, 'n1')], { encoding: 'utf8', env: { ...process.env, LOG: log, SYSTEMD: String(systemd) } });
    assert.equal(r.status, 0, r.stderr);
    const got = parseGatherOutput(r.stdout, facts, 'n1');
    return {
      start: got.get('unit_start_times')!.value as ReturnType<typeof unitStartTimes.parse>,
      units: got.get('systemd_units')!.value as ReturnType<typeof systemdUnits.parse>,
      calls: readFileSync(log, 'utf8').trim().split('\n').map((l) => l.split(' ')[0] === 'show' ? `show${l.includes('--timestamp') ? ' --timestamp' : ''}` : l.split(' ')[0]!),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const shell of SHELLS) {
  test(`systemd 219 (CentOS 7, no --timestamp): start times in UTC seconds and unit states from one list and one show (${shell})`, () => {
    const r = gatherBoth(shell, 219);
    assert.deepEqual(r.calls, ['list-unit-files', 'show']);
    assert.deepEqual(r.start.units['openstack-nova-compute.service'], { state: 'active', activeEnterUs: Date.UTC(2026, 11, 6, 21, 30, 2) * 1000, precise: false, text: 'Sun 2026-12-06 21:30:02 UTC' });
    assert.deepEqual(r.start.units['httpd.service'], { state: 'inactive', activeEnterUs: undefined, precise: false, text: 'n/a' });
    assert.deepEqual(r.units.active, { 'openstack-nova-compute.service': 'active', 'httpd.service': 'inactive' });
    assert.deepEqual(r.units.units.map((u) => u.name), ['openstack-nova-compute.service', 'httpd.service']);
  });

  test(`systemd 252: microseconds, from one list and one show (${shell})`, () => {
    const r = gatherBoth(shell, 252);
    assert.deepEqual(r.calls, ['list-unit-files', 'show --timestamp']);
    assert.deepEqual(r.start.units['openstack-nova-compute.service'], { state: 'active', activeEnterUs: Date.UTC(2026, 11, 6, 21, 30, 2) * 1000 + 123456, precise: true, text: 'Sun 2026-12-06 21:30:02.123456 UTC' });
    assert.deepEqual(r.units.active, { 'openstack-nova-compute.service': 'active', 'httpd.service': 'inactive' });
  });

  test(`systemd 245 (preset column, no --timestamp yet): the show again without it, whole seconds (${shell})`, () => {
    const r = gatherBoth(shell, 245);
    assert.deepEqual(r.calls, ['list-unit-files', 'show --timestamp', 'show']);
    assert.equal(r.start.units['openstack-nova-compute.service']?.text, 'Sun 2026-12-06 21:30:02 UTC');
    assert.deepEqual(r.units.active, { 'openstack-nova-compute.service': 'active', 'httpd.service': 'inactive' });
  });
}

test('no systemctl, or no nova unit: no units, no error', () => {
  const none = spawnSync('sh', ['-c', `systemctl() { return 127; }\n${standaloneScript(unitStartTimes)}`], { encoding: 'utf8' });
  assert.equal(none.status, 0);
  assert.deepEqual(unitStartTimes.parse(none.stdout, none.status ?? 1).units, {});
  const empty = spawnSync('sh', ['-c', `systemctl() { echo "$*" >&2; return 0; }\n${standaloneScript(unitStartTimes)}`], { encoding: 'utf8' });
  assert.equal(empty.stderr.split('\n').filter(Boolean).length, 0, 'show is not run for no unit (the probe is silent)');
  assert.deepEqual(unitStartTimes.parse(empty.stdout, 0).units, {});
});
