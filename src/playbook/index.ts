// The playbook: loading (YAML -> validated Playbook with locations), serial
// batches, extra vars, templating and conditions. See docs/playbook-format.md.

export type { LoadOptions, Play, Playbook, SerialSpec, SerialValue, StepDef, Vars } from './types.ts';
export { argsWhere, loadPlaybook, locate, parsePlaybook, renderArgs } from './load.ts';
export { batchSize, batches, maxFailExceeded } from './serial.ts';
export { parseExtraVars } from './extra-vars.ts';
export { checkExpression, compileTemplate, condition, evaluate, hasTemplate, render, truthy, type Where } from './template.ts';
export { FILTER_NAMES, TEST_NAMES } from './expression.ts';
export { loadVarsFile } from './vars-file.ts';
export { MAX_BYTES } from './yaml-source.ts';
