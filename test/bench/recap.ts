// The PLAY RECAP that ansible-playbook and `passthru run` print at the end
// (both use Ansible's line shape: `host : ok=N changed=N unreachable=N failed=N ...`),
// summed over the hosts: tells whether a run changed anything and where it failed.

export interface RecapTotals {
  hosts: number;
  /** hosts with changed > 0 */
  changedHosts: number;
  /** sum of changed= over the hosts (tasks for Ansible, steps for passthru) */
  changed: number;
  failedHosts: number;
  unreachableHosts: number;
}

const LINE = /^(\S+)\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/;

// ANSI colour codes (ansible colours its recap on a TTY, or with ANSIBLE_FORCE_COLOR)
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

/** Totals of the last PLAY RECAP in `text`; undefined when there is none. */
export function parseRecap(text: string): RecapTotals | undefined {
  const lines = text.replace(ANSI, '').split('\n');
  const start = lines.findLastIndex((l) => /^PLAY RECAP\b/.test(l.trim()));
  if (start < 0) return undefined;
  const totals: RecapTotals = { hosts: 0, changedHosts: 0, changed: 0, failedHosts: 0, unreachableHosts: 0 };
  for (const raw of lines.slice(start + 1)) {
    const m = LINE.exec(raw.trim());
    if (!m) {
      if (totals.hosts > 0 && raw.trim() === '') break;
      continue;
    }
    const changed = Number(m[3]);
    totals.hosts++;
    totals.changed += changed;
    if (changed > 0) totals.changedHosts++;
    if (Number(m[4]) > 0) totals.unreachableHosts++;
    if (Number(m[5]) > 0) totals.failedHosts++;
  }
  return totals;
}
