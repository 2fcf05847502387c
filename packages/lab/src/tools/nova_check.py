#!/usr/bin/python3
"""Check a nova configuration the way a nova service checks it at start,
with nova's own code (python3-nova): oslo.config parses the files, then
nova.pci.whitelist.Whitelist (nova-compute), nova.pci.request's alias parser
(nova-api, nova-compute) and the scheduler's filter lookup (nova-scheduler).

Usage: nova_check.py --release R --service api|scheduler|conductor|compute|novncproxy
                     --config-file F [--config-file F ...]
Prints one JSON object: {"ok": true} or {"ok": false, "exception": "...", "message": "..."}.

With --batch (the lab's long-lived checker, src/lab/tools/nova-checker.ts, and
the tests): imports nova once, then reads one JSON object per line from stdin,
{"release", "service", "files"} or {"ping": true}, and prints one result per
line, in order, each carrying the request's "id" if it had one. A check's
result is the one-shot mode's, whatever came before (every check parses its
files afresh into nova's global CONF). {"ping": true} is answered {"ok": true}
once nova is imported. A request nova could not be asked about (nova not
importable, an error outside the service's own checks) is answered
{"unavailable": "..."}, where the one-shot mode prints a traceback and no
result; after such an error the process answers, then exits, so that no state
it may have left behind reaches the next check.

The installed nova may be older or newer than the release the lab host runs:
for a release before Zed only passthrough_whitelist is read and the
exception is Yoga's PciConfigInvalidWhitelist; from 2023.2 on
AvailabilityZoneFilter no longer exists.
"""

import argparse
import json
import os
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
        return batch()
    if not args.release or not args.service:
        ap.error('--release and --service are required')
    print(json.dumps(check(args.release, args.service, args.config_file)))
    return 0


def batch():
    out = sys.stdout
    # the answers own stdout: whatever nova's code prints goes to stderr
    sys.stdout = sys.stderr
    die_with_parent()
    not_importable = preload()
    for line in sys.stdin:
        if not line.strip():
            continue
        fatal = False
        try:
            req = json.loads(line)
            if not isinstance(req, dict):
                raise ValueError('a request is a JSON object')
        except ValueError as e:
            req, res = {}, {'unavailable': 'bad request: %s' % e}
        else:
            bad = None if req.get('ping') else bad_request(req)
            if not_importable:
                res = {'unavailable': not_importable}
            elif req.get('ping'):
                res = {'ok': True}
            elif bad:
                res = {'unavailable': 'bad request: %s' % bad}
            else:
                try:
                    res = check(req['release'], req['service'], req['files'])
                except BaseException as e:  # noqa: BLE001 - the one-shot mode would have died here
                    if isinstance(e, KeyboardInterrupt):
                        raise
                    res, fatal = {'unavailable': '%s: %s' % (qualified(e), e)}, True
        if 'id' in req:
            res['id'] = req['id']
        out.write(json.dumps(res) + '\n')
        out.flush()
        if fatal:
            return 3
    return 0


def bad_request(req):
    """What the one-shot mode's argument parser would refuse, if anything."""
    if req.get('release') not in RELEASES:
        return 'release must be one of %s' % ', '.join(RELEASES)
    if not isinstance(req.get('service'), str):
        return 'service must be a string'
    files = req.get('files')
    if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
        return 'files must be a list of paths'
    return None


def preload():
    """Import what every check needs, once; the error text if nova cannot be imported."""
    try:
        from oslo_config import cfg  # noqa: F401
        import nova.conf  # noqa: F401
        from nova import exception  # noqa: F401
        from nova.pci import request, whitelist  # noqa: F401
        from nova.scheduler import filters
        # the scheduler check loads every filter module: do it now, not at the first check
        filters.HostFilterHandler().get_matching_classes(['nova.scheduler.filters.all_filters'])
    except BaseException as e:  # noqa: BLE001
        if isinstance(e, KeyboardInterrupt):
            raise
        return 'nova is not importable: %s: %s' % (qualified(e), e)
    return None


def die_with_parent():
    """SIGKILL when the thread that started us ends (Linux); EOF on stdin ends us anyway."""
    parent = os.environ.get('PASSTHRU_LAB_PARENT_PID')
    try:
        import ctypes
        import signal
        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except Exception:  # noqa: BLE001 - best effort: not Linux, no libc
        return
    if parent and str(os.getppid()) != parent:
        os._exit(0)  # the parent died before prctl: nobody is listening


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
