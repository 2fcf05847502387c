// The nova check of the nova_pci step shared across hosts, with nova's own
// code (python3-nova, installed here as in CI): the hosts are local shells
// (one per host name), counting the python processes they start.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { NOVA_PYTHON_PROBE, type NovaPython } from '../../../src/nova/check.ts';
import { novaValues } from '../../../src/nova/values.ts';
import { novaCheck, prepareNovaCheck, type NovaCandidate } from '../../../src/steps/pci/nova-check.ts';
import type { StepContext } from '../../../src/steps/types.ts';
import { RunServices } from '../../../src/steps/services.ts';
import type { ExecOptions, ExecResult, RemoteHost } from '../../../src/ssh/types.ts';
import { SecretRegistry } from '../../../src/util/secrets.ts';
import { requireNova } from '../../nova/helpers.ts';

class LocalHost implements RemoteHost {
  readonly connected = true;
  pythons = 0;
  constructor(readonly name: string) {}
  exec(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    if (command.includes('python3')) this.pythons++;
    return new Promise((resolve, reject) => {
      // a session of its own, as sshd gives each command: the background check nices its
      // session's autogroup, which must not be this test run's (it would starve what follows)
      const p = spawn('sh', ['-c', command], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      p.on('error', reject);
      // a command that exits without reading its stdin closes the pipe first (EPIPE): sshd drops it too
      p.stdin.on('error', () => undefined);
      p.on('close', (code) => resolve({ stdout, stderr, exitCode: code ?? 255 }));
      p.stdin.end(opts.stdin ?? '');
    });
  }
  async reconnect(): Promise<void> {}
  async close(): Promise<void> {}
}

function contexts(names: string[]): { ctxs: StepContext[]; hosts: LocalHost[] } {
  const services = new RunServices();
  const hosts = names.map((n) => new LocalHost(n));
  const ctxs = hosts.map(
    (host) =>
      ({
        host,
        hostName: host.name,
        become: false,
        check: false,
        secrets: new SecretRegistry(),
        signal: new AbortController().signal,
        services,
      }) as unknown as StepContext,
  );
  return { ctxs, hosts };
}

async function probe(): Promise<NovaPython> {
  const h = new LocalHost('probe');
  const r = await h.exec(NOVA_PYTHON_PROBE.script);
  return NOVA_PYTHON_PROBE.parse(r.stdout, r.exitCode);
}

const ALIAS = '{"name":"nvidia-1eb8-3d","vendor_id":"10de","product_id":"1eb8","device_type":"type-PCI"}';
/** a compute's nova.conf: its own address and password, its own device spec */
function computeConf(ip: string, password: string, spec: string): string {
  return `[DEFAULT]\nmy_ip = ${ip}\ntransport_url = rabbit://openstack:${password}@ctl\n\n[pci]\nalias = ${ALIAS}\ndevice_spec = ${spec}\n`;
}

function candidate(text: string): NovaCandidate {
  const checks = ['alias', 'device_spec'] as const;
  return { files: [{ path: '/etc/nova/nova.conf', text }], checks: [...checks], values: novaValues([text], 'zed', checks) };
}

test('hosts whose nova.conf has the same shape: oslo.config reads one of them, nova checks all their values in one process', async (t) => {
  if (!requireNova(t)) return;
  const p = await probe();
  const { ctxs, hosts } = contexts(['cmp1', 'cmp2', 'cmp3', 'cmp4']);
  const cands = [
    candidate(computeConf('10.0.0.11', 's3cret-a', '{"vendor_id":"10de","product_id":"1eb8"}')),
    candidate(computeConf('10.0.0.12', 's3cret-b', '{"vendor_id":"10de","product_id":"1e04"}')),
    candidate(computeConf('10.0.0.13', 's3cret-c', '{"vendor_id":"10de","product_id":"1eb8"}')),
    // another shape: a comment more, and its device spec nova refuses
    candidate(`# local changes\n${computeConf('10.0.0.14', 's3cret-d', '{"vendor_id":"10de","address":"0000:zz:00.0"}')}`),
  ];
  const results = await Promise.all(ctxs.map((ctx, i) => novaCheck(ctx, cands[i]!, p)));
  assert.deepEqual(results.slice(0, 3), [{ checked: true }, { checked: true }, { checked: true }]);
  assert.equal(results[3]!.checked, true);
  assert.match(results[3]!.problem ?? '', /^device_spec: PciConfigInvalidSpec: .*bus \('zz'\) does not parse as a hex number/);
  // cmp1 read the shape of cmp1-3 and ran the batch of every host's values; cmp4 read its own shape
  assert.deepEqual(hosts.map((h) => h.pythons), [2, 0, 0, 1]);
});

test('a shape oslo.config refuses is refused on every host that has it; the check announced early is not run twice', async (t) => {
  if (!requireNova(t)) return;
  const p = await probe();
  const { ctxs, hosts } = contexts(['cmp1', 'cmp2', 'ctl']);
  const broken = (ip: string) => candidate(`[DEFAULT]\nmy_ip = ${ip}\nno key and no value here\n[pci]\nalias = ${ALIAS}\n`);
  const [a, b] = await Promise.all([novaCheck(ctxs[0]!, broken('10.0.0.1'), p), novaCheck(ctxs[1]!, broken('10.0.0.2'), p)]);
  for (const r of [a, b]) assert.match(r.problem ?? '', /^parse: ConfigFileParseError: .*\/etc\/nova\/nova\.conf.*:3/);
  // read at the start of the play (prepare), then checked at the step's turn: one read, one batch
  const good = candidate(computeConf('10.0.0.3', 'x', '{"vendor_id":"10de","product_id":"1eb8"}'));
  await prepareNovaCheck(ctxs[2]!, good, p);
  assert.deepEqual(await novaCheck(ctxs[2]!, good, p), { checked: true });
  assert.equal(hosts[2]!.pythons, 2);
  // a step that comes before the early read is done waits for it (it runs at the host's normal
  // priority): the new shape is read once; its values were checked already
  const other = candidate(`# other\n${computeConf('10.0.0.4', 'y', '{"vendor_id":"10de","product_id":"1eb8"}')}`);
  void prepareNovaCheck(ctxs[2]!, other, p);
  assert.deepEqual(await novaCheck(ctxs[2]!, other, p), { checked: true });
  assert.equal(hosts[2]!.pythons, 3);
});
