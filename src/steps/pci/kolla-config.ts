// `kolla_config`: the deploy host's kolla-ansible overrides
// (/etc/kolla/config/nova/nova-api.conf, nova-scheduler.conf,
// nova-compute.conf, and nova/<host>/nova.conf for each compute's device
// spec) given the settings nova_pci put into the kolla hosts' own files, so
// that the next `kolla-ansible reconfigure` renders them again instead of
// taking them out. Run once (on the first controller); the deploy host is
// the first host of the inventory group `kolla_deploy` (reached through the
// run's connection to it). Without one, the step is skipped and nova_pci's
// notes give the files to add by hand. Every other line of an existing
// override file stays as it was.

import { posix } from 'node:path';
import { z } from 'zod';
import { StepError } from '../../errors.ts';
import { KOLLA_CUSTOM_CONFIG, applyOverrides, mergeOverrides, type KollaOverride } from '../../nova/kolla.ts';
import { readRemoteFile, writeRemoteFile } from '../../ssh/files.ts';
import { quote } from '../../util/shell.ts';
import type { Change, StepKind } from '../types.ts';
import { novaPciOutput } from './nova-pci.ts';

const args = z
  .object({
    controller_group: z.string().default('controller'),
    compute_group: z.string().default('compute'),
    /** the inventory group whose first host is the kolla-ansible deploy host */
    deploy_group: z.string().default('kolla_deploy'),
    /** the variable nova_pci registered on the kolla hosts */
    changes_from: z.string().default('nova_conf'),
    /** the variable nova_restart registered: a host whose restart failed (and was rolled back) gives no overrides */
    restarted_from: z.string().default('nova_restarted'),
  })
  .strict();

const override = z.object({ file: z.string(), section: z.string(), key: z.string(), values: z.array(z.string()) });

export const kollaConfigStep: StepKind<z.infer<typeof args>> = {
  kind: 'kolla_config',
  schema: args,
  reads: [novaPciOutput],
  async plan(ctx, a) {
    const hosts = [...new Set([...(ctx.groups[a.controller_group] ?? []), ...(ctx.groups[a.compute_group] ?? [])])];
    const all: Array<{ host: string; overrides: KollaOverride[] }> = [];
    const left: string[] = [];
    for (const h of hosts) {
      const got = ctx.inputFrom(h, a.changes_from, novaPciOutput) as { kolla_overrides?: unknown } | undefined;
      if (!got || got.kolla_overrides === undefined) continue;
      const restarted = ctx.hostvar(h, a.restarted_from) as { failed?: boolean } | undefined;
      if (restarted?.failed) {
        left.push(h);
        continue;
      }
      const parsed = z.array(override).safeParse(got.kolla_overrides);
      if (!parsed.success) throw new StepError(ctx.hostName, 'kolla_config', `${h}'s ${a.changes_from}.kolla_overrides is not what nova_pci registers`);
      all.push({ host: h, overrides: parsed.data });
    }
    if (all.length === 0) return { changes: [], skip: 'no kolla host configured by nova_pci in this run' };
    const deploy = ctx.groups[a.deploy_group]?.[0];
    if (!deploy) return { changes: [], skip: `no kolla deploy host in the inventory (group '${a.deploy_group}'): the notes of the nova.conf step list the overrides to add there` };
    const { files, conflicts } = mergeOverrides(all);
    const notes = [...conflicts];
    if (left.length > 0) notes.push(`left out (their containers did not come back): ${left.join(', ')}`);
    const target = await ctx.delegate(deploy);
    const planned: Array<{ path: string; before: string; after: string; exists: boolean }> = [];
    for (const [file, list] of files) {
      const path = `${KOLLA_CUSTOM_CONFIG}/${file}`;
      const cur = await readRemoteFile(target, path, { become: ctx.become, signal: ctx.signal });
      // a site's override file may hold passwords too: masked in the diff
      ctx.secrets.addFromText(cur.content);
      planned.push({ path, before: cur.content, after: applyOverrides(cur.content, list), exists: cur.exists });
    }
    const todo = planned.filter((p) => p.after !== p.before);
    const changes: Change[] = todo.map((p) => ({ description: `${deploy}:${p.path}${p.exists ? '' : ' (new)'}`, diff: { path: `${deploy}:${p.path}`, before: p.before, after: p.after } }));
    if (changes.length === 0) notes.push(`${deploy}: ${planned.map((p) => p.path).join(', ')} already hold these settings`);
    return {
      changes,
      notes,
      result: { deploy_host: deploy, files: planned.map((p) => p.path) },
      apply: async (c) => {
        const host = await c.delegate(deploy);
        const dirs = [...new Set(todo.filter((p) => !p.exists).map((p) => posix.dirname(p.path)))];
        if (dirs.length > 0) {
          const r = await host.exec(quote(['mkdir', '-p', ...dirs]), { become: c.become, signal: c.signal });
          if (r.exitCode !== 0) throw new StepError(c.hostName, 'kolla_config', `cannot create ${dirs.join(', ')} on ${deploy}: ${r.stderr.trim()}`);
        }
        for (const p of todo) await writeRemoteFile(host, p.path, p.after, { become: c.become, backup: p.exists, signal: c.signal, ...(p.exists ? {} : { mode: 0o644 }) });
        return { notes: [`${deploy}: kolla-ansible reconfigure keeps these settings now`] };
      },
    };
  },
};
