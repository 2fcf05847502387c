// passthru's own transport, fact gathering and remote file writes, unchanged,
// against the embedded lab: the remote scripts of src/ssh and src/facts run on
// the simulated hosts as root, as ops through sudo (NOPASSWD), and through
// sudo -S with a password; a reboot is survived with a new boot_id.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { startEmbeddedCluster, type EmbeddedCluster } from '../../src/embedded/cluster.ts';
import { mixedCluster } from '../../src/specs.ts';
import { gatherFacts } from '../../../../src/facts/gather.ts';
import { ALL_FACTS } from '../../../../src/facts/index.ts';
import { connect } from '../../../../src/ssh/connection.ts';
import { readRemoteFile, restoreBackup, writeRemoteFile } from '../../../../src/ssh/files.ts';
import type { ConnectTarget, RemoteHost } from '../../../../src/ssh/types.ts';

function target(cluster: EmbeddedCluster, name: string, user: string, becomePassword?: string): ConnectTarget {
  const h = cluster.hosts.find((x) => x.name === name);
  assert.ok(h);
  return {
    name,
    host: h.address,
    port: h.port,
    user,
    identityFiles: [cluster.identityFile],
    knownHostsFiles: [cluster.knownHostsPath],
    strictHostKeyChecking: 'yes',
    jumps: [],
    connectTimeoutMs: 5000,
    keepaliveIntervalMs: 5000,
    become: user !== 'root',
    becomeUser: 'root',
    becomePassword,
  };
}

for (const mode of [
  { title: 'as root', user: 'root', password: undefined },
  { title: 'as ops with sudo -n (NOPASSWD)', user: 'ops', password: undefined },
  { title: 'as ops with sudo -S (password)', user: 'ops', password: 'lab-secret' },
] as const) {
  describe(`passthru's remote scripts ${mode.title}`, () => {
    let cluster: EmbeddedCluster;
    const hosts: RemoteHost[] = [];
    before(async () => {
      cluster = await startEmbeddedCluster(mixedCluster(), { rebootSeconds: 0.3, sudoPassword: mode.password });
    });
    after(async () => {
      for (const h of hosts) await h.close();
      await cluster?.stop();
      if (cluster) rmSync(cluster.dir, { recursive: true, force: true });
    });
    const become = mode.user !== 'root';

    test('every fact is gathered on every host, in one round trip each', async () => {
      for (const h of cluster.hosts) {
        const host = await connect(target(cluster, h.name, mode.user, mode.password));
        hosts.push(host);
        const facts = await gatherFacts(host, ALL_FACTS, { become });
        const errors = [...facts].filter(([, r]) => r.error !== undefined).map(([id, r]) => `${id}: ${r.error}`);
        assert.deepEqual(errors, [], `${h.name}`);
        const cmdline = facts.get('kernel_cmdline')?.value as { raw: string };
        assert.equal(`${cmdline.raw}\n`, cluster.fs(h.name).readFile('/proc/cmdline'), `${h.name}: /proc/cmdline`);
        const bootId = facts.get('boot_id')?.value as string;
        assert.equal(`${bootId}\n`, cluster.fs(h.name).readFile('/proc/sys/kernel/random/boot_id'));
      }
    });

    test('nova.conf is read, replaced atomically with its owner/group/mode, backed up and restored', async () => {
      const spec = cluster.hosts.find((h) => h.spec.nova !== undefined && h.spec.roles.includes('compute'));
      assert.ok(spec);
      const host = await connect(target(cluster, spec.name, mode.user, mode.password));
      hosts.push(host);
      const fs = cluster.fs(spec.name);
      const before = await readRemoteFile(host, '/etc/nova/nova.conf', { become });
      assert.deepEqual(before.meta, { owner: 'root', group: 'nova', mode: 0o640 });
      assert.equal(before.content, fs.readFile('/etc/nova/nova.conf'));
      const changed = `${before.content}\n[pci]\nalias = { "name": "gpu", "vendor_id": "10de", "product_id": "1e04" }\n`;
      const w = await writeRemoteFile(host, '/etc/nova/nova.conf', changed, { become, backup: true });
      assert.ok(w.written && w.backupPath !== undefined);
      assert.equal(fs.readFile('/etc/nova/nova.conf'), changed);
      const after = await readRemoteFile(host, '/etc/nova/nova.conf', { become });
      assert.deepEqual(after.meta, { owner: 'root', group: 'nova', mode: 0o640 });
      assert.equal(fs.readFile(w.backupPath), before.content);
      assert.deepEqual(await writeRemoteFile(host, '/etc/nova/nova.conf', changed, { become }), { written: false }, 'same content: nothing written');
      await restoreBackup(host, '/etc/nova/nova.conf', w.backupPath, { become });
      assert.equal(fs.readFile('/etc/nova/nova.conf'), before.content);
      assert.deepEqual(
        fs.readdir('/etc/nova').filter((n) => n.includes('.passthru-')),
        [],
        'no temporary file left behind',
      );
    });

    test('systemctl reboot: the host goes away and passthru reconnects to a new boot_id', async () => {
      const spec = cluster.hosts.find((h) => h.spec.roles.includes('compute'));
      assert.ok(spec);
      const host = await connect(target(cluster, spec.name, mode.user, mode.password));
      hosts.push(host);
      const before = (await host.exec('cat /proc/sys/kernel/random/boot_id')).stdout.trim();
      const r = await host.exec('systemctl reboot', { become });
      assert.equal(r.exitCode, 0, r.stderr);
      await host.reconnect({ timeoutMs: 10_000, attemptTimeoutMs: 1000 });
      let after = before;
      for (let i = 0; i < 50 && after === before; i++) {
        // a reconnect that raced the drop lands on the old boot: try again
        try {
          after = (await host.exec('cat /proc/sys/kernel/random/boot_id')).stdout.trim();
        } catch {
          await host.reconnect({ timeoutMs: 10_000, attemptTimeoutMs: 1000 });
        }
        if (after === before) await new Promise((res) => setTimeout(res, 100));
      }
      assert.notEqual(after, before);
    });
  });
}
