// systemd units of a lab host: unit files, enablement (wants links), runtime
// state in /run/lab/units/<unit> (first line: ActiveState), and the journal
// in /var/log/lab/journal (one "<unit>\t<line>" per entry, formatted as
// journalctl's short output).

import type { HostSpec, LabFs } from './types.ts';
import { distroInfo, hostUnits, unitDir, type UnitInfo } from './distro.ts';

export const UNIT_STATE_DIR = '/run/lab/units';
export const JOURNAL = '/var/log/lab/journal';
export const WANTS_DIR = '/etc/systemd/system/multi-user.target.wants';

export type ActiveState = 'active' | 'inactive' | 'failed' | 'activating';

export interface UnitState {
  active: ActiveState;
  sub: string;
  result: string;
  mainPid: number;
  since: string;
  /** exit status of the last main process, when it failed */
  exitStatus?: number | undefined;
  /** when the unit last became active (ISO; kept after it stops, as systemd keeps ActiveEnterTimestamp) */
  activeEnter?: string | undefined;
  /** when its main process last started (ExecMainStartTimestamp) */
  execMainStart?: string | undefined;
}

export function unitFile(spec: HostSpec, u: UnitInfo): string {
  const d = distroInfo(spec.distro);
  if (u.nova && d.family === 'el') {
    return `[Unit]
Description=${u.description}
After=syslog.target network.target${u.nova === 'compute' ? ' libvirtd.service' : ''}

[Service]
${u.nova === 'compute' ? 'Environment=LIBGUESTFS_ATTACH_METHOD=appliance\n' : ''}Type=notify
NotifyAccess=all
TimeoutStartSec=0
Restart=${u.nova === 'compute' || u.nova === 'scheduler' ? 'always' : 'on-failure'}
User=nova
ExecStart=${u.execStart}

[Install]
WantedBy=multi-user.target
`;
  }
  if (u.nova) {
    return `[Unit]
Description=${u.description}
After=${u.nova === 'compute' ? 'libvirtd.service ' : ''}postgresql.service mysql.service keystone.service rabbitmq-server.service ntp.service

[Service]
User=nova
Group=nova
Type=simple
WorkingDirectory=~
RuntimeDirectory=nova lock/nova
CacheDirectory=nova
ExecStart=${u.execStart}
Restart=on-failure
LimitNOFILE=65535
TimeoutStopSec=15

[Install]
WantedBy=multi-user.target
`;
  }
  return `[Unit]
Description=${u.description}
After=network.target

[Service]
Type=${u.notify ? 'notify' : 'simple'}
ExecStart=${u.execStart}
Restart=on-failure

[Install]
WantedBy=multi-user.target
`;
}

/** unit files (path -> content) of the host: under the vendor directory, enabled ones linked from multi-user.target.wants */
export function unitFiles(spec: HostSpec): Map<string, string> {
  const m = new Map<string, string>();
  const dir = unitDir(spec);
  for (const u of hostUnits(spec)) {
    const text = unitFile(spec, u);
    m.set(`${dir}/${u.name}`, text);
    if (dir === '/lib/systemd/system') m.set(`/usr/lib/systemd/system/${u.name}`, text);
    else m.set(`/lib/systemd/system/${u.name}`, text);
    m.set(`${WANTS_DIR}/${u.name}`, text);
  }
  return m;
}

export function normalizeUnit(name: string): string {
  return /\.(service|target|socket|timer|mount|path|slice|scope|device)$/.test(name) ? name : `${name}.service`;
}

export function findUnit(spec: HostSpec, name: string): UnitInfo | undefined {
  const n = normalizeUnit(name);
  return hostUnits(spec).find((u) => u.name === n);
}

export function isEnabled(fs: LabFs, unit: string): boolean {
  return fs.exists(`${WANTS_DIR}/${unit}`);
}

export function readUnitState(fs: LabFs, unit: string): UnitState {
  const text = fs.readFile(`${UNIT_STATE_DIR}/${unit}`);
  if (text === undefined) return { active: 'inactive', sub: 'dead', result: 'success', mainPid: 0, since: '' };
  const [first = 'inactive', ...rest] = text.split('\n');
  const kv = new Map(rest.filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as [string, string]));
  const exit = kv.get('ExitStatus');
  return {
    active: first.trim() as ActiveState,
    sub: kv.get('SubState') ?? 'dead',
    result: kv.get('Result') ?? 'success',
    mainPid: Number(kv.get('MainPID') ?? '0'),
    since: kv.get('Since') ?? '',
    exitStatus: exit === undefined ? undefined : Number(exit),
    activeEnter: kv.get('ActiveEnter') || undefined,
    execMainStart: kv.get('ExecMainStart') || undefined,
  };
}

export function writeUnitState(fs: LabFs, unit: string, s: UnitState): void {
  const lines = [s.active, `SubState=${s.sub}`, `Result=${s.result}`, `MainPID=${s.mainPid}`, `Since=${s.since}`];
  if (s.exitStatus !== undefined) lines.push(`ExitStatus=${s.exitStatus}`);
  if (s.activeEnter !== undefined) lines.push(`ActiveEnter=${s.activeEnter}`);
  if (s.execMainStart !== undefined) lines.push(`ExecMainStart=${s.execMainStart}`);
  fs.writeFile(`${UNIT_STATE_DIR}/${unit}`, `${lines.join('\n')}\n`);
}

export function nextPid(fs: LabFs): number {
  const cur = Number(fs.readFile('/run/lab/last-pid') ?? '1200');
  const n = (Number.isFinite(cur) ? cur : 1200) + 1 + Math.floor(Math.random() * 40);
  fs.writeFile('/run/lab/last-pid', String(n));
  return n;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export function journalTime(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${MONTHS[d.getUTCMonth()]} ${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

/** append journal lines for a unit; ident is e.g. "systemd[1]" or "nova-compute[2345]" */
export function journal(fs: LabFs, host: string, unit: string, ident: string, messages: string[], when = new Date()): void {
  const old = fs.readFile(JOURNAL) ?? '';
  const add = messages.map((m) => `${unit}\t${journalTime(when)} ${host} ${ident}: ${m}\n`).join('');
  fs.writeFile(JOURNAL, old + add, { mode: 0o640, owner: 'root', group: 'systemd-journal' });
}

export function journalLines(fs: LabFs, unit?: string): string[] {
  const text = fs.readFile(JOURNAL) ?? '';
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const tab = line.indexOf('\t');
    const u = line.slice(0, tab);
    if (unit === undefined || u === unit) out.push(line.slice(tab + 1));
  }
  return out;
}
