// Check a candidate nova.conf with nova's own code on the host, before any
// restart: the python script check.py goes over ssh on stdin to the host's
// python, with the candidate files (novaCall: one JSON document on stdin;
// `python3 - ARGS` for files already on disk), loads them with oslo.config
// and nova's option definitions, and runs what nova-api, nova-compute and
// nova-scheduler run at start (see check.py). Its one-line JSON answer is
// parsed here.

import { readFileSync } from 'node:fs';
import type { Fact } from '../facts/types.ts';
import { maskByShape } from '../util/secrets.ts';
import { quote } from '../util/shell.ts';
import type { NovaUnit, UnitAnswer } from './check-batch.ts';
import type { NovaRole } from './services.ts';
import type { NovaValues } from './values.ts';

export type NovaCheck = 'alias' | 'device_spec' | 'filters';

/** The python source sent on stdin. */
export const NOVA_CHECK_SCRIPT: string = readFileSync(new URL('./check.py', import.meta.url), 'utf8');

/** The python nova runs with on RDO (EL8/9: /usr/bin/python3 -> python3.6/3.9) and Debian/Ubuntu. */
export const DEFAULT_NOVA_PYTHON = '/usr/bin/python3';

/** What each role's services load at start. */
export const ROLE_CHECKS: Readonly<Record<NovaRole, readonly NovaCheck[]>> = {
  controller: ['alias', 'filters'],
  compute: ['alias', 'device_spec'],
};

export function checksForRole(role: NovaRole | readonly NovaRole[]): NovaCheck[] {
  const roles = typeof role === 'string' ? [role] : role;
  return (['alias', 'device_spec', 'filters'] as const).filter((c) => roles.some((r) => ROLE_CHECKS[r].includes(c)));
}

/**
 * The command line; send NOVA_CHECK_SCRIPT as its stdin. `configFiles` in
 * the order the service reads them (later files win for single values).
 */
export function novaCheckCommand(configFiles: readonly string[], checks?: readonly NovaCheck[], python: string = DEFAULT_NOVA_PYTHON): string {
  if (configFiles.length === 0) throw new Error('novaCheckCommand: no config file');
  const argv = [python, '-'];
  for (const c of checks ?? []) argv.push('--check', c);
  for (const f of configFiles) argv.push('--config-file', f);
  return quote(argv);
}

/**
 * nova's code imports eventlet, whose DNS module alone costs a quarter of a
 * second to load; a config check resolves no name.
 */
const CHECK_ENV = 'EVENTLET_NO_GREENDNS=yes';

/** The python program given with -c: it reads the script and the call from stdin. */
const BOOTSTRAP = 'import json,sys;d=json.load(sys.stdin);g={"__name__":"passthru_nova_check"};exec(compile(d.pop("script"),"check.py","exec"),g);sys.exit(g["main_envelope"](d))';

export interface NovaCall {
  /** the checks whose options are read from the files */
  checks: readonly NovaCheck[];
  /** candidate files, in the order the service reads them: loaded from a private temp directory */
  files?: ReadonlyArray<{ path: string; text: string }> | undefined;
  /** nova's checks on these option values (check-batch.ts) */
  units?: readonly NovaUnit[] | undefined;
  /** ahead of need (a batch for several hosts, a read before the host's turn): at the lowest CPU priority */
  background?: boolean | undefined;
}

/**
 * One python process on the host for: how oslo.config reads the candidate
 * files, with nova's own option definitions (a tenth of a second: the rest of
 * nova is not imported), and with `units`, nova's checks on option values.
 * The files travel on stdin with the script (they hold passwords: never in
 * argv), are written to a private temp directory and removed again.
 */
export function novaCall(call: NovaCall, python: string): { command: string; stdin: string } {
  const doc = { script: NOVA_CHECK_SCRIPT, checks: call.checks, files: call.files ?? [], units: call.units && call.units.length > 0 ? call.units : null, values: (call.files ?? []).length > 0 };
  const argv = ['env', CHECK_ENV, python, '-c', BOOTSTRAP];
  if (!call.background) return { command: quote(argv), stdin: JSON.stringify(doc) };
  // work done ahead of need yields the host's CPU to what runs now: nice alone does not
  // reach past this ssh session (with the scheduler's autogroups, the default, each session
  // is a group of its own, weighed against the others whatever its nice); so the session's
  // group is niced too, where the kernel has them
  return { command: `(echo 19 > /proc/self/autogroup) 2>/dev/null; ${quote(['nice', '-n', '19', ...argv])}`, stdin: JSON.stringify(doc) };
}

export interface NovaValuesResult {
  ok: boolean;
  /** what went wrong: a parse error of the files, nova not importable, ... */
  error?: string | undefined;
  check?: string | undefined;
  values?: NovaValues | undefined;
  units?: UnitAnswer[] | undefined;
  novaVersion?: string | undefined;
}

/** Parse the answer of novaCall. */
export function parseNovaValues(out: string, exitCode: number): NovaValuesResult {
  const line = out
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('{'))
    .pop();
  let v: unknown;
  try {
    v = line === undefined ? undefined : JSON.parse(line);
  } catch {
    v = undefined;
  }
  if (v === null || typeof v !== 'object' || typeof (v as { ok?: unknown }).ok !== 'boolean') {
    const tail = maskByShape(out.trim().split('\n').slice(-3).join('\n')).split('\n').join(' | ');
    return { ok: false, error: `nova check gave no result (exit status ${exitCode})${tail ? `: ${tail}` : ''}` };
  }
  const o = v as { ok: boolean; error?: unknown; check?: unknown; values?: unknown; units?: unknown; nova_version?: unknown };
  const r: NovaValuesResult = { ok: o.ok && exitCode === 0 };
  if (typeof o.error === 'string') r.error = maskByShape(o.error);
  else if (!r.ok) r.error = `nova check exited with status ${exitCode}`;
  if (typeof o.check === 'string') r.check = o.check;
  if (o.values !== null && typeof o.values === 'object') r.values = o.values as NovaValues;
  if (Array.isArray(o.units)) {
    r.units = o.units.map((u: { ok?: unknown; check?: unknown; error?: unknown; details?: unknown }) => ({
      ok: u.ok === true,
      check: (typeof u.check === 'string' ? u.check : 'alias') as NovaCheck,
      error: typeof u.error === 'string' ? maskByShape(u.error) : undefined,
      details: u.details !== null && typeof u.details === 'object' ? (u.details as Record<string, unknown>) : undefined,
    }));
  }
  if (typeof o.nova_version === 'string') r.novaVersion = o.nova_version;
  return r;
}

export interface NovaCheckResult {
  ok: boolean;
  error?: string | undefined;
  /** the check that failed: parse, alias, device_spec, filters, import, usage */
  check?: string | undefined;
  novaVersion?: string | undefined;
  /** per check details when ok (alias names, device spec count, enabled filters) */
  details?: Record<string, unknown> | undefined;
}

/** Parse the script's output (stdout, or stdout+stderr) and exit status. */
export function parseNovaCheck(out: string, exitCode: number): NovaCheckResult {
  const lines = out.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('{'));
  for (let i = lines.length - 1; i >= 0; i--) {
    let v: unknown;
    try {
      v = JSON.parse(lines[i]!);
    } catch {
      continue;
    }
    if (v === null || typeof v !== 'object' || typeof (v as { ok?: unknown }).ok !== 'boolean') continue;
    const o = v as { ok: boolean; error?: unknown; check?: unknown; nova_version?: unknown; checks?: unknown };
    const r: NovaCheckResult = { ok: o.ok && exitCode === 0 };
    // a parse error quotes the offending line, which may hold a password
    if (typeof o.error === 'string') r.error = maskByShape(o.error);
    else if (!r.ok) r.error = `nova check exited with status ${exitCode}`;
    if (typeof o.check === 'string') r.check = o.check;
    if (typeof o.nova_version === 'string') r.novaVersion = o.nova_version;
    if (o.checks !== null && typeof o.checks === 'object') r.details = o.checks as Record<string, unknown>;
    return r;
  }
  const tail = maskByShape(out.trim().split('\n').slice(-3).join('\n')).split('\n').join(' | ');
  return { ok: false, error: `nova check gave no result (exit status ${exitCode})${tail ? `: ${tail}` : ''}` };
}

export interface NovaPython {
  /** nova is importable by `python` */
  importable: boolean;
  python?: string | undefined;
  /** where the nova package lives */
  path?: string | undefined;
  /**
   * python, nova and the libraries its checks answer with (jsonschema,
   * oslo.config, oslo.serialization), with versions: hosts with the same
   * stack give the same answer to the same check (check-batch.ts)
   */
  stack?: string | undefined;
  /** why not, when not */
  error?: string | undefined;
}

/** Where a python's packages may live (Debian/Ubuntu: dist-packages; EL: site-packages, lib64 too). */
const SITE_DIRS = [
  // kolla's source images (inside the container)
  '/var/lib/kolla/venv/lib/python$v/site-packages',
  '/usr/lib/python3/dist-packages',
  '/usr/lib/python$v/site-packages',
  '/usr/lib64/python$v/site-packages',
  '/usr/local/lib/python$v/dist-packages',
  '/usr/local/lib/python$v/site-packages',
];

/** the packages whose versions decide what nova's checks answer */
const STACK_PACKAGES = ['nova', 'jsonschema', 'oslo.config', 'oslo_config', 'oslo.serialization', 'oslo_serialization'];

/**
 * Whether nova is installed for a python of the host, where, and the
 * versions its checks depend on (from the package metadata directories:
 * no python is started, a fact must be cheap). Kolla hosts have nova only
 * inside containers: there the same script runs in the container
 * (containerNovaPython in steps/pci/nova-check.ts). A nova that is
 * found here but does not import is reported by the check itself.
 */
export const NOVA_PYTHON_PROBE: Fact<NovaPython> = {
  id: 'nova_python',
  script: [
    'for p in /var/lib/kolla/venv/bin/python3 /usr/bin/python3 /usr/libexec/platform-python; do',
    '  [ -x "$p" ] || continue',
    '  r=$(readlink -f "$p" 2>/dev/null) || r=$p',
    '  v=${r##*/python}',
    `  for d in ${SITE_DIRS.join(' ')}; do`,
    '    [ -f "$d/nova/__init__.py" ] || continue',
    '    s=""',
    `    for n in ${STACK_PACKAGES.join(' ')}; do for i in "$d/$n"-*-info; do [ -e "$i" ] && s="$s \${i##*/}"; done; done`,
    '    echo "ok $p $d/nova python-$v$s"',
    '    exit 0',
    '  done',
    '  echo "no $p no nova package for python $v"',
    'done',
    'exit 1',
  ].join('\n'),
  parse(output: string): NovaPython {
    let lastNo: NovaPython | undefined;
    for (const line of output.split('\n')) {
      const ok = /^ok (\S+) (\S+)(?: (.+))?$/.exec(line.trim());
      if (ok) {
        const r: NovaPython = { importable: true, python: ok[1], path: ok[2] };
        // nova-26.2.2.egg-info -> nova-26.2.2
        if (ok[3]) r.stack = `${ok[1]} ${ok[2]} ${ok[3].replace(/\.(?:egg|dist)-info\b/g, '')}`;
        return r;
      }
      const no = /^no (\S+) ?(.*)$/.exec(line.trim());
      if (no) lastNo = { importable: false, python: no[1], error: no[2] || 'import failed' };
    }
    return lastNo ?? { importable: false, error: 'no python3 found' };
  },
};
