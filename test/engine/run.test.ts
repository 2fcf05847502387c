import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runPlaybook, type RunOptions } from '../../src/engine/run.ts';
import { EventBus, type EngineEvent } from '../../src/engine/events.ts';
import { SecretRegistry } from '../../src/util/secrets.ts';
import { z } from 'zod';
import { hostLock } from '../../src/engine/host-lock.ts';
import { boomKind, bounceKind, connectorFor, FakeHost, inventoryOf, play, playbook, probeKind, readFactKind, step, touchKind } from './fakes.ts';
import type { StepKind } from '../../src/steps/types.ts';

const kinds = new Map<string, StepKind<unknown>>([touchKind, boomKind, probeKind].map((k) => [k.kind, k as unknown as StepKind<unknown>]));

function setup(groups: Record<string, string[]>, pb: ReturnType<typeof playbook>, extra: Partial<RunOptions> = {}, unreachable: string[] = []) {
  const hosts = new Map<string, FakeHost>();
  const bus = new EventBus();
  const events: EngineEvent[] = [];
  bus.on((e) => events.push(e));
  const opts: RunOptions = {
    playbook: pb,
    inventory: inventoryOf(groups),
    extraVars: {},
    kinds,
    connector: connectorFor(hosts, unreachable),
    bus,
    secrets: new SecretRegistry(),
    check: false,
    forks: 10,
    signal: new AbortController().signal,
    ...extra,
  };
  return { hosts, events, run: () => runPlaybook(opts) };
}

const stepEnds = (events: EngineEvent[]) => events.flatMap((e) => (e.type === 'step-end' ? [e] : []));

test('check mode plans changes but applies nothing', async () => {
  const { hosts, events, run } = setup({ compute: ['c1', 'c2'] }, playbook(play('p', 'compute', [step('make file', 'touch', { path: '/etc/x' })])), { check: true });
  await run();
  for (const h of hosts.values()) assert.deepEqual(h.log, [], `${h.name} ran commands in check mode`);
  const ends = stepEnds(events);
  assert.equal(ends.length, 2);
  for (const e of ends) {
    assert.equal(e.outcome.status, 'changed');
    assert.equal(e.outcome.diffs[0]?.path, '/etc/x');
  }
});

test('a second apply changes nothing', async () => {
  const pb = playbook(play('p', 'compute', [step('make file', 'touch', { path: '/etc/x' })]));
  const s = setup({ compute: ['c1'] }, pb);
  await s.run();
  const first = stepEnds(s.events).map((e) => e.outcome.status);
  s.events.length = 0;
  await s.run();
  assert.deepEqual(first, ['changed']);
  assert.deepEqual(stepEnds(s.events).map((e) => e.outcome.status), ['ok']);
});

test('serial 2 with a failure and max_fail_percentage 0 touches no later batch', async () => {
  const pb = playbook(
    play('p', 'compute', [step('fail some', 'boom', { on: ['c1'] }), step('make file', 'touch', { path: '/etc/x' })], { serial: 2, maxFailPercentage: 0 }),
    play('later', 'compute', [step('make other', 'touch', { path: '/etc/y' })]),
  );
  const { hosts, run, events } = setup({ compute: ['c1', 'c2', 'c3', 'c4'] }, pb);
  const r = await run();
  assert.ok(r.aborted?.includes('max_fail_percentage'));
  assert.equal(hosts.get('c3'), undefined, 'c3 (second batch) was connected to');
  assert.equal(hosts.get('c4'), undefined, 'c4 (second batch) was connected to');
  assert.deepEqual(hosts.get('c2')?.log, ['touch /etc/x'], 'c2 finished its batch');
  assert.ok(!events.some((e) => e.type === 'play-start' && e.play === 'later'));
});

test('a notified handler runs once per host, even when a later step fails', async () => {
  const handler = step('restart it', 'touch', { path: '/run/restarted' });
  const pb = playbook(
    play('p', 'compute', [
      step('a', 'touch', { path: '/etc/a' }, { notify: ['restart it'] }),
      step('b', 'touch', { path: '/etc/b' }, { notify: ['restart it'] }),
      step('then fail', 'boom', { on: ['c1'] }),
    ], { handlers: [handler] }),
  );
  const { hosts, run } = setup({ compute: ['c1', 'c2'] }, pb);
  await run();
  for (const name of ['c1', 'c2']) {
    const log = hosts.get(name)?.log ?? [];
    assert.equal(log.filter((l) => l === 'touch /run/restarted').length, 1, `${name}: handler ran ${log.join(';')}`);
  }
});

test('an unreachable host is reported and the others go on', async () => {
  const { events, run } = setup({ compute: ['c1', 'c2'] }, playbook(play('p', 'compute', [step('make file', 'touch', { path: '/etc/x' })])), {}, ['c2']);
  const r = await run();
  assert.equal(r.state.host('c2').out, 'unreachable');
  const c1 = stepEnds(events).find((e) => e.host === 'c1');
  assert.equal(c1?.outcome.status, 'changed');
});

test('check mode: a step failing after a planned change is reported as pending, not failed', async () => {
  const pb = playbook(play('p', 'compute', [step('make file', 'touch', { path: '/etc/x' }), step('needs the file', 'boom', { on: ['c1'] })]));
  const { events, run } = setup({ compute: ['c1'] }, pb, { check: true });
  await run();
  const last = stepEnds(events).at(-1);
  assert.equal(last?.outcome.status, 'skipped');
  assert.match(last?.outcome.pending ?? '', /make file/);
});

test('a repeatable step is retried once after the connection dropped', async () => {
  const { hosts, events, run } = setup({ compute: ['c1'] }, playbook(play('p', 'compute', [step('probe', 'probe')])));
  const h = new FakeHost('c1');
  h.dropNext = true;
  hosts.set('c1', h);
  await run();
  assert.deepEqual(h.log, ['<reconnect>', 'probe']);
  assert.equal(stepEnds(events)[0]?.outcome.status, 'ok');
});

test('when: false skips; run_once runs on one host only', async () => {
  const pb = playbook(
    play('p', 'compute', [
      step('never', 'touch', { path: '/etc/n' }, { when: ['1 == 2'] }),
      step('once', 'touch', { path: '/etc/once' }, { runOnce: true }),
    ]),
  );
  const { hosts, run } = setup({ compute: ['c1', 'c2', 'c3'] }, pb);
  await run();
  const ran = [...hosts.values()].filter((h) => h.log.includes('touch /etc/once')).length;
  assert.equal(ran, 1);
  assert.ok([...hosts.values()].every((h) => !h.log.includes('touch /etc/n')));
});

test('a run that changes nothing reads each host once: the later plays use the facts gathered at the start', async () => {
  const k = new Map(kinds);
  k.set(readFactKind.kind, readFactKind as unknown as StepKind<unknown>);
  const pb = playbook(
    play('first', 'compute', [step('a', 'readfact', { fact: 'alpha' })]),
    play('second', 'compute', [step('b', 'readfact', { fact: 'beta' }, { register: 'b' }), step('a again', 'readfact', { fact: 'alpha' })]),
  );
  const s = setup({ compute: ['c1', 'c2'] }, pb, { kinds: k });
  const { state } = await s.run();
  for (const h of s.hosts.values()) assert.equal(h.gathers, 1, `${h.name}: one round trip for the whole run`);
  assert.deepEqual(state.host('c1').registered['b'], { value: 'beta', changed: false, failed: false });
});

test('a change on a host makes its next step read the facts again', async () => {
  const k = new Map(kinds);
  k.set(readFactKind.kind, readFactKind as unknown as StepKind<unknown>);
  const pb = playbook(play('p', 'compute', [step('a', 'readfact', { fact: 'alpha' }), step('make file', 'touch', { path: '/etc/x' }), step('a again', 'readfact', { fact: 'alpha' })]));
  const s = setup({ compute: ['c1'] }, pb, { kinds: k });
  await s.run();
  assert.equal(s.hosts.get('c1')!.gathers, 2);
  // the second run changes nothing: one round trip
  await s.run();
  assert.equal(s.hosts.get('c1')!.gathers, 3);
});

test('prepare starts when the play starts, before the steps before it ran; hosts share run-wide objects', async () => {
  const seen: Array<{ host: string; at: number; services: unknown }> = [];
  let slowDone = 0;
  const slow: StepKind<Record<string, never>> = {
    kind: 'slow',
    schema: z.object({}).strict(),
    plan: async () => {
      await new Promise((r) => setTimeout(r, 50));
      slowDone = Date.now();
      return { changes: [] };
    },
  };
  const early: StepKind<Record<string, never>> = {
    kind: 'early',
    schema: z.object({}).strict(),
    prepare: async (ctx) => {
      seen.push({ host: ctx.hostName, at: Date.now(), services: ctx.services });
    },
    plan: async (ctx) => ({ changes: [], result: { shared: seen.every((x) => x.services === ctx.services) } }),
  };
  const k = new Map(kinds);
  for (const x of [slow, early]) k.set(x.kind, x as unknown as StepKind<unknown>);
  const pb = playbook(play('p', 'compute', [step('slow', 'slow'), step('early', 'early', {}, { register: 'e' }), step('never', 'early', {}, { when: ['false'] })]));
  const s = setup({ compute: ['c1', 'c2'] }, pb, { kinds: k });
  const { state } = await s.run();
  assert.deepEqual(seen.map((x) => x.host).sort(), ['c1', 'c2'], 'once per host; not for a step whose condition is false');
  assert.ok(seen.every((x) => x.at < slowDone), 'prepared before the earlier step finished');
  assert.equal((state.host('c2').registered['e'] as { shared: boolean }).shared, true, 'one object for the run');
});

test('after a change, a step reads its facts with those of the steps up to the next disruptive one, not beyond', async () => {
  const k = new Map(kinds);
  for (const x of [readFactKind, bounceKind]) k.set(x.kind, x as unknown as StepKind<unknown>);
  const pb = playbook(
    play('p', 'compute', [
      step('a', 'readfact', { fact: 'alpha' }),
      step('make file', 'touch', { path: '/etc/x' }),
      step('b', 'readfact', { fact: 'beta' }),
      step('c', 'readfact', { fact: 'gamma' }),
      step('restart', 'bounce'),
      step('d', 'readfact', { fact: 'delta' }),
    ]),
  );
  const s = setup({ compute: ['c1'] }, pb, { kinds: k });
  await s.run();
  assert.deepEqual(s.hosts.get('c1')!.gathered.map((ids) => ids.sort()), [
    ['alpha', 'beta', 'delta', 'gamma'], // when the host starts the play: everything it will read
    ['beta', 'gamma'], // after the change: until the restart, which changes what delta would read
    ['delta'],
  ]);
});

test('a change that reads the host back in its own round trip: the next steps plan from that, with no round trip of their own', async () => {
  const k = new Map(kinds);
  const change = (kept: boolean): StepKind<Record<string, never>> => ({
    kind: kept ? 'change-read-back' : 'change-not-kept',
    schema: z.object({}).strict(),
    plan: async () => ({
      changes: [{ description: 'change and read back' }],
      apply: async (c) => {
        const back = c.readBack!([]);
        // the change and the read-back script in one command
        const r = await c.host.exec(`change; ${back.script}`);
        if (kept) back.accept(r.stdout);
        return { factsCurrent: kept };
      },
    }),
  });
  for (const x of [readFactKind, bounceKind, change(true), change(false)]) k.set(x.kind, x as unknown as StepKind<unknown>);
  const steps = (kind: string) => [step('a', 'readfact', { fact: 'alpha' }), step('change', kind), step('b', 'readfact', { fact: 'beta' }), step('restart', 'bounce'), step('c', 'readfact', { fact: 'gamma' })];
  const s = setup({ compute: ['c1'] }, playbook(play('p', 'compute', steps('change-read-back'))), { kinds: k });
  await s.run();
  assert.deepEqual(s.hosts.get('c1')!.gathered.map((ids) => ids.sort()), [
    ['alpha', 'beta', 'gamma'], // when the host starts the play
    ['beta'], // in the change's own command: what the steps after it read, up to the restart
    ['gamma'], // after the restart
  ]);
  // a step that does not say its read-back is current: everything is read again after it
  const t = setup({ compute: ['c1'] }, playbook(play('p', 'compute', steps('change-not-kept'))), { kinds: k });
  await t.run();
  assert.deepEqual(t.hosts.get('c1')!.gathered.map((ids) => ids.sort()), [['alpha', 'beta', 'gamma'], ['beta'], ['beta'], ['gamma']]);
});

test('a change that names the facts it can alter: only those are read back, the others stay as read', async () => {
  const k = new Map(kinds);
  const alpha: import('../../src/facts/types.ts').Fact<string> = { id: 'alpha', script: 'echo alpha', parse: (out) => out.trim() };
  const changeAlpha: StepKind<Record<string, never>> = {
    kind: 'change-alpha',
    schema: z.object({}).strict(),
    plan: async () => ({
      changes: [{ description: 'change what alpha reads' }],
      apply: async (c) => {
        const back = c.readBack!([], { changed: [alpha] });
        back.accept((await c.host.exec(`change; ${back.script}`)).stdout);
        return { factsCurrent: true };
      },
    }),
  };
  for (const x of [readFactKind, changeAlpha]) k.set(x.kind, x as unknown as StepKind<unknown>);
  const pb = playbook(play('p', 'compute', [step('change', 'change-alpha'), step('a', 'readfact', { fact: 'alpha' }), step('b', 'readfact', { fact: 'beta' })]));
  const s = setup({ compute: ['c1'] }, pb, { kinds: k });
  await s.run();
  assert.deepEqual(s.hosts.get('c1')!.gathered.map((ids) => ids.sort()), [
    ['alpha', 'beta'], // when the host starts the play
    ['alpha'], // in the change's command: what it altered, not beta
  ]);
});

test('a host through a play reads what the next play reads before the other hosts are through', async () => {
  const k = new Map(kinds);
  const slow: StepKind<Record<string, never>> = {
    kind: 'slow-on-c2',
    schema: z.object({}).strict(),
    plan: async (ctx) => {
      if (ctx.hostName === 'c2') await new Promise((r) => setTimeout(r, 100));
      return { changes: [] };
    },
  };
  for (const x of [readFactKind, slow]) k.set(x.kind, x as unknown as StepKind<unknown>);
  const pb = playbook(
    play('first', 'compute', [step('make file', 'touch', { path: '/etc/x' }), step('slow', 'slow-on-c2')]),
    play('second', 'compute', [step('a', 'readfact', { fact: 'alpha' })]),
  );
  const s = setup({ compute: ['c1', 'c2'] }, pb, { kinds: k });
  const gatheredWhen: number[] = [];
  const c1 = new FakeHost('c1');
  const exec = c1.exec.bind(c1);
  c1.exec = async (command) => {
    if (command.includes('@@passthru-fact')) gatheredWhen.push(Date.now());
    return exec(command);
  };
  s.hosts.set('c1', c1);
  await s.run();
  const secondStart = s.events.find((e) => e.type === 'play-start' && e.play === 'second')?.time ?? 0;
  assert.deepEqual(c1.gathered.map((ids) => ids.sort()), [['alpha'], ['alpha']], 'at the start, and again after its change');
  assert.ok(gatheredWhen[1]! < secondStart, 'the second read went out before the second play started');
});

// ---- the plan before the first change (approve)

const planned = (p: import('../../src/engine/plan.ts').RunPlan) => p.hosts.map((h) => `${h.host}: ${h.steps.flatMap((s) => s.changes).join(', ') || 'none'}`);

test('approve: the read-only plays and the first play that changes are planned on every host (all batches), then asked once', async () => {
  const asked: Array<import('../../src/engine/plan.ts').RunPlan> = [];
  const pb = playbook(
    play('read', 'compute', [step('look', 'probe')]),
    play('change', 'compute', [step('make file', 'touch', { path: '/etc/x' })], { serial: 1 }),
    play('later', 'compute', [step('make other', 'touch', { path: '/etc/y' })]),
  );
  const s = setup({ compute: ['c1', 'c2'] }, pb, { approve: async (p) => (asked.push(p), true) });
  const r = await s.run();
  assert.equal(asked.length, 1, 'asked once for the whole run');
  assert.deepEqual(asked[0]!.plays, ['read', 'change']);
  assert.deepEqual(asked[0]!.later, ['later']);
  assert.deepEqual(planned(asked[0]!), ['c1: create /etc/x', 'c2: create /etc/x'], 'both batches planned');
  assert.equal(r.refused, undefined);
  for (const h of s.hosts.values()) assert.deepEqual(h.log.filter((l) => l.startsWith('touch')), ['touch /etc/x', 'touch /etc/y'], h.name);
  // the run's own events start after the answer: the planning pass is not in them
  assert.equal(s.events.filter((e) => e.type === 'run-start').length, 1);
  assert.equal(stepEnds(s.events).filter((e) => e.step === 'make file').length, 2);
});

test('approve says no: nothing is applied on any host, and the run never starts', async () => {
  const pb = playbook(play('change', 'compute', [step('make file', 'touch', { path: '/etc/x' }), step('restart', 'bounce')]));
  const s = setup({ compute: ['c1', 'c2', 'c3'] }, pb, { approve: async () => false });
  const r = await s.run();
  assert.equal(r.refused, true);
  for (const h of s.hosts.values()) assert.deepEqual(h.log.filter((l) => l !== 'probe'), [], `${h.name} was changed`);
  assert.deepEqual(s.events, [], 'no event of a run that did not start');
});

test('nothing would change: nothing is asked; a change that appears after the plan was made is not applied', async () => {
  let asked = 0;
  const approve = async (): Promise<boolean> => (asked++, true);
  const pb = playbook(play('p', 'compute', [step('make file', 'touch', { path: '/etc/x' })]));
  const withFile = (): Map<string, FakeHost> => {
    const h = new FakeHost('c1');
    h.files.set('/etc/x', 'x\n');
    return new Map([['c1', h]]);
  };
  const hosts = withFile();
  const r = await setup({ compute: ['c1'] }, pb, { approve, connector: connectorFor(hosts) }).run();
  assert.equal(asked, 0, 'asked although nothing would change');
  assert.equal(r.state.host('c1').status, 'ok');

  // planned with the file there; between the plan and the run, it went away
  const drifting = withFile();
  const drift = setup({ compute: ['c1'] }, pb, { approve, connector: connectorFor(drifting), beforeStart: async () => drifting.get('c1')!.files.clear() });
  const r2 = await drift.run();
  assert.equal(asked, 0);
  assert.equal(r2.state.host('c1').status, 'failed');
  assert.deepEqual(drifting.get('c1')!.log.filter((l) => l.startsWith('touch')), [], 'a change nobody saw was made');
  assert.match(stepEnds(drift.events)[0]?.outcome.error ?? '', /not in the plan shown before the run/);
});

test('a look at the host lock goes in the first facts round trip, as the user that reads them; a run that changes nothing takes no lock', async () => {
  const k = new Map(kinds);
  k.set(readFactKind.kind, readFactKind as unknown as StepKind<unknown>);
  for (const become of [true, false]) {
    const pb = playbook(play('first', 'compute', [step('a', 'readfact', { fact: 'alpha' }, { register: 'a' })], { become }));
    const s = setup({ compute: ['c1', 'c2'] }, pb, { kinds: k, hostLock: hostLock('run-1') });
    const { state } = await s.run();
    for (const h of s.hosts.values()) {
      assert.equal(h.gathers, 1, `${h.name}: the look at the lock and the facts in one round trip`);
      assert.deepEqual(h.gathered[0], ['passthru_lead', 'alpha'], `${h.name}: the lock is looked at before the facts are read`);
      assert.deepEqual(h.gatheredAsRoot, [become]);
      assert.deepEqual(h.asRoot, [], `${h.name}: nothing else run, nothing taken, nothing to release`);
      assert.deepEqual(state.host(h.name).lockSeen, { last: '' });
    }
    assert.deepEqual(state.host('c1').registered['a'], { value: 'alpha', changed: false, failed: false });
  }
});

test('the host lock is taken as root right before the first change, once per host, against what the facts saw', async () => {
  const k = new Map(kinds);
  k.set(readFactKind.kind, readFactKind as unknown as StepKind<unknown>);
  const pb = playbook(play('first', 'compute', [step('a', 'readfact', { fact: 'alpha' }), step('x', 'touch', { path: '/etc/x' }), step('y', 'touch', { path: '/etc/y' })]));
  const s = setup({ compute: ['c1'] }, pb, { kinds: k, hostLock: hostLock('run-1') });
  const h = new FakeHost('c1');
  h.shellFiles = { '/var/lib/passthru/last-lock': 'run-0 bob@elsewhere 2026-01-01T00:00:00.000Z\n' };
  s.hosts.set('c1', h);
  const { state } = await s.run();
  assert.equal(state.host('c1').status, 'changed');
  assert.deepEqual(state.host('c1').lockSeen, { last: 'run-0 bob@elsewhere 2026-01-01T00:00:00.000Z' });
  assert.equal(h.asRoot.length, 1, 'one take for two changes');
  assert.match(h.asRoot[0]!, /mkdir '?\/var\/lib\/passthru\/lock'?/);
  assert.match(h.asRoot[0]!, /run-0 bob@elsewhere/, 'the take compares with the line the facts saw');
  assert.deepEqual(h.log, [h.asRoot[0], 'touch /etc/x', 'touch /etc/y'], 'taken before the first change');
});

test('another run took the host between its facts and its first change: refused, untouched', async () => {
  const k = new Map(kinds);
  k.set(readFactKind.kind, readFactKind as unknown as StepKind<unknown>);
  const pb = playbook(play('first', 'compute', [step('a', 'readfact', { fact: 'alpha' }), step('make file', 'touch', { path: '/etc/x' })]));
  const s = setup({ compute: ['c1'] }, pb, { kinds: k, hostLock: hostLock('run-2') });
  // the other run came and went: its line is in last-lock, the lock itself is gone
  class Overtaken extends FakeHost {
    override async exec(command: string, opts?: Parameters<FakeHost['exec']>[1]) {
      const r = await super.exec(command, opts);
      if (command.includes('@@passthru-fact')) this.shellFiles = { '/var/lib/passthru/last-lock': 'run-1 bob@elsewhere 2026-01-01T00:00:00.000Z\n' };
      return r;
    }
  }
  const h = new Overtaken('c1');
  s.hosts.set('c1', h);
  const { state } = await s.run();
  const ends = stepEnds(s.events);
  assert.deepEqual(ends.map((e) => [e.step, e.outcome.status]), [['a', 'ok'], ['make file', 'failed']]);
  assert.match(ends[1]!.outcome.error ?? '', /another passthru run \(bob@elsewhere, 2026-01-01T00:00:00.000Z\) took this host after this run read it; its plan may be out of date: not touching it/);
  assert.match(ends[1]!.outcome.hint ?? '', /run again/);
  assert.equal(state.host('c1').status, 'failed');
  assert.ok(!h.log.includes('touch /etc/x'), 'nothing changed on the host');
});

test('a host another run holds is refused at connect, whichever way the lock went', async () => {
  const k = new Map(kinds);
  k.set(readFactKind.kind, readFactKind as unknown as StepKind<unknown>);
  for (const become of [true, false]) {
    const pb = playbook(play('first', 'compute', [step('a', 'readfact', { fact: 'alpha' }), step('make file', 'touch', { path: '/etc/x' })], { become }));
    const s = setup({ compute: ['c1'] }, pb, { kinds: k, hostLock: hostLock('run-2') });
    const h = new FakeHost('c1');
    h.shellFiles = { '/var/lib/passthru/lock/owner': 'run-1 bob@elsewhere 2026-01-01T00:00:00.000Z\n' };
    s.hosts.set('c1', h);
    const { state } = await s.run();
    const ends = stepEnds(s.events);
    assert.deepEqual(
      ends.map((e) => [e.step, e.outcome.status]),
      [['connect', 'failed']],
      `become ${become}`,
    );
    assert.match(ends[0]!.outcome.error ?? '', /another passthru run holds this host \(bob@elsewhere since 2026-01-01T00:00:00.000Z\); not touching it/);
    assert.equal(state.host('c1').status, 'failed');
    assert.ok(!h.log.includes('touch /etc/x'), 'nothing changed on the host');
  }
});
