// Run src/nova/check.py locally with python3-nova (installed here as in CI).

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NOVA_CHECK_SCRIPT, novaCheckCommand, parseNovaCheck, type NovaCheck, type NovaCheckResult } from '../../src/nova/check.ts';

export const PY = '/usr/bin/python3';

export function novaImportable(): boolean {
  if (!existsSync(PY)) return false;
  try {
    execFileSync(PY, ['-c', 'import nova.conf'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Skip loudly when python3-nova is missing (CI installs it: the test must run there). */
export function requireNova(t: { skip: (msg: string) => void }): boolean {
  if (novaImportable()) return true;
  const msg = 'SKIPPED: needs python3-nova importable by /usr/bin/python3 (apt-get install python3-nova)';
  process.stderr.write(`${msg}\n`);
  t.skip(msg);
  return false;
}

export class TempDir {
  readonly path = mkdtempSync(join(tmpdir(), 'passthru-nova-'));
  file(name: string, content: string): string {
    const p = join(this.path, name);
    writeFileSync(p, content);
    return p;
  }
  remove(): void {
    rmSync(this.path, { recursive: true, force: true });
  }
}

/** Run the check exactly as on a host: `sh -c COMMAND` with the script on stdin. */
export function runNovaCheck(files: string[], checks?: NovaCheck[]): NovaCheckResult & { raw: string } {
  const cmd = novaCheckCommand(files, checks, PY);
  const r = spawnSync('sh', ['-c', cmd], { input: NOVA_CHECK_SCRIPT, encoding: 'utf8', timeout: 60_000 });
  return { ...parseNovaCheck(r.stdout, r.status ?? 255), raw: r.stdout + r.stderr };
}

const HARNESS = [
  'import json, sys',
  "g = {'__name__': 'passthru_check'}",
  'exec(open(sys.argv[1]).read(), g)',
  'for job in json.loads(sys.argv[2]):',
  "    r, code = g['check'](job['files'], job.get('checks') or ['alias', 'device_spec', 'filters'])",
  '    print(json.dumps(r, sort_keys=True))',
  "    print('@@code %d' % code)",
].join('\n');

/**
 * Many checks in one python process (importing nova costs ~1.5 s): the same
 * check() function the script runs, called once per job. The command-line
 * path itself is covered by runNovaCheck.
 */
export function runNovaChecks(jobs: Array<{ files: string[]; checks?: NovaCheck[] }>): NovaCheckResult[] {
  const script = new URL('../../src/nova/check.py', import.meta.url).pathname;
  const r = spawnSync(PY, ['-c', HARNESS, script, JSON.stringify(jobs)], { encoding: 'utf8', timeout: 120_000 });
  const out: NovaCheckResult[] = [];
  const lines = r.stdout.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^@@code (\d+)$/.exec(lines[i]!);
    if (m) out.push(parseNovaCheck(lines[i - 1] ?? '', Number(m[1])));
  }
  if (out.length !== jobs.length) throw new Error(`nova check harness: ${out.length}/${jobs.length} results\n${r.stdout}\n${r.stderr}`);
  return out;
}
