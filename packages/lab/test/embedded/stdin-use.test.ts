import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mayReadStdin } from '../../src/embedded/stdin-use.ts';

test('lines that read their stdin (or may: unknown commands, expansions)', () => {
  for (const line of [
    'cat',
    'cat > /tmp/x',
    'cat - /etc/hostname',
    't=/tmp/x\ncat > "$t" || exit 1',
    'cat "$p"',
    'cat $files',
    'wc -c',
    'head -n 1',
    'head -c 3; cat',
    'grep foo',
    'grep -e foo',
    'grep -r foo',
    'sed -n 1p',
    'sed -e s/a/b/',
    'x=$(cat)',
    'echo "$(wc -l)"',
    'if read line; then echo "$line"; fi',
    'while read -r l; do echo "$l"; done',
    'sh',
    'sh -s',
    'bash script.sh',
    "sh -c 'cat > /tmp/x'",
    "sh -c \"$cmd\"",
    'python3 -',
    '/usr/bin/python3 /tmp/check.py',
    'no-such-tool',
    '"$p" -c x',
    'xargs echo',
    'tee /tmp/out',
    'tr a-z A-Z',
    'f() { cat; }\nf',
    'sudo -n true',
    'env FOO=1 printenv',
    'exec cat',
    'eval "$x"',
    '. /root/openrc',
    'cat /etc/*.conf - ',
    'cat *.conf',
  ]) {
    assert.equal(mayReadStdin(line), true, line);
  }
});

test('lines that surely do not read their stdin', () => {
  for (const line of [
    '',
    'true',
    'echo hi; uname -r',
    'cat /proc/cmdline',
    'cat /etc/nova/*.conf',
    'cat -- /etc/hostname',
    'grep -c . /etc/hostname',
    "grep -q '^1234 ' /var/lib/passthru/lock/owner 2>/dev/null",
    'grep -m 1 options /boot/loader/entries/a.conf',
    'grep -e foo /etc/passwd',
    "sed -n '1,/^$/p' /proc/cpuinfo",
    'sed -e s/a/b/ -e s/c/d/ /etc/hosts',
    'head -n 5 /etc/passwd',
    'head -5 /etc/passwd',
    'head -n5 /etc/passwd',
    'tail -n 2 /var/log/x',
    'wc -c < /tmp/x',
    'cat < /tmp/x',
    'cat <<EOF\nhi\nEOF',
    'cat <<< hi',
    '( cat; wc -l ) </dev/null 2>&1',
    '{ cat; } < /dev/null',
    'while read l; do echo "$l"; done < /etc/passwd',
    'echo a | cat | wc -l',
    'x=$(cat /etc/hostname)',
    's=$(wc -c < "$t")',
    'if [ -e /etc/passwd ]; then echo yes; fi',
    'for f in /etc/nova/nova.conf /etc/nova/*.conf; do [ -e "$f" ] && echo "$f"; done; true',
    'mkdir -p /var/lib/passthru\nif mkdir /var/lib/passthru/lock 2>/dev/null; then printf "%s\\n" a > /var/lib/passthru/lock/owner; fi',
    'systemctl restart nova-compute.service',
    'printf \'%s %s\\n\' nova-compute.service "$(systemctl is-active nova-compute.service 2>/dev/null)"',
    "sh -c 'cat /etc/hostname </dev/null'",
    "sh -ec 'echo a; cat /etc/hostname'",
    'sh -c "cat /etc/hostname </dev/null"',
    'command -v lspci >/dev/null 2>&1 && lspci -Dnnmm',
    "trap 'rm -f \"$t\"' EXIT\nfail() { rm -f \"$t\"; printf '%s\\n' \"$*\" >&2; exit 1; }\nstat -c %U /etc/passwd || fail x",
    'f() { cat; }\nf < /etc/hostname',
    'exec 2>/dev/null',
    'update-grub',
    'dmesg | grep -i iommu',
    'ls -1d /sys/kernel/iommu_groups/*/devices/* 2>/dev/null',
  ]) {
    assert.equal(mayReadStdin(line), false, line);
  }
});

test("passthru's fact script (sh -c with every section on </dev/null) reads no stdin", () => {
  const section = (body: string) => `(\n${body}\n) </dev/null 2>&1\n__passthru_rc=$?\necho\necho "@@end:$__passthru_rc"\n`;
  const inner = `echo '@@begin'\n${section('grep -c \'^processor\' /proc/cpuinfo; sed -n \'1,/^$/p\' /proc/cpuinfo')}${section('cat /etc/os-release; cat "$f"')}`;
  const line = `sh -c '${inner.replace(/'/g, `'\\''`)}'`;
  assert.equal(mayReadStdin(line), false);
  assert.equal(mayReadStdin(line.replace(/<\/dev\/null /g, '')), true);
});

test('a line that does not parse may read', () => {
  assert.equal(mayReadStdin('if then fi ((('), true);
});
