import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NovaCheckBatcher, unitKey, unitsOf, type NovaUnit, type UnitAnswer } from '../../src/nova/check-batch.ts';

const alias = (v: string): NovaUnit => ({ check: 'alias', values: [v] });
const spec = (v: string): NovaUnit => ({ check: 'device_spec', values: [v] });

/** A runner that records the batches it ran and answers ok, or a failure for values containing "bad". */
function recorder(name: string, calls: Array<{ runner: string; units: string[] }>, fail?: Error): (units: NovaUnit[]) => Promise<UnitAnswer[]> {
  return async (units) => {
    calls.push({ runner: name, units: units.map(unitKey) });
    await new Promise((r) => setTimeout(r, 5));
    if (fail) throw fail;
    return units.map((u) => {
      const bad = JSON.stringify(u).includes('bad');
      return { ok: !bad, check: u.check, error: bad ? 'PciInvalidAlias: bad' : undefined };
    });
  };
}

test('hosts asking at the same time for the same stack share one python process; a known unit is never run again', async () => {
  const b = new NovaCheckBatcher(20);
  const calls: Array<{ runner: string; units: string[] }> = [];
  const [a, c, d] = await Promise.all([
    b.check('stack1', [alias('x'), spec('t4')], recorder('ctl', calls)),
    b.check('stack1', [alias('x'), spec('2080')], recorder('cmp1', calls)),
    b.check('stack1', [alias('x'), spec('bad')], recorder('cmp2', calls)),
  ]);
  assert.equal(calls.length, 1, 'one batch');
  assert.equal(calls[0]!.runner, 'ctl', 'run by the first host that asked');
  assert.equal(calls[0]!.units.length, 4, 'the alias list once, three device specs');
  assert.deepEqual(a!.map((x) => x.ok), [true, true]);
  assert.deepEqual(c!.map((x) => x.ok), [true, true]);
  assert.deepEqual(d!.map((x) => x.ok), [true, false]);
  assert.equal(d![1]!.error, 'PciInvalidAlias: bad');
  // later: all known
  await b.check('stack1', [spec('2080')], recorder('cmp3', calls));
  assert.equal(calls.length, 1);
  // another stack (another nova) is checked on its own
  await b.check('stack2', [spec('2080')], recorder('el9', calls));
  assert.equal(calls.length, 2);
  assert.equal(b.batchesRun, 2);
});

test('announced units are checked with the next batch of their stack, by whoever runs it', async () => {
  const b = new NovaCheckBatcher(10);
  const calls: Array<{ runner: string; units: string[] }> = [];
  b.hint('s', [alias('x'), spec('t4')]);
  b.hint('s', [alias('x'), spec('a100')]);
  b.hint('other', [spec('t4')]);
  await b.check('s', [alias('x')], recorder('ctl', calls));
  assert.deepEqual(calls.map((c) => c.units.length), [3], 'the alias, t4 and a100 in one batch; nothing of the other stack');
  // the hosts that announced them find their answers ready
  const r = await b.check('s', [alias('x'), spec('a100')], recorder('cmp', calls));
  assert.equal(calls.length, 1);
  assert.deepEqual(r.map((x) => x.ok), [true, true]);
});

test('a batch that could not run: each host checks its units itself; nothing wrong is remembered', async () => {
  const b = new NovaCheckBatcher(10);
  const calls: Array<{ runner: string; units: string[] }> = [];
  const lost = new Error('connection lost');
  const [first, second] = await Promise.allSettled([
    b.check('s', [alias('x')], recorder('ctl', calls, lost)),
    b.check('s', [alias('x'), spec('t4')], recorder('cmp1', calls)),
  ]);
  // the runner of the failed batch fails again on its own (its host is gone); the other host got its answers
  assert.equal(first.status, 'rejected');
  assert.equal(second.status, 'fulfilled');
  assert.deepEqual(calls.map((c) => c.runner), ['ctl', 'ctl', 'cmp1']);
  // what cmp1 checked for itself is known now; the unit of the failed batch alone is not
  await b.check('s', [spec('t4')], recorder('cmp2', calls));
  assert.equal(calls.length, 3);
  await b.check('s', [alias('y')], recorder('cmp2', calls));
  assert.equal(calls.length, 4);
});

test('units of a role: only the options that role checks', () => {
  const v = { alias: ['a'], device_spec: ['d'], filters: { enabled: ['F'], available: ['all'] } };
  assert.deepEqual(unitsOf(v, ['alias', 'filters']).map((u) => u.check), ['alias', 'filters']);
  assert.deepEqual(unitsOf(v, ['alias', 'device_spec']).map((u) => u.check), ['alias', 'device_spec']);
  assert.notEqual(unitKey({ check: 'alias', values: ['a', 'b'] }), unitKey({ check: 'alias', values: ['b', 'a'] }), 'order matters to nova');
});
