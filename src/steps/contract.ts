// Typed contracts between steps: what a step kind registers (its output,
// with a schema), and how a later step reads it. A reader names the kind of
// step it reads from, never a variable name alone: the engine knows which
// step registered each variable, so a variable of the same name set by
// anything else (another step, -e, the inventory) is never taken for it, and
// a result that is not of the declared shape is an error naming both steps.

import type { z } from 'zod';

export interface StepOutput<T> {
  /** the step kind that registers it (e.g. `pci_preflight`) */
  kind: string;
  /** what it registers, checked when a later step reads it */
  schema: z.ZodType<T>;
}

export function stepOutput<T>(kind: string, schema: z.ZodType<T>): StepOutput<T> {
  return { kind, schema };
}

/** The step that registered a variable on a host. */
export interface Producer {
  step: string;
  kind: string;
}
