// The openstack CLI on a controller, with the credentials (an openrc)
// sourced in the same shell: its password is never on a command line and is
// masked wherever it could show. Used by the steps that talk to the cloud's
// API: the flavor and image (openstack_gpu, on the controller itself) and the
// drain of a compute (compute_drain / compute_undrain, through the
// controller). A controller runs at most a few of these python processes at
// once, whichever hosts ask.

import pLimit from 'p-limit';
import { StepError } from '../../errors.ts';
import type { RemoteHost } from '../../ssh/types.ts';
import { quote } from '../../util/shell.ts';
import type { StepContext } from '../types.ts';

export const OPENRC_CANDIDATES = ['/root/admin-openrc', '/root/keystonerc_admin'];

/** the parsed JSON of a result shared by several hosts (never changed by its readers) */
const parsedOnce = new WeakMap<OpenstackResult, object>();

/** openstack CLI processes at once on one controller */
const AT_ONCE = 6;

export interface OpenstackResult {
  ok: boolean;
  out: string;
  /** stderr, masked */
  err: string;
}

export class OpenstackCli {
  private constructor(
    private readonly ctx: StepContext,
    private readonly host: RemoteHost,
    /** the controller the CLI runs on */
    readonly on: string,
    /** the credentials file sourced */
    readonly openrc: string,
    private readonly limit: <T>(f: () => Promise<T>) => Promise<T>,
  ) {}

  /**
   * The CLI on `hostName` (this step's own host, or another through
   * ctx.delegate), with the credentials file given or the first of
   * OPENRC_CANDIDATES there. `step` names the step in errors.
   */
  static async open(ctx: StepContext, hostName: string, given: string, step: string): Promise<OpenstackCli> {
    let host: RemoteHost;
    try {
      host = hostName === ctx.hostName ? ctx.host : await ctx.delegate(hostName);
    } catch (e) {
      throw new StepError(ctx.hostName, step, `cannot reach ${hostName}, where the openstack CLI runs: ${e instanceof Error ? e.message : String(e)}`, `make ${hostName} reachable, or name another controller`);
    }
    const limits = ctx.services.openstackLimits;
    const limit = limits.get(hostName) ?? limits.set(hostName, pLimit(AT_ONCE)).get(hostName)!;
    // looked for once per controller; every host that asks gets its own error
    const openrcs = ctx.services.openstackOpenrc;
    const key = `${hostName}\0${given}`;
    const found = openrcs.get(key) ?? openrcs.set(key, findOpenrc(ctx, host, given)).get(key)!;
    const openrc = await found;
    if (openrc === undefined) {
      const candidates = given ? [given] : OPENRC_CANDIDATES;
      throw new StepError(ctx.hostName, step, `no credentials file on ${hostName}: ${candidates.join(', ')} not found`, 'pass -e openrc=/path/to/admin-openrc (a file that exports OS_AUTH_URL, OS_USERNAME, OS_PASSWORD...)');
    }
    return new OpenstackCli(ctx, host, hostName, openrc, limit);
  }

  /** Run `openstack ARGV` (never throws for a non-zero exit). */
  run(argv: readonly string[], timeoutMs = 120_000): Promise<OpenstackResult> {
    return this.limit(() => this.exec(argv, timeoutMs));
  }

  private async exec(argv: readonly string[], timeoutMs = 120_000): Promise<OpenstackResult> {
    const line = `. ${quote([this.openrc])} >/dev/null 2>&1 || { echo ${quote([`cannot source ${this.openrc}`])} >&2; exit 97; }; ${quote(['openstack', ...argv])}`;
    const r = await this.host.exec(line, { become: this.ctx.become, timeoutMs, signal: this.ctx.signal });
    return { ok: r.exitCode === 0, out: r.stdout, err: this.ctx.secrets.mask(r.stderr.trim()) };
  }

  /**
   * Run a command that prints JSON (`-f json` is added) and parse it; a
   * failure is the step's error. `shared`: a read that may join the same
   * read already on its way for another host (plans of many computes at
   * once list the cloud once, not once each); never for a read that must
   * see what this step just changed. `fresh`: a read issued after this call
   * (so it sees what this step just changed), shared with every host that
   * asks for the same before it is issued (100 computes draining at once
   * list the cloud a few times, not 100 times: the controller runs only
   * AT_ONCE openstack processes at a time, each a python of its own).
   */
  async json<T>(argv: readonly string[], step: string, opts: { hint?: string; shared?: boolean; fresh?: boolean } = {}): Promise<T> {
    const r = await (opts.fresh ? this.batched(argv) : opts.shared ? this.joined(argv) : this.run([...argv, '-f', 'json']));
    if (!r.ok) throw new StepError(this.ctx.hostName, step, `openstack ${argv.slice(0, 3).join(' ')} on ${this.on} failed: ${r.err || 'no message'}`, opts.hint ?? `check the credentials in ${this.openrc} and that keystone and nova-api answer`);
    if (!opts.fresh && !opts.shared) return parseJson<T>(this.ctx, r.out, `openstack ${argv.slice(0, 3).join(' ')}`, step);
    // a listing shared by many hosts is parsed once (1000 computes, 1000 rows each: not a million); read-only
    const known = parsedOnce.get(r);
    if (known !== undefined) return known as T;
    const parsed = parseJson<T>(this.ctx, r.out, `openstack ${argv.slice(0, 3).join(' ')}`, step);
    if (parsed !== null && typeof parsed === 'object') parsedOnce.set(r, parsed);
    return parsed;
  }

  /** The next read of `argv` not issued yet (one is made when there is none): it starts after every caller asked. */
  private batched(argv: readonly string[]): Promise<OpenstackResult> {
    const all = this.ctx.services.openstackInflight;
    const inflight = all.get(this.on) ?? all.set(this.on, new Map<string, Promise<OpenstackResult>>()).get(this.on)!;
    const key = `next\0${JSON.stringify(argv)}`;
    let p = inflight.get(key);
    if (!p) {
      const mine: Promise<OpenstackResult> = this.limit(() => {
        // issued now: whoever asks from here on needs a later read
        if (inflight.get(key) === mine) inflight.delete(key);
        return this.exec([...argv, '-f', 'json']);
      });
      p = mine;
      inflight.set(key, p);
    }
    return p;
  }

  private joined(argv: readonly string[]): Promise<OpenstackResult> {
    const all = this.ctx.services.openstackInflight;
    const inflight = all.get(this.on) ?? all.set(this.on, new Map<string, Promise<OpenstackResult>>()).get(this.on)!;
    const key = JSON.stringify(argv);
    let p = inflight.get(key);
    if (!p) {
      p = this.run([...argv, '-f', 'json']);
      inflight.set(key, p);
      const forget = (): void => void inflight.delete(key);
      p.then(forget, forget);
    }
    return p;
  }
}

export function parseJson<T>(ctx: StepContext, text: string, what: string, step: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new StepError(ctx.hostName, step, `unexpected output from ${what}: ${ctx.secrets.mask(text.slice(0, 200))}`);
  }
}

/** The credentials file (given, or the first candidate that exists) and its text, in one round trip; its secrets are registered. */
async function findOpenrc(ctx: StepContext, host: RemoteHost, given: string): Promise<string | undefined> {
  const candidates = given ? [given] : OPENRC_CANDIDATES;
  const script = candidates.map((f) => `[ -r ${quote([f])} ] && { echo ${quote([f])}; cat ${quote([f])}; exit 0; }`).join('; ') + '; exit 1';
  const r = await host.exec(script, { become: ctx.become });
  const nl = r.stdout.indexOf('\n');
  const found = (nl < 0 ? r.stdout : r.stdout.slice(0, nl)).trim();
  if (r.exitCode !== 0 || !found) return undefined;
  ctx.secrets.addFromText(nl < 0 ? '' : r.stdout.slice(nl + 1));
  return found;
}
