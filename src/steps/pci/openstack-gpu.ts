// `openstack_gpu`: the flavor (created when missing) with
// pci_passthrough:alias for whole GPUs, and img_hide_hypervisor_id=true on
// the image, through the openstack CLI with the openrc sourced in the same
// shell (its password never on a command line, never printed). Idempotent.

import { z } from 'zod';
import { flavorAliasSpec, type CardModel } from '../../nova/pci.ts';
import { StepError } from '../../errors.ts';
import { quote } from '../../util/shell.ts';
import type { Change, StepContext, StepKind } from '../types.ts';
import { clusterPlan } from './cluster-devices.ts';
import { discoveryOutput } from './discover.ts';

const args = z
  .object({
    flavor: z.string().min(1).default('gpu.passthrough'),
    ram: z.number().int().positive().default(16384),
    vcpus: z.number().int().positive().default(8),
    disk: z.number().int().nonnegative().default(80),
    gpu_count: z.number().int().positive().default(1),
    /** image name or id; empty: skip the image */
    image: z.string().default(''),
    /** empty: the first of OPENRC_CANDIDATES that exists */
    openrc: z.string().default(''),
    compute_group: z.string().default('compute'),
    discovered: z.string().default('gpu'),
  })
  .strict();

type Args = z.infer<typeof args>;

export const OPENRC_CANDIDATES = ['/root/admin-openrc', '/root/keystonerc_admin'];
const ALIAS_KEY = 'pci_passthrough:alias';
const HIDE_KEY = 'img_hide_hypervisor_id';

/** The credentials file (given, or the first candidate that exists) and its text, in one round trip. */
async function findOpenrc(ctx: StepContext, given: string): Promise<string> {
  const candidates = given ? [given] : OPENRC_CANDIDATES;
  const script = candidates.map((f) => `[ -r ${quote([f])} ] && { echo ${quote([f])}; cat ${quote([f])}; exit 0; }`).join('; ') + '; exit 1';
  const r = await ctx.host.exec(script, { become: ctx.become });
  const nl = r.stdout.indexOf('\n');
  const found = (nl < 0 ? r.stdout : r.stdout.slice(0, nl)).trim();
  if (r.exitCode !== 0 || !found) {
    throw new StepError(ctx.hostName, 'openstack', `no credentials file: ${candidates.join(', ')} not found`, 'pass -e openrc=/path/to/admin-openrc (a file that exports OS_AUTH_URL, OS_USERNAME, OS_PASSWORD...)');
  }
  ctx.secrets.addFromText(nl < 0 ? '' : r.stdout.slice(nl + 1));
  return found;
}

/** Run the openstack CLI with the credentials sourced in the same shell. */
async function openstack(ctx: StepContext, openrc: string, argv: string[]): Promise<{ ok: boolean; out: string; err: string }> {
  const line = `. ${quote([openrc])} >/dev/null 2>&1 || { echo 'cannot source ${openrc.replace(/'/g, '')}' >&2; exit 97; }; ${quote(['openstack', ...argv])}`;
  const r = await ctx.host.exec(line, { become: ctx.become, timeoutMs: ctx.timeoutMs ?? 120_000, signal: ctx.signal });
  return { ok: r.exitCode === 0, out: r.stdout, err: ctx.secrets.mask(r.stderr.trim()) };
}

/** `properties` of `openstack ... show -f json`: a dict (newer clients) or "k='v', k2='v2'" (older). */
export function properties(json: Record<string, unknown>): Record<string, string> {
  const p = json['properties'];
  const out: Record<string, string> = {};
  if (p && typeof p === 'object') {
    for (const [k, v] of Object.entries(p as Record<string, unknown>)) out[k] = String(v);
  } else if (typeof p === 'string') {
    for (const m of p.matchAll(/([\w:.-]+)='([^']*)'/g)) out[m[1] ?? ''] = m[2] ?? '';
  }
  for (const key of [HIDE_KEY, ALIAS_KEY]) if (typeof json[key] === 'string' && out[key] === undefined) out[key] = json[key] as string;
  return out;
}

function parseJson(ctx: StepContext, text: string, what: string): Record<string, unknown> {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new StepError(ctx.hostName, 'openstack', `unexpected output from ${what}: ${ctx.secrets.mask(text.slice(0, 200))}`);
  }
}

function flavorsFor(models: CardModel[], a: Args): Array<{ name: string; spec: string; model: CardModel }> {
  if (models.length === 1) return [{ name: a.flavor, spec: flavorAliasSpec(models[0] as CardModel, a.gpu_count), model: models[0] as CardModel }];
  return models.map((m) => ({ name: `${a.flavor}-${m.product}`, spec: flavorAliasSpec(m, a.gpu_count), model: m }));
}

export const openstackGpuStep: StepKind<Args> = {
  kind: 'openstack_gpu',
  schema: args,
  reads: [discoveryOutput],
  async plan(ctx, a) {
    const models = clusterPlan(ctx, a.compute_group, a.discovered).plan.models;
    if (models.length === 0) return { changes: [], skip: 'no GPU found on any compute: no flavor to create' };
    const openrc = await findOpenrc(ctx, a.openrc);
    const changes: Change[] = [];
    const todo: string[][] = [];
    const notes: string[] = [];
    const flavors = flavorsFor(models, a);
    if (flavors.length > 1) notes.push(`${flavors.length} GPU models: one flavor each (${flavors.map((f) => f.name).join(', ')})`);
    // every query at once (each is an openstack CLI process: a second or two on a real cloud)
    const [flavorsShown, imageShown] = await Promise.all([
      Promise.all(flavors.map((f) => openstack(ctx, openrc, ['flavor', 'show', f.name, '-f', 'json']))),
      a.image === '' ? undefined : openstack(ctx, openrc, ['image', 'show', a.image, '-f', 'json']),
    ]);
    for (const [i, f] of flavors.entries()) {
      const shown = flavorsShown[i]!;
      let current: string | undefined;
      if (shown.ok) {
        current = properties(parseJson(ctx, shown.out, 'openstack flavor show'))[ALIAS_KEY];
      } else if (/no flavor|could not find|not found/i.test(shown.err)) {
        changes.push({ description: `create flavor ${f.name} (${a.vcpus} vCPU, ${a.ram} MiB RAM, ${a.disk} GiB disk)` });
        changes.push({ description: `flavor ${f.name}: ${ALIAS_KEY}=${f.spec} [${f.model.name || f.model.model}]` });
        // created with its property: one command
        todo.push(['flavor', 'create', '--ram', String(a.ram), '--disk', String(a.disk), '--vcpus', String(a.vcpus), '--public', '--property', `${ALIAS_KEY}=${f.spec}`, f.name, '-f', 'json']);
        continue;
      } else {
        throw new StepError(ctx.hostName, 'openstack', `openstack flavor show ${f.name} failed: ${shown.err}`, `check the credentials in ${openrc} and that keystone and nova-api answer`);
      }
      if (current !== f.spec) {
        changes.push({ description: `flavor ${f.name}: ${ALIAS_KEY}=${f.spec}${current ? ` (was ${current})` : ''} [${f.model.name || f.model.model}]` });
        todo.push(['flavor', 'set', f.name, '--property', `${ALIAS_KEY}=${f.spec}`]);
      }
    }
    if (imageShown === undefined) {
      notes.push('no image given (-e image=NAME): img_hide_hypervisor_id not set');
    } else {
      if (!imageShown.ok) throw new StepError(ctx.hostName, 'openstack', `image ${a.image}: ${imageShown.err || 'not found'}`, 'give an existing image name or id with -e image=...');
      const hide = properties(parseJson(ctx, imageShown.out, 'openstack image show'))[HIDE_KEY];
      if (hide?.toLowerCase() !== 'true') {
        changes.push({ description: `image ${a.image}: ${HIDE_KEY}=true (instances built from it no longer see KVMKVMKVM)` });
        todo.push(['image', 'set', a.image, '--property', `${HIDE_KEY}=true`]);
      }
    }
    const result = { flavors: flavors.map((f) => ({ name: f.name, alias: f.spec })), image: a.image || undefined, openrc };
    return {
      changes,
      notes,
      result,
      apply: async (cx) => {
        // one command per flavor and one for the image: independent of each other
        const done = await Promise.all(todo.map(async (argv) => ({ argv, r: await openstack(cx, openrc, argv) })));
        const bad = done.find((d) => !d.r.ok);
        if (bad) throw new StepError(cx.hostName, 'openstack', `openstack ${bad.argv.slice(0, 3).join(' ')} failed: ${bad.r.err}`);
        return { result };
      },
    };
  },
};
