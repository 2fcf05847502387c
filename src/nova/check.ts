// Check a candidate nova.conf with nova's own code on the host, before any
// restart: the python script check.py goes over ssh on stdin to the host's
// python (`python3 - ARGS`), loads the files with nova.conf.CONF and runs
// what nova-api, nova-compute and nova-scheduler run at start (see
// check.py). Its one-line JSON answer is parsed here.

import { readFileSync } from 'node:fs';
import type { Fact } from '../facts/types.ts';
import { maskByShape } from '../util/secrets.ts';
import { quote } from '../util/shell.ts';
import type { NovaRole } from './services.ts';

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
  /** why not, when not */
  error?: string | undefined;
}

/**
 * Whether nova is importable on the host, and by which python (kolla hosts
 * have nova only inside containers: then the check cannot run on the host).
 */
export const NOVA_PYTHON_PROBE: Fact<NovaPython> = {
  id: 'nova_python',
  script: [
    'for p in /usr/bin/python3 /usr/libexec/platform-python; do',
    '  [ -x "$p" ] || continue',
    `  if out=$("$p" -c 'import nova, os; print(os.path.dirname(nova.__file__))' 2>&1); then echo "ok $p $out"; exit 0; fi`,
    '  echo "no $p $(printf \'%s\\n\' "$out" | tail -n 1)"',
    'done',
    'exit 1',
  ].join('\n'),
  parse(output: string): NovaPython {
    let lastNo: NovaPython | undefined;
    for (const line of output.split('\n')) {
      const ok = /^ok (\S+) (.+)$/.exec(line.trim());
      if (ok) return { importable: true, python: ok[1], path: ok[2] };
      const no = /^no (\S+) ?(.*)$/.exec(line.trim());
      if (no) lastNo = { importable: false, python: no[1], error: no[2] || 'import failed' };
    }
    return lastNo ?? { importable: false, error: 'no python3 found' };
  },
};
