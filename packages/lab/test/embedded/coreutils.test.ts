// The lab's commands (packages/lab/src/embedded/commands/) against the real
// ones: every line runs in GNU bash with GNU coreutils on this machine
// (LC_ALL=C, TZ=UTC, in a fresh directory with the same files) and in the
// lab's shell over the same files at the same paths; stdout, stderr and the
// exit status must be the same.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { filesShell } from '../../src/embedded/files-shell.ts';

const FILES: Record<string, string> = {
  'a.txt': 'one\ntwo\nthree\ntwo\n',
  'b.txt': 'x:y:z\n1:2:3\n',
  c: 'last',
};

const LINES = [
  "printf '%s-%d|%5s|%-3s|%03d|%x|%o|%c|%%\\n' a 42 r l 7 255 8 xyz",
  "printf '%s\\n' a b c; printf '%s=%s\\n' k1 v1 k2; printf '%b' 'x\\ty\\n'; printf 'no newline'; echo",
  "printf '%d\\n' 12abc; echo rc=$?",
  "echo -n a; echo -e 'b\\tc'; echo -E 'd\\te'; echo -- -n; echo -e 'stop\\cnever'; echo",
  'head -n 2 a.txt; head -1 b.txt; tail -n 2 a.txt; tail -c 3 c; echo; tail -n +3 a.txt; head -c 5 a.txt; echo',
  'head -n 1 a.txt b.txt; head nothere; echo rc=$?',
  'wc -l a.txt; wc -c < a.txt; wc a.txt b.txt; cat a.txt | wc -l; wc -w c',
  'cut -d: -f2 b.txt; cut -d: -f1,3 b.txt; cut -c 1-3 a.txt; cut -d: -f2- b.txt',
  "tr a-z A-Z < a.txt; echo hello | tr -d l; echo aaabbb | tr -s ab; echo 'a  b' | tr -s ' '; echo abc | tr '[:lower:]' '[:upper:]'",
  "sort a.txt; sort -r a.txt; sort -u a.txt; printf '10\\n9\\n100\\n' | sort -n; sort -t: -k2 b.txt",
  'sort a.txt | uniq; sort a.txt | uniq -c; sort a.txt | uniq -d; sort a.txt | uniq -u',
  'basename /a/b/c.conf .conf; basename /a/b/; dirname /a/b/c; dirname c; dirname /c; dirname a/; basename -s .txt x.txt y.txt',
  'mkdir -p d/e/f && ls d d/e; mkdir d; echo rc=$?; mkdir x/y; echo rc=$?; mkdir -p d; echo rc=$?',
  'touch t1 && ls t1 && rm t1 && ls t1; echo rc=$?',
  'rm nothing; echo rc=$?; rm -f nothing; echo rc=$?; mkdir dd; rm dd; echo rc=$?; rm -r dd; ls',
  'rmdir nothere; echo rc=$?; mkdir e1; touch e1/f; rmdir e1; echo rc=$?; rm e1/f; rmdir e1; echo rc=$?',
  'mv a.txt moved.txt && cat moved.txt && mv moved.txt a.txt; mv nope x; echo rc=$?; mkdir m; mv a.txt b.txt m; ls m; mv m/a.txt m/b.txt .',
  'ln -s a.txt link && readlink link && cat link && ls -1d link; ln -s a.txt link; echo rc=$?; readlink a.txt; echo rc=$?; readlink -f link',
  'chmod 600 a.txt && stat -c %a a.txt; chmod u+x,g+r a.txt && stat -c %a a.txt; chmod a-w a.txt; stat -c %a a.txt; chmod go= a.txt; stat -c %a a.txt; chmod =rw,+x c; stat -c %a c; chmod 9 c; echo rc=$?',
  'ls; ls -1; ls -a; ls -A; ls -d .; ls -1d *.txt; ls nothere; echo rc=$?; ls -p; mkdir z; ls -F',
  'mkdir -p s/t; touch s/t/u s/v; ls s s/t; ls -R s',
  'cat -n a.txt; cat -E c; echo; cat nothere; echo rc=$?',
  "sed -i 's/two/2/' a.txt && cat a.txt; sed -i.bak 's/one/1/' a.txt; cat a.txt.bak a.txt; sed 's/x/y/' nothere; echo rc=$?",
  'grep two a.txt nothere; echo rc=$?; grep -s two nothere a.txt; echo rc=$?; grep -c two a.txt; grep -q two nothere a.txt; echo rc=$?; grep two d; echo rc=$?',
  'tee out1 out2 < a.txt > /dev/null; cat out1 out2; echo more | tee -a out1; cat out1',
  "env -i A=1 sh -c 'echo \"$A\"'; printenv NOPE; echo rc=$?; B=2 printenv B",
  'date -d @0 +%Y-%m-%dT%H:%M:%S; date -u -d @86400 "+%s %F %T"',
  'sleep 0.01; echo slept; sleep x; echo rc=$?',
  "head -n -1 a.txt; tail -n 0 a.txt; printf 'a\\tb\\n' | cut -f2; sort -k1,1 -r b.txt; mkdir -m 700 q && stat -c %a q; touch -c nofile; ls nofile; echo rc=$?",
  'mkdir -p r/s/t && touch r/s/t/f && rm -rf r && ls; rm -r nothere; echo rc=$?; rm; echo rc=$?; mv; echo rc=$?',
  'for f in /nonexistent/*; do echo "$f"; done; ls -1d /nonexistent/* 2>/dev/null; echo rc=$?; wc -l < /dev/null',
];

const bash = existsSync('/bin/bash') && spawnSync('/bin/bash', ['-c', 'cut --version && sort --version'], { encoding: 'utf8' }).status === 0;

test("the lab's commands give what GNU bash and coreutils give", { skip: bash ? false : 'SKIPPED: needs /bin/bash and GNU coreutils' }, async () => {
  for (const line of LINES) {
    const dir = mkdtempSync(join(tmpdir(), 'lab-coreutils-'));
    try {
      for (const [name, content] of Object.entries(FILES)) writeFileSync(join(dir, name), content);
      // SHLVL=1: stdin is a socket (node's stdio), and bash then sources ~/.bashrc at shell level 1, as when run by sshd
      const real = spawnSync('/bin/bash', ['-c', line], { cwd: dir, encoding: 'utf8', env: { PATH: '/usr/bin:/bin', LC_ALL: 'C', TZ: 'UTC', HOME: '/root', SHLVL: '1' } });
      const lab = filesShell(Object.fromEntries(Object.entries(FILES).map(([name, content]) => [`${dir}/${name}`, content])));
      const got = await lab.exec(`cd ${dir} || exit 99\n${line}`);
      assert.deepEqual(
        { stdout: got.stdout, stderr: got.stderr, exitCode: got.exitCode },
        // the lab's builtins say `bash: printf: ...`, without the line
        { stdout: real.stdout, stderr: real.stderr.replace(/^\/bin\/bash: line \d+: /gm, 'bash: '), exitCode: real.status },
        line,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});
