// One subcommand's arguments, read against its table (spec.ts): --help
// anywhere prints the command's help and runs nothing; an unknown flag is
// a usage error with "did you mean", or with what to use instead when it is
// an Ansible flag passthru does not have; every number is checked here,
// before anything is read or contacted.

import { parseArgs } from 'node:util';
import { EXIT, PassthruError, UsageError } from '../errors.ts';
import { closest } from '../playbook/suggest.ts';
import { commandHelp, type CommandSpec, type Flag } from './spec.ts';

/** `--help` was asked for: the help is the whole output, exit 0. */
export class HelpShown extends PassthruError {
  constructor(readonly text: string) {
    super('help', { exitCode: EXIT.ok });
  }
}

const SEE_DOCS = 'docs/ansible.md lists what passthru has of Ansible, and what to use instead';

/** Ansible flags passthru does not have, and what to do instead (short ones with their dash). */
const ANSIBLE_ONLY: Record<string, string> = {
  'ask-pass': 'passthru logs in with keys only (ssh-agent, --private-key, ansible_ssh_private_key_file)',
  '-k': 'passthru logs in with keys only (ssh-agent, --private-key, ansible_ssh_private_key_file)',
  'connection-password-file': 'passthru logs in with keys only (ssh-agent, --private-key, ansible_ssh_private_key_file)',
  'ask-vault-pass': 'Ansible Vault is not supported: keep secrets in a vars file outside the repository (-e @secrets.yml); passthru masks them in every output',
  'ask-vault-password': 'Ansible Vault is not supported: keep secrets in a vars file outside the repository (-e @secrets.yml); passthru masks them in every output',
  'vault-password-file': 'Ansible Vault is not supported: keep secrets in a vars file outside the repository (-e @secrets.yml); passthru masks them in every output',
  'vault-id': 'Ansible Vault is not supported: keep secrets in a vars file outside the repository (-e @secrets.yml); passthru masks them in every output',
  'become-password-file': 'set ansible_become_password in the inventory (in a file only you can read), or use -K on a terminal',
  'become-method': 'passthru becomes root with sudo only',
  connection: 'passthru always connects over SSH',
  '-c': 'passthru always connects over SSH',
  'scp-extra-args': 'passthru copies files over its own SSH connection (no scp): use --ssh-common-args',
  'sftp-extra-args': 'passthru copies files over its own SSH connection (no sftp): use --ssh-common-args',
  'module-path': 'passthru has no modules: its step kinds are built in (docs/steps.md)',
  '-M': 'passthru has no modules: its step kinds are built in (docs/steps.md)',
  step: 'not supported: preview with --check, then roll out from a step with --start-at-step',
  'flush-cache': 'passthru keeps no fact cache between runs: facts are always read fresh',
  'force-handlers': 'not supported: a failed host leaves the run; rerun it with --limit @report.json',
  'list-tasks-json': 'use --list-tasks',
  'inventory-file': 'use -i / --inventory',
  'playbook-dir': 'not needed: playbook_dir is the directory of the playbook given to run',
};

type Values = Map<string, (string | true)[]>;

export interface ParseOptions {
  /** positionals allowed at most (default 0) */
  positionals?: number;
  /** words after `--` are kept apart (exec's COMMAND) */
  dashDash?: boolean;
}

/** The arguments of one command, checked against its spec. */
export class Parsed {
  constructor(
    readonly spec: CommandSpec,
    private readonly values: Values,
    readonly positionals: string[],
    /** the words after `--` */
    readonly rest: string[],
  ) {}

  private flag(name: string): Flag {
    const f = this.spec.flags.find((x) => x.name === name);
    if (!f) throw new Error(`${this.spec.name} has no flag --${name}`);
    return f;
  }

  has(name: string): boolean {
    return this.values.has(this.flag(name).name);
  }

  /** the value of a string flag (the last one when repeated) */
  str(name: string): string | undefined {
    return this.strs(name)?.at(-1);
  }

  /** every value of a repeatable string flag, in order */
  strs(name: string): string[] | undefined {
    this.flag(name);
    const v = this.values.get(name);
    return v?.filter((x): x is string => typeof x === 'string');
  }

  bool(name: string): boolean {
    return this.count(name) > 0;
  }

  /** how many times a boolean flag was given (-vvv: 3) */
  count(name: string): number {
    this.flag(name);
    return this.values.get(name)?.length ?? 0;
  }

  /** a whole number flag within [min, max] */
  int(name: string, o: { min?: number; max?: number } = {}): number | undefined {
    const v = this.str(name);
    if (v === undefined) return undefined;
    const min = o.min ?? 1;
    const n = /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
    if (!Number.isSafeInteger(n) || n < min || (o.max !== undefined && n > o.max)) {
      const range = o.max !== undefined ? `from ${min} to ${o.max}` : `of at least ${min}`;
      throw new UsageError(`--${name} ${JSON.stringify(v)}: expected a whole number ${range}`, { hint: `e.g. --${name} ${Math.max(min, Math.min(o.max ?? 10, 10))}` });
    }
    return n;
  }

  /** a percentage, 0 to 100 (`25` or `25%`) */
  percent(name: string): number | undefined {
    const v = this.str(name);
    if (v === undefined) return undefined;
    const n = /^\s*\d+(\.\d+)?%?\s*$/.test(v) ? Number(v.trim().replace(/%$/, '')) : NaN;
    if (!(n >= 0 && n <= 100)) throw new UsageError(`--${name} ${JSON.stringify(v)}: expected a percentage from 0 to 100`, { hint: `e.g. --${name} 25` });
    return n;
  }

  /** a string flag that must not be empty */
  text(name: string): string | undefined {
    const v = this.str(name);
    if (v !== undefined && v.trim() === '') throw new UsageError(`--${name} is empty`, { hint: `give a value: passthru ${this.spec.name} --help` });
    return v;
  }
}

function longNames(spec: CommandSpec): Map<string, Flag> {
  const m = new Map<string, Flag>();
  for (const f of spec.flags) for (const n of [f.name, ...(f.aliases ?? [])]) m.set(n, f);
  return m;
}

function unknownOption(spec: CommandSpec, raw: string): UsageError {
  const long = raw.startsWith('--') ? raw.slice(2) : undefined;
  const instead = ANSIBLE_ONLY[long ?? raw];
  if (instead) return new UsageError(`${spec.name}: passthru has no ${raw} option`, { hint: `${instead} (${SEE_DOCS})` });
  const names = [...longNames(spec).keys()];
  const near = long !== undefined ? closest(long, names) : undefined;
  return new UsageError(`${spec.name}: unknown option '${raw}'${near ? ` (did you mean --${near}?)` : ''}`, { hint: `passthru ${spec.name} --help lists its options` });
}

/** Read `argv` (what follows the command's name) against `spec`. Throws HelpShown for --help. */
export function parse(spec: CommandSpec, argv: string[], o: ParseOptions = {}): Parsed {
  const names = longNames(spec);
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const [n, f] of names) options[n] = { type: f.type, multiple: true, ...(f.short && n === f.name ? { short: f.short } : {}) };
  const { tokens } = parseArgs({ args: argv, options, strict: false, allowPositionals: true, tokens: true });

  const terminator = tokens.findIndex((t) => t.kind === 'option-terminator');
  const before = terminator >= 0 ? tokens.slice(0, terminator) : tokens;
  // --help wins over everything else on the line
  if (before.some((t) => t.kind === 'option' && (t.name === 'help' || t.name === 'h'))) throw new HelpShown(commandHelp(spec));

  const values: Values = new Map();
  const positionals: string[] = [];
  for (const t of before) {
    if (t.kind === 'positional') {
      positionals.push(t.value);
      continue;
    }
    if (t.kind !== 'option') continue;
    const f = names.get(t.name);
    if (!f) throw unknownOption(spec, t.rawName);
    if (f.type === 'boolean' && t.value !== undefined) {
      throw new UsageError(`${t.rawName} takes no value (got '${t.value}')`, { hint: `write ${t.rawName} alone` });
    }
    if (f.type === 'string' && t.value === undefined) {
      throw new UsageError(`${t.rawName} needs a value: ${t.rawName} ${f.value ?? 'VALUE'}`, { hint: `passthru ${spec.name} --help` });
    }
    // `--json --check` would write a file named --check and roll out for real: a value that looks like an option is refused
    if (f.type === 'string' && t.inlineValue === false && /^-[^\d]/.test(t.value ?? '') && !f.dashValue) {
      throw new UsageError(`${t.rawName} needs a value, and got the option '${t.value ?? ''}'`, { hint: `give ${t.rawName} ${f.value ?? 'VALUE'}; if the value really starts with -, write ${t.rawName}=${t.value ?? ''}` });
    }
    const list = values.get(f.name) ?? [];
    list.push(t.value ?? true);
    values.set(f.name, list);
  }
  for (const f of spec.flags) {
    const given = values.get(f.name);
    if (f.type === 'boolean' && !f.multiple && given && given.length > 1) values.set(f.name, [true]);
  }

  const rest: string[] = [];
  if (terminator >= 0) {
    const after = tokens.slice(terminator + 1).flatMap((t) => (t.kind === 'positional' ? [t.value] : []));
    if (o.dashDash) rest.push(...after);
    else positionals.push(...after);
  }
  const max = o.positionals ?? 0;
  if (positionals.length > max) {
    const extra = positionals.slice(max);
    throw new UsageError(`${spec.name}: unexpected argument${extra.length > 1 ? 's' : ''} ${extra.map((x) => `'${x}'`).join(' ')}`, { hint: `usage: ${spec.usage.map((u) => `passthru ${u}`).join(' | ')}` });
  }
  return new Parsed(spec, values, positionals, rest);
}

/** An unknown command, with the nearest known one. */
export function unknownCommand(word: string, known: readonly string[], prefix = ''): UsageError {
  const near = closest(word, known);
  return new UsageError(`unknown command '${prefix}${word}'${near ? ` (did you mean '${prefix}${near}'?)` : ''}`, { hint: `passthru ${prefix}--help lists the commands` });
}
