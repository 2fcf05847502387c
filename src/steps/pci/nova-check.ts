// nova's own code on candidate nova config files, before they are written
// (the nova_pci step). Two parts, both shared across the hosts of a run,
// because a python that imports nova costs a second of CPU and every host
// plans the same few options:
//  - how oslo.config reads the files, with nova's option definitions: run on
//    the host itself (the files hold passwords: they never leave it), once
//    per file shape (structureOf: hosts deployed from one template have the
//    same lines with other values; a shape oslo.config read as passthru reads
//    it, passthru's reading of the values holds for every host of that shape);
//  - nova's checks of the option values (check-batch.ts): one python process
//    for every host with the same nova (only option values travel).

import { createHash } from 'node:crypto';
import { NOVA_PYTHON_PROBE, novaCall, parseNovaValues, type NovaCall, type NovaCheck, type NovaPython, type NovaValuesResult } from '../../nova/check.ts';
import { unitsOf, type NovaCheckBatcher, type NovaUnit, type UnitAnswer } from '../../nova/check-batch.ts';
import { structureOf } from '../../inifile/oslo.ts';
import type { NovaValues } from '../../nova/values.ts';
import { StepError } from '../../errors.ts';
import { quote } from '../../util/shell.ts';
import type { StepContext } from '../types.ts';

/** The new files of one host, and the option values passthru reads in them. */
export interface NovaCandidate {
  files: Array<{ path: string; text: string }>;
  checks: NovaCheck[];
  values: NovaValues;
  /** kolla: nova's code is in this container, not on the host (`docker exec -i NAME`) */
  container?: NovaContainer | undefined;
}

export interface NovaContainer {
  engine: 'docker' | 'podman';
  name: string;
}

/** A command of the host run inside the container instead (stdin passed on). */
export function inContainer(container: NovaContainer | undefined, command: string): string {
  return container ? quote([container.engine, 'exec', '-i', container.name, 'sh', '-c', command]) : command;
}

/** Where nova's python is inside a container (NOVA_PYTHON_PROBE run there); not importable when the container is down. */
export async function containerNovaPython(ctx: StepContext, container: NovaContainer): Promise<NovaPython> {
  const r = await ctx.host.exec(inContainer(container, NOVA_PYTHON_PROBE.script), { become: ctx.become, timeoutMs: 60_000, signal: ctx.signal });
  const p = NOVA_PYTHON_PROBE.parse(r.stdout, r.exitCode);
  if (!p.importable && r.stdout.trim() === '') return { importable: false, error: ctx.secrets.mask(r.stderr.trim()) || `${container.engine} exec ${container.name} failed` };
  // hosts with the same image share their checks; the stack names the container's python
  return p.stack ? { ...p, stack: `${container.name} ${p.stack}` } : p;
}

function batcher(ctx: StepContext): NovaCheckBatcher {
  return ctx.services.novaCheckBatcher;
}

/** One python process on this host (check.ts novaCall). */
async function callNova(ctx: StepContext, python: string, call: NovaCall, container?: NovaContainer): Promise<NovaValuesResult> {
  const { command, stdin } = novaCall(call, python);
  const r = await ctx.host.exec(inContainer(container, command), { stdin, become: ctx.become, timeoutMs: 120_000, signal: ctx.signal });
  return parseNovaValues(`${r.stdout}\n${r.stderr}`, r.exitCode);
}

/**
 * nova's checks on option values, run on this host in one python process. A
 * step waits for the answer (its own and the hosts' that share the batch):
 * at the host's normal priority, never niced behind the work of other hosts.
 */
function unitRunner(ctx: StepContext, python: string, container?: NovaContainer): (units: NovaUnit[]) => Promise<UnitAnswer[]> {
  return async (units) => {
    const res = await callNova(ctx, python, { checks: [], units }, container);
    if (!res.ok || !res.units) throw new StepError(ctx.hostName, 'nova check', res.error ?? 'no answer');
    return res.units;
  };
}

export function sameValues(a: NovaValues, b: NovaValues): boolean {
  return JSON.stringify([a.alias, a.device_spec, a.filters?.enabled, a.filters?.available]) === JSON.stringify([b.alias, b.device_spec, b.filters?.enabled, b.filters?.available]);
}

export interface ShapeRead {
  /** what oslo.config read on the host that read this shape */
  read: Promise<NovaValuesResult>;
  /** what passthru read in that host's files */
  predicted: NovaValues;
  /** ahead of need, at the lowest priority */
  background: boolean;
  done: boolean;
}

/**
 * How oslo.config reads these files on this host: its own answer, or (for a
 * shape already read on another host with the same python and nova, where
 * oslo.config read the values as passthru did) this host's values as
 * passthru reads them; a parse error of the shape is the same error here. A
 * step does not wait for an early read still starved of CPU: it reads
 * itself. A read that did not finish (its host went down) is read again.
 */
function osloRead(ctx: StepContext, c: NovaCandidate, python: string, stack: string, background: boolean): Promise<NovaValuesResult> {
  const reads = ctx.services.novaCheckReads;
  const shape = c.files.map((f) => `${f.path}\n${structureOf(f.text)}`).join('\n\0\n');
  const key = `${stack}\n${c.checks.join(',')}\n${createHash('sha256').update(shape).digest('hex')}`;
  const known = reads.get(key);
  if (known && (known.done || !known.background || background)) {
    return known.read.then(
      (r) => {
        if (!r.ok || r.values === undefined) return r;
        if (sameValues(r.values, known.predicted)) return { ...r, values: c.values };
        // oslo.config read this shape otherwise than passthru does: read this host's files themselves
        return callNova(ctx, python, { checks: c.checks, files: c.files, background }, c.container);
      },
      () => osloRead(ctx, c, python, stack, background),
    );
  }
  const entry: ShapeRead = { read: callNova(ctx, python, { checks: c.checks, files: c.files, background }, c.container), predicted: c.values, background, done: false };
  reads.set(key, entry);
  entry.read.then(
    () => void (entry.done = true),
    () => reads.get(key) === entry && reads.delete(key),
  );
  return entry.read;
}

/**
 * Start the whole check of these files ahead of the step (prepare): the read
 * of their shape and nova's checks of the values, shared with every host
 * that plans the same, at the host's normal priority (a reboot of the host
 * waits for it rather than cutting it short: engine/host-play.ts). The step
 * finds the answers there. The promise settles when both are done.
 */
export function prepareNovaCheck(ctx: StepContext, c: NovaCandidate, probe: NovaPython): Promise<void> {
  if (!probe.importable || !probe.python) return Promise.resolve();
  const stack = stackOf(ctx, probe);
  const units = batcher(ctx).check(stack, unitsOf(c.values, c.checks), unitRunner(ctx, probe.python, c.container));
  return Promise.all([osloRead(ctx, c, probe.python, stack, false), units]).then(
    () => undefined,
    () => undefined,
  );
}

function stackOf(ctx: StepContext, probe: NovaPython): string {
  // a host whose stack is unknown shares nothing
  return probe.stack ?? `${ctx.hostName} ${probe.python ?? ''}`;
}

/**
 * Load the candidate files with nova's own code (see the top of this file).
 * Says whether nova's code could check the files here (not on a host without
 * nova) and what it refused, if anything.
 */
export async function novaCheck(ctx: StepContext, c: NovaCandidate, probe: NovaPython): Promise<{ problem?: string; checked: boolean }> {
  if (!probe.importable || !probe.python) return { checked: false };
  const python = probe.python;
  const stack = stackOf(ctx, probe);
  const run = unitRunner(ctx, python, c.container);
  const early = batcher(ctx).check(stack, unitsOf(c.values, c.checks), run);
  early.catch(() => undefined);
  const read = await osloRead(ctx, c, python, stack, false);
  // nova's package is there but does not import (a broken install): nothing to check with, as without nova
  if (read.check === 'import') return { checked: false };
  if (!read.ok || !read.values) return { checked: true, problem: ctx.secrets.mask(`${read.check ? `${read.check}: ` : ''}${read.error ?? 'rejected'}`) };
  // what oslo.config read is what counts; it is what passthru read unless the files are unusual
  const answers = sameValues(read.values, c.values) ? await early : await batcher(ctx).check(stack, unitsOf(read.values, c.checks), run);
  const bad = answers.find((x) => !x.ok);
  return bad ? { checked: true, problem: ctx.secrets.mask(`${bad.check}: ${bad.error ?? 'rejected'}`) } : { checked: true };
}
