// The lab's shell (packages/lab/src/embedded/sh/): what bash prints. The
// expected output of every line in BASH was taken from GNU bash 5 (`bash -c
// LINE` in an empty /tmp, HOME=/root); the lab's shell must give the same.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RemoteHost } from '../../../../../src/ssh/types.ts';
import { gatherFacts } from '../../../../../src/facts/gather.ts';
import { ALL_FACTS } from '../../../../../src/facts/index.ts';
import { readRemoteFile, restoreBackup, writeRemoteFile } from '../../../../../src/ssh/files.ts';
import { runShell } from '../../../src/embedded/shell.ts';
import { sh, simHost } from './helpers.ts';

/** [line, stdout, stderr, exit status] as bash 5 gives them */
const BASH: Array<[string, string, string, number]> = [
  ["echo \"a  b\" a  b 'c d' x\\ y", "a  b a b c d x y\n", "", 0],
  ["x=\"a b  c\"; for w in $x; do echo \"[$w]\"; done; echo \"[$x]\"", "[a]\n[b]\n[c]\n[a b  c]\n", "", 0],
  ["IFS=:; x=\"a::b:\"; set -- $x; echo $#; for a in \"$@\"; do echo \"<$a>\"; done", "3\n<a>\n<>\n<b>\n", "", 0],
  ["set -- one \"two three\" four; echo $#; echo \"$*\"; for a in \"$@\"; do echo \"[$a]\"; done; for a in $*; do echo \"{$a}\"; done; shift; echo \"$1\"; shift 2; echo $#", "3\none two three four\n[one]\n[two three]\n[four]\n{one}\n{two}\n{three}\n{four}\ntwo three\n0\n", "", 0],
  ["f() { local x=inner; echo \"f:$x:$1:$#\"; return 3; }; x=outer; f a b; echo \"rc=$? x=$x\"", "f:inner:a:2\nrc=3 x=outer\n", "", 0],
  ["p=/etc/nova/nova.conf; echo ${p%/*} ${p##*/} ${p#/} ${p%%.*} ${#p} ${p/nova/NOVA} ${p//nova/N} ${u:-default} ${u-d2} ${p:+set} ${u:=assigned} $u", "/etc/nova nova.conf etc/nova/nova.conf /etc/nova/nova 19 /etc/NOVA/nova.conf /etc/N/N.conf default d2 set assigned assigned\n", "", 0],
  ["case nova-compute.service in *.socket) echo sock;; nova-*) echo nova;; *) echo other;; esac; case x in a|x) echo yes;& b) echo fall;; c) echo no;; esac", "nova\nyes\nfall\n", "", 0],
  ["echo a b c | while read -r x y; do echo \"x=$x y=$y\"; done; printf 'l1\\nl2\\n' | while read l; do echo \"<$l>\"; done", "x=a y=b c\n<l1>\n<l2>\n", "", 0],
  ["printf 'a\\nb\\n' | for n in x y; do read -r s; printf '%s %s\\n' \"$n\" \"$s\"; done", "x a\ny b\n", "", 0],
  ["if false; then echo t; elif true; then echo elif; else echo e; fi; ! false && echo neg; false || echo or; true && false || echo chain", "elif\nneg\nor\nchain\n", "", 0],
  ["x=$(echo hi; echo there); echo \"$x\"; y=`echo back`; echo $y; z=$(exit 4); echo $?", "hi\nthere\nback\n4\n", "", 0],
  ["set -e; if false; then :; fi; false || true; ! true; echo reached; x=$(false; echo sub); echo \"$x\"; false; echo not", "reached\nsub\n", "", 1],
  ["x=5; while [ $x -gt 0 ]; do x=$((x-1)); [ $x = 2 ] && continue; [ $x = 1 ] && break; echo $x; done; echo end $x", "4\n3\nend 1\n", "", 0],
  ["for i in 1 2; do for j in a b; do [ $j = b ] && continue 2; echo $i$j; done; done", "1a\n2a\n", "", 0],
  ["read -r a b <<< \"one two three\"; echo \"$a|$b\"; IFS=, read x y <<< \"p,q,r\"; echo \"$x|$y\"", "one|two three\np|q,r\n", "", 0],
  ["n=0; for i in 1 2 3; do n=$((n+1)); done; echo $n $((n*2+1)) $((7/2)) $((-7/2)) $((-7%3)) $((2**10)) $((010)) $((0x1f)); x=\"3+4\"; echo $((x*2)); (( n > 2 )) && echo big; for ((i=0;i<3;i++)); do printf %s $i; done; echo", "3 7 3 -3 -1 1024 8 31\n14\nbig\n012\n", "", 0],
  ["s=hello; echo ${s:1:3} ${s: -2} ${s^^} ${s^}", "ell lo HELLO Hello\n", "", 0],
  ["x=1; { x=2; echo in $x; }; echo $x; ( x=3; echo sub $x ); echo $x; echo a | x=4; echo $x", "in 2\n2\nsub 3\n2\n2\n", "", 0],
  ["false | true; echo $?; set -o pipefail; false | true; echo $?", "0\n1\n", "", 0],
  ["echo 'a\"b' \"c'd\" \"e\\\"f\" 'g\\h' \"i\\\\j\" \"k\\$l\"", "a\"b c'd e\"f g\\h i\\j k$l\n", "", 0],
  ["f() { return 7; }; if f; then echo y; else echo n $?; fi", "n 7\n", "", 0],
  ["v=$(printf 'a\\n\\n\\n'); echo \"[$v]\"; echo \"$(echo '  sp  ')\"", "[a]\n  sp  \n", "", 0],
  ["cat <<EOF\nhome $((1+1)) $(echo sub)\nEOF\ncat <<'EOF'\nliteral $x\nEOF", "home 2 sub\nliteral $x\n", "", 0],
  ["test 3 -eq x; echo rc=$?; [ a; echo rc=$?; [ -n x -a -z \"\" ] && echo and; [ ! a = b ] && echo not", "rc=2\nrc=2\nand\nnot\n", "bash: test: x: integer expression expected\nbash: [: missing `]'\n", 0],
  ["echo \"${undefined:?custom message}\"; echo not", "", "bash: undefined: custom message\n", 127],
  ["set -u; echo ${undefined:-ok}; echo $undefined; echo not", "ok\n", "bash: undefined: unbound variable\n", 127],
  ["x='*'; echo \"$x\"; a=~; [ \"$a\" = \"$HOME\" ] && echo tilde", "*\ntilde\n", "", 0],
  ["exec echo replaced; echo never", "replaced\n", "", 0],
  ["sh -c 'echo \"in sh $0 $1\"; exit 5' name arg; echo rc=$?", "in sh name arg\nrc=5\n", "", 0],
];

test("lines give what bash gives, run by the lab's shell", async () => {
  const h = simHost();
  for (const [line, stdout, stderr, exit] of BASH) {
    const r = await sh(h, line);
    assert.deepEqual([r.stdout, r.stderr, r.exitCode], [stdout, stderr, exit], line);
  }
});

test("the lab's shell is bash where in-process shells easily differ", async () => {
  const h = simHost();
  // `read` in the body of a loop that reads a pipe (the shape of the nova unit states fact)
  const loop = "printf 'a\\nb\\n' | for n in x y; do read -r s; printf '%s %s\\n' \"$n\" \"$s\"; done";
  assert.equal((await sh(h, loop)).stdout, 'x a\ny b\n');
  // sudo keeps SUDO_USER in the environment of the command it runs
  assert.equal((await sh(h, "sudo -n sh -c 'echo $USER $SUDO_USER'", { user: 'ops' })).stdout, 'root ops\n');
  assert.equal((await sh(h, 'unset HOME; cd; echo $?')).stdout, '1\n');
  assert.equal((await sh(h, 'unset HOME; cd')).stderr, 'bash: cd: HOME not set\n');
});

test("what the lab's shell does not simulate fails whole, with one message naming it, and nothing of the line runs", async () => {
  const h = simHost();
  for (const [line, what] of [
    ['touch /tmp/ran; echo a{b,c}d', 'brace expansion'],
    ['touch /tmp/ran; [[ -e /etc ]] && echo yes', '[[ ]]'],
    ['touch /tmp/ran; declare -a x=(1 2); echo ${x[1]}', 'declare'],
    ['touch /tmp/ran; echo $RANDOM', '$RANDOM'],
    ['touch /tmp/ran; sleep 1 &', 'background jobs (&)'],
  ] as const) {
    const r = await sh(h, line);
    assert.deepEqual([r.stdout, r.exitCode], ['', 2], line);
    assert.match(r.stderr, new RegExp(`^bash: ${what.replace(/[[\]$()&]/g, '\\$&')}: not supported by the lab's shell`), line);
    assert.equal(h.store.exists('/tmp/ran'), false, `${line}: nothing ran`);
  }
  const bad = await sh(h, 'touch /tmp/ran; if true; then echo');
  assert.deepEqual([bad.stdout, bad.exitCode], ['', 2]);
  assert.match(bad.stderr, /^bash: syntax error: /);
  const nested = await sh(h, "sh -c 'echo a{b,c}'; echo after $?");
  assert.equal(nested.stdout, 'after 2\n', 'a nested shell fails alone');
});

test('stdin is shared: the first reader takes it, a command that does not read it leaves it', async () => {
  const h = simHost();
  const r = await sh(h, 'read -r first; lspci >/dev/null; read -r second; cat', { stdin: 'one\ntwo\nthree\nfour\n' });
  assert.equal(r.stdout, 'three\nfour\n');
  const v = await sh(h, 'read -r first; read -r second; echo "$first/$second"', { stdin: 'one\ntwo\n' });
  assert.equal(v.stdout, 'one/two\n');
});

test("passthru's own scripts (every fact, file read/write/restore) run in the lab's shell without an error", async () => {
  const h = simHost();
  const host: RemoteHost = {
    name: h.name,
    connected: true,
    exec: (command, opts = {}) => runShell(h, { user: 'root', command, stdin: opts.stdin }),
    reconnect: async () => undefined,
    close: async () => undefined,
  };
  const facts = await gatherFacts(host, ALL_FACTS);
  assert.deepEqual([...facts].filter(([, r]) => r.error !== undefined).map(([id, r]) => `${id}: ${r.error}`), []);
  const f = await readRemoteFile(host, '/etc/nova/nova.conf');
  const changed = `${f.content}[pci]\nalias = {}\n`;
  const w = await writeRemoteFile(host, '/etc/nova/nova.conf', changed, { backup: true });
  assert.ok(w.written && w.backupPath !== undefined);
  assert.equal((await writeRemoteFile(host, '/etc/nova/nova.conf', changed)).written, false);
  assert.deepEqual((await readRemoteFile(host, '/etc/nova/nova.conf')).meta, f.meta);
  await restoreBackup(host, '/etc/nova/nova.conf', w.backupPath);
  assert.equal(h.store.readFile('/etc/nova/nova.conf'), f.content);
});
