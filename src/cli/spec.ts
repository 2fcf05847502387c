// What each subcommand accepts: its flags (with Ansible's names and meanings
// where Ansible has the flag) and the help printed by `passthru CMD --help`.
// The parser (args.ts) and the help both read these tables, so a flag cannot
// be accepted without being documented, nor documented without being accepted.

export interface Flag {
  /** long name, without the dashes */
  name: string;
  short?: string;
  type: 'string' | 'boolean';
  /** may be given more than once (strings are collected; booleans counted, as -vvv) */
  multiple?: boolean;
  /** placeholder of the value in the help */
  value?: string;
  /** its value may start with a dash (ssh options); otherwise `--json --check` is refused */
  dashValue?: boolean;
  /** other long names of the same flag (Ansible's: --list-tasks for --list-steps) */
  aliases?: string[];
  help: string;
}

export interface CommandSpec {
  /** `run`, `exec`, `lab up`... */
  name: string;
  /** one line per way to call it, after `passthru ` */
  usage: string[];
  summary: string;
  flags: Flag[];
  /** text after the flags: examples, notes */
  notes?: string;
}

const help: Flag = { name: 'help', short: 'h', type: 'boolean', help: 'show this help and exit' };

const verbose: Flag = {
  name: 'verbose',
  short: 'v',
  type: 'boolean',
  multiple: true,
  help: '-v host and step starts; -vv each remote command and its exit code (plain lines); -vvv how each host is reached, and command output. Secrets always masked',
};

const inventory: Flag = {
  name: 'inventory',
  short: 'i',
  type: 'string',
  multiple: true,
  value: 'SRC',
  help: 'Ansible INI/YAML inventory file or directory (repeatable: merged in order), with the group_vars/ and host_vars/ beside it',
};
const forks: Flag = { name: 'forks', short: 'f', type: 'string', value: 'N', help: 'hosts in parallel, a whole number >= 1 (default 50)' };

/** How to reach the hosts: Ansible's connection flags. An inventory var (ansible_user...) beats each of them, as in Ansible. */
const connection: Flag[] = [
  { name: 'user', short: 'u', type: 'string', value: 'USER', help: 'log in as USER where the inventory sets no ansible_user' },
  { name: 'private-key', aliases: ['key-file'], type: 'string', value: 'FILE', help: 'key file to log in with, where the inventory sets no ansible_ssh_private_key_file' },
  { name: 'timeout', short: 'T', type: 'string', value: 'SECONDS', help: 'connection timeout, where the inventory sets no ansible_timeout (default 10)' },
  { name: 'ssh-common-args', type: 'string', dashValue: true, value: 'ARGS', help: "ssh options for every host without ansible_ssh_common_args, e.g. '-J ops@bastion'" },
  { name: 'ssh-extra-args', type: 'string', dashValue: true, value: 'ARGS', help: 'ssh options for every host without ansible_ssh_extra_args' },
  { name: 'ssh-config', type: 'string', value: 'FILE', help: 'ssh config to read (default ~/.ssh/config)' },
  { name: 'become', short: 'b', type: 'boolean', help: 'run every command through sudo' },
  { name: 'become-user', type: 'string', value: 'USER', help: 'sudo to USER where the inventory sets no ansible_become_user (default root)' },
  { name: 'ask-become-pass', short: 'K', type: 'boolean', help: 'ask once on the terminal for the sudo password (hosts without ansible_become_password)' },
];

export const RUN: CommandSpec = {
  name: 'run',
  usage: ['run PLAYBOOK -i INVENTORY [options]'],
  summary: 'plan (--check) or roll out a playbook',
  flags: [
    inventory,
    { name: 'check', short: 'C', type: 'boolean', help: 'dry run: gather facts, show the plan with diffs, change nothing' },
    { name: 'diff', short: 'D', type: 'boolean', help: 'show diffs when applying too' },
    { name: 'limit', short: 'l', type: 'string', value: 'PATTERN', help: 'only these hosts (@report.json: the failed/unreachable hosts of an earlier run)' },
    { name: 'tags', short: 't', type: 'string', multiple: true, value: 'T[,T]', help: 'only steps with these tags (an unknown tag is an error)' },
    { name: 'skip-tags', type: 'string', multiple: true, value: 'T[,T]', help: 'not the steps with these tags' },
    { name: 'start-at-step', aliases: ['start-at-task'], type: 'string', value: 'NAME', help: 'skip the steps before the step named NAME' },
    forks,
    { name: 'serial', type: 'string', value: 'N|N%[,...]', help: 'batch sizes, overriding the playbook' },
    { name: 'max-fail-percentage', type: 'string', value: 'P', help: 'stop when more than P% (0-100) of a batch failed' },
    { name: 'extra-vars', short: 'e', type: 'string', multiple: true, value: 'k=v|@FILE', help: 'variables (repeatable)' },
    { name: 'json', type: 'string', value: 'FILE', help: 'write a JSON report (its directory must exist)' },
    { name: 'html', type: 'string', value: 'FILE', help: 'write an HTML report: one self-contained file, timeline, GPU map, diffs' },
    { name: 'yes', short: 'y', type: 'boolean', help: 'apply without showing the plan and asking first' },
    ...connection,
    { name: 'list-hosts', type: 'boolean', help: 'list the hosts each play would run on, and stop (connects to nothing)' },
    { name: 'list-steps', aliases: ['list-tasks'], type: 'boolean', help: 'list the steps each play would run (after --tags/--skip-tags/--start-at-step), and stop' },
    { name: 'list-tags', type: 'boolean', help: 'list the tags of each play and its steps, and stop' },
    { name: 'syntax-check', type: 'boolean', help: 'check the playbook (and the inventory and -e), and stop: exit 0 when good, 1 when not' },
    verbose,
    help,
  ],
  notes: `Examples:
  passthru run playbooks/pci-passthrough.yaml -i inventory.ini --check
  passthru run playbooks/pci-passthrough.yaml -i inventory.ini -e image=ubuntu-22.04 --yes --json report.json
  passthru run site.yaml -i inventory.ini --limit @report.json     retry the hosts that failed`,
};

export const EXEC: CommandSpec = {
  name: 'exec',
  usage: ['exec -i INVENTORY PATTERN [options] -- COMMAND...'],
  summary: 'run one command on many hosts, with a recap',
  flags: [
    inventory,
    forks,
    { name: 'task-timeout', type: 'string', value: 'SECONDS', help: 'stop the command after SECONDS on a host (that host fails)' },
    { name: 'json', type: 'string', value: 'FILE', help: 'write a JSON report (its directory must exist)' },
    ...connection,
    verbose,
    help,
  ],
  notes: `One word after -- is a shell command line as typed; several words are one command and its arguments.
Examples:
  passthru exec -i inventory.ini compute -- cat /proc/cmdline
  passthru exec -i inventory.ini 'compute:!gpu03' -b -- 'systemctl is-active nova-compute || true'`,
};

export const INVENTORY: CommandSpec = {
  name: 'inventory',
  usage: ['inventory -i INVENTORY --list [--yaml] [--export]', 'inventory -i INVENTORY --graph [GROUP] [--vars]', 'inventory -i INVENTORY --host NAME [--yaml]'],
  summary: 'what passthru understood of an inventory, shaped like ansible-inventory',
  flags: [
    inventory,
    { name: 'list', type: 'boolean', help: 'every group and host with its vars, as JSON (secrets masked)' },
    { name: 'graph', type: 'boolean', help: 'the group tree (of GROUP, default all)' },
    { name: 'host', type: 'string', value: 'NAME', help: "one host's vars, as JSON" },
    { name: 'yaml', short: 'y', type: 'boolean', help: 'YAML instead of JSON (with --list or --host)' },
    { name: 'vars', type: 'boolean', help: 'with --graph: each group\'s and host\'s vars' },
    { name: 'export', type: 'boolean', help: 'with --list: vars where they were set (groups), not merged per host' },
    { name: 'playbook-dir', type: 'string', value: 'DIR', help: 'also read DIR/group_vars and DIR/host_vars (default: the current directory)' },
    help,
  ],
};

export const LAB_UP: CommandSpec = {
  name: 'lab up',
  usage: ['lab up [--computes N] [--dir DIR]'],
  summary: 'start the embedded simulated cluster in the background; prints its inventory',
  flags: [
    { name: 'computes', type: 'string', value: 'N', help: 'compute hosts, 1 to 5000 (default 12)' },
    { name: 'dir', type: 'string', value: 'DIR', help: 'where its inventory, keys and state go (default .lab)' },
    help,
  ],
};

export const LAB_DOWN: CommandSpec = {
  name: 'lab down',
  usage: ['lab down [--dir DIR]'],
  summary: 'stop the simulated cluster started by lab up',
  flags: [{ name: 'dir', type: 'string', value: 'DIR', help: 'the directory given to lab up (default .lab)' }, help],
};

export const LAB: CommandSpec = {
  name: 'lab',
  usage: ['lab up [--computes N] [--dir DIR]', 'lab down [--dir DIR]'],
  summary: 'the embedded simulated cluster, to rehearse on (passthru lab up --help, lab down --help)',
  flags: [help],
};

export const DEMO: CommandSpec = {
  name: 'demo',
  usage: ['demo'],
  summary: 'lab up, dry run, rollout, recap, lab down, all on simulated hosts (npm start)',
  flags: [help],
};

export const REPORT: CommandSpec = {
  name: 'report',
  usage: ['report REPORT.json --html OUT.html'],
  summary: "the HTML page of a run's JSON report (one self-contained file that works offline)",
  flags: [{ name: 'html', type: 'string', value: 'FILE', help: 'where to write the page (its directory must exist)' }, help],
};

export const COMMANDS: readonly CommandSpec[] = [RUN, EXEC, INVENTORY, REPORT, LAB, DEMO];
/** every spec, the lab's subcommands included (the tests go through all of them) */
export const ALL_SPECS: readonly CommandSpec[] = [RUN, EXEC, INVENTORY, LAB, LAB_UP, LAB_DOWN, DEMO];

function flagLabel(f: Flag): string {
  const names = [f.short ? `-${f.short}` : '   ', [f.name, ...(f.aliases ?? [])].map((n) => `--${n}`).join(', ')];
  const label = `${f.short ? `${names[0]}, ` : '    '}${names[1]}`;
  return f.value ? `${label} ${f.value}` : label;
}

/** `passthru CMD --help` */
export function commandHelp(spec: CommandSpec): string {
  const labels = spec.flags.map(flagLabel);
  const width = Math.min(34, Math.max(...labels.map((l) => l.length)) + 2);
  const lines = [`passthru ${spec.name} - ${spec.summary}`, '', 'Usage:', ...spec.usage.map((u) => `  passthru ${u}`), '', 'Options:'];
  spec.flags.forEach((f, i) => {
    const label = labels[i] ?? '';
    lines.push(label.length < width ? `  ${label.padEnd(width)}${f.help}` : `  ${label}\n  ${' '.repeat(width)}${f.help}`);
  });
  if (spec.notes) lines.push('', spec.notes);
  return `${lines.join('\n')}\n`;
}

/** `passthru --help` */
export function mainHelp(): string {
  const usage = COMMANDS.flatMap((c) => c.usage.map((u) => `  passthru ${u}`));
  const summaries = COMMANDS.map((c) => `  ${c.name.padEnd(11)}${c.summary}`);
  return `passthru - roll out GPU PCI passthrough on OpenStack clusters over SSH

Usage:
${usage.join('\n')}

Commands:
${summaries.join('\n')}

passthru COMMAND --help shows the options of a command (Ansible's names where Ansible has them:
-C, -D, -l, -t, -e, -f, -u, -b, -K, -T, -v..., --list-hosts, --list-tasks, --syntax-check...).

Exit codes: 0 ok, 1 bad usage or configuration, 2 a host failed, 4 a host unreachable, 130 interrupted.
`;
}
