import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { requiredKernelArgs } from '../../src/boot/cmdline.ts';
import { editGrubCmdline, effectiveCmdline, findAssignments } from '../../src/boot/grub-default.ts';
import { ConfigError } from '../../src/errors.ts';

const grub = (name: string): string => readFileSync(new URL(`../fixtures/boot/grub/${name}`, import.meta.url), 'utf8');
const MAIN = '/etc/default/grub';
const CLOUD = '/etc/default/grub.d/50-cloudimg-settings.cfg';
const intel = requiredKernelArgs('intel', { passthroughMode: true });

function changed(before: string, after: string): { removed: string[]; added: string[] } {
  const a = before.split('\n');
  const b = after.split('\n');
  return { removed: a.filter((l) => !b.includes(l)), added: b.filter((l) => !a.includes(l)) };
}

test('effective command line: GRUB_CMDLINE_LINUX then _DEFAULT, drop-ins override', () => {
  const u = effectiveCmdline(grub('ubuntu-22.04.grub'));
  assert.equal(u.linux, '');
  assert.equal(u.linuxDefault, 'quiet splash');
  assert.deepEqual(u.linuxSource, { path: MAIN, line: 11 });
  const cloud = effectiveCmdline(grub('ubuntu-22.04.grub'), [{ path: CLOUD, content: grub('ubuntu-cloudimg-50-cloudimg-settings.cfg') }]);
  assert.equal(cloud.linuxDefault, 'console=tty1 console=ttyS0');
  assert.deepEqual(cloud.linuxDefaultSource, { path: CLOUD, line: 11 });
  const c7 = effectiveCmdline(grub('centos-7.grub'));
  assert.equal(c7.combined, 'crashkernel=auto rd.lvm.lv=centos/root rd.lvm.lv=centos/swap rhgb quiet');
  assert.deepEqual(c7.problems, []);
});

test('shell forms: single quotes, unquoted, export, $VAR and ${VAR} self references', () => {
  const text = [
    "GRUB_CMDLINE_LINUX='a b'",
    'export GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX c"',
    'GRUB_CMDLINE_LINUX_DEFAULT=quiet',
    'GRUB_CMDLINE_LINUX="${GRUB_CMDLINE_LINUX} d" # trailing comment',
  ].join('\n');
  const e = effectiveCmdline(text);
  assert.equal(e.linux, 'a b c d');
  assert.equal(e.combined, 'a b c d quiet');
  assert.deepEqual(findAssignments({ path: MAIN, content: text }).map((a) => a.selfRef), [false, true, false, true]);
});

test('CentOS 7 (the seed procedure): adds to GRUB_CMDLINE_LINUX in place, every other line untouched', () => {
  const before = grub('centos-7.grub');
  const r = editGrubCmdline({ path: MAIN, content: before }, [], intel.add, intel.remove);
  assert.equal(r.edits.length, 1);
  assert.deepEqual(changed(before, r.edits[0]!.after), {
    removed: ['GRUB_CMDLINE_LINUX="crashkernel=auto rd.lvm.lv=centos/root rd.lvm.lv=centos/swap rhgb quiet"'],
    added: ['GRUB_CMDLINE_LINUX="crashkernel=auto rd.lvm.lv=centos/root rd.lvm.lv=centos/swap rhgb quiet intel_iommu=on iommu=pt"'],
  });
  assert.ok(r.after.combined.includes('intel_iommu=on iommu=pt'));
  // planning again on the result changes nothing
  const again = editGrubCmdline({ path: MAIN, content: r.edits[0]!.after }, [], intel.add, intel.remove);
  assert.deepEqual(again.edits, []);
});

test('Ubuntu: empty GRUB_CMDLINE_LINUX="" gets the arguments; quiet splash stays in _DEFAULT', () => {
  const before = grub('ubuntu-22.04.grub');
  const r = editGrubCmdline({ path: MAIN, content: before }, [], intel.add, intel.remove);
  assert.deepEqual(changed(before, r.edits[0]!.after), { removed: ['GRUB_CMDLINE_LINUX=""'], added: ['GRUB_CMDLINE_LINUX="intel_iommu=on iommu=pt"'] });
  assert.equal(r.after.combined, 'intel_iommu=on iommu=pt quiet splash');
});

test('an intel_iommu=off left in GRUB_CMDLINE_LINUX_DEFAULT is taken out (it comes later and would win)', () => {
  const before = grub('debian-12.grub').replace('GRUB_CMDLINE_LINUX_DEFAULT="quiet"', 'GRUB_CMDLINE_LINUX_DEFAULT="quiet intel_iommu=off"');
  const r = editGrubCmdline({ path: MAIN, content: before }, [], intel.add, intel.remove);
  assert.deepEqual(changed(before, r.edits[0]!.after), {
    removed: ['GRUB_CMDLINE_LINUX_DEFAULT="quiet intel_iommu=off"', 'GRUB_CMDLINE_LINUX=""'],
    added: ['GRUB_CMDLINE_LINUX_DEFAULT="quiet"', 'GRUB_CMDLINE_LINUX="intel_iommu=on iommu=pt"'],
  });
});

test('a conflicting value in the determining line is replaced in place', () => {
  const before = grub('rocky-9.grub').replace('rhgb quiet"', 'intel_iommu=off rhgb quiet"');
  const r = editGrubCmdline({ path: MAIN, content: before }, [], intel.add, intel.remove);
  const line = r.edits[0]!.after.split('\n').find((l) => l.startsWith('GRUB_CMDLINE_LINUX='))!;
  assert.equal(line, 'GRUB_CMDLINE_LINUX="crashkernel=1G-4G:192M,4G-64G:256M,64G-:512M resume=/dev/mapper/rl-swap rd.lvm.lv=rl/root rd.lvm.lv=rl/swap intel_iommu=on rhgb quiet iommu=pt"');
  assert.equal(line.match(/intel_iommu/g)!.length, 1);
});

test('a drop-in that sets GRUB_CMDLINE_LINUX is the file edited, not /etc/default/grub', () => {
  const main = grub('ubuntu-22.04.grub');
  const dropin = { path: '/etc/default/grub.d/90-passthrough.cfg', content: 'GRUB_CMDLINE_LINUX="nomodeset"\n' };
  const r = editGrubCmdline({ path: MAIN, content: main }, [dropin, { path: CLOUD, content: grub('ubuntu-cloudimg-50-cloudimg-settings.cfg') }], intel.add, intel.remove);
  assert.deepEqual(r.edits.map((e) => e.path), [dropin.path]);
  assert.equal(r.edits[0]!.after, 'GRUB_CMDLINE_LINUX="nomodeset intel_iommu=on iommu=pt"\n');
  assert.equal(r.after.combined, 'nomodeset intel_iommu=on iommu=pt console=tty1 console=ttyS0');
});

test('a drop-in extending the value: conflicts removed from the line it extends, additions in the drop-in', () => {
  const main = 'GRUB_CMDLINE_LINUX="intel_iommu=off quiet"\n';
  const dropin = { path: '/etc/default/grub.d/50-x.cfg', content: 'GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX console=ttyS0"\n' };
  const r = editGrubCmdline({ path: MAIN, content: main }, [dropin], intel.add, intel.remove);
  assert.deepEqual(
    r.edits.map((e) => [e.path, e.after]),
    [
      [MAIN, 'GRUB_CMDLINE_LINUX="quiet"\n'],
      [dropin.path, 'GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX console=ttyS0 intel_iommu=on iommu=pt"\n'],
    ],
  );
  assert.equal(r.after.linux, 'quiet console=ttyS0 intel_iommu=on iommu=pt');
});

test('already there through GRUB_CMDLINE_LINUX_DEFAULT: nothing to do', () => {
  const text = 'GRUB_CMDLINE_LINUX_DEFAULT="quiet intel_iommu=on iommu=pt"\nGRUB_CMDLINE_LINUX=""\n';
  assert.deepEqual(editGrubCmdline({ path: MAIN, content: text }, [], intel.add, intel.remove).edits, []);
});

test('no GRUB_CMDLINE_LINUX at all: appended to /etc/default/grub; unquoted values get quotes when they grow', () => {
  const r = editGrubCmdline({ path: MAIN, content: 'GRUB_TIMEOUT=5' }, [], ['intel_iommu=on'], []);
  assert.equal(r.edits[0]!.after, 'GRUB_TIMEOUT=5\nGRUB_CMDLINE_LINUX="intel_iommu=on"\n');
  const u = editGrubCmdline({ path: MAIN, content: 'GRUB_CMDLINE_LINUX=quiet\r\nGRUB_TIMEOUT=5\r\n' }, [], ['intel_iommu=on'], []);
  assert.equal(u.edits[0]!.after, 'GRUB_CMDLINE_LINUX="quiet intel_iommu=on"\r\nGRUB_TIMEOUT=5\r\n');
});

test('an assignment that cannot be evaluated is refused with file and line', () => {
  const text = 'GRUB_TIMEOUT=5\nGRUB_CMDLINE_LINUX="$(cat /etc/kernel-args)"\n';
  assert.throws(
    () => editGrubCmdline({ path: MAIN, content: text }, [], intel.add, intel.remove),
    (e: unknown) => e instanceof ConfigError && e.message.startsWith('/etc/default/grub:2: ') && /command substitution/.test(e.message),
  );
  const multi = 'GRUB_CMDLINE_LINUX="quiet\n  splash"\n';
  assert.throws(() => editGrubCmdline({ path: MAIN, content: multi }, [], intel.add, intel.remove), /next line/);
});

const DROPIN = '/etc/default/grub.d/zz-passthru.cfg';

test("Debian/Ubuntu: the arguments go into passthru's own drop-in, read last; other files only lose what turns the IOMMU off", () => {
  const main = grub('ubuntu-22.04.grub').replace('GRUB_CMDLINE_LINUX=""', 'GRUB_CMDLINE_LINUX="intel_iommu=off iommu=nopt"');
  const cloud = { path: CLOUD, content: grub('ubuntu-cloudimg-50-cloudimg-settings.cfg') };
  const r = editGrubCmdline({ path: MAIN, content: main }, [cloud], intel.add, intel.remove, { dropin: DROPIN });
  assert.deepEqual(r.edits.map((e) => e.path), [MAIN, DROPIN]);
  const mainEdit = r.edits[0]!;
  assert.deepEqual(changed(mainEdit.before, mainEdit.after), { removed: ['GRUB_CMDLINE_LINUX="intel_iommu=off iommu=nopt"'], added: ['GRUB_CMDLINE_LINUX=""'] });
  const ours = r.edits[1]!;
  assert.equal(ours.before, '');
  assert.match(ours.after, /^# Written by passthru/);
  assert.match(ours.after, /\nGRUB_CMDLINE_LINUX="\$GRUB_CMDLINE_LINUX intel_iommu=on iommu=pt"\n$/);
  assert.equal(r.after.combined.trim(), 'intel_iommu=on iommu=pt console=tty1 console=ttyS0');
  // idempotent: with the drop-in in place, nothing changes
  const again = editGrubCmdline({ path: MAIN, content: mainEdit.after }, [cloud, { path: DROPIN, content: ours.after }], intel.add, intel.remove, { dropin: DROPIN });
  assert.deepEqual(again.edits, []);
});

test('a drop-in that another tool manages is not edited: the error names it and says what to do', () => {
  const cloud = { path: CLOUD, content: grub('ubuntu-cloudimg-50-cloudimg-settings.cfg').replace('console=tty1 console=ttyS0', 'console=tty1 intel_iommu=off') };
  assert.throws(
    () => editGrubCmdline({ path: MAIN, content: grub('ubuntu-22.04.grub') }, [cloud], intel.add, intel.remove, { dropin: DROPIN }),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.deepEqual(e.location, { file: CLOUD, line: 2 });
      assert.match(e.message, /another tool manages this file \("# CLOUD_IMG: This file was created\/modified by the Cloud Image build process"\)/);
      assert.match(e.hint ?? '', /take intel_iommu=off out of GRUB_CMDLINE_LINUX/);
      return true;
    },
  );
});

test("a later drop-in that sets GRUB_CMDLINE_LINUX outright would drop passthru's arguments: refused, naming its line", () => {
  const late = { path: '/etc/default/grub.d/zzz-site.cfg', content: 'GRUB_CMDLINE_LINUX="console=ttyS1"\n' };
  assert.throws(
    () => editGrubCmdline({ path: MAIN, content: grub('ubuntu-22.04.grub') }, [late], intel.add, intel.remove, { dropin: DROPIN }),
    (e: unknown) => e instanceof ConfigError && e.location.file === late.path && e.location.line === 1 && /comes after passthru's drop-in/.test(e.message),
  );
});
