// The real lab, driven the way every integration test and the benchmark use
// it: plain OpenSSH clients against three real sshd hosts.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mixedCluster } from '../../src/specs.ts';
import type { HostSpec } from '../../src/types.ts';
import { holdConnection, pollSsh, ssh } from '../../src/real/client.ts';
import { LAB_SUDO_PASSWORD, realLabUnavailable, startRealLab, type RealLab } from '../../src/real/lab.ts';

const unavailable = realLabUnavailable();
if (unavailable) process.stderr.write(`\n*** SKIPPED packages/lab/test/real/lab.test.ts: ${unavailable} ***\n\n`);

/** Three hosts of different distributions: EL9 controller, Ubuntu compute, Debian compute. */
function threeHosts(): HostSpec[] {
  const all = mixedCluster();
  const pick = (pred: (s: HostSpec) => boolean, what: string): HostSpec => {
    const s = all.find(pred);
    if (!s) throw new Error(`mixedCluster() has no ${what}`);
    return s;
  };
  const el = pick((s) => s.roles.includes('controller') && s.distro.startsWith('rocky'), 'EL controller');
  const ubuntu = pick((s) => s.roles.includes('compute') && s.distro.startsWith('ubuntu') && s.cpu.virtualization, 'Ubuntu compute');
  const debian = pick((s) => s.distro === 'debian-12', 'Debian compute');
  return [el, ubuntu, debian];
}

/** processes listening on an address (pid), from `ss`; only sshd unless `all` */
function listeners(address: string, all = false): number[] {
  const out = execFileSync('ss', ['-H', '-ltnp', 'src', address], { encoding: 'utf8' });
  return [...out.matchAll(/\("([^"]+)",pid=(\d+)/g)].filter((m) => all || m[1] === 'sshd').map((m) => Number(m[2]));
}

describe('real lab: three real sshd hosts', { skip: unavailable ? `SKIPPED: ${unavailable}` : false }, () => {
  let lab: RealLab;
  let names: [string, string, string];

  before(async () => {
    const specs = threeHosts();
    names = [specs[0]!.name, specs[1]!.name, specs[2]!.name];
    lab = await startRealLab(specs, { rebootSeconds: 0.5 });
  });
  after(async () => {
    await lab?.stop();
  });

  it('every host answers with its own hostname, /etc/os-release and boot_id', async () => {
    const seen = await Promise.all(
      names.map(async (name) => {
        const r = await ssh(lab, name, 'hostname; . /etc/os-release; echo "$ID"; cat /proc/sys/kernel/random/boot_id');
        assert.equal(r.code, 0, r.stderr);
        const [hostname, id, bootId] = r.stdout.trim().split('\n');
        assert.equal(hostname, name);
        assert.equal(bootId, lab.bootId(name));
        return { id, bootId };
      }),
    );
    assert.deepEqual(seen.map((s) => s.id), ['rocky', 'ubuntu', 'debian']);
    assert.equal(new Set(seen.map((s) => s.bootId)).size, 3);
  });

  it('each host has its own kernel command line', async () => {
    const lines = await Promise.all(names.map(async (n) => (await ssh(lab, n, 'cat /proc/cmdline')).stdout.trim()));
    for (const l of lines) assert.match(l, /^BOOT_IMAGE=/);
    assert.equal(new Set(lines).size, 3, lines.join('\n'));
    assert.equal(lab.readFile(names[0], '/proc/cmdline').trim(), lines[0]);
  });

  it("a host's files are invisible on the others and on this machine", async () => {
    const marker = `marker-${process.pid}-${Date.now()}`;
    const w = await ssh(lab, names[0], `echo ${marker} > /etc/${marker} && echo ${marker} > /root/${marker}`);
    assert.equal(w.code, 0, w.stderr);
    const other = await ssh(lab, names[1], `cat /etc/${marker} /root/${marker}`);
    assert.notEqual(other.code, 0);
    assert.match(other.stderr, /No such file/);
    assert.equal(existsSync(`/etc/${marker}`), false, "this machine's /etc is untouched");
    assert.equal(lab.readFile(names[0], `/root/${marker}`), `${marker}\n`);
  });

  it('the machine tools answer from the host model, for root and for non-root users', async () => {
    const spec = lab.host(names[1]).spec;
    const dev = spec.devices[0];
    assert.ok(dev, 'the Ubuntu compute has PCI devices');
    const root = await ssh(lab, names[1], 'command -v lspci; lspci -nn');
    assert.equal(root.code, 0, root.stderr);
    assert.match(root.stdout, /^\/usr\/local\/sbin\/lspci$/m);
    assert.ok(root.stdout.includes(`[${dev.vendor}:${dev.device}]`), root.stdout);
    const ops = await ssh(lab, names[1], 'command -v lspci; lspci -n', { user: 'ops' });
    assert.equal(ops.code, 0, ops.stderr);
    assert.match(ops.stdout, /^\/usr\/local\/bin\/lspci$/m);
    assert.ok(ops.stdout.includes(`${dev.vendor}:${dev.device}`), ops.stdout);
    const rebootAsOps = await ssh(lab, names[1], 'reboot', { user: 'ops' });
    assert.notEqual(rebootAsOps.code, 0, 'a non-root user cannot reboot');
  });

  it('tools answer while the test process blocks its own event loop (execFileSync)', () => {
    const host = lab.host(names[2]);
    const out = execFileSync(
      'ssh',
      ['-F', '/dev/null', '-o', 'BatchMode=yes', '-o', `UserKnownHostsFile=${lab.knownHostsPath}`, '-i', lab.identityFile, `root@${host.address}`, 'systemctl is-system-running; dmesg | head -1'],
      { encoding: 'utf8', timeout: 20_000 },
    );
    assert.match(out, /\[\s*0\.000000\] Linux version/);
  });

  it('ops has passwordless sudo; opsp needs the password', async () => {
    const ops = await ssh(lab, names[2], 'sudo -n true && echo ok', { user: 'ops' });
    assert.equal(ops.stdout.trim(), 'ok', ops.stderr);
    const noPw = await ssh(lab, names[2], 'sudo -n true', { user: 'opsp' });
    assert.notEqual(noPw.code, 0);
    assert.match(noPw.stderr, /a password is required/);
    const withPw = await ssh(lab, names[2], "sudo -S -p '' id -u", { user: 'opsp', input: `${LAB_SUDO_PASSWORD}\n` });
    assert.equal(withPw.stdout.trim(), '0', withPw.stderr);
  });

  it('fileHashes changes only when a file changes', async () => {
    const before = lab.fileHashes(names[2]);
    assert.ok(before['/etc/default/grub'], 'the grub defaults are hashed');
    assert.ok(before['/etc/passwd']);
    assert.deepEqual(lab.fileHashes(names[2]), before);
    await ssh(lab, names[2], 'cat /etc/default/grub > /dev/null; ls /boot');
    assert.deepEqual(lab.fileHashes(names[2]), before, 'reading changes nothing');
    await ssh(lab, names[2], 'echo "# touched" >> /etc/default/grub');
    const after = lab.fileHashes(names[2]);
    assert.notEqual(after['/etc/default/grub'], before['/etc/default/grub']);
    assert.equal(after['/etc/passwd'], before['/etc/passwd']);
  });

  it('reboot from inside drops connections; the host returns with a new boot_id and the new kernel args', async () => {
    const name = names[1]; // Ubuntu: /etc/default/grub + update-grub
    const oldBoot = lab.bootId(name);
    const boots = lab.bootCount(name);
    const held = holdConnection(lab, name);
    await held.ready;
    const edit = await ssh(
      lab,
      name,
      `sed -i 's/^GRUB_CMDLINE_LINUX="\\(.*\\)"/GRUB_CMDLINE_LINUX="\\1 intel_iommu=on iommu=pt"/' /etc/default/grub && update-grub && grep -c intel_iommu=on /boot/grub/grub.cfg`,
    );
    assert.equal(edit.code, 0, edit.stderr);
    assert.ok(Number(edit.stdout.trim()) >= 1, 'update-grub wrote the args into grub.cfg');
    const r = await ssh(lab, name, 'reboot');
    assert.ok(r.code === 0 || r.code === 255, `reboot returns or drops the connection (exit ${r.code}: ${r.stderr})`);
    await lab.waitUp(name); // right after the command: must wait for the reboot, not see the old boot
    assert.notEqual(lab.bootId(name), oldBoot);
    assert.equal(await held.ended, 255, 'the open session is dropped');
    const after = await pollSsh(lab, name, 'cat /proc/sys/kernel/random/boot_id; cat /proc/cmdline', (out) => !out.startsWith(oldBoot));
    const [bootId, cmdline] = after.trim().split('\n');
    assert.notEqual(bootId, oldBoot);
    assert.equal(bootId, lab.bootId(name));
    assert.match(cmdline ?? '', /(^| )intel_iommu=on( |$)/);
    assert.match(cmdline ?? '', /(^| )iommu=pt( |$)/);
    assert.equal(lab.bootCount(name), boots + 1);
  });

  it('killSshd drops every connection; the host keeps running (same boot_id)', async () => {
    const name = names[2];
    const bootId = lab.bootId(name);
    const held = holdConnection(lab, name);
    await held.ready;
    lab.killSshd(name);
    assert.equal(await held.ended, 255);
    await lab.waitUp(name);
    const r = await pollSsh(lab, name, 'cat /proc/sys/kernel/random/boot_id', () => true);
    assert.equal(r.trim(), bootId);
  });

  it('stopHost powers a host off until startHost', async () => {
    const name = names[0];
    const oldBoot = lab.bootId(name);
    await lab.stopHost(name);
    const off = await ssh(lab, name, 'true', { connectTimeoutSeconds: 2 });
    assert.equal(off.code, 255);
    assert.match(off.stderr, /Connection refused/);
    await lab.startHost(name);
    const r = await ssh(lab, name, 'cat /proc/sys/kernel/random/boot_id');
    assert.equal(r.code, 0, r.stderr);
    assert.notEqual(r.stdout.trim(), oldBoot);
  });

  it('rotateHostKey: a client with the old known_hosts refuses the host', async () => {
    const name = names[2];
    await lab.rotateHostKey(name);
    const r = await ssh(lab, name, 'true');
    assert.equal(r.code, 255);
    assert.match(r.stderr, /REMOTE HOST IDENTIFICATION HAS CHANGED/);
    assert.match(r.stderr, /Host key verification failed/);
  });

  it('stop() leaves no sshd and no lab process behind', async () => {
    const pids = names.flatMap((n) => listeners(lab.host(n).address));
    assert.equal(pids.length, 3, 'one listening sshd per host before stop');
    const dir = lab.dir;
    await lab.stop();
    for (const pid of pids) assert.equal(existsSync(`/proc/${pid}`), false, `sshd ${pid} is gone`);
    for (const n of names) assert.deepEqual(listeners(lab.host(n).address, true), []);
    const toolServer = lab.host(names[0]).address.replace(/\.\d+$/, '.255');
    assert.deepEqual(listeners(toolServer, true), [], 'the tool server is closed');
    let left = '';
    try {
      left = execFileSync('pgrep', ['-a', '-f', dir], { encoding: 'utf8' });
    } catch {
      // pgrep exits 1 when nothing matches
    }
    assert.equal(left, '');
    assert.equal(existsSync(dir), false, 'the lab dir is removed');
  });
});

describe('real lab with tools exec\'d by node (tools: exec)', { skip: unavailable ? `SKIPPED: ${unavailable}` : false }, () => {
  let lab: RealLab;
  let name: string;
  before(async () => {
    const spec = threeHosts()[1]!;
    name = spec.name;
    lab = await startRealLab([spec], { tools: 'exec', rebootSeconds: 0.5 });
  });
  after(async () => {
    await lab?.stop();
  });

  it('lspci and update-grub run as node processes with the same answers', async () => {
    const dev = lab.host(name).spec.devices[0]!;
    const r = await ssh(lab, name, 'head -2 /usr/local/sbin/lspci; lspci -n; update-grub >/dev/null 2>&1; echo rc=$?');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /exec \/usr\/bin\/node /);
    assert.ok(r.stdout.includes(`${dev.vendor}:${dev.device}`), r.stdout);
    assert.match(r.stdout, /^rc=0$/m);
  });
});
