import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ConfigError } from '../../src/errors.ts';
import { loadPlaybook, locate, parsePlaybook, renderArgs, type Playbook } from '../../src/playbook/index.ts';

const FIXTURES = fileURLToPath(new URL('../fixtures/playbook/', import.meta.url));
const kinds = new Set(['ini', 'reboot', 'command', 'service', 'lineinfile', 'assert']);
const opts = { kinds };

function parse(text: string): Playbook {
  return parsePlaybook(text, 'pb.yaml', opts);
}

/** The ConfigError that parsing `text` throws. */
function errorOf(text: string, file = 'pb.yaml'): ConfigError {
  try {
    parsePlaybook(text, file, opts);
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected the playbook to be refused');
}

const lines = (...l: string[]): string => `${l.join('\n')}\n`;

describe('loadPlaybook: a playbook with every key', () => {
  it('reads plays, steps, handlers and vars_files relative to the playbook', async () => {
    const pb = await loadPlaybook(join(FIXTURES, 'gpu-rollout.yaml'), opts);
    assert.equal(pb.plays.length, 1);
    const play = pb.plays[0]!;
    assert.equal(play.name, 'GPU passthrough on computes');
    assert.equal(play.hosts, 'compute:!maintenance');
    assert.deepEqual(play.serial, [1, '50%']);
    assert.equal(play.maxFailPercentage, 25);
    assert.equal(play.anyErrorsFatal, false);
    assert.equal(play.become, true, 'yes is a boolean, as in Ansible (YAML 1.1)');
    assert.equal(play.becomeUser, 'root');
    assert.deepEqual(play.tags, ['kernel', 'nova'], 'a comma-separated string is a list of tags');
    // vars_files win over vars (Ansible's precedence)
    assert.equal(play.vars['gpu_count'], 2);
    assert.equal(play.vars['grub_file'], '/etc/default/grub');
    assert.deepEqual((play.vars['aliases'] as unknown[])[0], { name: 'rtx2080ti', vendor_id: '10de', product_id: '1e04' });
    assert.deepEqual(play.location, { file: join(FIXTURES, 'gpu-rollout.yaml'), line: 2, column: 3 });

    const [grub, reboot] = play.steps;
    assert.ok(grub && reboot);
    assert.equal(grub.name, 'kernel arguments');
    assert.equal(grub.kind, 'ini');
    assert.deepEqual(grub.args, { path: '{{ grub_file }}', option: 'GRUB_CMDLINE_LINUX', value: '{{ iommu_arg }}' });
    assert.deepEqual(grub.when, ['gpu_count | int > 0', "'compute' in group_names"]);
    assert.equal(grub.register, 'grub');
    assert.deepEqual(grub.notify, ['rebuild grub config']);
    assert.equal(grub.timeoutMs, 30_000);
    assert.equal(grub.retries, 0);
    assert.equal(grub.location.line, 18);

    assert.equal(reboot.kind, 'reboot');
    assert.deepEqual(reboot.args, {}, 'an empty action means no arguments');
    assert.deepEqual(reboot.when, ['grub is changed']);
    assert.equal(reboot.become, true);
    assert.equal(reboot.retries, 2);
    assert.equal(reboot.delayMs, 500);
    assert.equal(reboot.until, 'reboot_result.uptime | int < 300');
    assert.equal(reboot.ignoreErrors, false);
    assert.equal(reboot.changedWhen, 'false');
    assert.equal(reboot.failedWhen, "(reboot_result.rc != 0) and (not (reboot_result.stderr | default('') == ''))");
    assert.equal(reboot.location.line, 31);

    const h = play.handlers[0]!;
    assert.equal(h.kind, 'command');
    assert.equal(h.args, 'grub2-mkconfig -o /boot/grub2/grub.cfg', 'free-form arguments are kept as written');
    assert.deepEqual(h.listen, ['grub changed']);
  });

  it('locate() names the line of an argument, and renderArgs() errors point at it', async () => {
    const pb = await loadPlaybook(join(FIXTURES, 'gpu-rollout.yaml'), opts);
    const step = pb.plays[0]!.steps[0]!;
    assert.equal(locate(step, ['ini', 'value']).line, 22);
    assert.equal(locate(step, ['when', 1]).line, 25);
    assert.equal(locate(step, ['no', 'such', 'path']).line, 18, 'an unknown path names the step');
    assert.throws(
      () => renderArgs(step, { grub_file: '/etc/default/grub' }),
      (e: unknown) => e instanceof ConfigError && /gpu-rollout\.yaml:22:16: undefined variable "iommu_arg"/.test(e.message),
    );
    const rendered = renderArgs(step, { grub_file: '/etc/default/grub', iommu_arg: 'intel_iommu=on' });
    assert.deepEqual(rendered, { path: '/etc/default/grub', option: 'GRUB_CMDLINE_LINUX', value: 'intel_iommu=on' });
  });

  it('defaults: retries 3 with until (as Ansible), delay 5 s, play name = hosts', () => {
    const pb = parse(lines('- hosts: compute', '  steps:', '    - name: wait', '      command: uptime', '      until: x is defined'));
    const play = pb.plays[0]!;
    assert.equal(play.name, 'compute');
    assert.equal(play.become, undefined);
    assert.equal(play.serial, undefined);
    assert.deepEqual(play.handlers, []);
    const s = play.steps[0]!;
    assert.equal(s.retries, 3);
    assert.equal(s.delayMs, 5000);
    assert.equal(s.timeoutMs, undefined);
    assert.equal('register' in s, false);
  });

  it('strips {{ }} around a whole when: expression, takes booleans, and hosts lists', () => {
    const pb = parse(lines('- hosts: [controller, compute]', '  steps:', '    - name: a', '      command: x', '      when: "{{ flag | bool }}"', '      changed_when: false'));
    assert.equal(pb.plays[0]!.hosts, 'controller,compute');
    assert.deepEqual(pb.plays[0]!.steps[0]!.when, ['flag | bool']);
    assert.equal(pb.plays[0]!.steps[0]!.changedWhen, 'false');
  });
});

describe('parsePlaybook: errors name file:line:column', () => {
  it('unknown play key, with "did you mean"', () => {
    const e = errorOf(lines('- name: p', '  hosts: compute', '  serail: 1', '  steps: []'));
    assert.equal(e.message, 'pb.yaml:3:3: play "p": unknown key "serail" (did you mean "serial"?)');
    assert.match(e.hint ?? '', /play keys: .*serial/);
  });

  it('Ansible keys that passthru does not take say what to do', () => {
    const e = errorOf(lines('- hosts: compute', '  tasks:', '    - name: a', '      command: x'));
    assert.equal(e.message, 'pb.yaml:2:3: play 1: "tasks" is not supported');
    assert.match(e.hint ?? '', /rename "tasks:" to "steps:"/);
    const l = errorOf(lines('- hosts: compute', '  steps:', '    - name: a', '      command: x', '      loop: [1, 2]'));
    assert.equal(l.message, 'pb.yaml:5:7: play 1: step "a": "loop" is not supported');
    const w = errorOf(lines('- hosts: compute', '  steps:', '    - name: a', '      command: x', '      with_items: [1, 2]'));
    assert.match(w.message, /^pb\.yaml:5:7: .*"with_items" is not supported/);
  });

  it('unknown step kind: lists the kinds and suggests the closest', () => {
    const e = errorOf(lines('- hosts: compute', '  steps:', '    - name: set option', '      inii:', '        path: /etc/x'));
    assert.equal(e.message, 'pb.yaml:4:7: play 1: step "set option": unknown step kind "inii" (did you mean "ini"?)');
    assert.equal(e.hint, 'step kinds: assert, command, ini, lineinfile, reboot, service');
    const far = errorOf(lines('- hosts: compute', '  steps:', '    - name: x', '      yum: {name: vim}'));
    assert.equal(far.message, 'pb.yaml:4:7: play 1: step "x": unknown step kind "yum"');
  });

  it('unknown step key next to an action: did you mean', () => {
    const e = errorOf(lines('- hosts: compute', '  steps:', '    - name: x', '      command: ls', '      whn: a == 1'));
    assert.equal(e.message, 'pb.yaml:5:7: play 1: step "x": unknown step key "whn" (did you mean "when"?)');
  });

  it('a step without an action, or with two', () => {
    const none = errorOf(lines('- hosts: compute', '  steps:', '    - name: nothing', '      when: true'));
    assert.equal(none.message, 'pb.yaml:3:7: play 1: step "nothing" has no action');
    assert.match(none.hint ?? '', /step kinds: assert, command/);
    const two = errorOf(lines('- hosts: compute', '  steps:', '    - name: both', '      command: ls', '      reboot: {}'));
    assert.equal(two.message, 'pb.yaml:5:7: play 1: step "both" has 2 actions (command, reboot); a step does one thing');
  });

  it('a step without a name', () => {
    const e = errorOf(lines('- hosts: compute', '  steps:', '    - name: first', '      command: ls', '    - command: uptime'));
    assert.equal(e.message, 'pb.yaml:5:7: play 1: step 2 (command) has no name');
  });

  it('wrong value types name the value', () => {
    const b = errorOf(lines('- hosts: compute', '  become: sometimes', '  steps: []'));
    assert.equal(b.message, 'pb.yaml:2:11: play 1: become must be true or false (got string "sometimes")');
    const t = errorOf(lines('- hosts: compute', '  steps:', '    - name: a', '      command: ls', '      timeout: -5'));
    assert.equal(t.message, 'pb.yaml:5:16: play 1: step "a": timeout must be more than 0 seconds');
    const r = errorOf(lines('- hosts: compute', '  steps:', '    - name: a', '      command: ls', '      retries: "{{ n }}"'));
    assert.match(r.message, /^pb\.yaml:5:16: play 1: step "a": retries must be a whole number, 0 or more \(got string/);
    assert.match(r.hint ?? '', /not templated/);
    const reg = errorOf(lines('- hosts: compute', '  steps:', '    - name: a', '      command: ls', '      register: my-result'));
    assert.match(reg.message, /^pb\.yaml:5:17: .*register must be a variable name/);
  });

  it('a wrong item in a list names the item', () => {
    const e = errorOf(lines('- hosts: compute', '  serial:', '    - 1', '    - "lots"', '  steps: []'));
    assert.equal(e.message, 'pb.yaml:4:7: play 1: serial item 2 must be a number of hosts or a percentage like "25%" (got string "lots")');
    const tags = errorOf(lines('- hosts: compute', '  steps:', '    - name: a', '      command: ls', '      tags: [ok, {no: 1}]'));
    assert.match(tags.message, /^pb\.yaml:5:18: .*tags item 2 must be a string/);
  });

  it('max_fail_percentage is 0-100, serial percent at most 100%', () => {
    assert.equal(errorOf(lines('- hosts: c', '  max_fail_percentage: 150', '  steps: []')).message, 'pb.yaml:2:24: play 1: max_fail_percentage must be a number from 0 to 100');
    assert.equal(errorOf(lines('- hosts: c', '  serial: "150%"', '  steps: []')).message, 'pb.yaml:2:11: play 1: serial 150% is more than 100%');
  });

  it('notify: an unknown handler is an error at load time', () => {
    const e = errorOf(
      lines(
        '- hosts: compute',
        '  steps:',
        '    - name: conf',
        '      ini: {path: /etc/nova/nova.conf}',
        '      notify:',
        '        - restart nova-compute',
        '        - restart nova-api',
        '  handlers:',
        '    - name: restart nova-compute',
        '      service: {name: nova-compute, state: restarted}',
        '    - name: restart all',
        '      service: {name: nova, state: restarted}',
        '      listen: restart nova-ap1',
      ),
    );
    assert.equal(e.message, 'pb.yaml:7:11: play 1: step "conf" notifies "restart nova-api", but the play has no handler of that name (did you mean "restart nova-ap1"?)');
    assert.equal(e.hint, 'handlers of this play: restart all, restart nova-ap1, restart nova-compute');
  });

  it('notify may name a listen topic; handler names are unique; listen is for handlers only', () => {
    const ok = parse(
      lines('- hosts: c', '  steps:', '    - {name: a, command: x, notify: restarts}', '  handlers:', '    - {name: h, command: y, listen: [restarts]}'),
    );
    assert.deepEqual(ok.plays[0]!.steps[0]!.notify, ['restarts']);
    const dup = errorOf(lines('- hosts: c', '  steps: []', '  handlers:', '    - {name: h, command: y}', '    - {name: h, command: z}'));
    assert.equal(dup.message, 'pb.yaml:5:14: play 1: two handlers are named "h"');
    const listen = errorOf(lines('- hosts: c', '  steps:', '    - {name: a, command: x, listen: t}'));
    assert.equal(listen.message, 'pb.yaml:3:29: play 1: step "a": listen: is only for handlers');
  });

  it('expression syntax is checked at load time, at the line of the expression', () => {
    const e = errorOf(lines('- hosts: c', '  steps:', '    - name: a', '      command: x', '      when:', '        - a == 1', '        - b ==== 2'));
    assert.match(e.message, /^pb\.yaml:7:11: play 1: step "a": when: unexpected "==" at character 5 of "b ==== 2"/);
    const f = errorOf(lines('- hosts: c', '  steps:', '    - name: a', '      command:', '        cmd: "echo {{ x | uper }}"'));
    assert.match(f.message, /^pb\.yaml:5:14: unknown filter "uper" \(did you mean "upper"\?\)/);
    const u = errorOf(lines('- hosts: c', '  steps:', '    - name: a', '      command: x', '      until: "x and"'));
    assert.match(u.message, /^pb\.yaml:5:14: .*until: unexpected end of expression/);
  });

  it('variables: names must be identifiers; vars_files must exist', () => {
    const v = errorOf(lines('- hosts: c', '  vars:', '    gpu-alias: x', '  steps: []'));
    assert.equal(v.message, 'pb.yaml:3:5: "gpu-alias" is not a valid variable name');
    const dir = mkdtempSync(join(tmpdir(), 'passthru-pb-'));
    try {
      const file = join(dir, 'site.yaml');
      writeFileSync(join(dir, 'bad.yaml'), 'a: 1\nb: [1,\n');
      const missing = errorOf(lines('- hosts: c', '  vars_files:', '    - nope.yaml', '  steps: []'), file);
      assert.equal(missing.message, `${file}:3:7: play 1: vars file "nope.yaml" not found (looked for ${join(dir, 'nope.yaml')})`);
      const bad = errorOf(lines('- hosts: c', '  vars_files: bad.yaml', '  steps: []'), file);
      assert.match(bad.message, new RegExp(`^${join(dir, 'bad.yaml').replace(/[.]/g, '\\.')}:3:1: YAML: `));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the shape of the document', () => {
    assert.equal(errorOf('').message, 'pb.yaml:1:1: the playbook is empty');
    assert.equal(errorOf('# only a comment\n').message, 'pb.yaml:1:1: the playbook is empty');
    assert.equal(errorOf('[]\n').message, 'pb.yaml:1:1: the playbook has no plays');
    const single = errorOf(lines('name: p', 'hosts: compute', 'steps: []'));
    assert.equal(single.message, 'pb.yaml:1:1: a playbook is a list of plays, not a single play');
    assert.match(single.hint ?? '', /start the play with "- "/);
    assert.equal(errorOf(lines('- hosts: c', '  steps: []', '- just text')).message, 'pb.yaml:3:3: play 2 must be a mapping (name:, hosts:, steps:), not a string');
    assert.equal(errorOf(lines('- name: p', '  steps: []')).message, 'pb.yaml:1:3: play "p" has no hosts');
    assert.equal(errorOf(lines('- hosts: c', '  steps:', '    - run something')).message, 'pb.yaml:3:7: play 1: step 1 must be a mapping with a name and one action, not a string');
    assert.equal(errorOf(lines('- hosts: c', '  steps: {name: a}')).message, 'pb.yaml:2:10: play 1: steps must be a list of steps (each one starting with "- name:") (got mapping)');
  });

  it('YAML syntax errors: duplicate keys, bad indentation, a file cut short', () => {
    const dup = errorOf(lines('- hosts: c', '  steps: []', '  hosts: d'));
    assert.match(dup.message, /^pb\.yaml:3:3: YAML: map keys must be unique/);
    assert.match(dup.hint ?? '', /each key may appear once/);
    const cut = errorOf('- hosts: c\n  steps:\n    - name: "half');
    assert.match(cut.message, /^pb\.yaml:3:18: YAML: missing closing "quote/);
    const tab = errorOf('- hosts: c\n  steps:\n\t- name: x\n');
    assert.match(tab.message, /^pb\.yaml:3:1: YAML: /);
  });
});

describe('docs/playbook-format.md', () => {
  it('the short example loads as documented', () => {
    const doc = readFileSync(new URL('../../docs/playbook-format.md', import.meta.url), 'utf8');
    const example = /## A short example\n\n```yaml\n([\s\S]*?)```/.exec(doc)?.[1];
    assert.ok(example, 'the example is in the docs');
    const pb = parsePlaybook(example, 'example.yaml', opts);
    const play = pb.plays[0]!;
    assert.deepEqual(play.serial, [1, '50%']);
    assert.equal(play.maxFailPercentage, 0);
    assert.deepEqual(play.steps.map((s) => s.kind), ['lineinfile', 'reboot']);
    assert.deepEqual(play.steps[0]!.notify, ['rebuild grub config']);
    assert.deepEqual(renderArgs(play.steps[0]!, { ...play.vars, cpu_vendor: 'amd' }), {
      path: '/etc/default/grub',
      regexp: '^GRUB_CMDLINE_LINUX=',
      line: 'GRUB_CMDLINE_LINUX="quiet amd_iommu=on"',
    });
  });
});

describe('parsePlaybook: nesting too deep', () => {
  it('deeply nested YAML or expressions: a ConfigError with the line', () => {
    const yaml = errorOf(`- hosts: c\n  steps:\n    - name: x\n      command: ${'['.repeat(5000)}${']'.repeat(5000)}\n`);
    assert.match(yaml.message, /^pb\.yaml:4:\d+: YAML: /);
    const expr = errorOf(`- hosts: c\n  steps:\n    - name: x\n      command: x\n      when: "${'not '.repeat(5000)}x"\n`);
    assert.match(expr.message, /^pb\.yaml:5:13: play 1: step "x": when: the expression is nested more than 100 levels deep/);
    assert.ok(expr.message.length < 300, 'the message quotes only an excerpt');
  });
});

describe('parsePlaybook: any text gives a Playbook or one ConfigError with file:line', () => {
  const base = readValid();
  function readValid(): string {
    return lines(
      '- name: GPU passthrough',
      '  hosts: compute',
      '  serial: [1, "50%"]',
      '  vars: {gpu_vendor: "10de", aliases: [a, b]}',
      '  steps:',
      '    - name: kernel arguments',
      '      ini: {path: /etc/default/grub, value: "{{ gpu_vendor }}"}',
      '      when: gpu_vendor is defined and gpu_vendor != ""',
      '      register: grub',
      '      notify: rebuild',
      '    - name: reboot',
      '      reboot: {}',
      '      retries: 2',
      '  handlers:',
      '    - name: rebuild',
      '      command: grub2-mkconfig -o /boot/grub2/grub.cfg',
    );
  }

  function check(text: string): void {
    try {
      const pb = parsePlaybook(text, 'fuzz.yaml', opts);
      assert.ok(Array.isArray(pb.plays) && pb.plays.length > 0);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw new Error(`not a ConfigError for ${JSON.stringify(text)}: ${String(e)}`);
      assert.match(e.message, /^fuzz\.yaml:\d+(:\d+)?: \S/, `no line number in ${JSON.stringify(e.message)} for ${JSON.stringify(text)}`);
    }
  }

  it('the valid base playbook loads', () => {
    assert.equal(parsePlaybook(base, 'fuzz.yaml', opts).plays[0]!.steps.length, 2);
  });

  it('mutations of a valid playbook (cut, spliced, characters replaced)', () => {
    const special = fc.constantFrom(':', '-', ' ', '\n', '\t', '{', '}', '[', ']', '"', "'", '&a', '*a', '!!', '|', '>', '#', '%', '@', '`', '{{', '}}', '\0', '\uFFFD', 'yes', '1e9', '~');
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), s: fc.oneof(special, fc.string({ maxLength: 6 })) }),
      fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 12 }) }),
      fc.record({ kind: fc.constant('dupline' as const), at: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (muts) => {
        let t = base;
        for (const m of muts) {
          const at = t.length === 0 ? 0 : m.at % (t.length + 1);
          if (m.kind === 'cut') t = t.slice(0, at);
          else if (m.kind === 'insert') t = t.slice(0, at) + m.s + t.slice(at);
          else if (m.kind === 'delete') t = t.slice(0, at) + t.slice(at + m.n);
          else {
            const ls = t.split('\n');
            const i = ls.length === 0 ? 0 : m.at % ls.length;
            ls.splice(i, 0, ls[i] ?? '');
            t = ls.join('\n');
          }
        }
        check(t);
      }),
      { numRuns: 600, seed: 424242 },
    );
  });

  it('generated YAML documents of any shape', () => {
    const key = fc.constantFrom('name', 'hosts', 'steps', 'handlers', 'vars', 'serial', 'when', 'notify', 'ini', 'reboot', 'tags', 'become', 'timeout', 'retries', 'x', 'listen', 'until');
    const { tree } = fc.letrec((tie) => ({
      tree: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.constantFrom(null, true, false, 0, -1, 1.5, '', 'compute', '25%', '{{ x }}', '{{', 'a ==', 'yes'),
        fc.array(tie('tree'), { maxLength: 4 }),
        fc.dictionary(key, tie('tree'), { maxKeys: 5 }),
      ),
    }));
    fc.assert(
      fc.property(fc.oneof(tree, fc.array(fc.dictionary(key, tree, { maxKeys: 6 }), { maxLength: 3 })), (doc) => {
        check(JSON.stringify(doc, null, 1));
      }),
      { numRuns: 400, seed: 7 },
    );
  });

  it('random text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200, unit: 'binary' }), (t) => check(t)),
      { numRuns: 300, seed: 99 },
    );
  });
});
