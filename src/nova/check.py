# Check candidate nova config files with nova's own code, before a restart.
#
# Run on the host (the script comes on stdin):
#   python3 - [--check alias|device_spec|filters]... --config-file FILE...
#       the whole check: the files loaded with nova.conf.CONF, then what the
#       services run at start; the answer also carries the values read
#   python3 - --values [--check ...]... --config-file FILE...
#       only how oslo.config reads the files, with nova's own option
#       definitions (nova/conf/pci.py, nova/conf/scheduler.py), without
#       importing the rest of nova: parse errors and the option values
#   python3 - --units BASE64 [--values [--check ...]... --config-file FILE...]
#       what the services run at start, on option values given as JSON
#       (base64 of a list of {"check": "alias"|"device_spec", "values": [...]}
#       or {"check": "filters", "enabled": [...], "available": [...]}): the
#       same values give the same answer on every host with the same nova,
#       so one host can check them for many (src/nova/check-batch.ts)
#   python3 -c BOOTSTRAP   (novaCheckCommand in check.ts)
#       the same, from one JSON document on stdin: this script, the checks,
#       and the candidate files' paths and texts (written to a private temp
#       directory, removed again; the texts hold passwords: never in argv)
# Prints one JSON line on stdout:
#   {"ok": true, "checks": {...}, "values": {...}, "units": [...]}  or
#   {"ok": false, "error": "...", "check": "..."}
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

CHECKS = ("alias", "device_spec", "filters")


def emit(obj, code):
    sys.stdout.write(json.dumps(obj, sort_keys=True) + "\n")
    sys.stdout.flush()
    sys.exit(code)


def parse_args(argv):
    files = []
    checks = []
    units = None
    values_only = False
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("--config-file", "--check", "--units") and i + 1 < len(argv):
            if a == "--config-file":
                files.append(argv[i + 1])
            elif a == "--check":
                checks.append(argv[i + 1])
            else:
                units = argv[i + 1]
            i += 2
            continue
        if a == "--values":
            values_only = True
            i += 1
            continue
        emit({"ok": False, "error": "bad argument: %s" % a, "check": "usage"}, 2)
    if not files and units is None:
        emit({"ok": False, "error": "no --config-file given", "check": "usage"}, 2)
    for c in checks:
        if c not in CHECKS:
            emit({"ok": False, "error": "unknown check: %s" % c, "check": "usage"}, 2)
    if units is not None:
        import base64
        try:
            units = json.loads(base64.b64decode(units).decode("utf-8"))
        except Exception as e:  # noqa
            emit({"ok": False, "error": "bad --units: %s" % e, "check": "usage"}, 2)
    return files, checks or list(CHECKS), units, values_only


def conf_args(files):
    return [a for f in files for a in ("--config-file", f)]


def read_values(conf, checks):
    """The values of the checked options, as the services will read them."""
    out = {}
    if "alias" in checks:
        out["alias"] = list(conf.pci.alias)
    if "device_spec" in checks:
        # device_spec since Zed (26.0.0); passthrough_whitelist before
        out["device_spec"] = list(conf.pci.device_spec if hasattr(conf.pci, "device_spec") else conf.pci.passthrough_whitelist)
    if "filters" in checks:
        out["filters"] = {"enabled": list(conf.filter_scheduler.enabled_filters),
                          "available": list(conf.filter_scheduler.available_filters)}
    return out


def option_conf(checks):
    """A ConfigOpts with only nova's own definitions of the checked options."""
    import importlib.util
    import os
    from oslo_config import cfg
    import nova
    conf = cfg.ConfigOpts()
    base = os.path.join(os.path.dirname(nova.__file__), "conf")
    mods = ["pci"] if ("alias" in checks or "device_spec" in checks) else []
    if "filters" in checks:
        mods.append("scheduler")
    for name in mods:
        spec = importlib.util.spec_from_file_location("passthru_nova_conf_" + name, os.path.join(base, name + ".py"))
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        mod.register_opts(conf)
    return conf


def values_of(files, checks):
    """(result, exit status): how oslo.config reads the files, without nova's other modules."""
    import logging
    logging.disable(logging.CRITICAL)
    try:
        conf = option_conf(checks)
    except Exception:  # noqa - an unusual nova layout: the whole of nova.conf then
        try:
            import nova.conf
            conf = nova.conf.CONF
        except Exception as e:  # noqa
            return {"ok": False, "error": "nova is not importable: %s: %s" % (type(e).__name__, e), "check": "import"}, 3
    try:
        conf(args=conf_args(files), project="nova", default_config_files=[], default_config_dirs=[])
        return {"ok": True, "values": read_values(conf, checks), "config_files": files}, 0
    except Exception as e:  # noqa
        return {"ok": False, "error": "%s: %s" % (type(e).__name__, e), "check": "parse"}, 1


def load_nova():
    import logging
    logging.disable(logging.CRITICAL)  # deprecation warnings are not failures
    import nova.conf
    from nova import exception
    from nova import version
    return nova.conf.CONF, exception, version


def run_check(name, conf, exception, values):
    """One check on `values` (None: the values conf holds); returns its details or raises."""
    if name == "alias":
        from nova.pci import request
        if values is not None:
            conf.set_override("alias", values["values"], group="pci")
        try:
            return {"names": sorted(request._get_alias_from_config().keys())}
        finally:
            if values is not None:
                conf.clear_override("alias", group="pci")
    if name == "device_spec":
        from nova.pci import whitelist
        if values is not None:
            specs = values["values"]
        elif hasattr(conf.pci, "device_spec"):
            specs = conf.pci.device_spec
        else:  # before Zed (26.0.0)
            specs = conf.pci.passthrough_whitelist
        wl = whitelist.Whitelist(specs)
        return {"count": len(wl.specs), "values": list(specs)}
    if name == "filters":
        from nova.scheduler import filters as sched_filters
        if values is not None:
            conf.set_override("available_filters", values["available"], group="filter_scheduler")
            conf.set_override("enabled_filters", values["enabled"], group="filter_scheduler")
        try:
            handler = sched_filters.HostFilterHandler()
            classes = handler.get_matching_classes(conf.filter_scheduler.available_filters)
            known = set(c.__name__ for c in classes)
            enabled = list(conf.filter_scheduler.enabled_filters)
            bad = [f for f in enabled if f not in known]
            if bad:
                raise exception.SchedulerHostFilterNotFound(filter_name=", ".join(bad))
            return {"enabled": enabled}
        finally:
            if values is not None:
                conf.clear_override("available_filters", group="filter_scheduler")
                conf.clear_override("enabled_filters", group="filter_scheduler")
    raise ValueError("unknown check: %s" % name)


def check(files, checks):
    """Load `files` with nova's CONF and run `checks`; returns (result, exit status)."""
    try:
        CONF, exception, version = load_nova()
    except Exception as e:  # noqa
        return {"ok": False, "error": "nova is not importable: %s: %s" % (type(e).__name__, e), "check": "import"}, 3

    result = {"ok": True, "checks": {}, "nova_version": version.version_string(), "config_files": files}
    try:
        CONF(args=conf_args(files), project="nova", default_config_files=[], default_config_dirs=[])
    except Exception as e:  # noqa
        return {"ok": False, "error": "%s: %s" % (type(e).__name__, e), "check": "parse"}, 1
    try:
        result["values"] = read_values(CONF, checks)
    except Exception:  # noqa - the checks below say what is wrong
        pass
    for name in checks:
        try:
            result["checks"][name] = run_check(name, CONF, exception, None)
        except Exception as e:  # noqa
            return {"ok": False, "error": "%s: %s" % (type(e).__name__, e), "check": name,
                    "nova_version": result["nova_version"]}, 1
    return result, 0


def check_units(units):
    """Run the checks on option values given as JSON; one answer per unit, in order."""
    try:
        CONF, exception, version = load_nova()
    except Exception as e:  # noqa
        return {"ok": False, "error": "nova is not importable: %s: %s" % (type(e).__name__, e), "check": "import"}, 3
    CONF(args=[], project="nova", default_config_files=[], default_config_dirs=[])
    answers = []
    for unit in units:
        name = unit.get("check")
        try:
            answers.append({"ok": True, "check": name, "details": run_check(name, CONF, exception, unit)})
        except Exception as e:  # noqa
            answers.append({"ok": False, "check": name, "error": "%s: %s" % (type(e).__name__, e)})
    return {"ok": True, "units": answers, "nova_version": version.version_string()}, 0


def answer(files, checks, units, values_only):
    """(result, exit status) of one call."""
    if units is None and not values_only:
        return check(files, checks)
    result, code = {"ok": True}, 0
    if files:
        result, code = values_of(files, checks)
        if code != 0:
            return result, code
    if units is not None:
        got, ucode = check_units(units)
        if ucode != 0:
            return got, ucode
        result["units"] = got["units"]
        result["nova_version"] = got["nova_version"]
    return result, code


def main_envelope(doc):
    """The call from one JSON document: {"checks", "files": [{"path", "text"}], "units", "values"}."""
    import os
    import shutil
    import tempfile
    work = tempfile.mkdtemp(prefix="passthru-nova-check-")  # mode 0700
    os.environ["XDG_CACHE_HOME"] = os.path.join(work, "cache")
    try:
        paths = []
        for i, f in enumerate(doc.get("files") or []):
            p = os.path.join(work, "%d.conf" % i)
            fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
                out.write(f["text"])
            paths.append((p, f.get("path") or p))
        checks = [c for c in (doc.get("checks") or CHECKS) if c in CHECKS]
        result, code = answer([p for p, _ in paths], checks, doc.get("units"), bool(doc.get("values")))
        # messages name the files the host will have, not the temp copies
        text = json.dumps(result, sort_keys=True)
        for tmp, real in paths:
            text = text.replace(json.dumps(tmp)[1:-1], json.dumps(real)[1:-1])
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
        return code
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    files, checks, units, values_only = parse_args(sys.argv[1:])
    # Loading nova makes stevedore cache the entry points under ~/.cache
    # (root's, here): a check leaves nothing behind, so it caches in a
    # directory of its own that goes again.
    import os
    import shutil
    import tempfile
    cache = tempfile.mkdtemp(prefix="passthru-nova-check-")
    os.environ["XDG_CACHE_HOME"] = cache
    try:
        result, code = answer(files, checks, units, values_only)
        emit(result, code)
    finally:
        shutil.rmtree(cache, ignore_errors=True)


if __name__ == "__main__":
    main()
