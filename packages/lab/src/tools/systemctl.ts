// systemctl for the lab's units. Starting a nova unit runs the checks the
// nova service makes at start; a rejected configuration leaves the unit
// failed, with nova's error in the journal (systemctl status, journalctl -u).
// Units of Type=notify (RDO's) make `systemctl restart` itself fail; Debian's
// Type=simple units start "successfully" and die right after, as they do.

import type { HostSpec, LabFs, Tool, ToolInvocation, ToolResult } from '../types.ts';
import { distroInfo, hostUnits, unitDir, type NovaService, type UnitInfo } from '../distro.ts';
import {
  findUnit,
  isEnabled,
  journal,
  journalLines,
  nextPid,
  normalizeUnit,
  readUnitState,
  WANTS_DIR,
  writeUnitState,
  type UnitState,
} from '../units.ts';
import { recordUnitStart } from '../novalog.ts';
import { checkNova } from './novacheck-run.ts';
import { fail, getopt, isRoot, ok } from './util.ts';

const LONGS: Record<string, boolean> = {
  'no-pager': false,
  'no-legend': false,
  quiet: false,
  value: false,
  property: true,
  type: true,
  state: true,
  all: false,
  full: false,
  now: false,
  'no-block': false,
  lines: true,
  help: false,
  version: false,
  'no-ask-password': false,
  plain: false,
  force: false,
  'show-types': false,
  output: true,
};

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** How `--timestamp=` prints times (systemd 248+; `unix` from 251); the lab's hosts run in UTC. */
export type TimestampStyle = 'pretty' | 'us' | 'utc' | 'us+utc' | 'unix';

export function systemdTime(iso: string | undefined, style: TimestampStyle = 'pretty'): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  if (style === 'unix') return `@${Math.floor(d.getTime() / 1000)}`;
  const p = (n: number): string => String(n).padStart(2, '0');
  const us = style === 'us' || style === 'us+utc' ? `.${String(d.getUTCMilliseconds()).padStart(3, '0')}000` : '';
  return `${DAYS[d.getUTCDay()]} ${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}${us} UTC`;
}

const TIMESTAMP_STYLES: Record<string, TimestampStyle> = { pretty: 'pretty', us: 'us', 'µs': 'us', utc: 'utc', 'us+utc': 'us+utc', 'µs+utc': 'us+utc', unix: 'unix' };

function ago(iso: string, now = Date.now()): string {
  const s = Math.max(0, Math.floor((now - new Date(iso).getTime()) / 1000));
  if (s < 60) return `${s}s ago`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}min ${s % 60}s ago`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${m % 60}min ago`;
  return `${Math.floor(h / 24)} days ago`;
}

function preset(spec: HostSpec, u: UnitInfo): string {
  const d = distroInfo(spec.distro);
  if (d.family === 'debian') return 'enabled';
  return ['sshd.service', 'chronyd.service'].includes(u.name) ? 'enabled' : 'disabled';
}

interface Ctx {
  inv: ToolInvocation;
  spec: HostSpec;
  fs: LabFs;
  systemd: number;
  timestamps: TimestampStyle;
}

function denied(c: Ctx, verb: string, unit: string): string {
  return `Failed to ${verb} ${unit}: Interactive authentication required.\nSee system logs and 'systemctl status ${unit}' for details.\n`;
}

function notFoundMsg(c: Ctx, verb: string, unit: string): string {
  return c.systemd >= 230 ? `Failed to ${verb} ${unit}: Unit ${unit} not found.\n` : `Failed to ${verb} ${unit}: Unit not found.\n`;
}

async function startUnit(c: Ctx, u: UnitInfo, restart: boolean): Promise<string | undefined> {
  const { fs, spec } = c;
  const now = new Date();
  const before = readUnitState(fs, u.name);
  if (!restart && (before.active === 'active' || before.active === 'activating')) return undefined;
  if (restart && before.active === 'active') {
    journal(fs, spec.name, u.name, 'systemd[1]', [`Stopping ${u.description}...`, `${u.name}: Deactivated successfully.`, `Stopped ${u.description}.`], now);
  }
  const pid = nextPid(fs);
  journal(fs, spec.name, u.name, 'systemd[1]', [`Starting ${u.description}...`], now);
  const failure = u.nova ? await checkNova(fs, spec, u.nova as NovaService) : undefined;
  recordUnitStart(fs, spec, u, pid, failure, now);
  if (!failure) return undefined;
  if (!u.notify) return undefined; // Type=simple: the start job itself succeeded
  const hint = c.systemd >= 246 ? `"journalctl -xeu ${u.name}"` : '"journalctl -xe"';
  return `Job for ${u.name} failed because the control process exited with error code.\nSee "systemctl status ${u.name}" and ${hint} for details.\n`;
}

function stopUnit(c: Ctx, u: UnitInfo): void {
  const st = readUnitState(c.fs, u.name);
  const now = new Date();
  if (st.active === 'active') {
    journal(c.fs, c.spec.name, u.name, 'systemd[1]', [`Stopping ${u.description}...`, `${u.name}: Deactivated successfully.`, `Stopped ${u.description}.`], now);
  }
  writeUnitState(c.fs, u.name, { active: 'inactive', sub: 'dead', result: 'success', mainPid: 0, since: now.toISOString(), activeEnter: st.activeEnter, execMainStart: st.execMainStart });
}

function statusText(c: Ctx, u: UnitInfo, st: UnitState, lines: number): string {
  const modern = c.systemd >= 249;
  const ind = modern ? '     ' : '   ';
  const path = `${unitDir(c.spec)}/${u.name}`;
  const en = isEnabled(c.fs, u.name) ? 'enabled' : 'disabled';
  const presetWord = c.systemd >= 252 ? 'preset' : 'vendor preset';
  const bullet = st.active === 'failed' && modern ? '×' : '●';
  let out = `${bullet} ${u.name} - ${u.description}\n`;
  out += `${ind}Loaded: loaded (${path}; ${en}; ${presetWord}: ${preset(c.spec, u)})\n`;
  const since = st.since ? ` since ${systemdTime(st.since)}; ${ago(st.since)}` : '';
  if (st.active === 'active') {
    out += `${ind}Active: active (running)${since}\n`;
    out += `${modern ? '   ' : ' '}Main PID: ${st.mainPid} (${u.processName.slice(0, 15)})\n`;
    if (modern) {
      out += `      Tasks: ${u.nova ? 5 : 1} (limit: 411452)\n`;
      out += `     Memory: ${u.nova ? '118.6M' : '4.2M'}\n`;
      out += `        CPU: ${u.nova ? '3.812s' : '61ms'}\n`;
    }
    out += `${ind}CGroup: /system.slice/${u.name}\n`;
    const cmd = u.nova && distroInfo(c.spec.distro).family === 'debian' ? `/usr/bin/python3 /usr/bin/nova-${u.nova} --config-file=/etc/nova/nova.conf` : u.nova ? `/usr/bin/python3 /usr/bin/nova-${u.nova}` : u.execStart;
    out += `${ind}        └─${st.mainPid} ${cmd}\n`;
  } else if (st.active === 'failed') {
    out += `${ind}Active: failed (Result: ${st.result})${since}\n`;
    out += `${modern ? '    ' : '  '}Process: ${st.mainPid} ExecStart=${u.execStart} (code=exited, status=${st.exitStatus ?? 1}/FAILURE)\n`;
    out += `${modern ? '   ' : ' '}Main PID: ${st.mainPid} (code=exited, status=${st.exitStatus ?? 1}/FAILURE)\n`;
    if (modern) out += `        CPU: 2.104s\n`;
  } else {
    out += `${ind}Active: ${st.active} (${st.sub})${since}\n`;
  }
  if (isRoot(c.inv) && lines > 0) {
    const j = journalLines(c.fs, u.name).slice(-lines);
    if (j.length) out += `\n${j.join('\n')}\n`;
  }
  return out;
}

function showProps(c: Ctx, name: string, u: UnitInfo | undefined): Array<[string, string]> {
  if (!u) {
    return [
      ['Id', name],
      ['Names', name],
      ['Description', name],
      ['LoadState', 'not-found'],
      ['ActiveState', 'inactive'],
      ['SubState', 'dead'],
      ['UnitFileState', ''],
      ['MainPID', '0'],
      ['Result', 'success'],
      ['FragmentPath', ''],
      ['ActiveEnterTimestamp', ''],
    ];
  }
  const st = readUnitState(c.fs, u.name);
  return [
    ['Type', u.notify ? 'notify' : 'simple'],
    ['Restart', u.nova ? (distroInfo(c.spec.distro).family === 'el' && (u.nova === 'compute' || u.nova === 'scheduler') ? 'always' : 'on-failure') : 'on-failure'],
    ['MainPID', st.active === 'active' ? String(st.mainPid) : '0'],
    ['ExecMainPID', String(st.mainPid)],
    ['ExecMainStatus', String(st.active === 'failed' ? (st.exitStatus ?? 1) : 0)],
    ['Result', st.result],
    ['Id', u.name],
    ['Names', u.name],
    ['Description', u.description],
    ['LoadState', 'loaded'],
    ['ActiveState', st.active],
    ['SubState', st.sub],
    ['FragmentPath', `${unitDir(c.spec)}/${u.name}`],
    ['UnitFileState', isEnabled(c.fs, u.name) ? 'enabled' : 'disabled'],
    ['UnitFilePreset', preset(c.spec, u)],
    ['ExecMainStartTimestamp', systemdTime(st.execMainStart, c.timestamps)],
    ['ActiveEnterTimestamp', systemdTime(st.activeEnter, c.timestamps)],
    ['InactiveEnterTimestamp', st.active !== 'active' ? systemdTime(st.since, c.timestamps) : ''],
    ['User', u.nova ? 'nova' : ''],
    ['ExecStart', `{ path=${u.execStart.split(' ')[0]} ; argv[]=${u.execStart} ; ignore_errors=no }`],
  ];
}

function globToRegExp(g: string): RegExp {
  return new RegExp(`^${g.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
}

export const systemctl: Tool = async (inv): Promise<ToolResult> => {
  const spec = inv.host.spec;
  const c: Ctx = { inv, spec, fs: inv.fs, systemd: distroInfo(spec.distro).systemd, timestamps: 'pretty' };
  // --timestamp= came with systemd 248: older ones reject it as an unknown option
  const p = getopt(inv.argv.slice(1), 'qp:t:alhn:o:f', c.systemd >= 248 ? { ...LONGS, timestamp: true } : LONGS);
  if (p.error) {
    const what = p.error.kind === 'invalid' ? `invalid option -- '${p.error.option}'` : p.error.kind === 'missing' ? `option requires an argument -- '${p.error.option}'` : `unrecognized option '${p.error.option}'`;
    return fail(1, `systemctl: ${what}\n`);
  }
  let quiet = false;
  let valueOnly = false;
  let noLegend = false;
  let lines = 10;
  let typeFilter: string | undefined;
  let stateFilter: string | undefined;
  let now = false;
  const props: string[] = [];
  for (const [o, v] of p.opts) {
    if (o === 'q' || o === 'quiet') quiet = true;
    else if (o === 'value') valueOnly = true;
    else if (o === 'no-legend') noLegend = true;
    else if (o === 'p' || o === 'property') props.push(...(v ?? '').split(',').filter(Boolean));
    else if (o === 't' || o === 'type') typeFilter = v;
    else if (o === 'state') stateFilter = v;
    else if (o === 'n' || o === 'lines') lines = Number(v);
    else if (o === 'now') now = true;
    else if (o === 'timestamp') {
      const style = TIMESTAMP_STYLES[v ?? ''];
      if (!style || (style === 'unix' && c.systemd < 251)) return fail(1, `Invalid value: ${v ?? ''}.\n`);
      c.timestamps = style;
    }
    else if (o === 'h' || o === 'help') return ok(`systemctl [OPTIONS...] COMMAND ...\n\nQuery or send control commands to the system manager.\n`);
    else if (o === 'version') return ok(`systemd ${c.systemd}\n`);
  }
  const [verb = 'list-units', ...names] = p.args;
  const units = names.map(normalizeUnit);
  const root = isRoot(inv);

  switch (verb) {
    case 'is-active':
    case 'is-failed': {
      if (!units.length) return fail(1, 'Too few arguments.\n');
      let out = '';
      let any = false;
      for (const n of units) {
        const u = findUnit(spec, n);
        const st = u ? readUnitState(inv.fs, u.name).active : 'inactive';
        out += `${st}\n`;
        if (verb === 'is-active' ? st === 'active' : st === 'failed') any = true;
      }
      return { stdout: quiet ? '' : out, stderr: '', exitCode: any ? 0 : verb === 'is-active' ? 3 : 1 };
    }
    case 'is-enabled': {
      if (!units.length) return fail(1, 'Too few arguments.\n');
      let out = '';
      let err = '';
      let any = false;
      for (const n of units) {
        const u = findUnit(spec, n);
        if (!u) {
          err += `Failed to get unit file state for ${n}: No such file or directory\n`;
          continue;
        }
        const en = isEnabled(inv.fs, u.name);
        out += `${en ? 'enabled' : 'disabled'}\n`;
        if (en) any = true;
      }
      return { stdout: quiet ? '' : out, stderr: err, exitCode: any ? 0 : 1 };
    }
    case 'start':
    case 'restart':
    case 'try-restart':
    case 'reload-or-restart':
    case 'stop':
    case 'reload': {
      if (!units.length) return fail(1, 'Too few arguments.\n');
      const word = verb === 'reload-or-restart' ? 'reload-or-restart' : verb;
      let err = '';
      let code = 0;
      for (const n of units) {
        const u = findUnit(spec, n);
        if (!root) return fail(1, denied(c, word, n));
        if (!u) {
          err += notFoundMsg(c, word, n);
          code = 5;
          continue;
        }
        if (verb === 'stop') {
          stopUnit(c, u);
          continue;
        }
        if (verb === 'reload') {
          if (u.nova) {
            err += `Failed to reload ${u.name}: Job type reload is not applicable for unit ${u.name}.\n`;
            code = code || 1;
          }
          continue;
        }
        if (verb === 'try-restart' && readUnitState(inv.fs, u.name).active !== 'active') continue;
        const e = await startUnit(c, u, verb !== 'start');
        if (e) {
          err += e;
          code = code || 1;
        }
      }
      return { stdout: '', stderr: err, exitCode: code };
    }
    case 'status': {
      if (!units.length) return fail(1, 'lab: `systemctl status` without a unit is not modelled by the passthru lab\n');
      let out = '';
      let err = '';
      let code = 0;
      for (const n of units) {
        const u = findUnit(spec, n);
        if (!u) {
          err += `Unit ${n} could not be found.\n`;
          code = 4;
          continue;
        }
        const st = readUnitState(inv.fs, u.name);
        if (out) out += '\n';
        out += statusText(c, u, st, lines);
        if (st.active !== 'active' && code === 0) code = 3;
      }
      return { stdout: out, stderr: err, exitCode: code };
    }
    case 'show': {
      if (!units.length) return fail(1, 'lab: `systemctl show` without a unit is not modelled by the passthru lab\n');
      const blocks: string[] = [];
      for (const n of units) {
        const all = showProps(c, n, findUnit(spec, n));
        const chosen = props.length ? props.map((pp) => all.find(([k]) => k === pp) ?? ([pp, ''] as [string, string])) : all;
        blocks.push(chosen.map(([k, v]) => (valueOnly ? `${v}\n` : `${k}=${v}\n`)).join(''));
      }
      return ok(blocks.join('\n'));
    }
    case 'list-unit-files':
    case 'list-units': {
      if (typeFilter && typeFilter !== 'service') return ok(noLegend ? '' : verb === 'list-units' ? '0 loaded units listed.\n' : '0 unit files listed.\n');
      const pats = names.map(globToRegExp);
      const rows = hostUnits(spec).filter((u) => !pats.length || pats.some((r) => r.test(u.name)));
      if (verb === 'list-unit-files') {
        const data = rows
          .map((u) => [u.name, isEnabled(inv.fs, u.name) ? 'enabled' : 'disabled', preset(spec, u)] as const)
          .filter(([, st]) => !stateFilter || stateFilter.split(',').includes(st));
        const w = Math.max(9, ...data.map(([n]) => n.length));
        const header = c.systemd >= 252 ? `${'UNIT FILE'.padEnd(w)} STATE    PRESET\n` : c.systemd >= 245 ? `${'UNIT FILE'.padEnd(w)} STATE    VENDOR PRESET\n` : `${'UNIT FILE'.padEnd(w)} STATE\n`;
        let out = noLegend ? '' : header;
        for (const [n, st, pr] of data) out += c.systemd >= 245 ? `${n.padEnd(w)} ${st.padEnd(8)} ${pr}\n` : `${n.padEnd(w)} ${st}\n`;
        if (!noLegend) out += `\n${data.length} unit files listed.\n`;
        return ok(out);
      }
      const data = rows
        .map((u) => ({ u, st: readUnitState(inv.fs, u.name) }))
        .filter(({ st }) => (stateFilter ? stateFilter.split(',').some((s) => s === st.active || s === st.sub) : st.active !== 'inactive'));
      const w = Math.max(4, ...data.map(({ u }) => u.name.length));
      let out = noLegend ? '' : `  ${'UNIT'.padEnd(w)} LOAD   ACTIVE SUB     DESCRIPTION\n`;
      for (const { u, st } of data) out += `${st.active === 'failed' ? '●' : ' '} ${u.name.padEnd(w)} loaded ${st.active.padEnd(6)} ${st.sub.padEnd(7)} ${u.description}\n`;
      if (!noLegend) out += `\nLOAD   = Reflects whether the unit definition was properly loaded.\nACTIVE = The high-level unit activation state, i.e. generalization of SUB.\nSUB    = The low-level unit activation state, values depend on unit type.\n\n${data.length} loaded units listed.\n`;
      return ok(out);
    }
    case 'daemon-reload':
      if (!root) return fail(1, 'Failed to reload daemon: Interactive authentication required.\n');
      return ok();
    case 'enable':
    case 'disable': {
      if (!units.length) return fail(1, 'Too few arguments.\n');
      let err = '';
      for (const n of units) {
        const u = findUnit(spec, n);
        if (!u) return fail(1, `Failed to ${verb} unit: Unit file ${n} does not exist.\n`);
        if (!root) return fail(1, `Failed to ${verb} unit: Interactive authentication required.\n`);
        const link = `${WANTS_DIR}/${u.name}`;
        const target = `${unitDir(spec)}/${u.name}`;
        if (verb === 'enable' && !inv.fs.exists(link)) {
          inv.fs.writeFile(link, inv.fs.readFile(target) ?? '');
          err += `Created symlink ${link} → ${target}.\n`;
        } else if (verb === 'disable' && inv.fs.exists(link)) {
          inv.fs.remove(link);
          err += c.systemd >= 252 ? `Removed "${link}".\n` : `Removed ${link}.\n`;
        }
        if (now) {
          if (verb === 'enable') {
            const e = await startUnit(c, u, false);
            if (e) return fail(1, err + e);
          } else stopUnit(c, u);
        }
      }
      return { stdout: '', stderr: err, exitCode: 0 };
    }
    case 'reboot': {
      if (!root) {
        return fail(1, c.systemd >= 249 ? 'Failed to set wall message, ignoring: Interactive authentication required.\nCall to Reboot failed: Interactive authentication required.\n' : 'Failed to start reboot.target: Interactive authentication required.\n');
      }
      inv.host.requestReboot();
      return ok();
    }
    default:
      return fail(1, c.systemd >= 245 ? `Unknown command verb '${verb}'.\n` : `Unknown operation '${verb}'.\n`);
  }
};
