import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { makeHost, hostByName, USER_OPS } from './helpers.ts';

const DIR = new URL('./fixtures/lspci/', import.meta.url).pathname;

// The fixtures are the real lspci 3.9.0 (Debian 12) run over a sysfs tree
// built from the same specs (see fixtures/lspci/make-fixtures.ts), so the
// hosts are given Debian 12's pciutils here.
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.txt'));

for (const f of FILES) {
  const m = /^(el7-bios|amd|guest1)(.*)\.txt$/.exec(f);
  if (!m) continue;
  const [, name = '', flags = ''] = m;
  const args = flags === '_plain' ? [] : flags.replace(/_/g, ' ').replace('10de ', '10de:').replace('3b 00.0', '3b:00.0').trim().split(' ');
  test(`lspci ${args.join(' ')} on ${name} prints what the real lspci prints`, async () => {
    const h = makeHost({ ...hostByName(name), distro: 'debian-12' });
    const r = await h.run('lspci', args);
    assert.equal(r.exitCode, 0);
    assert.equal(r.stdout, readFileSync(DIR + f, 'utf8'));
  });
}

test('lspci -Dnmm is numeric only (a single -n), as the real lspci', async () => {
  const h = makeHost('el7-bios');
  const r = await h.run('lspci', ['-Dnmm', '-s', '3b:00.0']);
  // pciutils 3.5 on EL7: no -p00 when the prog-if is zero
  assert.equal(r.stdout, '0000:3b:00.0 "0300" "10de" "1e04" -ra1 "10de" "12fb"\n');
});

test('lspci -nnk shows the driver in use and the kernel modules', async () => {
  const h = makeHost('el7-bios');
  const r = await h.run('lspci', ['-nnk', '-s', '3b:00.1']);
  assert.equal(
    r.stdout,
    '3b:00.1 Audio device [0403]: NVIDIA Corporation TU102 High Definition Audio Controller [10de:10f7] (rev a1)\n' +
      '\tSubsystem: NVIDIA Corporation Device [10de:12fb]\n\tKernel driver in use: snd_hda_intel\n\tKernel modules: snd_hda_intel\n',
  );
});

test('lspci finds no NVIDIA device on the host without a GPU', async () => {
  const h = makeHost('nogpu');
  const r = await h.run('lspci', ['-Dnn', '-d', '10de:']);
  assert.equal(r.exitCode, 0);
  assert.equal(r.stdout, '');
  const all = await h.run('lspci', ['-nn']);
  assert.match(all.stdout, /VGA compatible controller \[0300\]: ASPEED Technology, Inc\. ASPEED Graphics Family \[1a03:2000\]/);
  assert.match(all.stdout, /Ethernet controller \[0200\]: Intel Corporation Ethernet Controller X710 for 10GbE SFP\+ \[8086:1572\]/);
});

test('lspci rejects an unknown option like the real one, and says so for options the lab does not model', async () => {
  const h = makeHost('amd');
  const bad = await h.run('lspci', ['-z']);
  assert.equal(bad.exitCode, 1);
  assert.match(bad.stderr, /^lspci: invalid option -- 'z'\nUsage: lspci \[<switches>\]/);
  const v = await h.run('lspci', ['-vv']);
  assert.notEqual(v.exitCode, 0);
  assert.match(v.stderr, /not modelled/);
  const s = await h.run('lspci', ['-s', 'zz:00.0']);
  assert.equal(s.exitCode, 1);
  assert.equal(s.stderr, 'lspci: -s: Invalid bus number\n'); // as the real lspci 3.9 says
});

test('lspci works for a non-root user', async () => {
  const h = makeHost('amd');
  const r = await h.run('lspci', ['-n', '-d', '10de:'], USER_OPS);
  assert.equal(r.stdout, '81:00.0 0302: 10de:2236 (rev a1)\n');
});
