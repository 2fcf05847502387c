// passthru's command line: argument parsing (node:util parseArgs) ->
// commands; every user error becomes one message and an exit code.

import { readFileSync } from 'node:fs';
import { EXIT, UsageError, isPassthruError } from './errors.ts';
import { secrets } from './util/secrets.ts';
import { HelpShown, parse, unknownCommand, type Parsed } from './cli/args.ts';
import { COMMANDS, DEMO, EXEC, INVENTORY, mainHelp, REPORT, RUN } from './cli/spec.ts';
import { connectionFlagVars } from './cli/connection-flags.ts';
import { checkOutputFile } from './cli/output-file.ts';
import { closedPipe, interruptSignal } from './cli/signals.ts';
import { interactive } from './cli/prompt.ts';
// Commands are loaded when used: `passthru exec` does not pay for the engine, nor `run` for the lab.

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function list(v: string[] | undefined): string[] | undefined {
  return v === undefined ? undefined : v.flatMap((x) => x.split(',')).map((x) => x.trim()).filter((x) => x !== '');
}

/** -K asks on the terminal: without one, say so now rather than fail on every host */
function checkAskBecomePass(p: Parsed): void {
  if (p.bool('ask-become-pass') && !interactive()) {
    throw new UsageError('-K / --ask-become-pass needs a terminal to ask on, and there is none here', {
      hint: 'run from a terminal, or set ansible_become_password in the inventory (e.g. a group_vars file only you can read), or give the user NOPASSWD sudo',
    });
  }
}

/** --json FILE: its directory is checked before anything runs */
/** a report file flag (--json, --html): its directory is checked before anything runs */
function outputFile(p: Parsed, flag: 'json' | 'html'): string | undefined {
  const file = p.str(flag);
  if (file !== undefined) checkOutputFile(flag, file);
  return file;
}

function jsonFile(p: Parsed): string | undefined {
  return outputFile(p, 'json');
}

export async function main(argv: string[]): Promise<number> {
  // a reader that goes away (`passthru demo | head -3`) stops the command quietly, never with an EPIPE trace
  closedPipe();
  try {
    return await dispatch(argv);
  } catch (e) {
    if (e instanceof HelpShown) {
      process.stdout.write(e.text);
      return EXIT.ok;
    }
    if (isPassthruError(e)) {
      if (e.exitCode === EXIT.ok) {
        process.stdout.write(`${secrets.mask(e.message)}\n`);
        return EXIT.ok;
      }
      process.stderr.write(`error: ${secrets.mask(e.message)}\n`);
      if (e.hint) process.stderr.write(`hint: ${secrets.mask(e.hint)}\n`);
      return e.exitCode;
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
      process.stdout.write(mainHelp());
      return cmd === undefined ? EXIT.usage : EXIT.ok;
    case 'help': {
      // `passthru help run` = `passthru run --help`
      const topic = rest[0];
      if (topic === undefined) {
        process.stdout.write(mainHelp());
        return EXIT.ok;
      }
      return dispatch([topic, '--help', ...rest.slice(1)]);
    }
    case '--version':
    case '-V':
      process.stdout.write(`passthru ${version()}\n`);
      return EXIT.ok;
    case 'run': {
      const p = parse(RUN, rest, { positionals: 1 });
      const playbook = p.positionals[0];
      if (!playbook) throw new UsageError('run takes one PLAYBOOK', { hint: 'passthru run playbooks/pci-passthrough.yaml -i inventory.ini --check' });
      const inventory = p.strs('inventory') ?? [];
      if (inventory.length === 0) throw new UsageError('run needs an inventory: -i FILE');
      const listing = p.bool('list-hosts') || p.bool('list-steps') || p.bool('list-tags');
      const dryOnly = listing || p.bool('syntax-check');
      const options = {
        playbook,
        inventory,
        check: p.bool('check'),
        diff: p.bool('diff'),
        limit: p.text('limit'),
        tags: list(p.strs('tags')),
        skipTags: list(p.strs('skip-tags')),
        startAtStep: p.text('start-at-step'),
        forks: p.int('forks') ?? 50,
        serial: p.text('serial'),
        maxFailPercentage: p.percent('max-fail-percentage'),
        extraVars: p.strs('extra-vars') ?? [],
        json: jsonFile(p),
        html: outputFile(p, 'html'),
        yes: p.bool('yes'),
        become: p.bool('become'),
        askBecomePass: p.bool('ask-become-pass'),
        sshConfig: p.text('ssh-config'),
        connection: connectionFlagVars(p),
        verbosity: p.count('verbose'),
        list: listing ? { hosts: p.bool('list-hosts'), steps: p.bool('list-steps'), tags: p.bool('list-tags') } : undefined,
        syntaxCheck: p.bool('syntax-check'),
        out: process.stdout,
        tty,
      };
      if (!dryOnly) checkAskBecomePass(p);
      const { signal, dispose } = interruptSignal();
      try {
        const { runCommand } = await import('./commands/run.ts');
        const code = await runCommand({ ...options, signal });
        return signal.aborted ? EXIT.interrupted : code;
      } finally {
        dispose();
      }
    }
    case 'exec': {
      const p = parse(EXEC, rest, { positionals: 1, dashDash: true });
      const inventory = p.strs('inventory') ?? [];
      if (inventory.length === 0) throw new UsageError('exec needs an inventory: -i FILE');
      const pattern = p.positionals[0];
      if (!pattern || p.rest.length === 0) {
        throw new UsageError('usage: passthru exec -i INVENTORY PATTERN -- COMMAND...', { hint: 'e.g. passthru exec -i inv.ini compute -- cat /proc/cmdline' });
      }
      const options = {
        inventory,
        pattern,
        command: p.rest,
        forks: p.int('forks') ?? 50,
        become: p.bool('become'),
        askBecomePass: p.bool('ask-become-pass'),
        timeoutSec: p.int('task-timeout'),
        json: jsonFile(p),
        sshConfig: p.text('ssh-config'),
        connection: connectionFlagVars(p),
        verbosity: p.count('verbose'),
        out: process.stdout,
        color: tty && !process.env['NO_COLOR'],
        secrets,
      };
      checkAskBecomePass(p);
      const { execCommand } = await import('./commands/exec.ts');
      return execCommand(options);
    }
    case 'inventory': {
      const { inventoryArgs, inventoryCommand } = await import('./commands/inventory.ts');
      return inventoryCommand({ ...inventoryArgs(rest), out: process.stdout, secrets });
    }
    case 'lab': {
      const { labCommand } = await import('./commands/lab.ts');
      return labCommand(rest, process.stdout);
    }
    case 'report': {
      const p = parse(REPORT, rest, { positionals: 1 });
      const html = outputFile(p, 'html');
      const file = p.positionals[0];
      if (file === undefined || html === undefined) throw new UsageError('usage: passthru report REPORT.json --html OUT.html', { hint: 'REPORT.json is what `passthru run --json FILE` wrote' });
      const { reportCommand } = await import('./commands/report.ts');
      return reportCommand({ file, html, out: process.stdout });
    }
    case 'demo': {
      parse(DEMO, rest);
      const { demoCommand } = await import('./commands/demo.ts');
      return demoCommand({ out: process.stdout, tty });
    }
    default:
      if (cmd.startsWith('-')) throw new UsageError(`unknown option '${cmd}' before the command`, { hint: 'passthru --help lists the commands; passthru COMMAND --help their options' });
      throw unknownCommand(cmd, [...COMMANDS.map((c) => c.name), 'help']);
  }
}

