import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { test } from 'node:test';
import { filesShell } from '@passthru/lab/embedded/files-shell.ts';
import { buildGatherScript, gatherFacts, parseGatherOutput, scriptNonce } from '../../src/facts/gather.ts';
import { ALL_FACTS, FACTS } from '../../src/facts/index.ts';
import type { Fact } from '../../src/facts/types.ts';
import type { ExecOptions, ExecResult, RemoteHost } from '../../src/ssh/types.ts';
import { quote } from '../../src/util/shell.ts';

const fx = (p: string): string => readFileSync(new URL(`../fixtures/${p}`, import.meta.url), 'utf8');

const odd: Fact<unknown>[] = [
  { id: 'no_newline', script: "printf 'x'", parse: (o, rc) => ({ o, rc }) },
  { id: 'exits', script: 'echo before; exit 7; echo after', parse: (o, rc) => ({ o, rc }) },
  { id: 'stderr', script: 'echo out; echo err >&2; false', parse: (o, rc) => ({ o, rc }) },
  { id: 'stdin', script: 'cat; echo done', parse: (o, rc) => ({ o, rc }) },
  { id: 'empty', script: 'true', parse: (o, rc) => ({ o, rc }) },
  { id: 'throws', script: 'echo fine', parse: () => { throw new Error('parser broke'); } },
  { id: 'after', script: 'echo still here', parse: (o) => o.trim() },
];

function expectOdd(results: Map<string, { value?: unknown; error?: string | undefined }>): void {
  assert.deepEqual(results.get('no_newline'), { value: { o: 'x', rc: 0 } });
  assert.deepEqual(results.get('exits'), { value: { o: 'before\n', rc: 7 } });
  assert.deepEqual(results.get('stderr'), { value: { o: 'out\nerr\n', rc: 1 } });
  assert.deepEqual(results.get('stdin'), { value: { o: 'done\n', rc: 0 } });
  assert.deepEqual(results.get('empty'), { value: { o: '', rc: 0 } });
  assert.deepEqual(results.get('throws'), { error: 'parser broke' });
  assert.deepEqual(results.get('after'), { value: 'still here' });
}

for (const shell of ['/usr/bin/dash', '/bin/bash']) {
  test(`sections, exit status, stderr, a missing final newline, exit and stdin under ${shell}`, (t) => {
    if (!existsSync(shell)) {
      process.stderr.write(`SKIPPED: ${shell} missing\n`);
      t.skip(`SKIPPED: ${shell} missing`);
      return;
    }
    const script = buildGatherScript(odd, 'n0nce');
    // the script is fed on stdin here: the snippets must not eat it
    const r = spawnSync(shell, ['-s'], { input: script, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    expectOdd(parseGatherOutput(r.stdout, odd, 'n0nce'));
  });
}

test("the same script in the embedded lab's shell", async () => {
  const bash = filesShell();
  const r = await bash.exec(quote(['sh', '-c', buildGatherScript(odd, 'n0nce')]));
  expectOdd(parseGatherOutput(r.stdout, odd));
});

test('a cut-short output loses only the facts after the cut', () => {
  const facts = [FACTS.bootId, FACTS.bootMode];
  const script = buildGatherScript(facts, 'abc');
  assert.equal(scriptNonce(script), 'abc');
  const out = '@@passthru-fact:abc:begin:boot_id\n8f396345-df07-4295-9adf-c460818aea83\n\n@@passthru-fact:abc:end:boot_id:0\n@@passthru-fact:abc:begin:boot_mode\nbi';
  const r = parseGatherOutput(out, facts);
  assert.deepEqual(r.get('boot_id'), { value: '8f396345-df07-4295-9adf-c460818aea83' });
  assert.match(r.get('boot_mode')!.error!, /cut short/);
  assert.throws(() => buildGatherScript([FACTS.bootId, FACTS.bootId]), /twice/);
});

test('every fact, for real, on this machine with dash (Debian 12 VM with python3-nova)', () => {
  const script = buildGatherScript(ALL_FACTS);
  const r = spawnSync('/bin/sh', ['-c', script], { encoding: 'utf8' });
  const res = parseGatherOutput(r.stdout, ALL_FACTS);
  for (const [id, v] of res) assert.equal(v.error, undefined, `${id}: ${v.error}`);
  const os = res.get('os_release')!.value as { id: string; family: string };
  assert.ok(os.id.length > 0);
  assert.ok(['debian', 'el', 'other'].includes(os.family));
  assert.match(res.get('boot_id')!.value as string, /^[0-9a-f-]{36}$/);
  assert.ok(['bios', 'uefi'].includes(res.get('boot_mode')!.value as string));
  const cpu = res.get('cpu')!.value as { count: number };
  assert.ok(cpu.count >= 1);
  const devs = res.get('pci_devices')!.value as Array<{ address: string }>;
  // sysfs lists the same devices as the directory does
  const sysfs = existsSync('/sys/bus/pci/devices') ? readdirSync('/sys/bus/pci/devices') : [];
  assert.deepEqual(devs.map((d) => d.address), [...sysfs].sort());
});

/** A GPU compute as files, for the lab's shell: sysfs from the PCI fixture, /proc and /etc from the others. */
function gpuHostFiles(): Record<string, string> {
  const files: Record<string, string> = {
    '/etc/os-release': fx('facts/os-release/ubuntu-22.04'),
    '/proc/cpuinfo': fx('facts/cpuinfo/intel-xeon-gold-6248.txt').split('\n').slice(1).join('\n'),
    '/proc/cmdline': fx('facts/cmdline/ubuntu-22.04.txt'),
    '/proc/sys/kernel/random/boot_id': '3d9f1c2e-5b7a-4e8d-9c1f-0a2b3c4d5e6f\n',
    '/etc/default/grub': fx('boot/grub/ubuntu-22.04.grub'),
    '/etc/default/grub.d/50-cloudimg-settings.cfg': fx('boot/grub/ubuntu-cloudimg-50-cloudimg-settings.cfg'),
    '/etc/nova/nova.conf': '[DEFAULT]\n',
    '/etc/nova/nova-compute.conf': fx('nova/ubuntu-nova-compute.conf'),
    '/boot/grub/grub.cfg': '# generated\n',
    '/usr/lib/python3/dist-packages/nova-25.2.1.egg-info/PKG-INFO': 'Name: nova\n',
  };
  const pci = fx('facts/pci/gpu-2x2080ti-iommu-on.txt');
  let sec = '';
  for (const line of pci.split('\n')) {
    if (line.startsWith('@@')) {
      sec = line;
      continue;
    }
    if (sec === '@@ids') {
      const i = line.lastIndexOf(':');
      files[line.slice(0, i)] = `${line.slice(i + 1)}\n`;
    } else if (sec === '@@groups' && line) {
      files[line] = '';
      const g = /iommu_groups\/(\d+)\//.exec(line)![1]!;
      files[`/sys/class/iommu/dmar${Number(g) % 4}/.keep`] = '';
    } else if (sec === '@@drivers' && line) files[line] = '';
  }
  return files;
}

test("every fact in the embedded lab's shell on a simulated GPU compute; missing commands are not errors", async () => {
  const bash = filesShell(gpuHostFiles());
  const nonce = 'jb1';
  const r = await bash.exec(quote(['sh', '-c', buildGatherScript(ALL_FACTS, nonce)]));
  const res = parseGatherOutput(r.stdout, ALL_FACTS, nonce);
  for (const [id, v] of res) assert.equal(v.error, undefined, `${id}: ${v.error}`);
  assert.equal((res.get('os_release')!.value as { family: string }).family, 'debian');
  assert.equal((res.get('cpu')!.value as { vendor: string; virtualization: boolean }).vendor, 'intel');
  const iommu = res.get('iommu')!.value as { active: boolean; groups: number; dmesgReadable: boolean };
  assert.equal(iommu.active, true);
  assert.equal(iommu.dmesgReadable, false, 'no dmesg on that host: not an error');
  const devs = res.get('pci_devices')!.value as Array<{ address: string; iommuGroup?: number; driver?: string; class: string }>;
  const vga = devs.find((d) => d.address === '0000:18:00.0')!;
  assert.deepEqual([vga.class, vga.iommuGroup, vga.driver], ['030000', 31, 'nouveau']);
  assert.deepEqual((res.get('iommu_groups')!.value as Record<number, string[]>)[41], ['0000:3b:00.0', '0000:3b:00.1', '0000:3b:00.2', '0000:3b:00.3']);
  const grub = res.get('grub_default')!.value as { main: { content: string }; dropins: Array<{ path: string }> };
  assert.equal(grub.main.content, fx('boot/grub/ubuntu-22.04.grub'));
  assert.deepEqual(grub.dropins.map((d) => d.path), ['/etc/default/grub.d/50-cloudimg-settings.cfg']);
  assert.deepEqual((res.get('nova_conf_files')!.value as { files: string[] }).files, ['/etc/nova/nova.conf', '/etc/nova/nova-compute.conf']);
  assert.equal((res.get('nova_version')!.value as { release: string }).release, 'yoga');
  assert.deepEqual((res.get('bootloader_files')!.value as { files: string[] }).files, ['/boot/grub/grub.cfg']);
  assert.equal(res.get('boot_id')!.value, '3d9f1c2e-5b7a-4e8d-9c1f-0a2b3c4d5e6f');
});

test('gatherFacts: one exec round trip, through sudo when asked', async () => {
  const calls: Array<{ command: string; opts: ExecOptions | undefined }> = [];
  const host: RemoteHost = {
    name: 'local',
    connected: true,
    async exec(command: string, opts?: ExecOptions): Promise<ExecResult> {
      calls.push({ command, opts });
      const r = spawnSync('/bin/sh', ['-c', command], { encoding: 'utf8' });
      return { stdout: r.stdout, stderr: r.stderr, exitCode: r.status ?? 255 };
    },
    async reconnect() {},
    async close() {},
  };
  const res = await gatherFacts(host, [FACTS.bootMode, FACTS.kernelCmdline, FACTS.bootId], { become: true });
  assert.equal(calls.length, 1);
  assert.equal(calls[0]!.opts?.become, true);
  assert.ok(calls[0]!.command.startsWith('sh -c '));
  assert.deepEqual([...res.keys()], ['boot_mode', 'kernel_cmdline', 'boot_id']);
  for (const v of res.values()) assert.equal(v.error, undefined);
  assert.deepEqual(await gatherFacts(host, []), new Map());
  assert.equal(calls.length, 1, 'no facts, no round trip');
});

test('gatherFacts: a script killed midway reports the facts it did not reach', async () => {
  const host: RemoteHost = {
    name: 'h',
    connected: true,
    async exec(command: string): Promise<ExecResult> {
      const script = /^sh -c '([\s\S]*)'$/.exec(command)![1]!.replace(/'\\''/g, "'");
      const nonce = scriptNonce(script);
      return { stdout: `@@passthru-fact:${nonce}:begin:boot_mode\nbios\n\n@@passthru-fact:${nonce}:end:boot_mode:0\n`, stderr: 'Killed\n', exitCode: 137 };
    },
    async reconnect() {},
    async close() {},
  };
  const res = await gatherFacts(host, [FACTS.bootMode, FACTS.bootId]);
  assert.deepEqual(res.get('boot_mode'), { value: 'bios' });
  assert.match(res.get('boot_id')!.error!, /exit status 137: Killed/);
});
