// `passthru demo` (npm start): the whole job on the embedded simulated
// cluster, as an ordinary user: bring up a small mixed lab whose computes
// run instances, dry run with diffs, roll out with the live view (the
// instances of each compute that reboots are live-migrated away first:
// -e instances=migrate), recap, tear down.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SecretRegistry } from '../util/secrets.ts';
import { loadLab } from './lab-module.ts';
import { runCommand } from './run.ts';

const PLAYBOOK = resolve(fileURLToPath(new URL('../../playbooks/pci-passthrough.yaml', import.meta.url)));

export async function demoCommand(o: { out: NodeJS.WritableStream; tty: boolean }): Promise<number> {
  const lab = await loadLab();
  const dir = await mkdtemp(join(tmpdir(), 'passthru-demo-'));
  const say = (s: string): void => void o.out.write(`\n==> ${s}\n`);
  say('starting the embedded simulated cluster (in-process SSH servers; no root, no real hosts)');
  const cluster = await lab.startEmbeddedCluster(lab.demoCluster(), { dir, rebootSeconds: 2 });
  const secrets = new SecretRegistry();
  for (const s of lab.LAB_SECRETS) secrets.add(s);
  const never = new AbortController().signal;
  try {
    for (const h of cluster.hosts) o.out.write(`    ${h.name.padEnd(12)} ${h.spec.roles.join(',').padEnd(11)} ${h.spec.distro.padEnd(13)} ${h.spec.bootMode.padEnd(5)} ${h.spec.cpu.vendor}  ssh -p ${h.port} root@127.0.0.1\n`);
    o.out.write(`    inventory: ${cluster.inventoryPath}\n`);
    const common = {
      playbook: PLAYBOOK,
      inventory: cluster.inventoryPath,
      diff: false,
      forks: 50,
      extraVars: ['image=cirros-0.6.2-x86_64-disk', 'flavor=gpu.large', 'instances=migrate'],
      yes: true,
      become: false,
      out: o.out,
      tty: o.tty,
      signal: never,
      secrets,
    };
    say(`dry run: passthru run playbooks/pci-passthrough.yaml -i ${cluster.inventoryPath} -e instances=migrate --check`);
    const checkCode = await runCommand({ ...common, check: true });
    say(`rollout: passthru run playbooks/pci-passthrough.yaml -i ${cluster.inventoryPath} -e image=cirros-0.6.2-x86_64-disk -e flavor=gpu.large -e instances=migrate --yes`);
    const applyCode = await runCommand({ ...common, check: false, json: join(dir, 'report.json') });
    say(`done: dry run exited ${checkCode}, rollout exited ${applyCode}; the lab is torn down. On a real cluster: see README.md`);
    return checkCode !== 0 ? checkCode : applyCode;
  } finally {
    await cluster.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
