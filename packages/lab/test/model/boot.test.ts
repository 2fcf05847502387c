import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeHost, USER_OPS } from './helpers.ts';

function addToGrubDefault(text: string, arg: string): string {
  return text.replace(/^GRUB_CMDLINE_LINUX="([^"]*)"/m, (_, v: string) => `GRUB_CMDLINE_LINUX="${`${v} ${arg}`.trim()}"`);
}

test('a host boots with the command line of its boot loader and no IOMMU without intel_iommu=on', () => {
  const h = makeHost('el7-bios');
  assert.equal(h.boot.iommuActive, false);
  assert.equal(h.fs.readFile('/proc/cmdline'), `${h.boot.cmdline}\n`);
  assert.match(h.boot.cmdline, /^BOOT_IMAGE=\/vmlinuz-3\.10\.0-1160\.119\.1\.el7\.x86_64 root=\/dev\/mapper\/centos-root ro crashkernel=auto/);
  assert.deepEqual(h.fs.readdir('/sys/class/iommu'), []);
  assert.deepEqual(h.fs.readdir('/sys/kernel/iommu_groups'), []);
  assert.equal(h.fs.exists('/sys/bus/pci/devices/0000:3b:00.0/iommu_group'), false);
  assert.doesNotMatch(h.fs.readFile('/var/log/lab/dmesg') ?? '', /DMAR: IOMMU enabled|Virtualization Technology for Directed I\/O/);
});

test('EL7 BIOS: /etc/default/grub + grub2-mkconfig -o /boot/grub2/grub.cfg + reboot turns the IOMMU on', async () => {
  const h = makeHost('el7-bios');
  h.fs.writeFile('/etc/default/grub', addToGrubDefault(h.fs.readFile('/etc/default/grub') ?? '', 'intel_iommu=on iommu=pt'));
  const r = await h.run('grub2-mkconfig', ['-o', '/boot/grub2/grub.cfg']);
  assert.equal(r.exitCode, 0, r.stderr);
  assert.match(r.stderr, /^Generating grub configuration file \.\.\.\nFound linux image: \/boot\/vmlinuz-3\.10\.0-1160\.119\.1\.el7\.x86_64\n/);
  assert.match(r.stderr, /done\n$/);
  const bootId = h.fs.readFile('/proc/sys/kernel/random/boot_id');
  const b = h.reboot();
  assert.notEqual(h.fs.readFile('/proc/sys/kernel/random/boot_id'), bootId);
  assert.equal(b.iommuActive, true);
  assert.match(b.cmdline, / intel_iommu=on iommu=pt$/);
  assert.deepEqual(h.fs.readdir('/sys/class/iommu'), ['dmar0', 'dmar1']);
  const dmesg = h.fs.readFile('/var/log/lab/dmesg') ?? '';
  assert.match(dmesg, /\] DMAR: IOMMU enabled\n/);
  assert.match(dmesg, /\] DMAR: Intel\(R\) Virtualization Technology for Directed I\/O\n/);
  // EL7's 3.10 kernel reports groups in its old words
  assert.match(dmesg, /\] iommu: Adding device 0000:3b:00\.0 to group \d+\n/);
  // the four functions of each RTX 2080 Ti share one group, the two cards do not
  const g = (a: string): string => (h.fs.readFile(`/sys/bus/pci/devices/${a}/iommu_group`) ?? '').trim();
  assert.equal(g('0000:3b:00.0'), g('0000:3b:00.3'));
  assert.equal(g('0000:3b:00.1'), g('0000:3b:00.2'));
  assert.notEqual(g('0000:3b:00.0'), g('0000:af:00.0'));
  assert.deepEqual(h.fs.readdir(`/sys/kernel/iommu_groups/${g('0000:3b:00.0')}/devices`), ['0000:3b:00.0', '0000:3b:00.1', '0000:3b:00.2', '0000:3b:00.3']);
});

test('EL7 UEFI: regenerating /boot/grub2/grub.cfg changes nothing; the EFI grub.cfg does', async () => {
  const h = makeHost('el7-uefi');
  h.fs.writeFile('/etc/default/grub', addToGrubDefault(h.fs.readFile('/etc/default/grub') ?? '', 'intel_iommu=on'));
  const wrong = await h.run('grub2-mkconfig', ['-o', '/boot/grub2/grub.cfg']);
  assert.equal(wrong.exitCode, 0);
  assert.match(h.fs.readFile('/boot/grub2/grub.cfg') ?? '', /intel_iommu=on/);
  let b = h.reboot();
  assert.equal(b.iommuActive, false);
  assert.doesNotMatch(h.fs.readFile('/proc/cmdline') ?? '', /intel_iommu/);

  const right = await h.run('grub2-mkconfig', ['-o', '/boot/efi/EFI/centos/grub.cfg']);
  assert.equal(right.exitCode, 0, right.stderr);
  assert.match(h.fs.readFile('/boot/efi/EFI/centos/grub.cfg') ?? '', /\tlinuxefi \/vmlinuz-3\.10\.0-1160\.119\.1\.el7\.x86_64 .* intel_iommu=on/);
  b = h.reboot();
  assert.equal(b.iommuActive, true);
  assert.match(h.fs.readFile('/proc/cmdline') ?? '', / intel_iommu=on\n$/);
});

test('Ubuntu: update-grub regenerates /boot/grub/grub.cfg from /etc/default/grub and its drop-ins', async () => {
  const h = makeHost('ubuntu');
  h.fs.writeFile('/etc/default/grub', addToGrubDefault(h.fs.readFile('/etc/default/grub') ?? '', 'intel_iommu=on iommu=pt'));
  const r = await h.run('update-grub');
  assert.equal(r.exitCode, 0, r.stderr);
  assert.equal(
    r.stderr,
    "Sourcing file `/etc/default/grub'\nSourcing file `/etc/default/grub.d/50-cloudimg-settings.cfg'\nGenerating grub configuration file ...\n" +
      'Found linux image: /boot/vmlinuz-5.15.0-107-generic\nFound initrd image: /boot/initrd.img-5.15.0-107-generic\n' +
      'Found linux image: /boot/vmlinuz-5.15.0-105-generic\nFound initrd image: /boot/initrd.img-5.15.0-105-generic\n' +
      'Warning: os-prober will not be executed to detect other bootable partitions.\nSystems on them will not be added to the GRUB boot configuration.\nCheck GRUB_DISABLE_OS_PROBER documentation entry.\ndone\n',
  );
  const b = h.reboot();
  assert.equal(b.iommuActive, true);
  // the cloud-image drop-in wins over GRUB_CMDLINE_LINUX_DEFAULT="quiet splash"
  assert.match(b.cmdline, /^BOOT_IMAGE=\/boot\/vmlinuz-5\.15\.0-107-generic root=UUID=[0-9a-f-]+ ro intel_iommu=on iommu=pt console=tty1 console=ttyS0 vt\.handoff=7$/);
  const dmesg = h.fs.readFile('/var/log/lab/dmesg') ?? '';
  assert.match(dmesg, /\] pci 0000:ca:00\.0: Adding to iommu group \d+\n/);
  assert.match(dmesg, /\] iommu: Default domain type: Passthrough \(set via kernel command line\)\n/);
});

test('update-grub as a non-root user fails as grub-mkconfig does', async () => {
  const h = makeHost('ubuntu');
  const r = await h.run('update-grub', [], USER_OPS);
  assert.equal(r.exitCode, 1);
  assert.equal(r.stderr, 'grub-mkconfig: You must run this as root\n');
});

test('a broken /etc/default/grub makes grub-mkconfig fail, not write', async () => {
  const h = makeHost('nogpu');
  const before = h.fs.readFile('/boot/grub/grub.cfg');
  h.fs.writeFile('/etc/default/grub', (h.fs.readFile('/etc/default/grub') ?? '').replace('GRUB_CMDLINE_LINUX=""', 'GRUB_CMDLINE_LINUX="intel_iommu=on'));
  const r = await h.run('update-grub');
  assert.notEqual(r.exitCode, 0);
  assert.match(r.stderr, /Syntax error: Unterminated quoted string/);
  assert.equal(h.fs.readFile('/boot/grub/grub.cfg'), before);
});

test('EL9: grubby --update-kernel=ALL --args updates the BLS entries; grub2-mkconfig does not', async () => {
  const h = makeHost('ctl1');
  h.fs.writeFile('/etc/default/grub', addToGrubDefault(h.fs.readFile('/etc/default/grub') ?? '', 'intel_iommu=on'));
  const mk = await h.run('grub2-mkconfig', ['-o', '/boot/grub2/grub.cfg']);
  assert.equal(mk.exitCode, 0, mk.stderr);
  assert.equal(h.reboot().iommuActive, false, 'RHEL 9.3+: grub2-mkconfig leaves the BLS options alone');

  const stub = await h.run('grub2-mkconfig', ['-o', '/boot/efi/EFI/rocky/grub.cfg']);
  assert.equal(stub.exitCode, 1);
  assert.equal(
    stub.stderr,
    "Running `grub2-mkconfig -o /boot/efi/EFI/rocky/grub.cfg' will overwrite the GRUB wrapper.\nPlease run `grub2-mkconfig -o /boot/grub2/grub.cfg' instead to update grub.cfg.\nGRUB configuration file was not updated.\n",
  );
  assert.match(h.fs.readFile('/boot/efi/EFI/rocky/grub.cfg') ?? '', /^search --no-floppy --root-dev-only --fs-uuid --set=dev /);

  const g = await h.run('grubby', ['--update-kernel=ALL', '--args=intel_iommu=on iommu=pt']);
  assert.equal(g.exitCode, 0, g.stderr);
  const info = await h.run('grubby', ['--info=DEFAULT']);
  assert.match(info.stdout, /^index=0\nkernel="\/boot\/vmlinuz-5\.14\.0-427\.22\.1\.el9_4\.x86_64"\nargs="ro crashkernel=1G-4G:192M,4G-64G:256M,64G-:512M resume=\/dev\/mapper\/rl-swap rd\.lvm\.lv=rl\/root rd\.lvm\.lv=rl\/swap rhgb quiet intel_iommu=on iommu=pt"\nroot="\/dev\/mapper\/rl-root"\ninitrd="\/boot\/initramfs-5\.14\.0-427\.22\.1\.el9_4\.x86_64\.img \$tuned_initrd"\ntitle="Rocky Linux \(5\.14\.0-427\.22\.1\.el9_4\.x86_64\) 9\.4 \(Blue Onyx\)"\nid="[0-9a-f]{32}-5\.14\.0-427\.22\.1\.el9_4\.x86_64"\n$/);
  const all = await h.run('grubby', ['--info=ALL']);
  assert.equal((all.stdout.match(/^index=/gm) ?? []).length, 3);
  const b = h.reboot();
  assert.equal(b.iommuActive, true);
  assert.match(b.cmdline, /^BOOT_IMAGE=\(hd0,gpt2\)\/vmlinuz-5\.14\.0-427\.22\.1\.el9_4\.x86_64 root=\/dev\/mapper\/rl-root ro .* intel_iommu=on iommu=pt$/);

  // replacing, not duplicating; an earlier intel_iommu=off is replaced
  await h.run('grubby', ['--update-kernel=ALL', '--args=intel_iommu=off']);
  await h.run('grubby', ['--update-kernel=ALL', '--args=intel_iommu=on']);
  const again = h.reboot();
  assert.equal((again.cmdline.match(/intel_iommu=/g) ?? []).length, 1);
  assert.equal(again.iommuActive, true);
  await h.run('grubby', ['--update-kernel=ALL', '--remove-args=intel_iommu']);
  assert.equal(h.reboot().iommuActive, false);
});

test('EL8: grubby --update-kernel=ALL changes kernelopts in grubenv, which the BLS entries use', async () => {
  const { demoCluster } = await import('../../src/specs.ts');
  const spec = demoCluster().find((x) => x.distro === 'rocky-8');
  assert.ok(spec);
  // an Intel EL8 host whose kernel does not turn the IOMMU on by itself
  const h = (await import('./helpers.ts')).makeHost({ ...spec, cpu: { ...spec.cpu, vendor: 'intel' }, iommuDefaultOn: false });
  assert.equal(h.boot.iommuActive, false);
  const g = await h.run('grubby', ['--update-kernel=ALL', '--args=intel_iommu=on']);
  assert.equal(g.exitCode, 0, g.stderr);
  assert.match(h.fs.readFile('/boot/grub2/grubenv') ?? '', /^kernelopts=root=\/dev\/mapper\/rl-root ro crashkernel=auto .* intel_iommu=on$/m);
  for (const e of h.fs.readdir('/boot/loader/entries')) assert.match(h.fs.readFile(`/boot/loader/entries/${e}`) ?? '', /^options \$kernelopts/m);
  assert.equal((h.fs.readFile('/boot/grub2/grubenv') ?? '').length, 1024);
  assert.equal(h.reboot().iommuActive, true);
});

test('grubby does not exist on Debian and Ubuntu; update-grub does not exist on EL', async () => {
  const u = makeHost('ubuntu');
  const r = await u.run('grubby', ['--info=ALL']);
  assert.equal(r.exitCode, 127);
  const e = makeHost('el7-bios');
  assert.equal((await e.run('update-grub')).exitCode, 127);
});

test('AMD: the IOMMU is on without any kernel argument; amd_iommu=off turns it off', async () => {
  const h = makeHost('amd');
  assert.equal(h.boot.iommuActive, true);
  assert.doesNotMatch(h.boot.cmdline, /iommu/);
  assert.deepEqual(h.fs.readdir('/sys/class/iommu'), ['ivhd0']);
  const dmesg = h.fs.readFile('/var/log/lab/dmesg') ?? '';
  assert.match(dmesg, /\] AMD-Vi: Interrupt remapping enabled\n/);
  assert.doesNotMatch(dmesg, /DMAR: IOMMU enabled/);
  await h.run('grubby', ['--update-kernel=ALL', '--args=amd_iommu=off']);
  assert.equal(h.reboot().iommuActive, false);
  assert.deepEqual(h.fs.readdir('/sys/kernel/iommu_groups'), []);
  // amd_iommu=on is not a valid value: the kernel says so and keeps its default
  await h.run('grubby', ['--update-kernel=ALL', '--args=amd_iommu=on']);
  assert.equal(h.reboot().iommuActive, true);
  assert.match(h.fs.readFile('/var/log/lab/dmesg') ?? '', /AMD-Vi: Unknown option - 'on'/);
});

test('an Intel kernel that enables VT-d by default shows groups but no "DMAR: IOMMU enabled"', () => {
  const h = makeHost({ ...makeHost('nogpu').spec, iommuDefaultOn: true });
  assert.equal(h.boot.iommuActive, true);
  const dmesg = h.fs.readFile('/var/log/lab/dmesg') ?? '';
  assert.doesNotMatch(dmesg, /DMAR: IOMMU enabled/);
  assert.match(dmesg, /DMAR: Intel\(R\) Virtualization Technology for Directed I\/O/);
  assert.ok(h.fs.readdir('/sys/kernel/iommu_groups').length > 0);
});

test('intel_iommu=off left by an earlier admin keeps the IOMMU off', async () => {
  const h = makeHost('el7-bios');
  h.fs.writeFile('/etc/default/grub', addToGrubDefault(h.fs.readFile('/etc/default/grub') ?? '', 'intel_iommu=off'));
  await h.run('grub2-mkconfig', ['-o', '/boot/grub2/grub.cfg']);
  assert.equal(h.reboot().iommuActive, false);
  assert.match(h.fs.readFile('/var/log/lab/dmesg') ?? '', /DMAR: IOMMU disabled/);
});

test('the novtx host has no vmx flag; the others have vmx or svm', () => {
  const novtx = makeHost('novtx');
  const cpuinfo = novtx.fs.readFile('/proc/cpuinfo') ?? '';
  assert.doesNotMatch(cpuinfo, /\b(vmx|svm)\b/);
  assert.match(cpuinfo, /^model name\t: Intel\(R\) Xeon\(R\) Gold 6248R CPU @ 3\.00GHz$/m);
  assert.match(novtx.fs.readFile('/var/log/lab/dmesg') ?? '', /x86\/cpu: VMX \(outside TXT\) disabled by BIOS/);
  assert.equal(novtx.fs.exists('/dev/kvm'), false);
  const el7 = makeHost('el7-bios').fs.readFile('/proc/cpuinfo') ?? '';
  assert.equal((el7.match(/^flags\t\t: .*\bvmx\b/gm) ?? []).length, 16);
  const amd = makeHost('amd').fs.readFile('/proc/cpuinfo') ?? '';
  assert.match(amd, /^flags\t\t: .*\bsvm\b/m);
  assert.match(amd, /^power management: ts ttp tm hwpstate cpb eff_freq_ro \[13\] \[14\]$/m);
});

test('reboot asks the lab to reboot and prints nothing; a non-root user is refused', async () => {
  const h = makeHost('ubuntu');
  const r = await h.run('reboot');
  assert.deepEqual(r, { stdout: '', stderr: '', exitCode: 0 });
  assert.equal(h.rebootRequested, true);
  const s = makeHost('el7-bios');
  assert.equal((await s.run('shutdown', ['-r', 'now'])).exitCode, 0);
  assert.equal(s.rebootRequested, true);
  const n = makeHost('amd');
  const denied = await n.run('systemctl', ['reboot'], USER_OPS);
  assert.equal(denied.exitCode, 1);
  assert.match(denied.stderr, /Interactive authentication required/);
  assert.equal(n.rebootRequested, false);
});
