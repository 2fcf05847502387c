// `passthru exec -i INVENTORY PATTERN -- COMMAND...`: one ad-hoc command on
// every matching host in parallel, output per host, a recap, Ansible's exit
// codes (0 ok, 2 a host failed, 4 a host unreachable).

import { writeFile } from 'node:fs/promises';
import pLimit from 'p-limit';
import { EXIT, UnreachableError, isPassthruError } from '../errors.ts';
import { loadInventory, selectHosts } from '../inventory/index.ts';
import { quote } from '../util/shell.ts';
import type { SecretRegistry } from '../util/secrets.ts';
import type { Vars } from '../inventory/types.ts';
import { formatExecResult } from '../ui/exec-output.ts';
import { makeConnector } from '../cli/connector.ts';
import { writeOutputFile } from '../cli/output-file.ts';
import { boundHeapGrowth } from '../cli/heap.ts';
import { askSecret, interactive } from '../cli/prompt.ts';
import { errorText } from '../engine/step-runner.ts';

export interface ExecCommandOptions {
  /** -i, in order (Ansible merges them) */
  inventory: string | readonly string[];
  pattern: string;
  command: string[];
  forks: number;
  become: boolean;
  askBecomePass?: boolean | undefined;
  /** --task-timeout: seconds the command may run on a host */
  timeoutSec?: number | undefined;
  /** -u, --private-key, -T, --ssh-common-args...: connection vars below the inventory's */
  connection?: Vars | undefined;
  /** -v count: 2 logs the command on each host, 3 also how each host is reached */
  verbosity?: number | undefined;
  json?: string | undefined;
  sshConfig?: string | undefined;
  out: NodeJS.WritableStream;
  color: boolean;
  secrets: SecretRegistry;
}

interface HostResult {
  status: 'ok' | 'failed' | 'unreachable';
  rc?: number;
  stdout?: string;
  stderr?: string;
  error?: string;
  hint?: string;
  duration_ms: number;
}

export async function execCommand(o: ExecCommandOptions): Promise<number> {
  // as for ad-hoc ansible: group_vars/ and host_vars/ of the current directory count as the playbook's
  const inv = await loadInventory(o.inventory, { playbookDir: process.cwd() });
  const hosts = selectHosts(inv, o.pattern);
  boundHeapGrowth(hosts.length);
  const connector = makeConnector(inv, {
    sshConfigPath: o.sshConfig,
    askSecret: interactive() ? askSecret : undefined,
    become: o.become,
    askBecomePass: o.askBecomePass,
    defaults: o.connection,
    verbosity: o.verbosity,
    log: (line) => void o.out.write(`${line}\n`),
    secrets: o.secrets,
  });
  // one word with spaces is a shell command line, as typed; several words are an argv
  const line = o.command.length === 1 ? (o.command[0] ?? '') : quote(o.command);
  const limit = pLimit(Math.max(1, o.forks));
  // the error and what to do about it (sudo wants a password, host key changed...), masked
  const failure = (e: unknown): { error: string; hint?: string } => {
    const hint = isPassthruError(e) ? e.hint : undefined;
    return { error: o.secrets.mask(errorText(e)), ...(hint ? { hint: o.secrets.mask(hint) } : {}) };
  };
  const withHint = (r: HostResult): string => `${r.error ?? ''}${r.hint ? `\nhint: ${r.hint}` : ''}`;
  const started = Date.now();
  const results: Record<string, HostResult> = {};

  await Promise.all(
    hosts.map((name) =>
      limit(async () => {
        const t0 = Date.now();
        let host;
        try {
          host = await connector(name);
        } catch (e) {
          results[name] = { status: e instanceof UnreachableError ? 'unreachable' : 'failed', ...failure(e), duration_ms: Date.now() - t0 };
          o.out.write(`${formatExecResult(name, { error: withHint(results[name]), unreachable: results[name].status === 'unreachable' }, o.color)}\n`);
          return;
        }
        try {
          const r = await host.exec(line, { become: o.become ? true : undefined, timeoutMs: o.timeoutSec !== undefined ? o.timeoutSec * 1000 : undefined });
          const masked = { stdout: o.secrets.mask(r.stdout), stderr: o.secrets.mask(r.stderr), exitCode: r.exitCode };
          results[name] = { status: r.exitCode === 0 ? 'ok' : 'failed', rc: r.exitCode, stdout: masked.stdout, stderr: masked.stderr, duration_ms: Date.now() - t0 };
          o.out.write(`${formatExecResult(name, masked, o.color)}\n`);
        } catch (e) {
          results[name] = { status: 'failed', ...failure(e), duration_ms: Date.now() - t0 };
          o.out.write(`${formatExecResult(name, { error: withHint(results[name]), unreachable: false }, o.color)}\n`);
        } finally {
          await host.close().catch(() => undefined);
        }
      }),
    ),
  );

  const count = (s: HostResult['status']): number => Object.values(results).filter((r) => r.status === s).length;
  const summary = { hosts: hosts.length, ok: count('ok'), failed: count('failed'), unreachable: count('unreachable') };
  const width = Math.max(...hosts.map((h) => h.length), 4);
  o.out.write(`\nRECAP ${'*'.repeat(60)}\n`);
  for (const h of hosts) {
    const r = results[h];
    o.out.write(`${h.padEnd(width)} : ${r?.status ?? 'unknown'}${r?.rc !== undefined ? ` rc=${r.rc}` : ''}\n`);
  }
  o.out.write(`${summary.ok} ok, ${summary.failed} failed, ${summary.unreachable} unreachable, ${Date.now() - started} ms\n`);
  const json = o.json;
  if (json !== undefined) {
    const failed_hosts = hosts.filter((h) => results[h]?.status === 'failed');
    const unreachable_hosts = hosts.filter((h) => results[h]?.status === 'unreachable');
    const text = `${JSON.stringify({ hosts: results, summary, failed_hosts, unreachable_hosts, duration_ms: Date.now() - started }, null, 2)}\n`;
    await writeOutputFile('json', json, () => writeFile(json, text));
  }
  if (summary.failed > 0) return EXIT.hostFailed;
  if (summary.unreachable > 0) return EXIT.unreachable;
  return EXIT.ok;
}
