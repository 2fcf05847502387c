#!/usr/bin/python3
"""Check a nova configuration the way a nova service checks it at start,
with nova's own code (python3-nova): oslo.config parses the files, then
nova.pci.whitelist.Whitelist (nova-compute), nova.pci.request's alias parser
(nova-api, nova-compute) and the scheduler's filter lookup (nova-scheduler).

Usage: nova_check.py --release R --service api|scheduler|conductor|compute|novncproxy
                     --config-file F [--config-file F ...]
Prints one JSON object: {"ok": true} or {"ok": false, "exception": "...", "message": "..."}.
With --batch, reads one JSON object per line from stdin ({"release", "service",
"files"}) and prints one result per line (used by the tests).

The installed nova may be older or newer than the release the lab host runs:
for a release before Zed only passthrough_whitelist is read and the
exception is Yoga's PciConfigInvalidWhitelist; from 2023.2 on
AvailabilityZoneFilter no longer exists.
"""

import argparse
import json
import sys

RELEASES = ['yoga', 'zed', '2023.1', '2023.2', '2024.1', '2024.2', '2025.1']


def at_least(release, minimum):
    return RELEASES.index(release) >= RELEASES.index(minimum)


def qualified(exc):
    cls = type(exc)
    mod = cls.__module__
    return '%s.%s' % (mod, cls.__name__)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--release', choices=RELEASES)
    ap.add_argument('--service')
    ap.add_argument('--config-file', action='append', default=[])
    ap.add_argument('--batch', action='store_true')
    args = ap.parse_args()

    import logging
    logging.disable(logging.CRITICAL)

    if args.batch:
        for line in sys.stdin:
            if line.strip():
                req = json.loads(line)
                print(json.dumps(check(req['release'], req['service'], req['files'])), flush=True)
        return 0
    if not args.release or not args.service:
        ap.error('--release and --service are required')
    print(json.dumps(check(args.release, args.service, args.config_file)))
    return 0


def check(release, service, files):
    from oslo_config import cfg
    import nova.conf
    from nova import exception

    conf = nova.conf.CONF
    argv = []
    for f in files:
        argv += ['--config-file', f]
    try:
        conf(argv, project='nova', default_config_files=[], default_config_dirs=[])
    except cfg.ConfigFileParseError as e:
        return fail(e)

    try:
        if service == 'compute':
            check_device_spec(conf, release, argv)
            check_alias(conf)
        elif service == 'api':
            check_alias(conf)
        elif service == 'scheduler':
            check_filters(conf, release)
    except Exception as e:  # noqa: BLE001 - every error is the service's failure
        if not at_least(release, 'zed') and isinstance(e, exception.PciConfigInvalidSpec):
            # Yoga's name and text for the same failure
            msg = str(e).replace('Invalid [pci]device_spec config: ', 'Invalid PCI devices Whitelist config: ', 1)
            return {'ok': False, 'exception': 'nova.exception.PciConfigInvalidWhitelist', 'message': msg}
        return fail(e)
    return {'ok': True}


def fail(e):
    return {'ok': False, 'exception': qualified(e), 'message': str(e)}


def check_device_spec(conf, release, argv):
    from nova.pci import whitelist
    if at_least(release, 'zed'):
        values = conf.pci.device_spec
    else:
        # before Zed only passthrough_whitelist existed: device_spec is ignored
        from oslo_config import cfg
        old = cfg.ConfigOpts()
        old.register_opts([cfg.MultiStrOpt('passthrough_whitelist', default=[],
                                           deprecated_opts=[cfg.DeprecatedOpt('pci_passthrough_whitelist', group='DEFAULT')])],
                          group='pci')
        old(argv, project='nova', default_config_files=[], default_config_dirs=[])
        values = old.pci.passthrough_whitelist
    if values:
        whitelist.Whitelist(values)


def check_alias(conf):
    from nova.pci import request
    request._get_alias_from_config()


def check_filters(conf, release):
    from nova import exception
    from nova.scheduler import filters
    handler = filters.HostFilterHandler()
    classes = handler.get_matching_classes(conf.filter_scheduler.available_filters)
    known = {cls.__name__ for cls in classes}
    if at_least(release, '2023.2'):
        known.discard('AvailabilityZoneFilter')
    bad = [name for name in conf.filter_scheduler.enabled_filters if name not in known]
    if bad:
        raise exception.SchedulerHostFilterNotFound(filter_name=', '.join(bad))


if __name__ == '__main__':
    sys.exit(main())
