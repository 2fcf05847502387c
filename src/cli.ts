// passthru's command line: argument parsing (node:util parseArgs) ->
// commands; every user error becomes one message and an exit code.

import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { EXIT, UsageError, isPassthruError } from './errors.ts';
import { secrets } from './util/secrets.ts';
// Commands are loaded when used: `passthru exec` does not pay for the engine, nor `run` for the lab.

const HELP = `passthru - roll out GPU PCI passthrough on OpenStack clusters over SSH

Usage:
  passthru run PLAYBOOK -i INVENTORY [options]     plan (--check) or roll out a playbook
  passthru exec -i INVENTORY PATTERN -- COMMAND... run one command on many hosts
  passthru inventory -i INVENTORY --list|--graph [GROUP]|--host NAME
  passthru lab up [--computes N] [--dir D]         start the embedded simulated cluster
  passthru lab down [--dir D]                      stop it
  passthru demo                                    lab up, dry run, rollout, recap, lab down (npm start)

run options:
  -i, --inventory FILE        Ansible INI or YAML inventory
  -C, --check                 dry run: gather facts, show the plan with diffs, change nothing
  -D, --diff                  show diffs when applying too
  -l, --limit PATTERN         only these hosts (@report.json: the failed/unreachable hosts of an earlier run)
  -t, --tags T[,T]            only steps with these tags      --skip-tags T[,T]  not these
      --start-at-step NAME    skip the steps before this one
  -f, --forks N               hosts in parallel (default 50)
      --serial N|N%[,...]     batch sizes, overriding the playbook
      --max-fail-percentage P stop when more than P% of a batch failed
  -e, --extra-vars k=v|@file  variables (repeatable)
      --json FILE             write a JSON report
  -y, --yes                   apply without showing the plan and asking first
  -b, --become                run every command through sudo
  -K, --ask-become-pass       ask once for the sudo password (hosts without ansible_become_password)
      --ssh-config FILE       ssh config to read (default ~/.ssh/config)

Exit codes: 0 ok, 1 bad usage or configuration, 2 a host failed, 4 a host unreachable, 130 interrupted.
`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function num(v: string | undefined, name: string, fallback?: number): number | undefined {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`--${name} ${v}: expected a number`);
  return n;
}

function list(v: string[] | undefined): string[] | undefined {
  return v === undefined ? undefined : v.flatMap((x) => x.split(',')).map((x) => x.trim()).filter((x) => x !== '');
}

/** Ctrl-C: the first one stops starting new steps; a second one exits at once. */
function interruptSignal(): { signal: AbortSignal; dispose: () => void } {
  const ac = new AbortController();
  let count = 0;
  const onSignal = (): void => {
    count++;
    if (count === 1) {
      process.stderr.write('\ninterrupted: stopping the commands in flight and starting nothing new; files are written whole or not at all (Ctrl-C again to quit now)\n');
      ac.abort();
    } else {
      process.exit(EXIT.interrupted);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: ac.signal,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

export async function main(argv: string[]): Promise<number> {
  try {
    return await dispatch(argv);
  } catch (e) {
    if (isPassthruError(e)) {
      if (e.exitCode === EXIT.ok) {
        process.stdout.write(`${secrets.mask(e.message)}\n`);
        return EXIT.ok;
      }
      process.stderr.write(`error: ${secrets.mask(e.message)}\n`);
      if (e.hint) process.stderr.write(`hint: ${secrets.mask(e.hint)}\n`);
      return e.exitCode;
    }
    if (e instanceof TypeError && 'code' in e && typeof e.code === 'string' && e.code.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`error: ${e.message}\nhint: see passthru --help\n`);
      return EXIT.usage;
    }
    process.stderr.write(`internal error (a bug in passthru, please report it): ${secrets.mask(e instanceof Error ? (e.stack ?? e.message) : String(e))}\n`);
    return EXIT.usage;
  }
}

async function dispatch(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  const tty = process.stdout.isTTY === true;
  switch (cmd) {
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(HELP);
      return cmd === undefined ? EXIT.usage : EXIT.ok;
    case '--version':
    case '-V':
      process.stdout.write(`passthru ${version()}\n`);
      return EXIT.ok;
    case 'run': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: {
          inventory: { type: 'string', short: 'i' },
          check: { type: 'boolean', short: 'C', default: false },
          diff: { type: 'boolean', short: 'D', default: false },
          limit: { type: 'string', short: 'l' },
          tags: { type: 'string', short: 't', multiple: true },
          'skip-tags': { type: 'string', multiple: true },
          'start-at-step': { type: 'string' },
          forks: { type: 'string', short: 'f' },
          serial: { type: 'string' },
          'max-fail-percentage': { type: 'string' },
          'extra-vars': { type: 'string', short: 'e', multiple: true },
          json: { type: 'string' },
          yes: { type: 'boolean', short: 'y', default: false },
          become: { type: 'boolean', short: 'b', default: false },
          'ask-become-pass': { type: 'boolean', short: 'K', default: false },
          'ssh-config': { type: 'string' },
        },
      });
      const playbook = positionals[0];
      if (!playbook || positionals.length > 1) throw new UsageError('run takes one PLAYBOOK', { hint: 'passthru run playbooks/pci-passthrough.yaml -i inventory.ini --check' });
      if (!values.inventory) throw new UsageError('run needs an inventory: -i FILE');
      const { signal, dispose } = interruptSignal();
      try {
        const { runCommand } = await import('./commands/run.ts');
        const code = await runCommand({
          playbook,
          inventory: values.inventory,
          check: values.check,
          diff: values.diff,
          limit: values.limit,
          tags: list(values.tags),
          skipTags: list(values['skip-tags']),
          startAtStep: values['start-at-step'],
          forks: num(values.forks, 'forks', 50) ?? 50,
          serial: values.serial,
          maxFailPercentage: num(values['max-fail-percentage'], 'max-fail-percentage'),
          extraVars: values['extra-vars'] ?? [],
          json: values.json,
          yes: values.yes,
          become: values.become,
          askBecomePass: values['ask-become-pass'],
          sshConfig: values['ssh-config'],
          out: process.stdout,
          tty,
          signal,
        });
        return signal.aborted ? EXIT.interrupted : code;
      } finally {
        dispose();
      }
    }
    case 'exec': {
      const dd = rest.indexOf('--');
      const head = dd >= 0 ? rest.slice(0, dd) : rest;
      const command = dd >= 0 ? rest.slice(dd + 1) : [];
      const { values, positionals } = parseArgs({
        args: head,
        allowPositionals: true,
        options: {
          inventory: { type: 'string', short: 'i' },
          forks: { type: 'string', short: 'f' },
          become: { type: 'boolean', short: 'b', default: false },
          'ask-become-pass': { type: 'boolean', short: 'K', default: false },
          timeout: { type: 'string' },
          json: { type: 'string' },
          'ssh-config': { type: 'string' },
        },
      });
      if (!values.inventory) throw new UsageError('exec needs an inventory: -i FILE');
      const pattern = positionals[0];
      if (!pattern || positionals.length > 1 || command.length === 0) {
        throw new UsageError('usage: passthru exec -i INVENTORY PATTERN -- COMMAND...', { hint: "e.g. passthru exec -i inv.ini compute -- cat /proc/cmdline" });
      }
      const { execCommand } = await import('./commands/exec.ts');
      return execCommand({
        inventory: values.inventory,
        pattern,
        command,
        forks: num(values.forks, 'forks', 50) ?? 50,
        become: values.become,
        askBecomePass: values['ask-become-pass'],
        timeoutSec: num(values.timeout, 'timeout'),
        json: values.json,
        sshConfig: values['ssh-config'],
        out: process.stdout,
        color: tty && !process.env['NO_COLOR'],
        secrets,
      });
    }
    case 'inventory': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: {
          inventory: { type: 'string', short: 'i' },
          list: { type: 'boolean', default: false },
          graph: { type: 'boolean', default: false },
          host: { type: 'string' },
        },
      });
      if (!values.inventory) throw new UsageError('inventory needs -i FILE');
      const mode = values.host !== undefined ? 'host' : values.graph ? 'graph' : values.list ? 'list' : undefined;
      if (!mode) throw new UsageError('inventory: give --list, --graph [GROUP] or --host NAME');
      const { inventoryCommand } = await import('./commands/inventory.ts');
      return inventoryCommand({ inventory: values.inventory, mode, arg: values.host ?? positionals[0], out: process.stdout, secrets });
    }
    case 'lab': {
      const { labCommand } = await import('./commands/lab.ts');
      return labCommand(rest, process.stdout);
    }
    case 'demo': {
      const { demoCommand } = await import('./commands/demo.ts');
      return demoCommand({ out: process.stdout, tty });
    }
    default:
      throw new UsageError(`unknown command '${cmd}'`, { hint: 'passthru --help lists the commands' });
  }
}

