// `service`: systemd units started/stopped/restarted/reloaded (and enabled).
// A (re)start that leaves a unit failed can put back the files this run
// replaced on the host (`rollback: true`), start the unit again so it keeps
// running, and fail the host with the unit's own error.

import { z } from 'zod';
import { StepError } from '../errors.ts';
import { restoreBackup } from '../ssh/files.ts';
import type { RemoteHost } from '../ssh/types.ts';
import { quote } from '../util/shell.ts';
import type { StepContext, StepKind } from './types.ts';

const args = z
  .object({
    name: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
    state: z.enum(['started', 'stopped', 'restarted', 'reloaded']).optional(),
    enabled: z.boolean().optional(),
    /** on a failed (re)start, restore the files replaced earlier in this run (all, or those under these paths) and start again */
    rollback: z.union([z.boolean(), z.array(z.string().min(1))]).default(false),
  })
  .strict()
  .refine((a) => a.state !== undefined || a.enabled !== undefined, { message: 'give `state` or `enabled`' });

type Args = z.infer<typeof args>;

const VERB = { started: 'start', stopped: 'stop', restarted: 'restart', reloaded: 'reload' } as const;

export async function unitStates(ctx: StepContext, host: RemoteHost, units: string[], query: 'is-active' | 'is-enabled'): Promise<Map<string, string>> {
  // one round trip: print "unit state" per unit
  const script = units.map((u) => `printf '%s %s\\n' ${quote([u])} "$(systemctl ${query} ${quote([u])} 2>/dev/null)"`).join('; ');
  const r = await host.exec(script, { become: ctx.become, becomeUser: ctx.becomeUser, signal: ctx.signal });
  const out = new Map<string, string>();
  for (const line of r.stdout.split('\n')) {
    const [u, ...rest] = line.split(' ');
    if (u) out.set(u, rest.join(' ').trim() || 'unknown');
  }
  return out;
}

/** The unit's own words about why it failed (last journal lines). */
export async function unitError(ctx: StepContext, unit: string): Promise<string> {
  const r = await ctx.host.exec(`journalctl -u ${quote([unit])} -n 15 --no-pager 2>/dev/null || systemctl status ${quote([unit])} --no-pager 2>&1`, {
    become: ctx.become,
    becomeUser: ctx.becomeUser,
  });
  return ctx.secrets.mask(pickFailureLines(r.stdout)) || 'no journal output';
}

/** The lines of a service's log that say why it died: the exception that ends a python traceback first (journal, docker logs). */
export function pickFailureLines(log: string): string {
  // a traceback logged line by line ends with "... ERROR nova " lines that say nothing
  const lines = log.split('\n').filter((l) => l.trim() !== '' && !/\bERROR \S+\s*$/.test(l));
  // what the service died of: the exception line that ends a python traceback
  // (nova.exception.PciInvalidAlias: ..., oslo_config.cfg.ConfigFileParseError: ..., ValueError: ...)
  const exception = lines.filter((l) => /(?:^|[\s:])(?:[a-z_]\w*\.)*[A-Z]\w*(?:Error|Exception|NotFound|Invalid\w*|Mismatch|Failure)\w*: \S/.test(l)).pop();
  const errorLines = lines.filter((l) => /error|exception|invalid|failed|not found|could not/i.test(l));
  const picked = exception !== undefined ? [exception, ...errorLines.filter((l) => l !== exception).slice(-2)] : errorLines.length > 0 ? errorLines.slice(-3) : lines.slice(-3);
  return picked.join('\n');
}

async function systemctl(ctx: StepContext, verb: string, units: string[]): Promise<void> {
  const r = await ctx.host.exec(quote(['systemctl', verb, ...units]), { become: ctx.become, becomeUser: ctx.becomeUser, timeoutMs: ctx.timeoutMs ?? 300_000, signal: ctx.signal });
  if (r.exitCode !== 0 && verb !== 'restart' && verb !== 'start') {
    throw new StepError(ctx.hostName, `systemctl ${verb}`, ctx.secrets.mask((r.stderr || r.stdout).trim()));
  }
}

/** Restart (or start) units and make sure they are active; roll back replaced files when asked. */
/** The backups to put back: the first (oldest) one of each file this run replaced, under the given paths. */
export function rollbackSet(backups: StepContext['backups'], rollback: boolean | string[]): StepContext['backups'] {
  if (rollback === false) return [];
  const seen = new Set<string>();
  return backups.filter((b) => {
    if (seen.has(b.path)) return false;
    seen.add(b.path);
    return rollback === true || rollback.some((prefix) => b.path.startsWith(prefix));
  });
}

/** `systemctl VERB units...`, then whether each runs, in one round trip (a failed start shows in the states). */
async function actAndCheck(ctx: StepContext, verb: 'start' | 'restart', units: string[]): Promise<Map<string, string>> {
  const script = [quote(['systemctl', verb, ...units]), ...units.map((u) => `printf '%s %s\\n' ${quote([u])} "$(systemctl is-active ${quote([u])} 2>/dev/null)"`)].join('; ');
  const r = await ctx.host.exec(script, { become: ctx.become, becomeUser: ctx.becomeUser, timeoutMs: ctx.timeoutMs ?? 300_000, signal: ctx.signal });
  const out = new Map<string, string>();
  for (const line of r.stdout.split('\n')) {
    const [u, ...rest] = line.split(' ');
    if (u && units.includes(u)) out.set(u, rest.join(' ').trim() || 'unknown');
  }
  return out;
}

export async function restartUnits(ctx: StepContext, verb: 'start' | 'restart' | 'reload', units: string[], rollback: boolean | string[]): Promise<string[]> {
  const notes: string[] = [];
  let states: Map<string, string>;
  if (verb === 'reload') {
    // a reload that fails leaves the unit running on its old configuration: its exit status tells
    await systemctl(ctx, verb, units);
    states = await unitStates(ctx, ctx.host, units, 'is-active');
  } else {
    states = await actAndCheck(ctx, verb, units);
  }
  const failed = units.filter((u) => states.get(u) !== 'active');
  if (failed.length === 0) return notes;
  const errors = await Promise.all(failed.map(async (u) => `${u}: ${await unitError(ctx, u)}`));
  const restore = rollbackSet(ctx.backups, rollback);
  if (restore.length === 0) {
    throw new StepError(ctx.hostName, `${verb} ${failed.join(' ')}`, `not active after ${verb}:\n${errors.join('\n')}`, 'see `journalctl -u UNIT` on the host');
  }
  for (const b of restore) await restoreBackup(ctx.host, b.path, b.backupPath, { become: ctx.become });
  const again = await actAndCheck(ctx, 'restart', failed);
  const still = failed.filter((u) => again.get(u) !== 'active');
  const restored = restore.map((b) => `${b.path} (from ${b.backupPath})`).join(', ');
  throw new StepError(
    ctx.hostName,
    `${verb} ${failed.join(' ')}`,
    `failed with the new configuration:\n${errors.join('\n')}\nthe previous configuration was put back: ${restored}; ` +
      (still.length === 0 ? `${failed.join(', ')} running again on it` : `${still.join(', ')} still not active`),
    'fix the configuration (see the error above) and run again',
  );
}

export const serviceStep: StepKind<Args> = {
  kind: 'service',
  schema: args,
  disruptive: true,
  async plan(ctx, a) {
    const units = Array.isArray(a.name) ? a.name : [a.name];
    const changes: { description: string }[] = [];
    let todo: string[] = [];
    if (a.state === 'restarted' || a.state === 'reloaded') {
      todo = units;
    } else if (a.state !== undefined) {
      const active = await unitStates(ctx, ctx.host, units, 'is-active');
      todo = units.filter((u) => (a.state === 'started') !== (active.get(u) === 'active'));
    }
    if (todo.length > 0 && a.state) changes.push({ description: `${VERB[a.state]} ${todo.join(' ')}` });
    let enable: string[] = [];
    if (a.enabled !== undefined) {
      const en = await unitStates(ctx, ctx.host, units, 'is-enabled');
      enable = units.filter((u) => (en.get(u) === 'enabled') !== a.enabled);
      if (enable.length > 0) changes.push({ description: `${a.enabled ? 'enable' : 'disable'} ${enable.join(' ')}` });
    }
    return {
      changes,
      apply: async (c) => {
        if (enable.length > 0) await systemctl(c, a.enabled ? 'enable' : 'disable', enable);
        if (todo.length === 0 || !a.state) return;
        if (a.state === 'stopped') return void (await systemctl(c, 'stop', todo));
        const verb = a.state === 'started' ? 'start' : a.state === 'reloaded' ? 'reload' : 'restart';
        return { notes: await restartUnits(c, verb, todo, a.rollback) };
      },
    };
  },
};
