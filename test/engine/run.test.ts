import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runPlaybook, type RunOptions } from '../../src/engine/run.ts';
import { EventBus, type EngineEvent } from '../../src/engine/events.ts';
import { SecretRegistry } from '../../src/util/secrets.ts';
import { boomKind, connectorFor, FakeHost, inventoryOf, play, playbook, probeKind, step, touchKind } from './fakes.ts';
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
