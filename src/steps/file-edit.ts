// The shared shape of every step that edits one remote file: read it, compute
// the new content in memory, diff, and on apply write it atomically (temp
// file beside it, owner/group/mode kept, timestamped backup) only when the
// content differs.

import { readRemoteFile, writeRemoteFile } from '../ssh/files.ts';
import { StepError } from '../errors.ts';
import type { StepContext, StepPlan } from './types.ts';

export interface FileEditOptions {
  /** create the file when missing (else the step fails) */
  create?: boolean | undefined;
  mode?: number | undefined;
  owner?: string | undefined;
  group?: string | undefined;
  backup?: boolean | undefined;
  /** one line for the change list, e.g. "set [pci] alias" */
  description: string;
}

export interface FileEditResult {
  /** new content, or undefined to leave the file as it is */
  after: string | undefined;
  notes?: string[] | undefined;
  result?: Record<string, unknown> | undefined;
}

export async function planFileEdit(
  ctx: StepContext,
  path: string,
  edit: (before: string, exists: boolean) => FileEditResult | Promise<FileEditResult>,
  opts: FileEditOptions,
): Promise<StepPlan> {
  const file = await readRemoteFile(ctx.host, path, { become: ctx.become });
  ctx.secrets.addFromText(file.content);
  if (!file.exists && !opts.create) {
    throw new StepError(ctx.hostName, opts.description, `${path} does not exist`, 'create it first, or set `create: true` on the step');
  }
  const { after, notes, result } = await edit(file.content, file.exists);
  const metaDiffers =
    file.exists &&
    ((opts.mode !== undefined && file.meta?.mode !== opts.mode) ||
      (opts.owner !== undefined && file.meta?.owner !== opts.owner) ||
      (opts.group !== undefined && file.meta?.group !== opts.group));
  const contentDiffers = after !== undefined && (after !== file.content || !file.exists);
  if (!contentDiffers && !metaDiffers) return { changes: [], notes, result: { path, ...result } };

  const content = after ?? file.content;
  const description = contentDiffers ? opts.description : `${opts.description} (owner/mode)`;
  return {
    changes: [{ description, diff: contentDiffers ? { path, before: file.content, after: content } : undefined }],
    notes,
    result: { path, ...result },
    apply: async (c) => {
      const written = await writeRemoteFile(c.host, path, content, {
        become: c.become,
        backup: (opts.backup ?? true) && file.exists,
        signal: c.signal,
        ...(opts.mode !== undefined ? { mode: opts.mode } : {}),
        ...(opts.owner !== undefined ? { owner: opts.owner } : {}),
        ...(opts.group !== undefined ? { group: opts.group } : {}),
      });
      if (written.backupPath) c.backups.push({ path, backupPath: written.backupPath });
      return { result: { path, backup: written.backupPath, ...result } };
    },
  };
}
