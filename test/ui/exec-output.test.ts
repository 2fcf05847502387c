import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SecretRegistry } from '../../src/util/secrets.ts';
import { formatExecResult } from '../../src/ui/exec-output.ts';

const reg = new SecretRegistry();

test('success: host | CHANGED | rc=0 >> then stdout', () => {
  const stdout = 'BOOT_IMAGE=/boot/vmlinuz-6.1.0-18-amd64 root=UUID=4f1c7e0a-6a1b-4f0e-9d3c-2b8f1e6d7a90 ro quiet intel_iommu=on iommu=pt\n';
  assert.equal(
    formatExecResult('compute-1', { stdout, stderr: '', exitCode: 0 }, false, reg),
    'compute-1 | CHANGED | rc=0 >>\nBOOT_IMAGE=/boot/vmlinuz-6.1.0-18-amd64 root=UUID=4f1c7e0a-6a1b-4f0e-9d3c-2b8f1e6d7a90 ro quiet intel_iommu=on iommu=pt',
  );
  assert.equal(formatExecResult('compute-1', { stdout: '', stderr: '', exitCode: 0 }, false, reg), 'compute-1 | CHANGED | rc=0 >>');
});

test('non-zero exit: FAILED with rc, stdout then stderr', () => {
  assert.equal(
    formatExecResult('compute-2', { stdout: '', stderr: "ls: cannot access '/sys/kernel/iommu_groups/0': No such file or directory\n", exitCode: 2 }, false, reg),
    "compute-2 | FAILED | rc=2 >>\nls: cannot access '/sys/kernel/iommu_groups/0': No such file or directory",
  );
});

test('unreachable and other errors', () => {
  assert.equal(formatExecResult('compute-3', { error: 'connect ECONNREFUSED 127.0.3.3:22', unreachable: true }, false, reg), 'compute-3 | UNREACHABLE! => connect ECONNREFUSED 127.0.3.3:22');
  assert.equal(formatExecResult('compute-4', { error: 'sudo: a password is required', unreachable: false }, false, reg), 'compute-4 | FAILED! => sudo: a password is required');
});

test('output is masked: config lines, URL passwords, registered values', () => {
  const secrets = new SecretRegistry();
  secrets.add('Adm1nPass');
  const stdout = '[database]\nconnection = mysql+pymysql://nova:NOVA_DBPASS@ctl/nova\n[keystone_authtoken]\npassword = s3cret\n';
  const text = formatExecResult('ctl-1', { stdout, stderr: 'warning: using Adm1nPass\n', exitCode: 0 }, false, secrets);
  assert.doesNotMatch(text, /NOVA_DBPASS|s3cret|Adm1nPass/);
  assert.match(text, /^password = \*{8}$/m);
  assert.match(formatExecResult('h', { error: 'auth failed for Adm1nPass', unreachable: true }, false, secrets), /=> auth failed for \*{8}$/);
});

test('colors: CHANGED yellow, FAILED red, none when off', () => {
  assert.match(formatExecResult('h', { stdout: 'x', stderr: '', exitCode: 0 }, true, reg), /^\u001b\[33mh \| CHANGED \| rc=0 >>\u001b\[39m/);
  assert.match(formatExecResult('h', { stdout: 'x', stderr: '', exitCode: 1 }, true, reg), /^\u001b\[31mh \| FAILED/);
  assert.doesNotMatch(formatExecResult('h', { stdout: 'x', stderr: '', exitCode: 1 }, false, reg), /\u001b/);
});
