// The benchmark harness's pure parts: recap parsing, `times` / /proc parsing,
// ratios, targets and the tables. (The benchmark itself is `npm run bench`.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRecap } from './recap.ts';
import { parseTimes, statusField } from './measure.ts';
import { evaluateTargets, factsBudgetLines, factsSplitLines, factsSplits, fmtRatio, ratio, resultsTable, targetsTable, type Floor, type RunResult } from './table.ts';

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
  return { lab: 'real', cluster: 'reboot', cpuS: 1, peakRssMB: 120, exitCode: 0, ...p };
}

const FLOORS: Floor[] = [
  { cluster: 'reboot', computes: 12, rebootS: 8, execS: 1 },
  { cluster: 'reboot', computes: 100, rebootS: 40, execS: 3 },
];

test('targets: first apply against the reboot floor, rerun and check against the exec floor', () => {
  const results: RunResult[] = [
    run({ tool: 'passthru', computes: 12, phase: 'apply', wallS: 11 }),
    run({ tool: 'passthru', computes: 12, phase: 'rerun', wallS: 1.4 }),
    run({ tool: 'passthru', computes: 12, phase: 'check', wallS: 1.6 }),
    run({ tool: 'ansible', computes: 12, phase: 'apply', wallS: 80, peakRssMB: undefined }),
    run({ tool: 'passthru', computes: 100, phase: 'apply', wallS: 70 }),
    run({ tool: 'passthru', computes: 100, phase: 'rerun', wallS: 2.5, peakRssMB: 410 }),
  ];
  const byId = Object.fromEntries(evaluateTargets(results, FLOORS).map((t) => [t.id, t]));
  assert.equal(byId['apply-reboot-12']?.status, 'PASS');
  assert.equal(byId['apply-reboot-12']?.measured, '1.38x (11.0 s / 8.00 s)');
  assert.equal(byId['rerun-reboot-12']?.status, 'PASS');
  assert.equal(byId['check-reboot-12']?.status, 'MISS');
  assert.equal(byId['apply-reboot-100']?.status, 'MISS'); // 1.75x
  assert.equal(byId['rerun-reboot-100'], undefined, 'rerun and check are held to the exec floor at 12 computes');
  assert.equal(byId['converge-reboot-100']?.status, 'PASS');
  assert.equal(byId['rss-reboot-100']?.status, 'MISS');
  assert.equal(byId['rss-reboot-100']?.measured, '410 MB');
});

test('every first apply at 100 computes must reach and converge every host; a failed run misses whatever its time', () => {
  const results = [
    run({ tool: 'passthru', computes: 100, phase: 'apply', wallS: 50 }),
    run({ tool: 'passthru', computes: 100, phase: 'apply', wallS: 52, attempt: 2, exitCode: 3, unreachableHosts: 4 }),
    run({ tool: 'passthru', computes: 100, phase: 'apply', wallS: 49, attempt: 3 }),
    run({ tool: 'passthru', computes: 12, phase: 'apply', wallS: 0.5, exitCode: 2 }),
  ];
  const byId = Object.fromEntries(evaluateTargets(results, FLOORS).map((t) => [t.id, t]));
  assert.equal(byId['converge-reboot-100']?.status, 'MISS');
  assert.equal(byId['converge-reboot-100']?.measured, '2 of 3 runs');
  assert.match(byId['converge-reboot-100']?.note ?? '', /run 2: run failed \(exit 3, 4 unreachable\)/);
  assert.equal(byId['apply-reboot-12']?.status, 'MISS');
  const noFloor = evaluateTargets([run({ tool: 'passthru', computes: 12, phase: 'apply', wallS: 3 })]);
  assert.equal(noFloor[0]?.status, 'n/a');
  assert.equal(noFloor[0]?.note, 'floor not measured');
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

test('the tables: a row per lab, size and phase, with the floor and each tool as a multiple of it', () => {
  const md = resultsTable(
    [
      run({ tool: 'passthru', computes: 12, phase: 'apply', wallS: 10, changedHosts: 13, reboots: 12, loadBefore: 1.25 }),
      run({ tool: 'ansible', computes: 12, phase: 'apply', wallS: 60, changedHosts: 13, reboots: 12 }),
      run({ tool: 'passthru', computes: 12, phase: 'rerun', wallS: 1.5 }),
      run({ tool: 'ansible', computes: 12, phase: 'rerun', wallS: 40, exitCode: 2 }),
      run({ tool: 'passthru', computes: 12, phase: 'apply', wallS: 5, cluster: 'mixed' }),
      run({ tool: 'passthru', computes: 999, phase: 'apply', lab: 'embedded', wallS: 45, forks: 200 }),
    ],
    FLOORS,
  );
  const lines = md.split('\n');
  assert.equal(lines.length, 6);
  assert.match(lines[0] ?? '', /^\| lab \| computes \| phase \| floor s \| facts floor s \(x exec\) \| passthru s \(x floor\) \| ansible s \(x floor\) \|/);
  assert.match(lines[2] ?? '', /^\| every compute reboots \| 12 \| first apply \| 8\.00 \(reboot\) \| - \| 10\.0 \(1\.3x\) \| 60\.0 \(7\.5x\) \| 120 \| 1\.00 \| 1\.00 \| 13 \/ 13 \| 12 \/ 12 \| 1\.3 \|$/);
  // no facts floor measured: the column says so
  assert.match(lines[3] ?? '', /\| 1\.00 \(exec\) \| - \| 1\.50 \(1\.5x\) \| 40\.0 \(exit 2\) \(40x\) \|/);
  assert.match(lines[4] ?? '', /^\| mixed \| 12 \| first apply \| - \| - \| 5\.00 \|/);
  assert.match(lines[5] ?? '', /^\| embedded, -f 200 \| 999 \| first apply \| - \| - \| 45\.0 \|/);
  assert.match(targetsTable([{ id: 'x', target: 't', measured: '1 s', status: 'MISS', note: 'why' }]), /\| t \| 1 s \| MISS \(why\) \|/);
});

// the 12-compute lab of the issue, about as measured by hand: exec floor 0.46 s, facts floor 0.72 s
const FACTS_FLOORS: Floor[] = [
  { cluster: 'reboot', computes: 12, rebootS: 8.5, execS: 0.46, factsS: 0.72 },
  { cluster: 'reboot', computes: 100, rebootS: 45, execS: 1.2, factsS: 1.5 },
];

test('the facts floor beside the exec floor on the rerun and check rows, as a multiple of it', () => {
  const md = resultsTable(
    [
      run({ tool: 'passthru', computes: 12, phase: 'apply', wallS: 12 }),
      run({ tool: 'passthru', computes: 12, phase: 'rerun', wallS: 0.95 }),
      run({ tool: 'passthru', computes: 12, phase: 'check', wallS: 0.9 }),
    ],
    FACTS_FLOORS,
  );
  const lines = md.split('\n');
  assert.match(lines[2] ?? '', /^\| every compute reboots \| 12 \| first apply \| 8\.50 \(reboot\) \| - \| 12\.0 \(1\.4x\) \|/);
  assert.match(lines[3] ?? '', /^\| every compute reboots \| 12 \| rerun \(idempotent\) \| 0\.46 \(exec\) \| 0\.72 \(1\.6x\) \| 0\.95 \(2\.1x\) \|/);
  assert.match(lines[4] ?? '', /^\| every compute reboots \| 12 \| check \| 0\.46 \(exec\) \| 0\.72 \(1\.6x\) \| 0\.90 \(2\.0x\) \|/);
});

test('a rerun and a check split into exec floor + facts on the hosts + passthru\'s own; what 1.5x the exec floor leaves after the facts floor', () => {
  const results = [
    run({ tool: 'passthru', computes: 12, phase: 'apply', wallS: 12 }),
    run({ tool: 'passthru', computes: 12, phase: 'rerun', wallS: 0.95 }),
    run({ tool: 'passthru', computes: 12, phase: 'check', wallS: 0.9, exitCode: 2 }),
    run({ tool: 'ansible', computes: 12, phase: 'rerun', wallS: 40 }),
    run({ tool: 'passthru', computes: 100, phase: 'rerun', wallS: 2.2 }),
  ];
  const splits = factsSplits(results, FACTS_FLOORS);
  assert.deepEqual(factsSplitLines(splits), [
    "- rerun (idempotent), 12 computes (every compute reboots): passthru 0.95 s = exec floor 0.46 s + facts on the hosts 0.26 s + passthru's own 0.23 s",
    "- rerun (idempotent), 100 computes (every compute reboots): passthru 2.20 s = exec floor 1.20 s + facts on the hosts 0.30 s + passthru's own 0.70 s",
  ]);
  // held to the target at 12 computes only; 1.5 x 0.46 = 0.69 s, below the facts floor
  assert.deepEqual(factsBudgetLines(splits), [
    "- rerun (idempotent), 12 computes (every compute reboots): 1.5x the exec floor is 0.69 s; the facts floor (0.72 s, 1.6x the exec floor) is already 0.03 s over it: nothing is left for passthru's own work (0.23 s) while the hosts read the facts this way",
  ]);
  const roomy = factsSplits([run({ tool: 'passthru', computes: 12, phase: 'check', wallS: 0.7 })], [{ cluster: 'reboot', computes: 12, rebootS: 8, execS: 0.5, factsS: 0.6 }]);
  assert.deepEqual(factsBudgetLines(roomy), ["- check, 12 computes (every compute reboots): 1.5x the exec floor is 0.75 s; the facts floor (0.60 s, 1.2x the exec floor) leaves 0.15 s for passthru's own work, which took 0.10 s"]);
  // no facts floor: nothing to split
  assert.deepEqual(factsSplits(results, FLOORS), []);
  // the parts as printed add up to the whole as printed, whatever the figures' digits beyond
  const exact = factsSplits([run({ tool: 'passthru', computes: 12, phase: 'rerun', wallS: 1.0641 })], [{ cluster: 'reboot', computes: 12, rebootS: 8, execS: 0.4549, factsS: 0.7481 }]);
  assert.deepEqual(factsSplitLines(exact), ["- rerun (idempotent), 12 computes (every compute reboots): passthru 1.06 s = exec floor 0.45 s + facts on the hosts 0.30 s + passthru's own 0.31 s"]);
  assert.match(factsBudgetLines(exact)[0] ?? '', /1\.5x the exec floor is 0\.68 s; the facts floor \(0\.75 s, 1\.6x the exec floor\) is already 0\.07 s over it/);
});
