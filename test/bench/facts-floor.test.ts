// The facts floor's command: each host's facts script as `passthru run
// -vvv` logs it (the log made here by the product's own tracing and gather
// code), and the one `passthru exec` line that runs each host's own script,
// run by a real sh as sshd would start it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { tracedHost } from '../../src/cli/trace.ts';
import { gatherFacts, parseGatherOutput } from '../../src/facts/gather.ts';
import { bootId, hostname, kernelCmdline } from '../../src/facts/index.ts';
import type { Fact } from '../../src/facts/types.ts';
import type { RemoteHost } from '../../src/ssh/types.ts';
import { quote } from '../../src/util/shell.ts';
import { firstFactsCommands, perHostCommand, readQuoted } from './facts-floor.ts';

const CTL_FACTS = [hostname, bootId] as Fact<unknown>[];
const CMP_FACTS = [bootId, kernelCmdline] as Fact<unknown>[];

/** a host that answers every command with `stdout` and remembers what it was sent */
function host(name: string, sent: string[]): RemoteHost {
  return {
    name,
    connected: true,
    exec: async (command) => {
      sent.push(command);
      // output as a real gather prints it, with a line that looks like a log line
      return { stdout: "[ctl] $ not a command\nit's output\n", stderr: '', exitCode: 0 };
    },
    reconnect: async () => undefined,
    close: async () => undefined,
  };
}

/** what `passthru run -vvv` logs when ctl, then cmp001 and cmp002 read their facts as root, then ctl runs another command */
async function runLog(): Promise<{ log: string; sent: Map<string, string[]> }> {
  const lines: string[] = [];
  const sent = new Map<string, string[]>();
  const traced = (name: string): RemoteHost => {
    sent.set(name, []);
    return tracedHost(host(name, sent.get(name)!), 3, (l) => lines.push(l));
  };
  const ctl = traced('ctl');
  await gatherFacts(ctl, CTL_FACTS, { become: true });
  await gatherFacts(traced('cmp001'), CMP_FACTS, { become: true });
  await gatherFacts(traced('cmp002'), CMP_FACTS, { become: true });
  await ctl.exec(quote(['openstack', 'server', 'list']), { become: true });
  return { log: `${lines.join('\n')}\n`, sent };
}

test('each host\'s first command in a -vvv log is the facts script it was sent, quote for quote', async () => {
  const { log, sent } = await runLog();
  const got = firstFactsCommands(log);
  assert.deepEqual(
    got.map((c) => [c.host, c.become]),
    [
      ['ctl', true],
      ['cmp001', true],
      ['cmp002', true],
    ],
  );
  for (const c of got) {
    assert.equal(c.command, sent.get(c.host)?.[0], `${c.host}: the command as sent`);
    assert.equal(c.command, quote(['sh', '-c', c.script]));
  }
  assert.match(got[0]?.script ?? '', /begin:hostname'\n[\s\S]*begin:boot_id'/);
});

test('a host whose first command is not a facts script is named, with what it was sent', () => {
  const log = "[ctl] $ sudo sh -c 'echo '\\''@@passthru-fact:abc:begin:hostname'\\''\nhostname\n'\n[cmp001] $ cat /etc/hostname\n";
  assert.throws(() => firstFactsCommands(log), /^Error: cmp001: its first command is not a facts script .*: cat \/etc\/hostname$/);
});

test("a quoted word is read to its closing quote, a quote inside written '\\''", () => {
  assert.deepEqual(readQuoted("'it'\\''s' rest", 0), { end: 9, value: "it's" });
  assert.equal(readQuoted("'never closed", 0), undefined);
});

function shWith(line: string, sshConnection: string): { exitCode: number; stdout: string; stderr: string } {
  const r = spawnSync('sh', ['-c', line], { encoding: 'utf8', env: { ...process.env, SSH_CONNECTION: sshConnection } });
  return { exitCode: r.status ?? 255, stdout: r.stdout, stderr: r.stderr };
}

const ADDRESSES = [
  { name: 'ctl', address: '127.0.72.1', port: 22 },
  { name: 'cmp001', address: '127.0.72.2', port: 22 },
  { name: 'cmp002', address: '127.0.72.3', port: 2222 },
];

test('one exec line runs on each host the script it was sent, chosen by the address and port it was reached at', async () => {
  const line = perHostCommand(firstFactsCommands((await runLog()).log), ADDRESSES);
  const sections = (out: string): string[] => [...out.matchAll(/:begin:([a-z_]+)$/gm)].map((m) => m[1] ?? '');
  const ctl = shWith(line, '127.0.0.1 40000 127.0.72.1 22');
  assert.equal(ctl.exitCode, 0, ctl.stderr);
  assert.deepEqual(sections(ctl.stdout), ['hostname', 'boot_id']);
  // a real gather's output, every section parsed
  const parsed = parseGatherOutput(ctl.stdout, CTL_FACTS);
  assert.deepEqual([...parsed.values()].filter((r) => r.error !== undefined), []);
  assert.deepEqual(sections(shWith(line, '127.0.0.1 40001 127.0.72.3 2222').stdout), ['boot_id', 'kernel_cmdline']);
  // the computes' scripts differ by their nonce only: one branch for both
  assert.equal(line.match(/begin:kernel_cmdline/g)?.length, 1);
  const stray = shWith(line, '127.0.0.1 40002 127.0.72.3 22');
  assert.equal(stray.exitCode, 97);
  assert.match(stray.stderr, /facts floor: no script for 127\.0\.0\.1 40002 127\.0\.72\.3 22/);
});

test('hosts all sent the same script: the exec line is that command alone', async () => {
  const only = firstFactsCommands((await runLog()).log).filter((c) => c.host !== 'ctl');
  const line = perHostCommand(only, ADDRESSES);
  assert.match(line, /^sh -c '/);
  assert.doesNotMatch(line, /SSH_CONNECTION/);
});
