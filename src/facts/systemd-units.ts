// Installed nova units (systemctl list-unit-files reads the unit files, no
// running systemd needed), kolla containers (docker/podman ps -a, when the
// engine answers) and apache/httpd sites serving the nova API through
// mod_wsgi. Consumed by src/nova/services.ts detectUnits.

import type { Fact } from './types.ts';

export interface SystemdUnits {
  units: Array<{ name: string; state?: string | undefined }>;
  /** unit -> whether it runs now (systemctl is-active: active, inactive, failed, activating...) */
  active: Record<string, string>;
  containers: Array<{ engine: 'docker' | 'podman'; name: string; image?: string | undefined; status?: string | undefined; startedAt?: string | undefined }>;
  apacheNovaConfs: string[];
}

export const SYSTEMD_UNITS_SCRIPT = [
  'echo "@@units"',
  "l=$(systemctl list-unit-files --type=service --no-legend --no-pager 'nova*' 'openstack-nova*' httpd.service apache2.service 2>&1)",
  "printf '%s\\n' \"$l\"",
  'echo "@@active"',
  'u=$(printf \'%s\\n\' "$l" | while read -r n rest; do case "$n" in *.service) printf \'%s \' "$n";; esac; done)',
  // one systemctl for all of them: it answers one line per unit, in order
  'if [ -n "$u" ]; then set -- $u; systemctl is-active "$@" 2>/dev/null | for n in "$@"; do read -r s; printf \'%s %s\\n\' "$n" "$s"; done; fi',
  'echo "@@containers"',
  'for e in docker podman; do',
  // docker's client without its daemon's socket has nothing to list (podman needs no daemon);
  // a kolla host (/etc/kolla) is asked all the same
  '  [ "$e" = docker ] && ! [ -S /var/run/docker.sock ] && ! [ -d /etc/kolla ] && continue',
  '  command -v $e >/dev/null 2>&1 || continue',
  "  n=$($e ps -a --format '{{.Names}}' 2>/dev/null | grep '^nova')",
  '  [ -n "$n" ] || continue',
  // name, image, state and start of each, in one more call (docker prints the name with a leading /)
  "  i=$($e inspect --format '{{.Name}} {{.Config.Image}} {{.State.Status}} {{.State.StartedAt}}' $n 2>/dev/null) || i=$n",
  "  printf '%s\\n' \"$i\" | sed \"s|^/||; s/^/$e /\"",
  'done',
  'echo "@@wsgi"',
  'ls -1d /etc/httpd/conf.d/*nova* /etc/apache2/sites-enabled/*nova* 2>/dev/null',
  'true',
].join('\n');

export function parseSystemdUnits(output: string): SystemdUnits {
  const out: SystemdUnits = { units: [], active: {}, containers: [], apacheNovaConfs: [] };
  let cur = '';
  let sawUnits = false;
  for (const raw of output.split('\n')) {
    const line = raw.trim();
    const sec = /^@@(units|active|containers|wsgi)$/.exec(line);
    if (sec) {
      cur = sec[1]!;
      if (cur === 'units') sawUnits = true;
      continue;
    }
    if (line === '') continue;
    let m: RegExpExecArray | null;
    if (cur === 'units' && (m = /^(\S+\.service)\s+(\S+)/.exec(line))) out.units.push({ name: m[1]!, state: m[2]! });
    else if (cur === 'active' && (m = /^(\S+\.service) ?(\S*)/.exec(line))) out.active[m[1]!] = m[2] || 'unknown';
    else if (cur === 'containers' && (m = /^(docker|podman) \/?(\S+)(?: (\S+) (\S+) (\S+))?$/.exec(line))) {
      const c: SystemdUnits['containers'][number] = { engine: m[1] as 'docker' | 'podman', name: m[2]! };
      if (m[3] !== undefined) Object.assign(c, { image: m[3], status: m[4], startedAt: m[5] });
      out.containers.push(c);
    }
    else if (cur === 'wsgi' && line.startsWith('/')) out.apacheNovaConfs.push(line);
  }
  if (!sawUnits) throw new Error('unit probe printed no sections');
  return out;
}

export const systemdUnits: Fact<SystemdUnits> = {
  id: 'systemd_units',
  script: SYSTEMD_UNITS_SCRIPT,
  parse: (output) => parseSystemdUnits(output),
};
