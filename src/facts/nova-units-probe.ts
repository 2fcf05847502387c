// The nova unit files and their state, asked of systemctl once per gather
// script for the two facts that read them (systemd_units, unit_start_times):
// `systemctl list-unit-files` for the nova, openstack-nova, httpd and apache2
// services (it reads the unit files, no running systemd needed), then one
// `systemctl show -p Id -p ActiveState -p ActiveEnterTimestamp` of them all,
// in UTC, with microseconds where systemd can print them.
//
// `--timestamp=us+utc` came with systemd 248. Whether to try it is told by
// the list already read: list-unit-files prints a third column (VENDOR
// PRESET, later PRESET) since systemd 245, so a two-column list is a systemd
// that would refuse the option (CentOS 7's 219, EL8's 239) and `show` runs
// once, without it. With three columns it is tried first and, refused
// (245-247), `show` runs again without it.
//
// Variables: __pt_units_list (list-unit-files, stdout and stderr),
// __pt_units_show (the show's output; empty when no unit or systemd cannot
// answer).

import type { SharedProbe } from './types.ts';

const PROPS = '-p Id -p ActiveState -p ActiveEnterTimestamp';

export const NOVA_UNITS_PROBE: SharedProbe = {
  id: 'units',
  script: [
    "__pt_units_list=$(systemctl list-unit-files --type=service --no-legend --no-pager 'nova*' 'openstack-nova*' httpd.service apache2.service 2>&1)",
    '__pt_units_show=',
    '__pt_units_n=',
    '__pt_units_ts=',
    // the shell's own read: no process per line
    'while read -r __pt_units_u __pt_units_s __pt_units_p __pt_units_r; do',
    '  case "$__pt_units_u" in *.service) __pt_units_n="$__pt_units_n $__pt_units_u"; [ -n "$__pt_units_p" ] && __pt_units_ts=1;; esac',
    'done <<__PT_UNITS_EOF',
    '$__pt_units_list',
    '__PT_UNITS_EOF',
    'if [ -n "$__pt_units_n" ]; then',
    '  set -f',
    `  if [ -n "$__pt_units_ts" ]; then __pt_units_show=$(TZ=UTC systemctl show --timestamp=us+utc ${PROPS} $__pt_units_n 2>/dev/null) || __pt_units_ts=; fi`,
    `  [ -n "$__pt_units_ts" ] || __pt_units_show=$(TZ=UTC systemctl show ${PROPS} $__pt_units_n 2>/dev/null)`,
    '  set +f',
    'fi',
  ].join('\n'),
};
