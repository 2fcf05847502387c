// How a nova service that dies at start reports it: oslo.log's "Unhandled
// error" CRITICAL line and traceback (or, for a config file oslo.config cannot
// parse, Python's bare traceback, as logging is not set up yet).

import type { HostSpec } from './types.ts';
import { distroInfo, type NovaService } from './distro.ts';
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
