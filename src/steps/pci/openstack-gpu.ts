// `openstack_gpu`: the flavor (created when missing) with
// pci_passthrough:alias for whole GPUs, and img_hide_hypervisor_id=true on
// the image, through the openstack CLI with the openrc sourced in the same
// shell (its password never on a command line, never printed). Idempotent.

import { z } from 'zod';
import { flavorAliasSpec, type CardModel } from '../../nova/pci.ts';
import { StepError } from '../../errors.ts';
import type { Change, StepKind } from '../types.ts';
import { clusterPlan } from './cluster-devices.ts';
import { OpenstackCli, parseJson } from './openstack-cli.ts';
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

const ALIAS_KEY = 'pci_passthrough:alias';
const HIDE_KEY = 'img_hide_hypervisor_id';

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
    const cli = await OpenstackCli.open(ctx, ctx.hostName, a.openrc, 'openstack');
    const openrc = cli.openrc;
    const changes: Change[] = [];
    const todo: string[][] = [];
    const notes: string[] = [];
    const flavors = flavorsFor(models, a);
    if (flavors.length > 1) notes.push(`${flavors.length} GPU models: one flavor each (${flavors.map((f) => f.name).join(', ')})`);
    // every query at once (each is an openstack CLI process: a second or two on a real cloud)
    const [flavorsShown, imageShown] = await Promise.all([
      Promise.all(flavors.map((f) => cli.run(['flavor', 'show', f.name, '-f', 'json']))),
      a.image === '' ? undefined : cli.run(['image', 'show', a.image, '-f', 'json']),
    ]);
    for (const [i, f] of flavors.entries()) {
      const shown = flavorsShown[i]!;
      let current: string | undefined;
      if (shown.ok) {
        current = properties(parseJson<Record<string, unknown>>(ctx, shown.out, 'openstack flavor show', 'openstack'))[ALIAS_KEY];
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
      const hide = properties(parseJson<Record<string, unknown>>(ctx, imageShown.out, 'openstack image show', 'openstack'))[HIDE_KEY];
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
        const done = await Promise.all(todo.map(async (argv) => ({ argv, r: await cli.run(argv) })));
        const bad = done.find((d) => !d.r.ok);
        if (bad) throw new StepError(cx.hostName, 'openstack', `openstack ${bad.argv.slice(0, 3).join(' ')} failed: ${bad.r.err}`);
        return { result };
      },
    };
  },
};
