#!/usr/bin/python3
"""Load a host's nova configuration with nova's own code (python3-nova) and
say what the services would make of it: what nova-api/nova-compute parse as
[pci] alias (nova.pci.request._get_alias_from_config), which of the host's
PCI devices nova-compute's whitelist accepts (nova.pci.whitelist.Whitelist
over device_spec, or passthrough_whitelist alone before Zed), and the
enabled_filters nova-scheduler loads (HostFilterHandler; a filter the
release no longer has is an error, as at start).

Reads one JSON request per line on stdin:
  {"release": "2023.2", "files": [...], "devices": [{"address", "vendor_id", "product_id"}...]}
and prints one JSON answer per line:
  {"ok": true, "aliases": {name: {"numa_policy", "specs": [...]}}, "assignable": [address...],
   "enabled_filters": [...], "unknown_filters": [...]}
  {"ok": false, "stage": "...", "exception": "module.Class", "message": "..."}
"""

import json
import sys

RELEASES = ['yoga', 'zed', '2023.1', '2023.2', '2024.1', '2024.2', '2025.1']


def at_least(release, minimum):
    return RELEASES.index(release) >= RELEASES.index(minimum)


def fail(stage, e):
    return {'ok': False, 'stage': stage, 'exception': '%s.%s' % (type(e).__module__, type(e).__name__), 'message': str(e)}


def probe(req):
    from oslo_config import cfg
    import nova.conf
    from nova.pci import request, whitelist
    from nova.scheduler import filters

    release = req['release']
    argv = []
    for f in req['files']:
        argv += ['--config-file', f]
    conf = nova.conf.CONF
    conf.reset()
    try:
        conf(argv, project='nova', default_config_files=[], default_config_dirs=[])
    except Exception as e:  # noqa: BLE001
        return fail('parse', e)
    out = {'ok': True}

    try:
        aliases = request._get_alias_from_config()
    except Exception as e:  # noqa: BLE001
        return fail('alias', e)
    out['aliases'] = {name: {'numa_policy': policy, 'specs': specs} for name, (policy, specs) in aliases.items()}

    try:
        if at_least(release, 'zed'):
            values = list(conf.pci.device_spec)
        else:
            # before Zed nova knew only passthrough_whitelist: device_spec lines are ignored
            old = cfg.ConfigOpts()
            old.register_opts([cfg.MultiStrOpt('passthrough_whitelist', default=[],
                                               deprecated_opts=[cfg.DeprecatedOpt('pci_passthrough_whitelist', group='DEFAULT')])],
                              group='pci')
            old(argv, project='nova', default_config_files=[], default_config_dirs=[])
            values = list(old.pci.passthrough_whitelist)
        wl = whitelist.Whitelist(values)
    except Exception as e:  # noqa: BLE001
        return fail('device_spec', e)
    out['device_spec'] = values
    out['assignable'] = [d['address'] for d in req.get('devices', []) if wl.device_assignable(dict(d))]

    try:
        classes = filters.HostFilterHandler().get_matching_classes(conf.filter_scheduler.available_filters)
    except Exception as e:  # noqa: BLE001
        return fail('filters', e)
    known = set(c.__name__ for c in classes)
    if at_least(release, '2023.2'):
        known.discard('AvailabilityZoneFilter')
    enabled = list(conf.filter_scheduler.enabled_filters)
    out['enabled_filters'] = enabled
    out['unknown_filters'] = [f for f in enabled if f not in known]
    return out


def main():
    import logging
    logging.disable(logging.CRITICAL)
    try:
        import nova.conf  # noqa: F401
    except Exception as e:  # noqa: BLE001
        print(json.dumps({'ok': False, 'stage': 'import', 'exception': type(e).__name__, 'message': str(e)}), flush=True)
        return 3
    for line in sys.stdin:
        if line.strip():
            print(json.dumps(probe(json.loads(line))), flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
