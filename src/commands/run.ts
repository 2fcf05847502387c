// `passthru run PLAYBOOK -i INVENTORY ...`: plan (and with --check stop
// there), or roll out, with a live view, a recap, a JSON report and
// Ansible's exit codes.

import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { runPlaybook } from '../engine/run.ts';
import { EventBus, type EngineEvent } from '../engine/events.ts';
import { EXIT, UsageError } from '../errors.ts';
import { groupHosts, hostVars, loadInventory } from '../inventory/index.ts';
import type { Inventory, Vars } from '../inventory/types.ts';
import { loadPlaybook } from '../playbook/index.ts';
import { parseExtraVars } from '../playbook/extra-vars.ts';
import type { Play } from '../playbook/index.ts';
import { stepKinds } from '../steps/registry.ts';
import { changingHosts, type RunPlan } from '../engine/plan.ts';
import type { Renderer } from '../ui/renderer.ts';
import type { ReportBuilder, ReportMeta } from '../ui/report.ts';
import { passthruVersion } from '../version.ts';
import { isSecretKey, secrets as globalSecrets, type SecretRegistry } from '../util/secrets.ts';
import { askSecret, askYesNo, interactive } from '../cli/prompt.ts';
import { makeConnector } from '../cli/connector.ts';
import { hostLock } from '../engine/host-lock.ts';
import { checkTags, listPlaybook } from './playbook-lists.ts';
import { writeOutputFile } from '../cli/output-file.ts';
import { boundHeapGrowth } from '../cli/heap.ts';

export interface RunCommandOptions {
  playbook: string;
  /** -i, in order (Ansible merges them) */
  inventory: string | readonly string[];
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
  /** write the HTML report of the run here */
  html?: string | undefined;
  yes: boolean;
  become: boolean;
  askBecomePass?: boolean | undefined;
  sshConfig?: string | undefined;
  /** -u, --private-key, -T, --ssh-common-args...: connection vars below the inventory's */
  connection?: Vars | undefined;
  /** -v count: 1 step and host starts, 2 every command, 3 how each host is reached and command output */
  verbosity?: number | undefined;
  /** --list-hosts / --list-steps / --list-tags: print, connect to nothing */
  list?: { hosts: boolean; steps: boolean; tags: boolean } | undefined;
  /** --syntax-check: load everything, connect to nothing */
  syntaxCheck?: boolean | undefined;
  out: NodeJS.WritableStream;
  tty: boolean;
  /** Ctrl-C */
  signal: AbortSignal;
  secrets?: SecretRegistry | undefined;
}

export async function runCommand(o: RunCommandOptions): Promise<number> {
  const secrets = o.secrets ?? globalSecrets;
  // group_vars/ and host_vars/ beside the playbook count too, as for ansible-playbook
  const inventory = await loadInventory(o.inventory, { playbookDir: dirname(o.playbook), playbookDirExplicit: true });
  boundHeapGrowth(inventory.hosts.size);
  registerInventorySecrets(inventory, secrets);
  const extraVars = await parseExtraVars(o.extraVars);
  for (const [k, v] of Object.entries(extraVars)) if (isSecretKey(k) && typeof v === 'string') secrets.add(v);
  const kinds = stepKinds();
  const playbook = await loadPlaybook(o.playbook, { kinds });
  const tags = checkTags(playbook, o.tags, o.skipTags);
  const limit = o.limit !== undefined ? await resolveLimit(o.limit) : undefined;
  if (o.syntaxCheck) {
    o.out.write(`\nplaybook: ${o.playbook}\n`);
    return EXIT.ok;
  }
  if (o.list) {
    const listed = { playbook, playbookPath: o.playbook, inventory, extraVars, limit, tags, skipTags: o.skipTags, startAtStep: o.startAtStep };
    o.out.write(secrets.mask(listPlaybook({ ...listed, hosts: o.list.hosts, steps: o.list.steps, tagsList: o.list.tags })));
    return EXIT.ok;
  }
  const verbosity = o.verbosity ?? 0;

  const bus = new EventBus();
  // The live view (or plain lines) and the report's builder load when the run starts, while the
  // hosts connect, not before: the engine's events wait for them, then reach them in order.
  // From -vv on, command lines are written beside the output as they come: the UI is there first.
  let held: EngineEvent[] | undefined = [];
  const uiBus = new EventBus();
  bus.on((e) => (held ? held.push(e) : uiBus.emit(e)));
  let ui: Promise<{ lib: RunUi; report: ReportBuilder; renderer: Renderer }> | undefined;
  const startUi = (): NonNullable<typeof ui> => {
    ui ??= (async () => {
      const lib = await loadRunUi();
      const report = new lib.ReportBuilder(uiBus, secrets);
      // from -vv on, command lines interleave with the output: plain lines, not the live view
      const renderer = await lib.createRenderer(uiBus, { tty: o.tty && verbosity < 2, out: o.out, diff: o.diff || o.check, verbose: verbosity >= 1, secrets });
      for (const e of held ?? []) uiBus.emit(e);
      held = undefined;
      return { lib, report, renderer };
    })();
    // awaited after the run; a failure to load is reported there, not as an unhandled rejection now
    ui.catch(() => undefined);
    return ui;
  };
  const color = o.tty && !process.env['NO_COLOR'];
  const approve = o.yes || o.check ? undefined : approval(o, secrets, color);
  if (approve) o.out.write('Planning the run before changing anything...\n');
  // --check too looks at the lock (a plan of a host another run is changing would be of a half-changed host); it never takes it
  const lock = hostLock(`${process.pid}-${Date.now()}`);

  const running = runPlaybook({
    playbook,
    inventory,
    extraVars: { playbook_dir: dirname(resolve(o.playbook)), ...extraVars },
    kinds,
    connector: makeConnector(inventory, {
      sshConfigPath: o.sshConfig,
      askSecret: interactive() ? askSecret : undefined,
      become: o.become,
      askBecomePass: o.askBecomePass,
      defaults: o.connection,
      verbosity,
      log: (line) => void o.out.write(`${line}\n`),
      secrets,
    }),
    bus,
    secrets,
    check: o.check,
    limit,
    tags,
    skipTags: o.skipTags,
    startAtStep: o.startAtStep,
    forks: o.forks,
    serial: o.serial !== undefined ? parseSerial(o.serial) : undefined,
    maxFailPercentage: o.maxFailPercentage,
    signal: o.signal,
    approve,
    beforeStart: async () => {
      const started = startUi();
      if (verbosity >= 2) await started;
    },
    hostLock: lock,
    onDisconnect: (host) => lock.release(host),
  });
  // a run that stops on an error has shown its events up to there, as they came
  const result = await running.catch(async (e: unknown) => {
    await ui?.catch(() => undefined);
    throw e;
  });
  if (result.refused) {
    o.out.write(`${result.interrupted ? 'interrupted: ' : ''}nothing was changed\n`);
    return result.interrupted ? EXIT.interrupted : EXIT.usage;
  }
  const { lib, report, renderer } = await startUi();
  await renderer.done();
  const built = report.build(reportMeta(o, inventory, extraVars));
  o.out.write(`\n${lib.formatRecap(built, { color })}\n`);
  if (result.aborted) o.out.write(`stopped: ${result.aborted}\n`);
  // after the recap: a report that cannot be written does not hide what the run did
  const json = o.json;
  if (json !== undefined) await writeOutputFile('json', json, () => lib.writeReport(json, built));
  const html = o.html;
  if (html !== undefined) {
    const { writeHtmlReport } = await import('../ui/html/write.ts');
    await writeOutputFile('html', html, () => writeHtmlReport(html, built));
  }
  return lib.exitCodeFor(built);
}

/** What a run shows and writes once it has started: not loaded before the hosts are dialed. */
async function loadRunUi() {
  const [{ ReportBuilder, writeReport }, { createRenderer }, { formatRecap }, { exitCodeFor }] = await Promise.all([
    import('../ui/report.ts'),
    import('../ui/renderer.ts'),
    import('../ui/recap.ts'),
    import('../ui/exit-code.ts'),
  ]);
  return { ReportBuilder, writeReport, createRenderer, formatRecap, exitCodeFor };
}
type RunUi = Awaited<ReturnType<typeof loadRunUi>>;

/** What the report says about the run beyond its events: version, files, options, groups. */
function reportMeta(o: RunCommandOptions, inventory: Inventory, extraVars: Record<string, unknown>): ReportMeta {
  const groupsOf = new Map<string, string[]>();
  for (const [group, hosts] of Object.entries(groupHosts(inventory))) {
    if (group === 'all') continue;
    for (const h of hosts) groupsOf.set(h, [...(groupsOf.get(h) ?? []), group]);
  }
  const options: Record<string, unknown> = {
    check: o.check,
    diff: o.diff,
    limit: o.limit,
    tags: o.tags,
    skip_tags: o.skipTags,
    start_at_step: o.startAtStep,
    forks: o.forks,
    serial: o.serial,
    max_fail_percentage: o.maxFailPercentage,
    extra_vars: Object.fromEntries(Object.entries(extraVars).map(([k, v]) => [k, isSecretKey(k) ? '********' : v])),
    yes: o.yes,
    become: o.become,
    ask_become_pass: o.askBecomePass,
    ssh_config: o.sshConfig,
    json: o.json,
    html: o.html,
  };
  return {
    version: passthruVersion(),
    playbook: resolve(o.playbook),
    // several -i sources: every one, in order
    inventory: (typeof o.inventory === 'string' ? [o.inventory] : o.inventory).map((i) => resolve(i)).join(', '),
    options: Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
    groups: (h) => groupsOf.get(h) ?? [],
  };
}

/**
 * What an applying run without --yes does with its plan: on a terminal,
 * print it and ask once; without one, print it and refuse.
 */
function approval(o: RunCommandOptions, secrets: SecretRegistry, color: boolean): (plan: RunPlan) => Promise<boolean> {
  return async (plan) => {
    const { formatPlan } = await import('../ui/plan.ts');
    o.out.write(`\n${formatPlan(plan, { diff: o.diff, color, secrets })}`);
    const hosts = changingHosts(plan).length;
    if (!interactive()) {
      o.out.write(`refusing to change ${hosts} host${hosts === 1 ? '' : 's'} without a terminal to ask on: add --yes to apply this plan, or run --check first to review it\n`);
      return false;
    }
    await new Promise<void>((resolve) => o.out.write('', () => resolve()));
    return askYesNo(`Apply these changes to ${hosts} host${hosts === 1 ? '' : 's'}?`, { signal: o.signal });
  };
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
