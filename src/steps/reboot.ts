// `reboot`, the way Ansible's reboot action does it: read boot_id, reboot in
// the background, expect the connection to drop (or hang), reconnect with
// capped backoff (every attempt bounded) until boot_id differs, then run a
// test command. Never a fixed sleep.

import { z } from 'zod';
import { CommandTimeoutError, ConnectionLostError, HostError, StepError, UnreachableError } from '../errors.ts';
import { bootId } from '../facts/index.ts';
import { bootIdIn } from '../facts/boot-id.ts';
import { quote } from '../util/shell.ts';
import type { StepContext, StepKind } from './types.ts';

const args = z
  .object({
    reboot_timeout: z.number().positive().default(600),
    /** seconds for each reconnect attempt (TCP, banner, key exchange, auth) */
    connect_timeout: z.number().positive().default(5),
    test_command: z.string().default('true'),
    msg: z.string().default('reboot by passthru'),
  })
  .strict();

type Args = z.infer<typeof args>;

export const BOOT_ID = 'cat /proc/sys/kernel/random/boot_id';

/** how long to wait for the connection to drop after the reboot command */
const GONE_WAIT_MS = 5000;
/** back on the old boot (not gone down yet): how long to wait before logging in again */
const STILL_UP_WAIT_MS = 1000;

/** Resolves when the host's connection has dropped, or after `ms`. */
async function connectionGone(ctx: StepContext, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (ctx.host.connected && Date.now() < until && !ctx.signal.aborted) await new Promise((r) => setTimeout(r, 25));
}

async function readBootId(ctx: StepContext, timeoutMs: number): Promise<string> {
  const r = await ctx.host.exec(BOOT_ID, { timeoutMs, signal: ctx.signal });
  const id = r.stdout.trim();
  if (r.exitCode !== 0 || id === '') throw new StepError(ctx.hostName, 'reboot', `cannot read boot_id: ${r.stderr.trim()}`);
  return id;
}

export async function rebootAndWait(ctx: StepContext, a: Args): Promise<{ elapsed_ms: number; boot_id: string; factsCurrent: boolean }> {
  const started = Date.now();
  const deadline = started + a.reboot_timeout * 1000;
  // The boot_id is read by the reboot's own command, right before it; should its output be lost
  // with the connection, the one read with the facts (after the host's last change, in that
  // change's round trip) stands in.
  let before = await ctx.gather(bootId).catch(() => undefined);
  try {
    const r = await ctx.host.exec(`${BOOT_ID} && systemctl reboot`, { become: ctx.become, becomeUser: ctx.becomeUser, timeoutMs: 15_000, signal: ctx.signal });
    before = bootIdIn(r.stdout.split('\n')[0]?.trim() ?? '') ?? before;
    if (r.exitCode !== 0) throw new StepError(ctx.hostName, 'reboot', `the reboot command failed: ${ctx.secrets.mask((r.stderr || r.stdout).trim())}`);
  } catch (e) {
    // the connection going away (or hanging) is what a reboot looks like
    if (!(e instanceof ConnectionLostError) && !(e instanceof CommandTimeoutError)) throw e;
  }
  if (before === undefined) throw new StepError(ctx.hostName, 'reboot', 'cannot read boot_id before the reboot: whether the host comes back from this reboot cannot be told');
  // A host going down drops its connections within moments: waiting for that (rather than
  // logging in again and again while it shuts down) costs nothing. A connection that hangs
  // instead of closing is dropped by the reconnect below once this wait is over.
  await connectionGone(ctx, Math.min(GONE_WAIT_MS, deadline - Date.now()));
  let lastSeen = 'no answer yet';
  while (Date.now() < deadline) {
    if (ctx.signal.aborted) throw new StepError(ctx.hostName, 'reboot', 'interrupted while waiting for the host to come back');
    try {
      await ctx.host.reconnect({ timeoutMs: deadline - Date.now(), attemptTimeoutMs: a.connect_timeout * 1000, signal: ctx.signal });
      // boot_id, the test command and what the next steps read, side by side (three channels):
      // one round trip once the host is back (what was read is kept only from the new boot)
      const test = ctx.host.exec(a.test_command, { become: ctx.become, becomeUser: ctx.becomeUser, timeoutMs: a.connect_timeout * 1000 });
      test.catch(() => undefined);
      const back = ctx.readBack?.([]);
      const read = back ? ctx.host.exec(quote(['sh', '-c', back.script]), { become: ctx.become, becomeUser: ctx.becomeUser, timeoutMs: 30_000, signal: ctx.signal }) : undefined;
      read?.catch(() => undefined);
      const now = await readBootId(ctx, a.connect_timeout * 1000);
      if (now.toLowerCase() !== before.toLowerCase()) {
        const t = await test;
        if (t.exitCode === 0) {
          const r = await read?.catch(() => undefined);
          if (back && r?.exitCode === 0) back.accept(r.stdout);
          return { elapsed_ms: Date.now() - started, boot_id: now, factsCurrent: back !== undefined && r?.exitCode === 0 };
        }
        lastSeen = `back with a new boot_id, but the test command '${a.test_command}' exited ${t.exitCode}`;
      } else {
        lastSeen = 'still up with the old boot_id (not gone down yet)';
        await test.catch(() => undefined);
        await connectionGone(ctx, STILL_UP_WAIT_MS);
      }
    } catch (e) {
      lastSeen = lastSeenText(ctx.hostName, e);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new StepError(
    ctx.hostName,
    'reboot',
    `did not come back within ${a.reboot_timeout}s; last seen: ${lastSeen}`,
    'check the host\'s console; raise `reboot_timeout` if it is just slow to boot',
  );
}

/** What a failed reconnect saw, without the wrapper's "did not come back within" and the host name. */
function lastSeenText(host: string, e: unknown): string {
  const inner = e instanceof UnreachableError && e.cause instanceof HostError ? e.cause : e;
  const msg = inner instanceof Error ? inner.message : String(inner);
  return msg.startsWith(`${host}: `) ? msg.slice(host.length + 2) : msg;
}

export const rebootStep: StepKind<Args> = {
  kind: 'reboot',
  schema: args,
  disruptive: true,
  restartsHost: true,
  facts: () => [bootId],
  plan: async (_ctx, a) => ({
    changes: [{ description: 'reboot and wait until the host is back (new boot_id)' }],
    apply: async (ctx) => {
      const { factsCurrent, ...r } = await rebootAndWait(ctx, a);
      return { result: { rebooted: true, ...r }, factsCurrent };
    },
  }),
};
