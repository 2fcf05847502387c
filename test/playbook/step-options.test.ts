// Every step's options are checked when the playbook is loaded (before any
// host is contacted), against its kind's schema: file:line:column, "did you
// mean" (Ansible's other names too), and the kind's section of docs/steps.md.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../src/errors.ts';
import { parsePlaybook } from '../../src/playbook/index.ts';
import { stepDocs } from '../../src/playbook/step-options.ts';
import { stepKinds } from '../../src/steps/registry.ts';

const kinds = stepKinds();
const pb = (step: string): string => `- name: p\n  hosts: all\n  steps:\n    - name: s\n${step}`;

function loadError(text: string): ConfigError {
  try {
    parsePlaybook(text, 'site.yaml', { kinds });
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e;
  }
  assert.fail('the playbook loaded');
}

test('a misspelt option is found at load time, at its key, with Ansible\'s name and the docs section', () => {
  const e = loadError(pb('      lineinfile:\n        path: /etc/default/grub\n        regex: "^GRUB_CMDLINE_LINUX="\n        line: x\n'));
  assert.equal(e.message, 'site.yaml:7:9: play "p": step "s": lineinfile: unknown option "regex" (did you mean "regexp"? "regex" is Ansible\'s other name for it)');
  assert.match(e.hint ?? '', /options of lineinfile: .*regexp/);
  assert.match(e.hint ?? '', /docs\/steps\.md#lineinfile/);
  assert.equal(e.exitCode, 1);
});

test('a typo gets the closest option; templated values do not hide a wrong name', () => {
  const e = loadError(pb('      reboot:\n        reboot_timout: "{{ t }}"\n'));
  assert.match(e.message, /^site\.yaml:6:9: .*reboot: unknown option "reboot_timout" \(did you mean "reboot_timeout"\?\)/);
});

test('a value of the wrong type is reported at the value', () => {
  const e = loadError(pb('      reboot:\n        reboot_timeout: soon\n'));
  assert.match(e.message, /^site\.yaml:6:25: .*reboot: reboot_timeout: /);
  assert.match(e.hint ?? '', /docs\/steps\.md#reboot/);
});

test('a mapping given to the command kind is checked as the mapping form', () => {
  const e = loadError(pb('      command:\n        argv: [ls]\n        read_only: true\n'));
  assert.match(e.message, /unknown option "read_only" \(did you mean "readonly"\?\)/);
});

test('templated values are checked on the host, not at load time; good options load', () => {
  const ok = parsePlaybook(pb('      reboot:\n        reboot_timeout: "{{ t | int }}"\n    - name: t\n      command: {argv: [ls], ok_codes: [0, 3]}\n'), 'site.yaml', { kinds });
  assert.equal(ok.plays[0]?.steps.length, 2);
});

test('every step kind has its section in docs/steps.md', () => {
  const doc = readFileSync(fileURLToPath(new URL('../../docs/steps.md', import.meta.url)), 'utf8');
  // GitHub's anchors: lower case, punctuation dropped, spaces to '-'
  const anchors = new Set(
    [...doc.matchAll(/^#{2,4} (.+)$/gm)].map((m) =>
      (m[1] ?? '')
        .toLowerCase()
        .replace(/[^\w\- ]/g, '')
        .replace(/ /g, '-'),
    ),
  );
  for (const kind of kinds.keys()) {
    const anchor = stepDocs(kind).split('#')[1] ?? '';
    assert.ok(anchors.has(anchor), `docs/steps.md has no section #${anchor} for ${kind}`);
  }
});
