// `exec CMD ARGS` replaces the shell with CMD: nothing after it runs, and the
// shell's exit status is CMD's. just-bash runs CMD and carries on with the
// script; passthru's scripts rely on the real thing (`exec cat "$p"` ends a
// file read). So command lines are rewritten before they run:
//   exec CMD ARGS  ->  { CMD ARGS; exit; }
// (`exec` with only redirections stays as it is.) Lines without such an exec
// are left untouched, character for character.
import { parse, serialize, type ScriptNode } from 'just-bash';

interface Node {
  type?: string;
  [key: string]: unknown;
}

function literal(word: unknown): string | undefined {
  const parts = (word as { parts?: Array<{ type: string; value?: string }> } | null)?.parts;
  if (parts?.length !== 1) return undefined;
  const p = parts[0];
  return p?.type === 'Literal' ? p.value : undefined;
}

function rewriteCommand(cmd: Node): Node | undefined {
  if (cmd.type !== 'SimpleCommand' || literal(cmd.name) !== 'exec') return undefined;
  let args = cmd.args as unknown[];
  if (literal(args[0]) === '--') args = args.slice(1);
  const first = args[0];
  if (first === undefined) return undefined;
  if (literal(first)?.startsWith('-')) return undefined;
  const line = cmd.line as number | undefined;
  const run: Node = { ...cmd, name: first, args: args.slice(1) };
  const exit: Node = { type: 'SimpleCommand', name: { type: 'Word', parts: [{ type: 'Literal', value: 'exit' }] }, args: [], assignments: [], redirections: [], line };
  const statement = (c: Node): Node => ({ type: 'Statement', pipelines: [{ type: 'Pipeline', commands: [c], negated: false, timed: false, timePosix: false }], operators: [], background: false });
  return { type: 'Group', body: [statement(run), statement(exit)], redirections: [], line };
}

function walk(node: unknown): boolean {
  if (Array.isArray(node)) {
    let changed = false;
    for (const n of node) changed = walk(n) || changed;
    return changed;
  }
  if (node === null || typeof node !== 'object') return false;
  const n = node as Node;
  let changed = false;
  if (n.type === 'Pipeline' && Array.isArray(n.commands)) {
    n.commands = (n.commands as Node[]).map((c) => {
      const r = rewriteCommand(c);
      if (r !== undefined) changed = true;
      return r ?? c;
    });
  }
  for (const value of Object.values(n)) if (typeof value === 'object' && value !== null) changed = walk(value) || changed;
  return changed;
}

/** The script with every `exec CMD` made final; the very same string when there is none. */
export function rewriteExec(script: string): string {
  if (!/(^|[\s;&|({!])exec\s/.test(script)) return script;
  let ast: ScriptNode;
  try {
    ast = parse(script);
  } catch {
    return script;
  }
  if (!walk(ast)) return script;
  return serialize(ast);
}
