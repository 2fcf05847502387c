// `passthru run PLAYBOOK -i INVENTORY ...`: plan (and with --check stop
// there), or roll out, with a live view, a recap, a JSON report and
// Ansible's exit codes.

import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { runPlaybook } from '../engine/run.ts';
import { EventBus } from '../engine/events.ts';
import { EXIT, UsageError } from '../errors.ts';
import { hostVars, loadInventory } from '../inventory/index.ts';
import type { Inventory } from '../inventory/types.ts';
import { loadPlaybook } from '../playbook/index.ts';
import { parseExtraVars } from '../playbook/extra-vars.ts';
import type { Play } from '../playbook/index.ts';
import { stepKinds } from '../steps/registry.ts';
import { createRenderer } from '../ui/renderer.ts';
import { ReportBuilder, writeReport } from '../ui/report.ts';
import { formatRecap } from '../ui/recap.ts';
import { exitCodeFor } from '../ui/exit-code.ts';
import { isSecretKey, secrets as globalSecrets, type SecretRegistry } from '../util/secrets.ts';
import { askSecret, askYesNo, interactive } from '../cli/prompt.ts';
import { makeConnector } from '../cli/connector.ts';
import { acquireHostLock, releaseHostLock } from '../engine/host-lock.ts';

export interface RunCommandOptions {
  playbook: string;
  inventory: string;
  check: boolean;
  diff: boolean;
  limit?: string | undefined;
  tags?: string[] | undefined;
  skipTags?: string[] | undefined;
  startAtStep?: string | undefined;
  forks: number;
  serial?: string | undefined;
  maxFailPercentage?: number | undefined;
  extraVars: string[];
  json?: string | undefined;
  yes: boolean;
  become: boolean;
  askBecomePass?: boolean | undefined;
  sshConfig?: string | undefined;
  out: NodeJS.WritableStream;
  tty: boolean;
  /** Ctrl-C */
  signal: AbortSignal;
  secrets?: SecretRegistry | undefined;
}

export async function runCommand(o: RunCommandOptions): Promise<number> {
  const secrets = o.secrets ?? globalSecrets;
  const inventory = await loadInventory(o.inventory);
  registerInventorySecrets(inventory, secrets);
  const extraVars = await parseExtraVars(o.extraVars);
  for (const [k, v] of Object.entries(extraVars)) if (isSecretKey(k) && typeof v === 'string') secrets.add(v);
  const kinds = stepKinds();
  const playbook = await loadPlaybook(o.playbook, { kinds });
  const limit = o.limit !== undefined ? await resolveLimit(o.limit) : undefined;

  const bus = new EventBus();
  const report = new ReportBuilder(bus, secrets);
  const renderer = await createRenderer(bus, { tty: o.tty, out: o.out, diff: o.diff || o.check, secrets });
  const ask = interactive() && !o.yes && !o.check;
  const runId = `${process.pid}-${Date.now()}`;

  const result = await runPlaybook({
    playbook,
    inventory,
    extraVars: { playbook_dir: dirname(resolve(o.playbook)), ...extraVars },
    kinds,
    connector: makeConnector(inventory, { sshConfigPath: o.sshConfig, askSecret: interactive() ? askSecret : undefined, become: o.become, askBecomePass: o.askBecomePass, secrets }),
    bus,
    secrets,
    check: o.check,
    limit,
    tags: o.tags,
    skipTags: o.skipTags,
    startAtStep: o.startAtStep,
    forks: o.forks,
    serial: o.serial !== undefined ? parseSerial(o.serial) : undefined,
    maxFailPercentage: o.maxFailPercentage,
    signal: o.signal,
    confirm: ask ? (what) => askYesNo(`passthru is about to run '${what}' (reboots or restarts services). Go on with the rollout?`) : undefined,
    onConnect: o.check ? undefined : (host) => acquireHostLock(host, runId),
    onDisconnect: o.check ? undefined : (host) => releaseHostLock(host, runId),
  });
  await renderer.done();
  const built = report.build();
  if (o.json) await writeReport(o.json, built);
  o.out.write(`\n${formatRecap(built, { color: o.tty && !process.env['NO_COLOR'] })}\n`);
  if (result.aborted) o.out.write(`stopped: ${result.aborted}\n`);
  return exitCodeFor(built);
}

function registerInventorySecrets(inv: Inventory, secrets: SecretRegistry): void {
  for (const name of inv.hosts.keys()) {
    for (const [k, v] of Object.entries(hostVars(inv, name))) if (isSecretKey(k) && typeof v === 'string') secrets.add(v);
  }
}

/** `--limit @report.json` (a JSON report of an earlier run: its failed and unreachable hosts) or `@file` with one host per line. */
async function resolveLimit(limit: string): Promise<string> {
  if (!limit.startsWith('@')) return limit;
  const file = limit.slice(1);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new UsageError(`--limit ${limit}: cannot read ${file}`, { hint: 'give the JSON report of an earlier run (--json FILE), or a file with one host per line' });
  }
  let hosts: string[];
  try {
    const report = JSON.parse(text) as { failed_hosts?: string[]; unreachable_hosts?: string[] };
    hosts = [...(report.failed_hosts ?? []), ...(report.unreachable_hosts ?? [])];
  } catch {
    hosts = text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  }
  if (hosts.length === 0) throw new UsageError(`--limit ${limit}: no failed or unreachable host in ${file}: nothing to retry`, { exitCode: EXIT.ok });
  return hosts.join(',');
}

export function parseSerial(s: string): Play['serial'] {
  const items = s.split(',').map((x) => x.trim());
  const parsed = items.map((x) => {
    if (/^\d+%$/.test(x)) return x;
    if (/^\d+$/.test(x)) return Number(x);
    throw new UsageError(`--serial ${s}: each batch size is a number or a percentage like 25%`);
  });
  return (parsed.length === 1 ? parsed[0] : parsed) as Play['serial'];
}
