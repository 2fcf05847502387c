// A step kind's options, as its schema (zod) declares them: their names, and
// what to say about a wrong one ("did you mean", Ansible's other names,
// where the kind is described). Used by the loader (before any host is
// contacted) and by the engine (arguments rendered on a host).

import type { z } from 'zod';
import { closest, listOf } from './suggest.ts';

/** What the loader and the engine need to know of a step kind to check its options. */
export interface KindOptions {
  kind: string;
  schema: z.ZodType<unknown>;
  /** Ansible's names of some options (`regex` for `regexp`) */
  aliases?: Readonly<Record<string, string>> | undefined;
}

/** Kinds described together under one heading of docs/steps.md. */
const SHARED_SECTION: Readonly<Record<string, string>> = { copy: 'copy-template', template: 'copy-template' };

/** The section of docs/steps.md that describes a step kind. */
export function stepDocs(kind: string): string {
  return `docs/steps.md#${SHARED_SECTION[kind] ?? kind}`;
}

/** The option names of a kind's mapping form, from its schema (zod objects, in unions, pipes and defaults too). */
export function optionNames(kind: KindOptions): string[] {
  const out = new Set<string>();
  const walk = (s: unknown, depth: number): void => {
    if (depth > 6 || s === null || typeof s !== 'object') return;
    const def = (s as { def?: { type?: string; shape?: Record<string, unknown>; options?: unknown[]; in?: unknown; out?: unknown; innerType?: unknown; schema?: unknown } }).def;
    if (!def) return;
    if (def.type === 'object' && def.shape) for (const k of Object.keys(def.shape)) out.add(k);
    for (const o of def.options ?? []) walk(o, depth + 1);
    for (const x of [def.in, def.innerType, def.schema]) walk(x, depth + 1);
  };
  walk(kind.schema, 0);
  return [...out];
}

/** ` (did you mean "x"?)`: the passthru name of one of Ansible's names first, then the closest spelling. */
export function optionSuggestion(key: string, kind: KindOptions): string {
  const alias = kind.aliases?.[key];
  if (alias !== undefined) return ` (did you mean "${alias}"? "${key}" is Ansible's other name for it)`;
  const near = closest(key, optionNames(kind));
  return near !== undefined ? ` (did you mean "${near}"?)` : '';
}

export interface OptionsProblem {
  /** where in the arguments (empty: the arguments themselves) */
  path: Array<string | number>;
  /** true: `path` ends with a key that should not be there (point at the key, not its value) */
  atKey: boolean;
  message: string;
  hint: string;
}

/** The first problem zod found in a kind's arguments, said for a user. */
export function optionsProblem(kind: KindOptions, issues: readonly z.core.$ZodIssue[]): OptionsProblem {
  const issue = issues[0];
  const path = (issue?.path ?? []).filter((p): p is string | number => typeof p === 'string' || typeof p === 'number');
  const options = optionNames(kind);
  const hint = `${options.length > 0 ? `options of ${kind.kind}: ${listOf(options)}; ` : ''}see ${stepDocs(kind.kind)}`;
  if (issue?.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '';
    return { path: [...path, key], atKey: true, message: `unknown option "${key}"${optionSuggestion(key, kind)}`, hint };
  }
  const where = path.length > 0 ? `${path.join('.')}: ` : '';
  return { path, atKey: false, message: `${where}${issue?.message ?? 'invalid arguments'}`, hint };
}
