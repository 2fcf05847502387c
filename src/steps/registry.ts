// Every step kind passthru knows, by the key that names it in a playbook.

import { assertStep } from './assert.ts';
import { blockinfileStep } from './blockinfile.ts';
import { commandStep, shellStep } from './command.ts';
import { copyStep, templateStep } from './copy.ts';
import { debugStep } from './debug.ts';
import { iniStep } from './ini.ts';
import { lineinfileStep } from './lineinfile.ts';
import { rebootStep } from './reboot.ts';
import { serviceStep } from './service.ts';
import type { StepKind } from './types.ts';

const generic: StepKind<never>[] = [
  commandStep,
  shellStep,
  assertStep,
  debugStep,
  lineinfileStep,
  blockinfileStep,
  iniStep,
  copyStep,
  templateStep,
  serviceStep,
  rebootStep,
] as unknown as StepKind<never>[];

export function stepKinds(extra: StepKind<never>[] = []): Map<string, StepKind<unknown>> {
  const m = new Map<string, StepKind<unknown>>();
  for (const k of [...generic, ...extra]) m.set(k.kind, k as unknown as StepKind<unknown>);
  return m;
}
