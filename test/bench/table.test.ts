// The benchmark harness's pure parts: recap parsing, `times` / /proc parsing,
// ratios, targets and the tables. (The benchmark itself is `npm run bench`.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRecap } from './recap.ts';
import { parseTimes, statusField } from './measure.ts';
import { evaluateTargets, fmtRatio, ratio, resultsTable, targetsTable, type RunResult } from './table.ts';

// ansible-playbook 2.14 on the real lab (trailing spaces as printed)
const ANSIBLE_RECAP = `TASK [nova units active] *******************************************************
ok: [ctl]

PLAY RECAP *********************************************************************
cmp001                     : ok=24   changed=6    unreachable=0    failed=0    skipped=3    rescued=0    ignored=0   
cmp002                     : ok=22   changed=0    unreachable=0    failed=1    skipped=3    rescued=0    ignored=0   
cmp003                     : ok=2    changed=0    unreachable=1    failed=0    skipped=0    rescued=0    ignored=0   
ctl                        : ok=14   changed=3    unreachable=0    failed=0    skipped=1    rescued=0    ignored=0   

`;

// passthru run (plain output)
const PASSTHRU_RECAP = `20:18:00 PLAY [Verify guests] 0 hosts

PLAY RECAP
ctl    : ok=0 changed=0 unreachable=0 failed=1 skipped=0
cmp001 : ok=3 changed=2 unreachable=0 failed=0 skipped=0
cmp002 : ok=5 changed=0 unreachable=0 failed=0 skipped=1

slowest steps
  cmp001  preflight checks  0.0s
`;

test('the recap of ansible-playbook: changed, failed and unreachable hosts', () => {
  assert.deepEqual(parseRecap(ANSIBLE_RECAP), { hosts: 4, changedHosts: 2, changed: 9, failedHosts: 1, unreachableHosts: 1 });
});

test("the recap of passthru run (Ansible's line shape)", () => {
  assert.deepEqual(parseRecap(PASSTHRU_RECAP), { hosts: 3, changedHosts: 1, changed: 2, failedHosts: 1, unreachableHosts: 0 });
});

test('no recap (passthru exec, a crash): undefined', () => {
  assert.equal(parseRecap('cmp011 : ok rc=0\n13 ok, 0 failed, 0 unreachable, 246 ms\n'), undefined);
});

test("bash's times: the children's line, minutes included", () => {
  assert.deepEqual(parseTimes('0m0.004s 0m0.001s\n1m2.500s 0m0.250s\n'), { userS: 62.5, sysS: 0.25 });
  assert.equal(parseTimes(''), undefined);
});

test('/proc/<pid>/status: VmHWM and VmRSS in kB', () => {
  const status = 'Name:\tnode\nVmPeak:\t 1174616 kB\nVmHWM:\t  103452 kB\nVmRSS:\t   99876 kB\n';
  assert.equal(statusField(status, 'VmHWM'), 103452);
  assert.equal(statusField(status, 'VmRSS'), 99876);
  assert.equal(statusField('Name:\tzombie\n', 'VmHWM'), undefined);
});

test('ratio ansible/passthru, and the way it prints', () => {
  assert.equal(ratio(78.9, 3), 26.3);
  assert.equal(ratio(10, 0), undefined);
  assert.equal(ratio(undefined, 3), undefined);
  assert.equal(fmtRatio(26.3), '26x');
  assert.equal(fmtRatio(4.25), '4.3x');
  assert.equal(fmtRatio(undefined), '-');
});

function run(p: Partial<RunResult> & Pick<RunResult, 'tool' | 'computes' | 'phase' | 'wallS'>): RunResult {
  return { lab: 'real', cpuS: 1, peakRssMB: 120, exitCode: 0, ...p };
}

test('targets: time limits, the ratio to Ansible, scaling and memory', () => {
  const results: RunResult[] = [
    run({ tool: 'passthru', computes: 12, phase: 'apply', wallS: 5 }),
    run({ tool: 'passthru', computes: 12, phase: 'rerun', wallS: 0.8 }),
    run({ tool: 'passthru', computes: 12, phase: 'check', wallS: 1.2 }),
    run({ tool: 'ansible', computes: 12, phase: 'apply', wallS: 80, peakRssMB: undefined }),
    run({ tool: 'passthru', computes: 100, phase: 'apply', wallS: 11 }),
    run({ tool: 'passthru', computes: 100, phase: 'rerun', wallS: 2.5, peakRssMB: 410 }),
    run({ tool: 'passthru', computes: 100, phase: 'check', wallS: 2, exitCode: 2, failedHosts: 3 }),
  ];
  const byId = Object.fromEntries(evaluateTargets(results).map((t) => [t.id, t]));
  assert.equal(byId['apply-12']?.status, 'PASS');
  assert.equal(byId['ratio-12']?.status, 'PASS');
  assert.equal(byId['ratio-12']?.measured, '16x');
  assert.equal(byId['rerun-12']?.status, 'PASS');
  assert.equal(byId['check-12']?.status, 'MISS');
  assert.equal(byId['scale-apply']?.status, 'PASS'); // 2.2x
  assert.equal(byId['scale-rerun']?.status, 'MISS'); // 3.1x
  assert.equal(byId['scale-check']?.status, 'MISS');
  assert.match(byId['scale-check']?.note ?? '', /exit 2, 3 hosts failed/);
  assert.equal(byId['rss-100']?.status, 'MISS');
  assert.equal(byId['rss-100']?.measured, '410 MB');
});

test('a failed run misses its target whatever its time; without Ansible the ratio is not decided', () => {
  const results = [run({ tool: 'passthru', computes: 12, phase: 'apply', wallS: 0.5, exitCode: 2 }), run({ tool: 'passthru', computes: 12, phase: 'rerun', wallS: 0.5 })];
  const byId = Object.fromEntries(evaluateTargets(results).map((t) => [t.id, t]));
  assert.equal(byId['apply-12']?.status, 'MISS');
  assert.equal(byId['ratio-12']?.status, 'MISS');
  const ok = evaluateTargets([run({ tool: 'passthru', computes: 12, phase: 'apply', wallS: 3 })]);
  const r = ok.find((t) => t.id === 'ratio-12');
  assert.equal(r?.status, 'n/a');
  assert.match(r?.measured ?? '', /26x vs the issue's 78.9 s/);
});

test('embedded lab: 1000 hosts within 60 s and under 500 MB', () => {
  const t = evaluateTargets([run({ tool: 'passthru', computes: 999, phase: 'apply', lab: 'embedded', wallS: 42, peakRssMB: 510 })]);
  assert.deepEqual(
    t.map((x) => [x.id, x.status]),
    [
      ['embedded-time', 'PASS'],
      ['embedded-rss', 'MISS'],
    ],
  );
  assert.match(t[0]?.target ?? '', /1000 hosts/);
});

test('the tables: a row per size and phase, failures and ratios visible', () => {
  const md = resultsTable([
    run({ tool: 'passthru', computes: 12, phase: 'apply', wallS: 4, changedHosts: 13, reboots: 9 }),
    run({ tool: 'ansible', computes: 12, phase: 'apply', wallS: 60, changedHosts: 13, reboots: 9 }),
    run({ tool: 'passthru', computes: 12, phase: 'rerun', wallS: 0.5 }),
    run({ tool: 'ansible', computes: 12, phase: 'rerun', wallS: 40, exitCode: 2 }),
    run({ tool: 'passthru', computes: 999, phase: 'apply', lab: 'embedded', wallS: 45, forks: 200 }),
  ]);
  const lines = md.split('\n');
  assert.equal(lines.length, 5);
  assert.match(lines[2] ?? '', /^\| 12 \| first apply \| 4\.00 \| 60\.0 \| 15x \| 120 \| 1\.00 \| 1\.00 \| 13 \/ 13 \| 9 \/ 9 \|$/);
  assert.match(lines[3] ?? '', /\| 40\.0 \(exit 2\) \| - \|/);
  assert.match(lines[4] ?? '', /^\| 999 \(embedded lab, -f 200\) \| first apply \| 45\.0 \|/);
  assert.match(targetsTable([{ id: 'x', target: 't', measured: '1 s', status: 'MISS', note: 'why' }]), /\| t \| 1 s \| MISS \(why\) \|/);
});
