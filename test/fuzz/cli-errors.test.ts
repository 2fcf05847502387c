// Property-based: whatever inventory or playbook a user hands passthru, the
// loaders give a result or one ConfigError naming file:line, and the CLI
// (main() of src/cli.ts, in process, stderr captured) turns a bad file into
// exit 1 and one `error: FILE:LINE: ...` message, never a stack trace.
//
// Generated files are realistic ones cut, spliced and typed wrong, plus
// structures of the right keys with values of the wrong types, YAML
// anchors/aliases and stray bytes. No connection is ever made: inventory
// cases run a playbook whose play matches no host, playbook cases an
// inventory whose one host is 127.0.51.254:1 (nothing listens there).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { ConfigError } from '../../src/errors.ts';
import { parseInventory } from '../../src/inventory/index.ts';
import { parsePlaybook } from '../../src/playbook/index.ts';
import { stepKinds } from '../../src/steps/registry.ts';
import { ALL_SPECS } from '../../src/cli/spec.ts';

const KINDS = { kinds: new Set(stepKinds().keys()) };

const dir = mkdtempSync('/tmp/passthru-fuzz-');
after(() => rmSync(dir, { recursive: true, force: true }));

// -- generators ----------------------------------------------------------------

const BASE_INI = [
  '# cluster',
  '[controller]',
  'ctl1 ansible_host=127.0.51.254 ansible_port=1',
  '',
  '[compute]',
  'gpu[01:03] ansible_host=127.0.51.254 ansible_port=1 gpu_vendor=10de',
  '',
  '[openstack:children]',
  'controller',
  'compute',
  '',
  '[compute:vars]',
  "pci_alias='{\"name\": \"gpu\", \"vendor_id\": \"10de\"}'",
  'ansible_become=true',
].join('\n');

const BASE_YAML = [
  'all:',
  '  vars:',
  '    ansible_port: 1',
  '    defaults: &defaults',
  '      gpu_vendor: "10de"',
  '  children:',
  '    controller:',
  '      hosts:',
  '        ctl1: {ansible_host: 127.0.51.254}',
  '    compute:',
  '      hosts:',
  '        gpu[01:02]:',
  '          <<: *defaults',
  '          ansible_host: 127.0.51.254',
  '      vars:',
  '        ansible_become: yes',
].join('\n');

const BASE_PLAYBOOK = [
  '- name: GPU passthrough',
  '  hosts: compute',
  '  serial: [1, "50%"]',
  '  max_fail_percentage: 0',
  '  become: true',
  '  vars:',
  '    grub: /etc/default/grub',
  '    aliases: &aliases [gpu, audio]',
  '  steps:',
  '    - name: kernel arguments',
  '      lineinfile: {path: "{{ grub }}", regexp: "^GRUB_CMDLINE_LINUX=", line: "GRUB_CMDLINE_LINUX=\\"quiet\\""}',
  '      register: kernel',
  '      notify: rebuild',
  '    - name: reboot',
  '      reboot: {reboot_timeout: 8}',
  '      when: kernel is changed',
  '      timeout: 60',
  '    - name: nova',
  '      ini: {path: /etc/nova/nova.conf, section: pci, option: alias, values: *aliases}',
  '  handlers:',
  '    - name: rebuild',
  '      command: [update-grub]',
].join('\n');

const SPECIAL = [':', '-', ' ', '\n', '\t', '{', '}', '[', ']', '"', "'", '&a', '*a', '*nope', '<<: *a', '!!python/object', '!vault', '|', '>', '#', '%', '@', '`', '{{', '}}', '\0', '\uFFFD', '\r', 'yes', '1e9', '~', '=', '[g:children]', '[x', 'ansible_port=abc', 'h[9:1]'];

type Mutation =
  | { kind: 'cut'; at: number }
  | { kind: 'insert'; at: number; s: string }
  | { kind: 'delete'; at: number; n: number }
  | { kind: 'dupline'; at: number }
  | { kind: 'swapline'; at: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), s: fc.oneof(fc.constantFrom(...SPECIAL), fc.string({ maxLength: 8, unit: 'binary' })) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ kind: fc.constant('dupline' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('swapline' as const), at: fc.nat() }),
);

function mutate(text: string, muts: Mutation[]): string {
  let t = text;
  for (const m of muts) {
    const at = m.at % (t.length + 1);
    if (m.kind === 'cut') t = t.slice(0, at);
    else if (m.kind === 'insert') t = t.slice(0, at) + m.s + t.slice(at);
    else if (m.kind === 'delete') t = t.slice(0, at) + t.slice(at + m.n);
    else {
      const ls = t.split('\n');
      const i = m.at % ls.length;
      if (m.kind === 'dupline') ls.splice(i, 0, ls[i] ?? '');
      else [ls[i], ls[(i + 1) % ls.length]] = [ls[(i + 1) % ls.length] ?? '', ls[i] ?? ''];
      t = ls.join('\n');
    }
  }
  return t;
}

/** Values of every type, including ones that are wrong wherever they go. */
const anyValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(null, true, false, 0, -1, 1.5, 65536, '', 'compute', 'all', '25%', '{{ x }}', '{{', 'a ==', 'yes', '10de', '/etc/nova/nova.conf'),
    fc.array(tie('v'), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom('name', 'hosts', 'steps', 'vars', 'x', 'path', 'ansible_port', 'children', 'command'), tie('v'), { maxKeys: 3 }),
  ),
})).v;

const PLAY_KEYS = ['name', 'hosts', 'steps', 'handlers', 'vars', 'serial', 'max_fail_percentage', 'become', 'tags', 'tasks', 'roles', 'gather_facts', 'any_errors_fatal', 'hostz'];
const STEP_KEYS = ['name', 'command', 'shell', 'ini', 'reboot', 'copy', 'service', 'when', 'register', 'notify', 'timeout', 'retries', 'until', 'loop', 'delegate_to', 'retrys'];

/** Plays and steps with the right keys and values of any type. */
const playbookDoc = fc.array(
  fc.dictionary(
    fc.constantFrom(...PLAY_KEYS),
    fc.oneof(anyValue, fc.array(fc.dictionary(fc.constantFrom(...STEP_KEYS), anyValue, { maxKeys: 4 }), { maxLength: 3 })),
    { maxKeys: 5 },
  ),
  { maxLength: 2 },
);

const GROUP_KEYS = ['hosts', 'vars', 'children', 'hostz', 'ansible_port'];
/** YAML inventories with the right keys and values of any type. */
const inventoryDoc = fc.dictionary(
  fc.constantFrom('all', 'compute', 'ungrouped'),
  fc.oneof(anyValue, fc.dictionary(fc.constantFrom(...GROUP_KEYS), anyValue, { maxKeys: 3 })),
  { maxKeys: 2 },
);

/** YAML text from a value: block style, and a random part of it turned into an anchor and aliases. */
function toYaml(v: unknown, indent = ''): string {
  if (Array.isArray(v)) return v.length === 0 ? '[]' : v.map((x) => `\n${indent}- ${toYaml(x, `${indent}  `).replace(/^\n\s*/, '')}`).join('');
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v);
    return entries.length === 0 ? '{}' : entries.map(([k, x]) => `\n${indent}${k}: ${toYaml(x, `${indent}  `)}`).join('');
  }
  return JSON.stringify(v);
}

const INI_LINE = fc.oneof(
  fc.constantFrom('[g]', '[g:vars]', '[g:children]', '[all:vars]', '[compute]', 'h1', 'h[1:3]', 'h[3:1]', 'h:22', 'h ansible_port=22', 'x=1', 'ansible_port=abc', "a='[1,", '"', 'g', 'h1 ansible_host=127.0.51.254'),
  fc.string({ maxLength: 24 }),
);

// -- loaders -------------------------------------------------------------------

function loaderChecks(load: () => unknown, file: string, text: string): void {
  try {
    load();
  } catch (e) {
    if (!(e instanceof ConfigError)) throw new Error(`not a ConfigError for ${JSON.stringify(text)}: ${e instanceof Error ? e.stack : String(e)}`);
    assert.equal(e.location.file, file);
    assert.match(e.message, new RegExp(`^${file.replace(/\./g, '\\.')}:\\d+(:\\d+)?: \\S`), `no line in ${JSON.stringify(e.message)} for ${JSON.stringify(text)}`);
  }
}

describe('loaders: a result or a ConfigError with file:line', () => {
  it('inventories: mutated INI and YAML inventories', () => {
    fc.assert(
      fc.property(fc.constantFrom(['hosts.ini', BASE_INI], ['hosts.yml', BASE_YAML], ['hosts', BASE_INI], ['hosts', BASE_YAML]), fc.array(mutation, { minLength: 1, maxLength: 4 }), ([file, base], muts) => {
        const text = mutate(base, muts);
        loaderChecks(() => parseInventory(text, file), file, text);
      }),
      { numRuns: 500, seed: 5150 },
    );
  });

  it('inventories: INI lines in any order, YAML groups of any type', () => {
    fc.assert(
      fc.property(fc.oneof(fc.array(INI_LINE, { maxLength: 12 }).map((ls) => ['inv.ini', ls.join('\n')] as const), inventoryDoc.map((d) => ['inv.yml', toYaml(d).trimStart()] as const)), ([file, text]) => {
        loaderChecks(() => parseInventory(text, file), file, text);
      }),
      { numRuns: 400, seed: 77 },
    );
  });

  it('alias chains of any width and depth (billion laughs): loaded when small, refused with a line when a bomb', () => {
    const chain = (width: number, depth: number, indent: string): string => {
      const lines = [`${indent}l0: &l0 [${Array(width).fill('x').join(', ')}]`];
      for (let d = 1; d < depth; d++) lines.push(`${indent}l${d}: &l${d} [${Array(width).fill(`*l${d - 1}`).join(', ')}]`);
      return lines.join('\n');
    };
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 9 }), (width, depth) => {
        const inv = `all:\n  hosts:\n    h1:\n  vars:\n${chain(width, depth, '    ')}\n`;
        loaderChecks(() => parseInventory(inv, 'bomb.yml'), 'bomb.yml', inv);
        const pb = `- name: p\n  hosts: all\n  vars:\n${chain(width, depth, '    ')}\n  steps: []\n`;
        loaderChecks(() => parsePlaybook(pb, 'bomb.yaml', KINDS), 'bomb.yaml', pb);
        if (width ** depth > 10_000_000) {
          assert.throws(() => parseInventory(inv, 'bomb.yml'), /alias/i);
          assert.throws(() => parsePlaybook(pb, 'bomb.yaml', KINDS), /alias/i);
        }
      }),
      { numRuns: 60, seed: 1 },
    );
  });

  it('playbooks: mutated playbooks and plays/steps with values of any type', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.array(mutation, { minLength: 1, maxLength: 4 }).map((m) => mutate(BASE_PLAYBOOK, m)),
          playbookDoc.map((d) => toYaml(d).trimStart()),
          fc.string({ maxLength: 300, unit: 'binary' }),
        ),
        (text) => loaderChecks(() => parsePlaybook(text, 'site.yaml', KINDS), 'site.yaml', text),
      ),
      { numRuns: 600, seed: 2024 },
    );
  });
});

// -- the CLI -------------------------------------------------------------------

interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * main(argv) of src/cli.ts in this process, with its stdout and stderr
 * captured: it runs in a worker thread (test/fuzz/main-worker.ts), whose
 * streams are its own, so the test runner's report is not caught with them.
 */
const worker = new Worker(
  // a worker does not inherit tsx's loader: register it first, as bin/passthru.js does
  `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(new URL('./main-worker.ts', import.meta.url).href)}); })`,
  { eval: true },
);
after(() => worker.terminate());
let nextId = 0;
function runMain(argv: string[]): Promise<Captured> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    const onMessage = (m: Captured & { id: number }): void => {
      if (m.id !== id) return;
      worker.off('message', onMessage);
      worker.off('error', reject);
      resolve(m);
    };
    worker.on('message', onMessage);
    worker.once('error', reject);
    worker.postMessage({ id, argv });
  });
}

const STACK = /^\s+at .+(:\d+:\d+\)?|\(native\))$/m;

function assertCliError(r: Captured, file: string, what: string): void {
  const all = r.stdout + r.stderr;
  assert.doesNotMatch(all, STACK, `stack trace for ${what}:\n${all}`);
  assert.doesNotMatch(all, /internal error/, `internal error for ${what}:\n${all}`);
  assert.equal(r.code, 1, `exit code for ${what}:\n${all}`);
  const first = r.stderr.split('\n')[0] ?? '';
  assert.ok(first.startsWith(`error: ${file}:`), `the message names ${file} first, for ${what}:\n${r.stderr}`);
  assert.match(first.slice(`error: ${file}`.length), /^:\d+(:\d+)?: \S/, `no line in the message for ${what}:\n${r.stderr}`);
}

describe('the CLI on bad files: exit 1 and FILE:LINE, never a stack trace', () => {
  const goodInventory = join(dir, 'good.ini');
  writeFileSync(goodInventory, '[compute]\nc1 ansible_host=127.0.51.254 ansible_port=1\n');
  // a playbook whose only play matches no host: a good inventory is loaded and nothing is contacted
  const noHostPlaybook = join(dir, 'nohost.yaml');
  writeFileSync(noHostPlaybook, '- name: nothing\n  hosts: zz_no_such_group\n  steps:\n    - name: s\n      command: ["true"]\n');

  it('bad inventories', async () => {
    let bad = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.tuple(fc.constantFrom(['hosts.ini', BASE_INI], ['hosts.yml', BASE_YAML]), fc.array(mutation, { minLength: 1, maxLength: 4 })).map(([[name, base], m]) => [name, mutate(base, m)] as const),
          fc.array(INI_LINE, { maxLength: 12 }).map((ls) => ['inv.ini', ls.join('\n')] as const),
          inventoryDoc.map((d) => ['inv.yml', toYaml(d).trimStart()] as const),
        ),
        async ([name, text]) => {
          const file = join(dir, name);
          writeFileSync(file, text);
          let loads = true;
          try {
            parseInventory(text, file);
          } catch {
            loads = false;
          }
          const r = await runMain(['run', noHostPlaybook, '-i', file, '--check']);
          if (loads) {
            assert.equal(r.code, 0, `a good inventory (${JSON.stringify(text)}):\n${r.stdout}${r.stderr}`);
            return;
          }
          bad++;
          assertCliError(r, file, JSON.stringify(text));
        },
      ),
      { numRuns: 150, seed: 31337 },
    );
    assert.ok(bad > 50, `only ${bad} of the generated inventories were bad`);
  });

  it('bad playbooks', async () => {
    let bad = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.array(mutation, { minLength: 1, maxLength: 4 }).map((m) => mutate(BASE_PLAYBOOK, m)),
          playbookDoc.map((d) => toYaml(d).trimStart()),
          fc.string({ maxLength: 200, unit: 'binary' }),
        ),
        async (text) => {
          const file = join(dir, 'site.yaml');
          writeFileSync(file, text);
          let loads = true;
          try {
            parsePlaybook(text, file, KINDS);
          } catch {
            loads = false;
          }
          const r = await runMain(['run', file, '-i', goodInventory, '--check']);
          if (loads) {
            // it ran: the one host refuses the connection (or matches no play)
            assert.ok([0, 2, 4].includes(r.code), `a good playbook (${JSON.stringify(text)}) exited ${r.code}:\n${r.stdout}${r.stderr}`);
            assert.doesNotMatch(r.stdout + r.stderr, STACK);
            return;
          }
          bad++;
          assertCliError(r, file, JSON.stringify(text));
        },
      ),
      { numRuns: 150, seed: 4711 },
    );
    assert.ok(bad > 50, `only ${bad} of the generated playbooks were bad`);
  });
});

// -- every flag of every subcommand ---------------------------------------------

/**
 * Good and bad values of each string flag (boolean flags are covered by
 * themselves: given alone is good, given a value is bad). A flag of a
 * command's table (src/cli/spec.ts) without an entry here fails the test, so
 * a new flag cannot go unfuzzed. `null` for good: the flag is not run with a
 * good value here (it would start a lab: test/commands/cli-pipe.test.ts does).
 */
interface FlagCase {
  good: string[] | null;
  bad: string[];
}

describe('every flag of every subcommand: the exit code, never a stack trace', () => {
  const flagDir = join(dir, 'flags');
  mkdirSync(flagDir, { recursive: true });
  const inventory = join(flagDir, 'hosts.ini');
  // one host where nothing listens: exec's good values end in "unreachable" (4) at once
  writeFileSync(inventory, '[compute]\nc1 ansible_host=127.0.51.254 ansible_port=1\n');
  // a play that matches no host: run's good values load everything and contact nothing (0)
  const playbook = join(flagDir, 'site.yaml');
  writeFileSync(playbook, '- name: nothing\n  hosts: zz_no_such_group\n  steps:\n    - name: s\n      command: ["true"]\n      tags: [t1]\n    - name: second\n      command: ["true"]\n');
  const varsFile = join(flagDir, 'vars.yml');
  writeFileSync(varsFile, 'a: 1\n');
  const keyFile = join(flagDir, 'id_test');
  writeFileSync(keyFile, 'not a key: never used, nothing is contacted\n');
  const emptyLabDir = join(flagDir, 'lab');
  mkdirSync(emptyLabDir);
  const report = join(flagDir, 'report.json');

  const n = { good: ['1', '7', '50'], bad: ['0', '2.5', '-1', 'ten', '', '1e3', '0x10'] };
  const seconds = { good: ['1', '30'], bad: ['0', '1.5', '-5', 'x', ''] };
  const cases: Record<string, FlagCase> = {
    inventory: { good: [inventory], bad: ['/no/such/inventory.ini', '', flagDir + '/missing.yml'] },
    limit: { good: ['c1', 'all:!c1', 'c*'], bad: ['@/no/such/report.json', '', 'zz*'] },
    tags: { good: ['t1', 't1,untagged', 'all', 'always', ''], bad: ['nosuchtag', 't2', 't1,t2'] },
    'skip-tags': { good: ['t1', ''], bad: ['nosuchtag'] },
    'start-at-step': { good: ['s', 'second'], bad: ['no such step', ''] },
    forks: n,
    serial: { good: ['1', '25%', '1,25%,100%'], bad: ['x', '1.5', '-1', '%', ''] },
    'max-fail-percentage': { good: ['0', '100', '12.5', '25%'], bad: ['150', '-1', 'x', '', '100.1'] },
    'extra-vars': { good: ['a=1', `@${varsFile}`, '{"b": 2}'], bad: ['@/no/such/vars.yml', '{bad', '=', 'novalue'] },
    json: { good: [report], bad: ['/no/such/dir/r.json', flagDir, ''] },
    html: { good: [join(flagDir, 'report.html')], bad: ['/no/such/dir/r.html', flagDir, ''] },
    'playbook-dir': { good: [flagDir], bad: [''] },
    'ssh-config': { good: [join(flagDir, 'no-ssh-config')], bad: [''] },
    user: { good: ['ops', 'root'], bad: ['two words', ''] },
    'private-key': { good: [keyFile], bad: ['/no/such/key', ''] },
    timeout: seconds,
    'task-timeout': seconds,
    'ssh-common-args': { good: ['-o ConnectTimeout=5 -J ops@bastion', '-o StrictHostKeyChecking=accept-new'], bad: ["'unclosed", '-Z', '-o Port=99999', '-o ProxyCommand=nc x 22'] },
    'ssh-extra-args': { good: ['-o UserKnownHostsFile=/dev/null'], bad: ['-p', '-o'] },
    'become-user': { good: ['root', 'nova'], bad: ['a b', ''] },
    host: { good: ['c1'], bad: ['nosuch', ''] },
    computes: { good: null, bad: ['0', '5001', '2.5', 'x', ''] },
    dir: { good: null, bad: [''] },
  };
  /** lab down --dir: stopping "no lab" in an empty directory is harmless */
  const labDownDir = { good: [emptyLabDir], bad: [''] };

  /** argv before the flag, and the exit code of a good run */
  const bases: Record<string, { argv: string[]; ok: number; tail?: string[] }> = {
    run: { argv: ['run', playbook, '-i', inventory], ok: 0 },
    exec: { argv: ['exec', '-i', inventory, 'c1'], ok: 4, tail: ['--', 'true'] },
    inventory: { argv: ['inventory', '-i', inventory, '--list'], ok: 0 },
    lab: { argv: ['lab'], ok: 0 },
    'lab up': { argv: ['lab', 'up'], ok: 0 },
    'lab down': { argv: ['lab', 'down'], ok: 0 },
    demo: { argv: ['demo'], ok: 0 },
  };
  /** good values that end in a usage error all the same (-K: there is no terminal here) */
  // inventory: --graph, --host beside the base's --list conflict (ansible-inventory refuses them together too)
  const goodButUsage = new Set(['run:ask-become-pass', 'exec:ask-become-pass', 'inventory:vars', 'inventory:graph', 'inventory:host']);

  function check(r: Captured, argv: string[], code: number): void {
    const what = `passthru ${argv.map((a) => JSON.stringify(a)).join(' ')}`;
    const all = r.stdout + r.stderr;
    assert.doesNotMatch(all, STACK, `stack trace for ${what}:\n${all}`);
    assert.doesNotMatch(all, /internal error/, `internal error for ${what}:\n${all}`);
    assert.equal(r.code, code, `exit code of ${what}:\n${all}`);
    if (code === 1) {
      assert.match(r.stderr, /^error: \S/, `one error line for ${what}:\n${all}`);
      assert.equal(r.stderr.split('\n').filter((l) => l.startsWith('error:')).length, 1, `one error for ${what}:\n${all}`);
    }
  }

  const argvWith = (spec: string, flag: string[]): string[] => {
    const b = bases[spec];
    assert.ok(b, `no base command line for ${spec}`);
    return [...b.argv, ...flag, ...(b.tail ?? [])];
  };

  it('good and bad values of every flag', async () => {
    let runs = 0;
    for (const spec of ALL_SPECS) {
      const b = bases[spec.name];
      assert.ok(b, `the test has no base command line for '${spec.name}'`);
      for (const f of spec.flags) {
        if (f.name === 'help') continue;
        const names = [`--${f.name}`, ...(f.aliases ?? []).map((a) => `--${a}`), ...(f.short ? [`-${f.short}`] : [])];
        if (f.type === 'boolean') {
          // a boolean alone is good (except where the command cannot run here), with a value it is a usage error
          const okCode = goodButUsage.has(`${spec.name}:${f.name}`) ? 1 : b.ok;
          if (spec.name !== 'lab' && spec.name !== 'demo') {
            for (const name of names) {
              const argv = argvWith(spec.name, f.multiple ? [name, name] : [name]);
              check(await runMain(argv), argv, okCode);
              runs++;
            }
          }
          const argv = argvWith(spec.name, [`--${f.name}=yes`]);
          check(await runMain(argv), argv, 1);
          runs++;
          continue;
        }
        const c = spec.name === 'lab down' && f.name === 'dir' ? labDownDir : cases[f.name];
        assert.ok(c, `the fuzz test has no values for ${spec.name} --${f.name}: add them`);
        for (const v of c.good ?? []) {
          for (const name of names) {
            const argv = argvWith(spec.name, [name, v]);
            check(await runMain(argv), argv, goodButUsage.has(`${spec.name}:${f.name}`) ? 1 : b.ok);
            runs++;
          }
        }
        for (const v of c.bad) {
          const argv = argvWith(spec.name, [`--${f.name}`, v]);
          check(await runMain(argv), argv, 1);
          runs++;
        }
        // the flag without its value (last, or just before exec's `--`)
        const missing = argvWith(spec.name, [`--${f.name}`]);
        check(await runMain(missing), missing, 1);
        runs++;
      }
      // an unknown flag and a misspelt one
      for (const flag of ['--no-such-flag', `--${spec.flags[0]?.name ?? 'x'}x`, '-Q']) {
        const argv = argvWith(spec.name, [flag]);
        check(await runMain(argv), argv, 1);
        runs++;
      }
    }
    assert.ok(runs > 250, `only ${runs} command lines were tried`);
  });

  it('random command lines of run flags, values and typos', async () => {
    const run = ALL_SPECS.find((s) => s.name === 'run');
    assert.ok(run);
    // not --json, --html: a random word after them would be a report file written in the current directory
    const flagWords = run.flags.filter((f) => f.name !== 'help' && f.name !== 'json' && f.name !== 'html').flatMap((f) => [`--${f.name}`, ...(f.short ? [`-${f.short}`] : []), ...(f.aliases ?? []).map((a) => `--${a}`)]);
    const values = [...new Set(Object.values(cases).flatMap((c) => [...(c.good ?? []), ...c.bad]))].filter((v) => !v.startsWith('/') || v.startsWith(flagDir) || v.startsWith('/no/such'));
    const word = fc.oneof(
      fc.constantFrom(...flagWords),
      fc.constantFrom(...flagWords).map((w) => `${w}x`),
      fc.constantFrom(...flagWords).map((w) => w.slice(0, -1)),
      fc.constantFrom(...values),
      fc.constantFrom('-vvv', '-Cv', '-fx', '--', '-', '--=', '-e=', '--forks=3', '--check=no'),
      fc.string({ maxLength: 6 }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(word, { maxLength: 6 }), async (words) => {
        const argv = ['run', playbook, '-i', inventory, ...words];
        const r = await runMain(argv);
        const all = r.stdout + r.stderr;
        assert.doesNotMatch(all, STACK, `stack trace for ${JSON.stringify(argv)}:\n${all}`);
        assert.doesNotMatch(all, /internal error/, `internal error for ${JSON.stringify(argv)}:\n${all}`);
        assert.ok([0, 1].includes(r.code ?? -1), `exit ${r.code} for ${JSON.stringify(argv)}:\n${all}`);
        if (r.code === 1) assert.match(r.stderr, /^error: \S/, `${JSON.stringify(argv)}:\n${all}`);
      }),
      { numRuns: 300, seed: 1616 },
    );
  });
});
