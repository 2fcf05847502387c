// Unit tests of the engine's compile step and of the contracts between
// steps: conditions parsed once with their variables read from the syntax
// tree, arguments rendered once per host and step, and a step's declared
// input checked when read, naming both steps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { compileStep } from '../../src/engine/compile.ts';
import { EventBus, type EngineEvent } from '../../src/engine/events.ts';
import { runPlaybook } from '../../src/engine/run.ts';
import { stepOutput } from '../../src/steps/contract.ts';
import type { StepKind } from '../../src/steps/types.ts';
import { SecretRegistry } from '../../src/util/secrets.ts';
import { connectorFor, FakeHost, inventoryOf, play, playbook, step } from './fakes.ts';

const made = stepOutput('maker', z.object({ size: z.number() }));

const maker: StepKind<{ size: unknown }> = {
  kind: 'maker',
  schema: z.object({ size: z.unknown() }).strict(),
  output: made,
  plan: async (_ctx, a) => ({ changes: [], result: { size: a.size } }),
};
const reader: StepKind<Record<string, never>> = {
  kind: 'reader',
  schema: z.object({}).strict(),
  reads: [made],
  plan: async (ctx) => {
    const m = ctx.input(made);
    return { changes: [], result: { seen: m?.size ?? 'none' } };
  },
};
/** counts how often its arguments were rendered (a getter in the vars is read once per rendering) */
const echo: StepKind<{ v: unknown }> = {
  kind: 'echo',
  schema: z.object({ v: z.unknown() }).strict(),
  facts: () => [],
  prepare: async () => {},
  plan: async (_ctx, a) => ({ changes: [], result: { v: a.v } }),
};
const command: StepKind<Record<string, never>> = {
  kind: 'command',
  schema: z.object({}).strict(),
  plan: async () => ({ changes: [], result: { rc: 0 } }),
};
const kinds = new Map<string, StepKind<unknown>>([maker, reader, echo, command].map((k) => [k.kind, k as unknown as StepKind<unknown>]));

async function run(pb: ReturnType<typeof playbook>, extraVars: Record<string, unknown> = {}) {
  const bus = new EventBus();
  const events: EngineEvent[] = [];
  bus.on((e) => events.push(e));
  const hosts = new Map<string, FakeHost>();
  const { state } = await runPlaybook({
    playbook: pb,
    inventory: inventoryOf({ compute: ['c1'] }),
    extraVars,
    kinds,
    connector: connectorFor(hosts, []),
    bus,
    secrets: new SecretRegistry(),
    check: false,
    forks: 5,
    signal: new AbortController().signal,
  });
  const ends = events.flatMap((e) => (e.type === 'step-end' ? [e.outcome] : []));
  return { state, ends };
}

test('a condition is compiled once, its variables read from the syntax tree (not from names inside strings)', () => {
  const s = step('s', 'echo', { v: '{{ a.b | default(c) }} and {{ groups[g] }}' }, { when: ["'gpu' in d.kinds and not e is defined"], until: 'r.rc == 0' });
  const c = compileStep(s, kinds);
  assert.equal(compileStep(s, kinds), c, 'the same compiled step every time');
  assert.deepEqual([...c.whenReads].sort(), ['d', 'e'], "'gpu' is a string, not a variable");
  assert.deepEqual([...c.argsReads].sort(), ['a', 'c', 'g', 'groups']);
  assert.deepEqual([...(c.until?.reads ?? [])], ['r']);
});

test('a step reads the result of the step kind it declares, whatever the variable is called', async () => {
  const { ends, state } = await run(playbook(play('p', 'compute', [step('make', 'maker', { size: 3 }, { register: 'anything' }), step('read', 'reader', {}, { register: 'r' })])));
  assert.deepEqual(ends.map((o) => o.status), ['ok', 'ok']);
  assert.equal((state.host('c1').registered['r'] as { seen: unknown }).seen, 3);
});

test('a variable of the right name set by -e is not taken for a step result', async () => {
  const { state } = await run(playbook(play('p', 'compute', [step('read', 'reader', {}, { register: 'r' })])), { anything: { size: 99 } });
  assert.equal((state.host('c1').registered['r'] as { seen: unknown }).seen, 'none');
});

test('a result of the wrong shape fails the reader with both steps named', async () => {
  const { ends } = await run(playbook(play('p', 'compute', [step('make it', 'maker', { size: 'big' }, { register: 'm' }), step('read it', 'reader')])));
  assert.equal(ends[1]?.status, 'failed');
  assert.match(ends[1]?.error ?? '', /read it: reads the result of step "make it" \(maker, registered as "m"\), which is not what maker registers: size: /);
});

test('a result replaced by another step under the same name is an error naming both steps', async () => {
  const { ends } = await run(playbook(play('p', 'compute', [step('make it', 'maker', { size: 1 }, { register: 'm' }), step('probe', 'command', {}, { register: 'm' }), step('read it', 'reader')])));
  assert.equal(ends[2]?.status, 'failed');
  assert.match(ends[2]?.error ?? '', /read it: reads "m" as the result of a maker step, but step "probe" \(command\) registered it/);
});

test('a step\'s arguments are rendered once per host, although prefetch, prepare and the step all need them', async () => {
  let reads = 0;
  // not enumerable: only a lookup of counted.value (a rendering) reads it
  const counted = Object.defineProperty({}, 'value', { enumerable: false, get: () => ++reads && 7 });
  const { ends } = await run(playbook(play('p', 'compute', [step('echo', 'echo', { v: '{{ counted.value }}' }, { register: 'e' })], { vars: { counted } })));
  assert.equal(ends[0]?.status, 'ok');
  assert.equal(reads, 1);
});
