// The command line as an Ansible user types it, run as a child process
// (bin/passthru.js): --help everywhere, "did you mean", --list-hosts,
// --list-tasks/--list-steps, --list-tags, --syntax-check, -T, -K without a
// terminal, --json's directory, unknown tags. Every host of the inventory is
// a TCP listener of this test that counts connections and never answers:
// what must not connect is seen not to, and a connection that is made
// times out where -T (or the inventory's ansible_timeout) says.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ALL_SPECS } from '../../src/cli/spec.ts';

const BIN = fileURLToPath(new URL('../../bin/passthru.js', import.meta.url));
const STACK = /^\s+at .+(:\d+:\d+\)?|\(native\))$/m;

interface Cli {
  code: number | null;
  stdout: string;
  stderr: string;
}

function passthru(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Cli> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
const show = (r: Cli): string => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

const PLAYBOOK = `- name: compute setup
  hosts: compute
  tags: [setup]
  steps:
    - name: kernel arguments
      command: ["true"]
      tags: [kernel]
    - name: reboot
      command: ["true"]
      tags: [kernel, reboot]
    - name: untagged step
      command: ["true"]
- name: controllers
  hosts: controller
  steps:
    - name: nova.conf
      command: ["true"]
      tags: [nova]
`;

describe('the command line, without any host answering', () => {
  let dir: string;
  let server: Server;
  let connections = 0;
  const sockets = new Set<Socket>();
  let inventory: string;
  let playbook: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'passthru-cli-flags-'));
    server = createServer((s) => {
      connections++;
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    inventory = join(dir, 'inventory.ini');
    writeFileSync(
      inventory,
      [
        '[controller]',
        `ctl1 ansible_host=127.0.0.1 ansible_port=${port}`,
        '[compute]',
        `gpu[01:03] ansible_host=127.0.0.1 ansible_port=${port}`,
        `gpu04 ansible_host=127.0.0.1 ansible_port=${port} ansible_timeout=2`,
        '[rack2]',
        'gpu03',
        'gpu04',
        '',
      ].join('\n'),
    );
    playbook = join(dir, 'site.yaml');
    writeFileSync(playbook, PLAYBOOK);
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  /** a run that must not contact any host */
  const offline = async (args: string[]): Promise<Cli> => {
    const before = connections;
    const r = await passthru(args);
    assert.equal(connections, before, `a host was contacted by passthru ${args.join(' ')}:\n${show(r)}`);
    assert.doesNotMatch(r.stdout + r.stderr, STACK, show(r));
    return r;
  };

  it('--help on every command and subcommand prints its usage and options, and runs nothing', async () => {
    for (const spec of ALL_SPECS) {
      for (const flag of ['--help', '-h']) {
        const r = await offline([...spec.name.split(' '), flag]);
        assert.equal(r.code, 0, show(r));
        assert.match(r.stdout, new RegExp(`^passthru ${spec.name} - `), show(r));
        assert.match(r.stdout, /^Usage:\n {2}passthru /m);
        for (const f of spec.flags) assert.ok(r.stdout.includes(`--${f.name}`), `${spec.name} --help lists --${f.name}`);
        assert.equal(r.stderr, '', show(r));
      }
    }
    // the demo is not started by its --help, even after other words
    const demo = await offline(['demo', '--help']);
    assert.doesNotMatch(demo.stdout, /starting the embedded/);
    // `passthru help run` is `passthru run --help`
    const viaHelp = await offline(['help', 'run']);
    const direct = await offline(['run', '--help']);
    assert.equal(viaHelp.stdout, direct.stdout);
  });

  it('an unknown flag or command gets "did you mean", an Ansible-only flag says what to use instead; exit 1', async () => {
    const cases: [string[], RegExp][] = [
      [['run', playbook, '-i', inventory, '--chekc'], /unknown option '--chekc' \(did you mean --check\?\)/],
      [['run', playbook, '-i', inventory, '--list-task'], /did you mean --list-tasks\?/],
      [['exec', '-i', inventory, 'all', '--forsk', '3', '--', 'true'], /did you mean --forks\?/],
      [['inventory', '-i', inventory, '--lst'], /did you mean --list\?/],
      [['lab', 'up', '--computs', '3'], /did you mean --computes\?/],
      [['rnu', playbook], /unknown command 'rnu' \(did you mean 'run'\?\)/],
      [['lab', 'dwn'], /unknown command 'lab dwn' \(did you mean 'lab down'\?\)/],
      [['run', playbook, '-i', inventory, '--ask-vault-pass'], /passthru has no --ask-vault-pass option/],
      // a forgotten value: the next option is not taken for it (no report file named --check, no rollout for real)
      [['run', playbook, '-i', inventory, '--json', '--check'], /--json needs a value, and got the option '--check'/],
      [['exec', '-i', inventory, 'all', '-u', '-b', '--', 'true'], /-u needs a value, and got the option '-b'/],
    ];
    for (const [args, message] of cases) {
      const r = await offline(args);
      assert.equal(r.code, 1, show(r));
      assert.match(r.stderr, /^error: /);
      assert.match(r.stderr, message, show(r));
      assert.match(r.stderr, /^hint: /m);
    }
  });

  it('number flags: whole numbers >= 1, percentages 0-100; anything else is one usage error, exit 1', async () => {
    const bad: [string, string][] = [
      ['--forks', '2.5'],
      ['--forks', '0'],
      ['--forks', '-3'],
      ['--forks', 'ten'],
      ['--max-fail-percentage', '150'],
      ['--max-fail-percentage', '-1'],
      ['--max-fail-percentage', 'x'],
      ['-T', '0'],
      ['--timeout', '1.5'],
    ];
    for (const [flag, value] of bad) {
      const r = await offline(['run', playbook, '-i', inventory, '--check', flag, value]);
      assert.equal(r.code, 1, show(r));
      assert.match(r.stderr, new RegExp(`^error: --${flag.replace(/^-+/, '').replace('T', 'timeout')} "${value.replace('.', '\\.')}": expected `), show(r));
    }
    for (const value of ['0', '50', '100', '12.5']) {
      const r = await offline(['run', playbook, '-i', inventory, '--max-fail-percentage', value, '--syntax-check']);
      assert.equal(r.code, 0, `--max-fail-percentage ${value}: ${show(r)}`);
    }
  });

  it('--syntax-check: exit 0 on a good playbook, 1 with FILE:LINE on a bad one, no host contacted', async () => {
    const good = await offline(['run', playbook, '-i', inventory, '--syntax-check']);
    assert.equal(good.code, 0, show(good));
    assert.equal(good.stdout, `\nplaybook: ${playbook}\n`);
    const badFile = join(dir, 'bad.yaml');
    writeFileSync(badFile, PLAYBOOK.replace('command: ["true"]\n      tags: [kernel]', 'comand: ["true"]\n      tags: [kernel]'));
    const bad = await offline(['run', badFile, '-i', inventory, '--syntax-check']);
    assert.equal(bad.code, 1, show(bad));
    assert.match(bad.stderr, new RegExp(`^error: ${badFile.replace(/\./g, '\\.')}:\\d+`), show(bad));
  });

  it('--list-hosts: the hosts of each play, after the play pattern and --limit; nothing contacted', async () => {
    const r = await offline(['run', playbook, '-i', inventory, '--list-hosts', '--limit', 'ctl1:compute:!gpu03']);
    assert.equal(r.code, 0, show(r));
    assert.equal(
      r.stdout,
      [
        '',
        `playbook: ${playbook}`,
        '',
        '  play #1 (compute): compute setup\tTAGS: [setup]',
        "    pattern: ['compute']",
        '    hosts (3):',
        '      gpu01',
        '      gpu02',
        '      gpu04',
        '',
        '  play #2 (controller): controllers\tTAGS: []',
        "    pattern: ['controller']",
        '    hosts (1):',
        '      ctl1',
        '',
      ].join('\n'),
    );
  });

  it('--list-tasks (= --list-steps) lists the steps --tags/--skip-tags/--start-at-task select; --list-tags the tags', async () => {
    const tasks = await offline(['run', playbook, '-i', inventory, '--list-tasks', '--tags', 'kernel', '--skip-tags', 'reboot']);
    assert.equal(tasks.code, 0, show(tasks));
    assert.match(tasks.stdout, /^ {4}steps:\n {6}kernel arguments\tTAGS: \[setup, kernel\]\n\n/m, show(tasks));
    assert.doesNotMatch(tasks.stdout, /reboot\t|untagged step|nova\.conf\t/);
    const steps = await offline(['run', playbook, '-i', inventory, '--list-steps', '--tags', 'kernel', '--skip-tags', 'reboot']);
    assert.equal(steps.stdout, tasks.stdout);
    const startAt = await offline(['run', playbook, '-i', inventory, '--list-tasks', '--start-at-task', 'reboot']);
    assert.match(startAt.stdout, /steps:\n {6}reboot\t.*\n {6}untagged step\t/, show(startAt));
    assert.doesNotMatch(startAt.stdout, /kernel arguments/);
    const tags = await offline(['run', playbook, '-i', inventory, '--list-tags']);
    assert.equal(tags.code, 0, show(tags));
    assert.match(tags.stdout, /play #1 \(compute\): compute setup\tTAGS: \[setup\]\n {6}TASK TAGS: \[kernel, reboot, setup\]\n/, show(tags));
    assert.match(tags.stdout, /play #2 \(controller\): controllers\tTAGS: \[\]\n {6}TASK TAGS: \[nova\]\n/);
  });

  it('an unknown tag in --tags or --skip-tags is an error that lists the known tags; nothing contacted', async () => {
    for (const flag of ['--tags', '--skip-tags']) {
      const r = await offline(['run', playbook, '-i', inventory, '--check', flag, 'rebot']);
      assert.equal(r.code, 1, show(r));
      assert.match(r.stderr, new RegExp(`^error: ${flag} rebot: no step or play of .* has the tag 'rebot' \\(did you mean 'reboot'\\?\\)`), show(r));
      assert.match(r.stderr, /^hint: the playbook's tags: kernel, nova, reboot, setup; and always, untagged, all/m);
    }
    // `all` is Ansible's default: everything
    const all = await offline(['run', playbook, '-i', inventory, '--list-tasks', '--tags', 'all']);
    assert.match(all.stdout, /untagged step/);
  });

  it('--json in a directory that does not exist: refused before any host is contacted', async () => {
    const json = join(dir, 'no', 'such', 'dir', 'report.json');
    for (const cmd of [['run', playbook, '-i', inventory], ['exec', '-i', inventory, 'all', '--', 'true']]) {
      const args = cmd.includes('--') ? [...cmd.slice(0, -2), '--json', json, ...cmd.slice(-2)] : [...cmd, '--json', json];
      const r = await offline(args);
      assert.equal(r.code, 1, show(r));
      assert.match(r.stderr, /^error: --json .*report\.json: the directory .*dir does not exist\nhint: create it first/, show(r));
      assert.ok(!existsSync(json));
    }
  });

  it('-K without a terminal is a usage error, before any host is contacted', async () => {
    for (const cmd of [['run', playbook, '-i', inventory, '-K'], ['exec', '-i', inventory, 'all', '-K', '--', 'true']]) {
      const r = await offline(cmd);
      assert.equal(r.code, 1, show(r));
      assert.match(r.stderr, /^error: -K \/ --ask-become-pass needs a terminal to ask on/, show(r));
    }
  });

  it('-T is the connection timeout of hosts without ansible_timeout; the inventory value beats it', async () => {
    const r = await passthru(['exec', '-i', inventory, 'rack2', '-T', '1', '--', 'true']);
    assert.equal(r.code, 4, show(r));
    // gpu03 takes -T 1; gpu04 has ansible_timeout=2 in the inventory, which wins as in Ansible
    assert.match(r.stdout, /^gpu03 \| UNREACHABLE! =>.*sent no SSH banner within 1 s/m, show(r));
    assert.match(r.stdout, /^gpu04 \| UNREACHABLE! =>.*sent no SSH banner within 2 s/m, show(r));
    assert.doesNotMatch(r.stdout + r.stderr, STACK);
  });
});
