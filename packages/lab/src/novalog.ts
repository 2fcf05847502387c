// How a nova service that dies at start reports it: oslo.log's "Unhandled
// error" CRITICAL line and traceback (or, for a config file oslo.config cannot
// parse, Python's bare traceback, as logging is not set up yet).

import type { HostSpec, LabFs } from './types.ts';
import { distroInfo, type NovaService, type UnitInfo } from './distro.ts';
import { journal, readUnitState, writeUnitState } from './units.ts';
import type { NovaCheckFailure } from './novacheck.ts';

function frames(site: string, service: NovaService, f: NovaCheckFailure): string[] {
  const bin = `/usr/bin/nova-${service}`;
  const head = [`  File "${bin}", line 10, in <module>`, '    sys.exit(main())'];
  if (f.exception === 'oslo_config.cfg.ConfigFileParseError') {
    return [
      ...head,
      `  File "${site}/nova/cmd/${service}.py", line 40, in main`,
      '    config.parse_args(sys.argv)',
      `  File "${site}/nova/config.py", line 52, in parse_args`,
      "    CONF(argv[1:],",
      `  File "${site}/oslo_config/cfg.py", line 2140, in __call__`,
      '    self._namespace = self._parse_config_files()',
      `  File "${site}/oslo_config/cfg.py", line 3224, in _parse_config_files`,
      '    raise ConfigFileParseError(pe.filename, str(pe))',
    ];
  }
  if (f.exception === 'nova.exception.SchedulerHostFilterNotFound') {
    return [
      ...head,
      `  File "${site}/nova/cmd/scheduler.py", line 47, in main`,
      "    server = service.Service.create(binary='nova-scheduler',",
      `  File "${site}/nova/service.py", line 252, in create`,
      '    service_obj = cls(host, binary, topic, manager,',
      `  File "${site}/nova/service.py", line 116, in __init__`,
      '    self.manager = manager_class(host=self.host, *args, **kwargs)',
      `  File "${site}/nova/scheduler/manager.py", line 70, in __init__`,
      '    self.host_manager = host_manager.HostManager()',
      `  File "${site}/nova/scheduler/host_manager.py", line 353, in __init__`,
      '    self.enabled_filters = self._choose_host_filters(self._load_filters())',
      `  File "${site}/nova/scheduler/host_manager.py", line 480, in _choose_host_filters`,
      '    raise exception.SchedulerHostFilterNotFound(filter_name=msg)',
    ];
  }
  if (f.exception === 'nova.exception.PciInvalidAlias') {
    return [
      ...head,
      `  File "${site}/nova/cmd/${service}.py", line 59, in main`,
      '    service.serve(server)',
      `  File "${site}/nova/pci/request.py", line 147, in _get_alias_from_config`,
      '    raise exception.PciInvalidAlias(reason=reason)',
    ];
  }
  return [
    ...head,
    `  File "${site}/nova/cmd/compute.py", line 59, in main`,
    '    service.serve(server)',
    `  File "${site}/nova/service.py", line 162, in start`,
    '    self.manager.init_host(self.service_ref)',
    `  File "${site}/nova/compute/manager.py", line 1506, in init_host`,
    '    whitelist.Whitelist(CONF.pci.device_spec)',
    `  File "${site}/nova/pci/whitelist.py", line 51, in __init__`,
    '    self.specs = self._parse_white_list_from_config(whitelist_spec)',
    `  File "${site}/nova/pci/whitelist.py", line 64, in _parse_white_list_from_config`,
    '    raise exception.PciConfigInvalidSpec(',
  ];
}

function stamp(d: Date): string {
  return d.toISOString().replace('T', ' ').replace('Z', '').slice(0, 23);
}

/** the lines the failing service writes to its journal (and log file) */
export function failureJournalLines(spec: HostSpec, service: NovaService, pid: number, f: NovaCheckFailure, when: Date): string[] {
  const site = distroInfo(spec.distro).pythonSite;
  const fr = frames(site, service, f);
  const last = `${f.exception}: ${f.message}`;
  if (f.exception === 'oslo_config.cfg.ConfigFileParseError') {
    return ['Traceback (most recent call last):', ...fr, last];
  }
  const p = `${stamp(when)} ${pid}`;
  return [
    `${p} CRITICAL nova [-] Unhandled error: ${last}`,
    `${p} ERROR nova Traceback (most recent call last):`,
    ...fr.map((l) => `${p} ERROR nova ${l}`),
    `${p} ERROR nova ${last}`,
    `${p} ERROR nova `,
  ];
}

/**
 * What systemd records when a unit starts: journal lines, the nova log on a
 * failure, and the unit's runtime state. Shared by the boot and `systemctl`.
 */
export function recordUnitStart(fs: LabFs, spec: HostSpec, u: UnitInfo, pid: number, failure: NovaCheckFailure | undefined, now: Date): void {
  if (!failure) {
    journal(fs, spec.name, u.name, 'systemd[1]', [`Started ${u.description}.`], now);
    writeUnitState(fs, u.name, { active: 'active', sub: 'running', result: 'success', mainPid: pid, since: now.toISOString(), activeEnter: now.toISOString(), execMainStart: now.toISOString() });
    return;
  }
  const lines = failureJournalLines(spec, u.nova as NovaService, pid, failure, now);
  journal(fs, spec.name, u.name, `${u.processName}[${pid}]`, lines, now);
  const log = `/var/log/nova/${u.processName}.log`;
  if (fs.isDirectory('/var/log/nova')) fs.writeFile(log, (fs.readFile(log) ?? '') + lines.map((l) => `${l}\n`).join(''), { mode: 0o640, owner: 'nova', group: 'nova' });
  journal(
    fs,
    spec.name,
    u.name,
    'systemd[1]',
    [`${u.name}: Main process exited, code=exited, status=1/FAILURE`, `${u.name}: Failed with result 'exit-code'.`, `Failed to start ${u.description}.`],
    now,
  );
  // Type=notify: the start job fails, the unit keeps when it last became active;
  // Type=simple: it became active, and its process died right after
  const was = readUnitState(fs, u.name);
  writeUnitState(fs, u.name, { active: 'failed', sub: 'failed', result: 'exit-code', mainPid: pid, since: now.toISOString(), exitStatus: 1, activeEnter: u.notify ? was.activeEnter : now.toISOString(), execMainStart: now.toISOString() });
}
