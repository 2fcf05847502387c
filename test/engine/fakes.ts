// Test doubles for unit tests of the engine alone (the acceptance tests run
// on real sshd): an in-memory RemoteHost and tiny step kinds.

import { filesShell } from '@passthru/lab/embedded/files-shell.ts';
import { z } from 'zod';
import type { ErrorLocation } from '../../src/errors.ts';
import { ConnectionLostError, UnreachableError } from '../../src/errors.ts';
import type { Inventory } from '../../src/inventory/types.ts';
import type { Play, Playbook, StepDef } from '../../src/playbook/types.ts';
import type { ExecOptions, ExecResult, RemoteHost } from '../../src/ssh/types.ts';
import type { StepKind } from '../../src/steps/types.ts';
import type { Fact } from '../../src/facts/types.ts';

export class FakeHost implements RemoteHost {
  connected = true;
  readonly log: string[] = [];
  /** fact-gathering round trips (run for real by the embedded lab's shell) */
  gathers = 0;
  /** the fact ids of each round trip */
  readonly gathered: string[][] = [];
  /** whether each round trip ran through sudo */
  readonly gatheredAsRoot: boolean[] = [];
  /** the commands (other than fact gathering) run through sudo */
  readonly asRoot: string[] = [];
  files = new Map<string, string>();
  dropNext = false;
  /** files the host's shell starts from, for each command (e.g. a lock another run holds) */
  shellFiles: Record<string, string> = {};
  constructor(readonly name: string) {}
  async exec(command: string, opts?: ExecOptions): Promise<ExecResult> {
    if (this.dropNext) {
      this.dropNext = false;
      this.connected = false;
      throw new ConnectionLostError(this.name, 'connection lost');
    }
    if (command.includes('@@passthru-fact')) {
      this.gathers++;
      this.gathered.push([...command.matchAll(/@@passthru-fact:[a-z0-9]+:begin:([a-z0-9_]+)/g)].map((m) => m[1]!));
      this.gatheredAsRoot.push(opts?.become === true);
      const r = await filesShell(this.shellFiles).exec(command);
      return { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode };
    }
    this.log.push(command);
    if (opts?.become === true) {
      this.asRoot.push(command);
      // the host lock's command (and any other) runs for real in the files shell
      if (command.includes('/var/lib/passthru')) {
        const r = await filesShell(this.shellFiles).exec(command);
        return { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode };
      }
    }
    return { stdout: '', stderr: '', exitCode: 0 };
  }
  async reconnect(): Promise<void> {
    this.connected = true;
    this.log.push('<reconnect>');
  }
  async close(): Promise<void> {
    this.connected = false;
  }
}

export function inventoryOf(groups: Record<string, string[]>): Inventory {
  const hosts = new Map<string, { name: string; vars: Record<string, unknown> }>();
  const g = new Map<string, { name: string; hosts: string[]; children: string[]; vars: Record<string, unknown> }>();
  for (const [name, members] of Object.entries(groups)) {
    for (const h of members) hosts.set(h, { name: h, vars: {} });
    g.set(name, { name, hosts: members, children: [], vars: {} });
  }
  g.set('all', { name: 'all', hosts: [], children: [...Object.keys(groups), 'ungrouped'], vars: {} });
  g.set('ungrouped', { name: 'ungrouped', hosts: [], children: [], vars: {} });
  return { source: 'test.ini', hosts, groups: g };
}

const here: ErrorLocation = { file: 'test.yaml', line: 1, column: 1 };

export function step(name: string, kind: string, args: unknown = {}, extra: Partial<StepDef> = {}): StepDef {
  return { name, kind, args, when: [], notify: [], tags: [], retries: 0, delayMs: 0, ignoreErrors: false, runOnce: false, listen: [], location: here, ...extra };
}

export function play(name: string, hosts: string, steps: StepDef[], extra: Partial<Play> = {}): Play {
  return { name, hosts, vars: {}, serial: undefined, maxFailPercentage: undefined, anyErrorsFatal: false, become: undefined, tags: [], steps, handlers: [], location: here, ...extra };
}

export function playbook(...plays: Play[]): Playbook {
  return { file: 'test.yaml', plays };
}

/** `touch`: changes once per host (remembers in the fake host's files). */
export const touchKind: StepKind<{ path: string }> = {
  kind: 'touch',
  schema: z.object({ path: z.string() }),
  plan: async (ctx, a) => {
    const host = ctx.host as FakeHost;
    if (host.files.has(a.path)) return { changes: [] };
    return {
      changes: [{ description: `create ${a.path}`, diff: { path: a.path, before: '', after: 'x\n' } }],
      apply: async (c) => {
        await c.host.exec(`touch ${a.path}`);
        host.files.set(a.path, 'x\n');
      },
    };
  },
};

/** `bounce`: a disruptive change (a restart, a reboot) on every run. */
export const bounceKind: StepKind<Record<string, never>> = {
  kind: 'bounce',
  schema: z.object({}).strict(),
  disruptive: true,
  plan: async () => ({ changes: [{ description: 'restart something' }], apply: async (c) => void (await c.host.exec('bounce')) }),
};

/** `boom`: fails on the hosts listed. */
export const boomKind: StepKind<{ on: string[] }> = {
  kind: 'boom',
  schema: z.object({ on: z.array(z.string()) }),
  plan: async (ctx, a) => (a.on.includes(ctx.hostName) ? { changes: [], fail: { message: 'boom' } } : { changes: [] }),
};

/** `probe`: read-only, repeatable; registers the count of calls. */
export const probeKind: StepKind<Record<string, never>> = {
  kind: 'probe',
  schema: z.object({}).strict(),
  repeatable: true,
  plan: async (ctx) => {
    const r = await ctx.host.exec('probe');
    return { changes: [], result: { rc: r.exitCode } };
  },
};

/** `readfact`: reads one fact (echo of its name) and registers it. */
export const readFactKind: StepKind<{ fact: string }> = {
  kind: 'readfact',
  schema: z.object({ fact: z.string() }),
  repeatable: true,
  facts: (a) => [factNamed(a.fact)],
  plan: async (ctx, a) => ({ changes: [], result: { value: await ctx.gather(factNamed(a.fact)) } }),
};

function factNamed(id: string): Fact<string> {
  return { id, script: `echo ${id}`, parse: (out) => out.trim() };
}

export function connectorFor(hosts: Map<string, FakeHost>, unreachable: string[] = []) {
  return async (name: string): Promise<RemoteHost> => {
    if (unreachable.includes(name)) throw new UnreachableError(name, 'connection refused');
    let h = hosts.get(name);
    if (!h) {
      h = new FakeHost(name);
      hosts.set(name, h);
    }
    return h;
  };
}
