// Installed nova units (systemctl list-unit-files reads the unit files, no
// running systemd needed) and whether each runs now (the ActiveState of one
// `systemctl show` of them all; both from the probe shared with
// unit_start_times, see nova-units-probe.ts), kolla containers (docker/podman ps -a, when the
// engine answers) and apache/httpd sites serving the nova API through
// mod_wsgi. Consumed by src/nova/services.ts detectUnits.

import { NOVA_UNITS_PROBE } from './nova-units-probe.ts';
import type { Fact } from './types.ts';

export interface SystemdUnits {
  units: Array<{ name: string; state?: string | undefined }>;
  /** unit -> whether it runs now (its ActiveState: active, inactive, failed, activating...); a unit systemd did not answer for (not running) is absent */
  active: Record<string, string>;
  containers: Array<{ engine: 'docker' | 'podman'; name: string; image?: string | undefined; status?: string | undefined; startedAt?: string | undefined }>;
  apacheNovaConfs: string[];
}

export const SYSTEMD_UNITS_SCRIPT = [
  'echo "@@units"',
  // list-unit-files and `systemctl show` of the units it lists: read once for this fact and unit_start_times
  "printf '%s\\n' \"$__pt_units_list\"",
  'echo "@@active"',
  "[ -z \"$__pt_units_show\" ] || printf '%s\\n' \"$__pt_units_show\"",
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
  'for f in /etc/apache2/sites-enabled/*nova* /etc/httpd/conf.d/*nova*; do { [ -e "$f" ] || [ -L "$f" ]; } && printf \'%s\\n\' "$f"; done',
  'true',
].join('\n');

export function parseSystemdUnits(output: string): SystemdUnits {
  const out: SystemdUnits = { units: [], active: {}, containers: [], apacheNovaConfs: [] };
  let cur = '';
  let sawUnits = false;
  // `systemctl show` blocks in @@active: Id=... then ActiveState=... (any order within a block)
  let block: { id?: string; state?: string } = {};
  const endBlock = (): void => {
    if (block.id !== undefined && block.state !== undefined) out.active[block.id] = block.state || 'unknown';
    block = {};
  };
  for (const raw of output.split('\n')) {
    const line = raw.trim();
    const sec = /^@@(units|active|containers|wsgi)$/.exec(line);
    if (sec) {
      endBlock();
      cur = sec[1]!;
      if (cur === 'units') sawUnits = true;
      continue;
    }
    if (line === '') {
      endBlock();
      continue;
    }
    let m: RegExpExecArray | null;
    if (cur === 'active' && (m = /^(Id|ActiveState)=(.*)$/.exec(line))) {
      if (m[1] === 'Id') {
        if (block.id !== undefined) endBlock();
        block.id = m[2]!;
      } else block.state = m[2]!;
      continue;
    }
    if (cur === 'active' && /^[A-Z][A-Za-z]*=/.test(line)) continue;
    if (cur === 'units' && (m = /^(\S+\.service)\s+(\S+)/.exec(line))) out.units.push({ name: m[1]!, state: m[2]! });
    else if (cur === 'active' && (m = /^(\S+\.service) ?(\S*)/.exec(line))) out.active[m[1]!] = m[2] || 'unknown';
    else if (cur === 'containers' && (m = /^(docker|podman) \/?(\S+)(?: (\S+) (\S+) (\S+))?$/.exec(line))) {
      const c: SystemdUnits['containers'][number] = { engine: m[1] as 'docker' | 'podman', name: m[2]! };
      if (m[3] !== undefined) Object.assign(c, { image: m[3], status: m[4], startedAt: m[5] });
      out.containers.push(c);
    }
    else if (cur === 'wsgi' && line.startsWith('/')) out.apacheNovaConfs.push(line);
  }
  endBlock();
  if (!sawUnits) throw new Error('unit probe printed no sections');
  return out;
}

export const systemdUnits: Fact<SystemdUnits> = {
  id: 'systemd_units',
  script: SYSTEMD_UNITS_SCRIPT,
  shared: [NOVA_UNITS_PROBE],
  parse: (output) => parseSystemdUnits(output),
};
