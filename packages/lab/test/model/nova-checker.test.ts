// The lab's long-lived nova checker (src/lab/tools/nova-checker.ts: one
// `python3 nova_check.py --batch` importing nova once) answers exactly as the
// script's one-shot mode (one python3 per check) did, whatever came before;
// a checker that dies is replaced; without python3-nova the JS model answers;
// checkNova memoizes by release, service and the bytes of every file.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NovaService } from '../../src/distro.ts';
import { NodeFs } from '../../src/nodefs.ts';
import { checkNovaService } from '../../src/novacheck.ts';
import { NovaChecker, type NovaCheckAnswer } from '../../src/tools/nova-checker.ts';
import { checkNova, NOVA_CHECK_PY, novaChecker, runNovaCheckPy, SYSTEM_PYTHON } from '../../src/tools/novacheck-run.ts';
import { hostByName } from './helpers.ts';

const pythonNova = existsSync(SYSTEM_PYTHON) && spawnSync(SYSTEM_PYTHON, ['-c', 'import nova.pci.request'], { encoding: 'utf8' }).status === 0;
const skip = pythonNova ? false : 'SKIPPED: needs /usr/bin/python3 with python3-nova';
if (!pythonNova) process.stderr.write('\n!!! SKIPPED packages/lab/test/model/nova-checker.test.ts: needs /usr/bin/python3 with python3-nova\n\n');

const repo = fileURLToPath(new URL('../../', import.meta.url));
const pci = (lines: string): string => `[DEFAULT]\ndebug = false\n\n[pci]\n${lines}\n`;

interface Case {
  name: string;
  release: string;
  service: NovaService;
  conf: string;
}

const CASES: Case[] = [
  {
    name: 'accepted compute config',
    release: '2024.1',
    service: 'compute',
    conf: pci('device_spec = {"vendor_id":"10de","product_id":"1e04"}\nalias = {"name":"gpu","vendor_id":"10de","product_id":"1e04","device_type":"type-PCI"}'),
  },
  { name: 'bad alias', release: 'zed', service: 'api', conf: pci('alias = {"name":"a","vendor":"10de"}') },
  { name: 'bad device_spec', release: 'zed', service: 'compute', conf: pci('device_spec = {"vendor_id":"10dex"}') },
  { name: 'unknown filters', release: '2023.2', service: 'scheduler', conf: '[filter_scheduler]\nenabled_filters = AvailabilityZoneFilter,ComputeFilter,RamFilter\n' },
  { name: 'parse error', release: 'zed', service: 'conductor', conf: '[pci\nalias = {"name":"a"}\n' },
  { name: 'yoga: bad passthrough_whitelist', release: 'yoga', service: 'compute', conf: pci('passthrough_whitelist = {"vendor_id":"zzzz"}') },
  { name: 'accepted scheduler config', release: '2024.1', service: 'scheduler', conf: '[filter_scheduler]\nenabled_filters = ComputeFilter,PciPassthroughFilter\n' },
];

/** run `fn` over `items` with at most `n` at once */
async function mapLimit<T, R>(items: readonly T[], n: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i] as T);
      }
    }),
  );
  return out;
}

describe('the nova checker (python3 nova_check.py --batch)', { skip }, () => {
  let dir: string;
  /** one file per case */
  const file = (i: number): string => join(dir, `case-${i}.conf`);
  /** the one-shot script's answer per case: the reference */
  let reference: NovaCheckAnswer[];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nova-checker-'));
    CASES.forEach((c, i) => writeFileSync(file(i), c.conf));
    reference = await mapLimit(CASES, 2, (c) => runNovaCheckPy([file(CASES.indexOf(c))], c.release, c.service));
    // the cases mean what they say
    assert.equal(reference[0], undefined);
    assert.equal((reference[1] as { exception?: string } | undefined)?.exception, 'nova.exception.PciInvalidAlias');
    assert.equal((reference[2] as { exception?: string } | undefined)?.exception, 'nova.exception.PciConfigInvalidSpec');
    assert.deepEqual(reference[3], {
      exception: 'nova.exception.SchedulerHostFilterNotFound',
      message: 'Scheduler Host Filter AvailabilityZoneFilter, RamFilter could not be found.',
    });
    assert.equal((reference[4] as { exception?: string } | undefined)?.exception, 'oslo_config.cfg.ConfigFileParseError');
    assert.match((reference[4] as { message?: string } | undefined)?.message ?? '', new RegExp(`^Failed to parse ${file(4)}: `));
    assert.equal((reference[5] as { exception?: string } | undefined)?.exception, 'nova.exception.PciConfigInvalidWhitelist');
    assert.equal(reference[6], undefined);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('answers every case as the one-shot script does, asked all at once and in order, from one process', async (t) => {
    const checker = new NovaChecker({ script: NOVA_CHECK_PY });
    t.after(() => checker.close());
    const got = await Promise.all(CASES.map((c, i) => checker.check(c.release, c.service, [file(i)])));
    assert.deepEqual(got, reference);
    assert.equal(checker.spawns, 1);
  });

  it('a failing check changes nothing for the next one (each case after each failing case)', async (t) => {
    const checker = new NovaChecker({ script: NOVA_CHECK_PY });
    t.after(() => checker.close());
    const failing = CASES.map((_, i) => i).filter((i) => reference[i] !== undefined);
    const order: number[] = [];
    for (let i = 0; i < CASES.length; i++) for (const f of failing) order.push(f, i);
    const got = await Promise.all(order.map((i) => checker.check(CASES[i]!.release, CASES[i]!.service, [file(i)])));
    assert.deepEqual(got, order.map((i) => reference[i]));
    assert.equal(checker.spawns, 1);
  });

  it('the same path with other contents is read again', async (t) => {
    const checker = new NovaChecker({ script: NOVA_CHECK_PY });
    t.after(() => checker.close());
    const same = join(dir, 'same.conf');
    for (const i of [1, 0, 4, 3, 6, 2, 0]) {
      const c = CASES[i]!;
      writeFileSync(same, c.conf);
      const got = await checker.check(c.release, c.service, [same]);
      const want = reference[i];
      assert.notEqual(want, 'unavailable');
      assert.deepEqual(got, typeof want === 'object' ? { ...want, message: want.message.split(file(i)).join(same) } : want, c.name);
    }
  });

  it('starts warm (nova imported) on warm(), and a checker killed mid-way is replaced: every check is answered', async (t) => {
    const checker = new NovaChecker({ script: NOVA_CHECK_PY });
    t.after(() => checker.close());
    assert.equal(await checker.warm(), true);
    const first = checker.pid;
    assert.ok(first);
    assert.equal(checker.spawns, 1);

    // killed while it has checks to answer
    const asked = CASES.map((c, i) => checker.check(c.release, c.service, [file(i)]));
    process.kill(first, 'SIGKILL');
    assert.deepEqual(await Promise.all(asked), reference);
    assert.equal(checker.spawns, 2);
    const second = checker.pid;
    assert.ok(second && second !== first);

    // killed while idle: the next check starts another
    process.kill(second, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(await checker.check(CASES[3]!.release, CASES[3]!.service, [file(3)]), reference[3]);
    assert.equal(checker.spawns, 3);
    assert.ok(checker.pid && checker.pid !== second);
  });

  it('close() kills the process; later checks answer unavailable (the JS model then answers)', async () => {
    const checker = new NovaChecker({ script: NOVA_CHECK_PY });
    await checker.warm();
    const pid = checker.pid;
    assert.ok(pid);
    const pending = checker.check(CASES[0]!.release, CASES[0]!.service, [file(0)]);
    checker.close();
    assert.equal(await pending, 'unavailable');
    assert.equal(await checker.check(CASES[0]!.release, CASES[0]!.service, [file(0)]), 'unavailable');
    await waitGone(pid);
  });

  it('without python3-nova: warm() says so, checks answer unavailable, and no process is started again', async (t) => {
    const noNova = fakePythonWithoutNova(dir);
    const checker = new NovaChecker({ python: noNova, script: NOVA_CHECK_PY });
    t.after(() => checker.close());
    assert.equal(await checker.warm(), false);
    assert.match(checker.unavailableReason ?? '', /nova is not importable/);
    assert.equal(await checker.check('zed', 'api', [file(1)]), 'unavailable');
    assert.equal(checker.spawns, 1);
    assert.equal(checker.pid, undefined);

    const missing = new NovaChecker({ python: join(dir, 'no-such-python'), script: NOVA_CHECK_PY });
    assert.equal(await missing.check('zed', 'api', [file(1)]), 'unavailable');
    assert.equal(await missing.warm(), false);
  });
});

describe('checkNova: nova\'s answer, memoized by release, service and file bytes; the JS model without nova', { skip }, () => {
  let dir: string;
  const api = { ...hostByName('el7-bios'), nova: { release: 'zed' as const } };
  const badAlias = pci('alias = {"name":"a","vendor":"10de"}');

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'nova-checker-memo-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const host = (name: string, conf: string): NodeFs => {
    mkdirSync(join(dir, name, 'etc/nova'), { recursive: true });
    writeFileSync(join(dir, name, 'etc/nova/nova.conf'), conf);
    return new NodeFs(join(dir, name));
  };

  it("answers with nova's own code, the host's path in the message; the same files again cost nothing", async () => {
    const a = host('a', badAlias);
    const before0 = novaChecker().asked;
    const expected = await runNovaCheckPy([a.real('/etc/nova/nova.conf')], 'zed', 'api');
    assert.ok(expected && expected !== 'unavailable');
    const want = { ...expected, message: expected.message.split(a.root).join('') };

    const [r1, r2] = await Promise.all([checkNova(a, api, 'api'), checkNova(a, api, 'api')]);
    assert.deepEqual(r1, want);
    assert.deepEqual(r2, want);
    assert.deepEqual(await checkNova(a, api, 'api'), want);
    assert.equal(novaChecker().asked, before0 + 1, 'asked once');

    // another host with the same files (same paths, same bytes): the same answer, not asked again
    const b = host('b', badAlias);
    assert.deepEqual(await checkNova(b, api, 'api'), want);
    assert.equal(novaChecker().asked, before0 + 1);

    // one byte more: asked again; another release or service: asked again
    writeFileSync(join(dir, 'a/etc/nova/nova.conf'), `${badAlias}\n`);
    assert.deepEqual(await checkNova(a, api, 'api'), want);
    assert.equal(novaChecker().asked, before0 + 2);
    assert.equal(await checkNova(a, api, 'conductor'), undefined);
    assert.equal(novaChecker().asked, before0 + 3);
    assert.deepEqual(await checkNova(a, { ...api, nova: { release: 'yoga' } }, 'api'), want);
    assert.equal(novaChecker().asked, before0 + 4);
    // and back to the first bytes: remembered
    writeFileSync(join(dir, 'a/etc/nova/nova.conf'), badAlias);
    assert.deepEqual(await checkNova(a, api, 'api'), want);
    assert.equal(novaChecker().asked, before0 + 4);
  });

  it('PASSTHRU_LAB_JS_NOVA_CHECK=1 forces the JS model', async (t) => {
    const c = host('js', pci('alias = {"name":"a","device_type":"type-GPU"}'));
    process.env['PASSTHRU_LAB_JS_NOVA_CHECK'] = '1';
    t.after(() => delete process.env['PASSTHRU_LAB_JS_NOVA_CHECK']);
    const before0 = novaChecker().asked;
    assert.deepEqual(await checkNova(c, api, 'api'), checkNovaService(c, api, 'api'));
    assert.equal(novaChecker().asked, before0);
  });

  it('without python3-nova the JS model answers; a tool process ends as soon as its check is done, its checker with it', async () => {
    const c = host('fallback', badAlias);
    const script = join(dir, 'nova_check.py');
    copyFileSync(NOVA_CHECK_PY, script);
    const run = (python: string): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> => {
      const code = `
        import { checkNova, configureNovaChecker, novaChecker } from './src/tools/novacheck-run.ts';
        import { NodeFs } from './src/nodefs.ts';
        configureNovaChecker({ python: ${JSON.stringify(python)}, script: ${JSON.stringify(script)} });
        const r = await checkNova(new NodeFs(${JSON.stringify(c.root)}), ${JSON.stringify(api)}, 'api');
        console.log(JSON.stringify({ r: r ?? null, pid: novaChecker().pid ?? null, reason: novaChecker().unavailableReason ?? null }));
      `;
      const t0 = Date.now();
      return new Promise((resolve) => {
        execFile(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: repo, timeout: 60_000 }, (err, stdout, stderr) => {
          resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr, ms: Date.now() - t0 });
        });
      });
    };
    const withNova = await run(SYSTEM_PYTHON);
    assert.equal(withNova.code, 0, withNova.stderr);
    const w = JSON.parse(withNova.stdout) as { r: unknown; pid: number };
    assert.equal((w.r as { exception: string }).exception, 'nova.exception.PciInvalidAlias');
    assert.ok(w.pid > 0, 'the checker ran');
    await waitGone(w.pid); // EOF or its parent's death ended it

    const without = await run(fakePythonWithoutNova(dir));
    assert.equal(without.code, 0, without.stderr);
    const o = JSON.parse(without.stdout) as { r: unknown; reason: string };
    assert.deepEqual(o.r, checkNovaService(c, api, 'api'));
    assert.match(o.reason, /nova is not importable/);
  });
});

/** a python3 that cannot import nova (no site-packages) */
function fakePythonWithoutNova(dir: string): string {
  const p = join(dir, 'python3-without-nova');
  writeFileSync(p, `#!/bin/sh\nexec ${SYSTEM_PYTHON} -S "$@"\n`);
  chmodSync(p, 0o755);
  return p;
}

async function waitGone(pid: number, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(readStatus(pid))) {
    if (Date.now() > deadline) assert.fail(`process ${pid} still runs`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function readStatus(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return '';
  }
}
