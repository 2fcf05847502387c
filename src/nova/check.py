# Check candidate nova config files with nova's own code, before a restart.
#
# Run on the host:   python3 - [--check alias|device_spec|filters]... --config-file FILE [--config-file FILE]...
# (the script comes on stdin). Prints one JSON line on stdout:
#   {"ok": true, "checks": {...}}  or  {"ok": false, "error": "...", "check": "..."}
# Exit status: 0 ok, 1 a check failed, 2 bad usage, 3 nova not importable.
#
# What it runs is what the services run at start:
#  - alias:       nova.pci.request._get_alias_from_config()  (nova-api, nova-compute)
#  - device_spec: nova.pci.whitelist.Whitelist(CONF.pci.device_spec)  (nova-compute;
#                 passthrough_whitelist before Zed)
#  - filters:     HostManager's loader: HostFilterHandler().get_matching_classes(
#                 available_filters), then every enabled filter must be one of them
#                 (nova/scheduler/host_manager.py _choose_host_filters)
# Written for Python 3.6+ (EL8's platform python).
import json
import sys


def emit(obj, code):
    sys.stdout.write(json.dumps(obj, sort_keys=True) + "\n")
    sys.stdout.flush()
    sys.exit(code)


def parse_args(argv):
    files = []
    checks = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("--config-file", "--check") and i + 1 < len(argv):
            (files if a == "--config-file" else checks).append(argv[i + 1])
            i += 2
            continue
        emit({"ok": False, "error": "bad argument: %s" % a, "check": "usage"}, 2)
    if not files:
        emit({"ok": False, "error": "no --config-file given", "check": "usage"}, 2)
    for c in checks:
        if c not in ("alias", "device_spec", "filters"):
            emit({"ok": False, "error": "unknown check: %s" % c, "check": "usage"}, 2)
    return files, checks or ["alias", "device_spec", "filters"]


def check(files, checks):
    """Load `files` with nova's CONF and run `checks`; returns (result, exit status)."""
    import logging
    logging.disable(logging.CRITICAL)  # deprecation warnings are not failures
    try:
        import nova.conf
        from nova import exception
        from nova import version
    except Exception as e:  # noqa
        return {"ok": False, "error": "nova is not importable: %s: %s" % (type(e).__name__, e), "check": "import"}, 3

    CONF = nova.conf.CONF
    result = {"ok": True, "checks": {}, "nova_version": version.version_string(), "config_files": files}
    try:
        CONF(args=[a for f in files for a in ("--config-file", f)], project="nova",
             default_config_files=[], default_config_dirs=[])
    except Exception as e:  # noqa
        return {"ok": False, "error": "%s: %s" % (type(e).__name__, e), "check": "parse"}, 1

    for name in checks:
        try:
            if name == "alias":
                from nova.pci import request
                aliases = request._get_alias_from_config()
                result["checks"]["alias"] = {"names": sorted(aliases.keys())}
            elif name == "device_spec":
                from nova.pci import whitelist
                if hasattr(CONF.pci, "device_spec"):
                    values = CONF.pci.device_spec
                else:  # before Zed (26.0.0)
                    values = CONF.pci.passthrough_whitelist
                wl = whitelist.Whitelist(values)
                result["checks"]["device_spec"] = {"count": len(wl.specs), "values": list(values)}
            elif name == "filters":
                from nova.scheduler import filters as sched_filters
                handler = sched_filters.HostFilterHandler()
                classes = handler.get_matching_classes(CONF.filter_scheduler.available_filters)
                known = set(c.__name__ for c in classes)
                enabled = list(CONF.filter_scheduler.enabled_filters)
                bad = [f for f in enabled if f not in known]
                if bad:
                    raise exception.SchedulerHostFilterNotFound(filter_name=", ".join(bad))
                result["checks"]["filters"] = {"enabled": enabled}
        except Exception as e:  # noqa
            return {"ok": False, "error": "%s: %s" % (type(e).__name__, e), "check": name,
                    "nova_version": result["nova_version"]}, 1
    return result, 0


def main():
    files, checks = parse_args(sys.argv[1:])
    # Loading nova makes stevedore cache the entry points under ~/.cache
    # (root's, here): a check leaves nothing behind, so it caches in a
    # directory of its own that goes again.
    import os
    import shutil
    import tempfile
    cache = tempfile.mkdtemp(prefix="passthru-nova-check-")
    os.environ["XDG_CACHE_HOME"] = cache
    try:
        result, code = check(files, checks)
        emit(result, code)
    finally:
        shutil.rmtree(cache, ignore_errors=True)


if __name__ == "__main__":
    main()
