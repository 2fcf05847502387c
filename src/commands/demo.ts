// `passthru demo` (npm start): the whole job on the embedded simulated
// cluster, as an ordinary user: bring up a small mixed lab whose computes
// run instances, dry run with diffs, roll out with the live view (the
// instances of each compute that reboots are live-migrated away first:
// -e instances=migrate), recap, tear down; the HTML report of the rollout
// is kept (./passthru-demo-report.html) and its path printed.

import { rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SecretRegistry } from '../util/secrets.ts';
import { loadLab } from './lab-module.ts';
import { runCommand } from './run.ts';
import { interruptSignal, removeOnExit } from '../cli/signals.ts';
import { EXIT } from '../errors.ts';

/** Where the demo leaves the HTML report of its rollout (the current directory; git-ignored). */
const DEMO_REPORT = 'passthru-demo-report.html';

const PLAYBOOK = resolve(fileURLToPath(new URL('../../playbooks/pci-passthrough.yaml', import.meta.url)));

export async function demoCommand(o: { out: NodeJS.WritableStream; tty: boolean }): Promise<number> {
  const lab = await loadLab();
  // the lab's private key and inventory live here: removed on every exit (a closed pipe, Ctrl-C, SIGTERM, an error)
  const dir = await mkdtemp(join(tmpdir(), 'passthru-demo-'));
  const removeDir = (): void => rmSync(dir, { recursive: true, force: true });
  const cancelRemove = removeOnExit(removeDir);
  const { signal, dispose } = interruptSignal();
  const say = (s: string): void => void o.out.write(`\n==> ${s}\n`);
  let cluster: Awaited<ReturnType<typeof lab.startEmbeddedCluster>> | undefined;
  try {
    say('starting the embedded simulated cluster (in-process SSH servers; no root, no real hosts)');
    cluster = await lab.startEmbeddedCluster(lab.demoCluster(), { dir, rebootSeconds: 2 });
    const secrets = new SecretRegistry();
    for (const s of lab.LAB_SECRETS) secrets.add(s);
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
      signal,
      secrets,
    };
    say(`dry run: passthru run playbooks/pci-passthrough.yaml -i ${cluster.inventoryPath} -e instances=migrate --check`);
    const checkCode = await runCommand({ ...common, check: true });
    if (signal.aborted) return EXIT.interrupted;
    say(`rollout: passthru run playbooks/pci-passthrough.yaml -i ${cluster.inventoryPath} -e image=cirros-0.6.2-x86_64-disk -e flavor=gpu.large -e instances=migrate --yes`);
    const html = resolve(DEMO_REPORT);
    const applyCode = await runCommand({ ...common, check: false, json: join(dir, 'report.json'), html });
    if (signal.aborted) return EXIT.interrupted;
    say(`done: dry run exited ${checkCode}, rollout exited ${applyCode}; the lab is torn down. On a real cluster: see README.md`);
    o.out.write(`    the rollout, host by host (timeline, GPU map, diffs): ${html}\n    open it in a browser: file://${html}\n`);
    return checkCode !== 0 ? checkCode : applyCode;
  } finally {
    dispose();
    await cluster?.stop();
    removeDir();
    cancelRemove();
  }
}
