// Restart kolla's nova containers (nova_restart) and wait until each is up
// again: `docker restart` (or podman's) returns as soon as the process is
// started; nova refusing its configuration shows a moment later as a
// container docker restarts in a loop, or one that exited. A container that
// does not come back gets the files this run replaced back (`rollback`), is
// restarted on them, and the host fails with nova's own words from the
// container's log, as systemd units do (service.ts restartUnits).

import { StepError } from '../../errors.ts';
import { containerVerdict, kollaNovaConf, parseInspect, type ContainerState } from '../../nova/kolla.ts';
import { restoreBackup } from '../../ssh/files.ts';
import { quote } from '../../util/shell.ts';
import { sleep } from '../../util/sleep.ts';
import type { StepContext } from '../types.ts';
import { pickFailureLines, rollbackSet } from '../service.ts';
import type { NovaContainer } from './nova-check.ts';

export interface ContainerWait {
  /** seconds a container may take to be up (healthy, where it has a healthcheck) */
  timeoutS: number;
  /** seconds a container without a healthcheck must keep running, on the same start, to count as up */
  settleS: number;
}

const name = (c: NovaContainer): string => `${c.engine}:${c.name}`;

async function inspect(ctx: StepContext, c: NovaContainer): Promise<ContainerState | undefined> {
  const r = await ctx.host.exec(quote([c.engine, 'inspect', c.name]), { become: ctx.become, becomeUser: ctx.becomeUser, timeoutMs: 60_000, signal: ctx.signal });
  return r.exitCode === 0 ? parseInspect(r.stdout) : undefined;
}

/** Wait until the container is up or down; its last state and why, when down. */
export async function waitForContainer(ctx: StepContext, c: NovaContainer, wait: ContainerWait): Promise<{ up: boolean; why?: string }> {
  const deadline = Date.now() + wait.timeoutS * 1000;
  let firstRunning: { at: number; startedAt: string | undefined; restarts: number } | undefined;
  let delay = 250;
  let why = 'not inspected';
  for (;;) {
    const s = await inspect(ctx, c);
    const v = containerVerdict(s);
    if (v.done === 'down') return { up: false, why: v.why };
    if (v.done === 'up') {
      if (s?.health !== undefined) return { up: true };
      // no healthcheck: running, and still on the same start a little later
      if (firstRunning && firstRunning.startedAt === s?.startedAt && firstRunning.restarts === s?.restartCount) {
        if (Date.now() - firstRunning.at >= wait.settleS * 1000) return { up: true };
      } else firstRunning = { at: Date.now(), startedAt: s?.startedAt, restarts: s?.restartCount ?? 0 };
      why = 'running, not yet settled';
    } else why = v.why;
    if (Date.now() >= deadline) return { up: false, why: `${why} after ${wait.timeoutS} s` };
    await sleep(Math.min(delay, Math.max(0, deadline - Date.now())), ctx.signal);
    delay = Math.min(delay * 2, 2000);
  }
}

/** What the container said before it died: nova's exception line first (docker logs). */
async function containerError(ctx: StepContext, c: NovaContainer): Promise<string> {
  const r = await ctx.host.exec(`${quote([c.engine, 'logs', '--tail', '30', c.name])} 2>&1`, { become: ctx.become, becomeUser: ctx.becomeUser, timeoutMs: 60_000, signal: ctx.signal });
  return ctx.secrets.mask(pickFailureLines(r.stdout)) || 'no log output';
}

async function restartAndWait(ctx: StepContext, list: NovaContainer[], wait: ContainerWait): Promise<Map<NovaContainer, string | undefined>> {
  const out = new Map<NovaContainer, string | undefined>();
  for (const engine of ['docker', 'podman'] as const) {
    const mine = list.filter((c) => c.engine === engine);
    if (mine.length === 0) continue;
    const r = await ctx.host.exec(quote([engine, 'restart', ...mine.map((c) => c.name)]), { become: ctx.become, becomeUser: ctx.becomeUser, timeoutMs: ctx.timeoutMs ?? 300_000, signal: ctx.signal });
    if (r.exitCode !== 0) {
      const err = ctx.secrets.mask((r.stderr || r.stdout).trim());
      for (const c of mine) out.set(c, `${engine} restart failed: ${err}`);
      continue;
    }
  }
  await Promise.all(
    list
      .filter((c) => !out.has(c))
      .map(async (c) => {
        const w = await waitForContainer(ctx, c, wait);
        out.set(c, w.up ? undefined : w.why);
      }),
  );
  return out;
}

/** Restart the containers, wait for them; roll back and fail the host when one does not come back. */
export async function restartContainers(ctx: StepContext, list: NovaContainer[], rollback: boolean | string[], wait: ContainerWait): Promise<string[]> {
  if (list.length === 0) return [];
  const first = await restartAndWait(ctx, list, wait);
  const failed = list.filter((c) => first.get(c) !== undefined);
  if (failed.length === 0) return [`up again: ${list.map(name).join(', ')}`];
  const errors = await Promise.all(failed.map(async (c) => `${name(c)}: ${first.get(c)}; ${await containerError(ctx, c)}`));
  const theirs = new Set(failed.map((c) => kollaNovaConf(c.name)));
  const restore = rollbackSet(ctx.backups, rollback).filter((b) => theirs.has(b.path));
  const what = `restart ${failed.map(name).join(' ')}`;
  if (restore.length === 0) {
    throw new StepError(ctx.hostName, what, `did not come back:\n${errors.join('\n')}`, `see \`${failed[0]!.engine} logs ${failed[0]!.name}\` on the host`);
  }
  for (const b of restore) await restoreBackup(ctx.host, b.path, b.backupPath, { become: ctx.become });
  const again = await restartAndWait(ctx, failed, wait);
  const still = failed.filter((c) => again.get(c) !== undefined);
  const restored = restore.map((b) => `${b.path} (from ${b.backupPath})`).join(', ');
  throw new StepError(
    ctx.hostName,
    what,
    `did not come back with the new configuration:\n${errors.join('\n')}\nthe previous configuration was put back: ${restored}; ` +
      (still.length === 0 ? `${failed.map(name).join(', ')} running again on it` : `${still.map((c) => `${name(c)} (${again.get(c)})`).join(', ')} still not up`),
    'fix the configuration (see the error above) and run again',
  );
}
