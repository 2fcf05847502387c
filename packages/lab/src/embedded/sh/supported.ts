// Can the lab's shell (interp.ts) run this tree, or does the line go to
// just-bash? Decided before anything runs, from the tree alone: a line runs
// entirely in one of the two. What the lab's shell leaves to just-bash:
// background jobs, `time`, arrays, [[ ]], brace expansion,
// process substitution, file descriptors above 2, and the builtins it does
// not have (declare, let, getopts, shopt, type, ...).
import { arithOk } from './arith.ts';
import type { Command, Redirection, Script, Statement, Word, WordPart } from './ast.ts';

/** Builtins the lab's shell does not implement: a line naming one goes to just-bash. */
export const UNSUPPORTED_BUILTINS = new Set([
  'declare', 'typeset', 'readonly', 'let', 'getopts', 'shopt', 'alias', 'unalias', 'wait', 'jobs', 'bg', 'fg', 'disown',
  'suspend', 'times', 'ulimit', 'enable', 'builtin', 'caller', 'compgen', 'complete', 'compopt', 'dirs', 'pushd', 'popd',
  'fc', 'history', 'hash', 'type', 'mapfile', 'readarray', 'help', 'logout', 'coproc', 'select', 'time',
]);

/** Parameters the lab's shell does not provide. */
const UNSUPPORTED_PARAMETERS = new Set(['!', '-', '_', 'RANDOM', 'LINENO', 'SECONDS', 'BASH_SOURCE', 'FUNCNAME', 'PIPESTATUS', 'BASH_LINENO', 'EPOCHSECONDS', 'EPOCHREALTIME', 'SRANDOM', 'BASH_COMMAND', 'BASH_SUBSHELL', 'GROUPS', 'DIRSTACK', 'BASH_ARGV', 'BASH_ARGC']);

const PARAMETER_OPS = new Set(['DefaultValue', 'AssignDefault', 'UseAlternative', 'ErrorIfUnset', 'Length', 'PatternRemoval', 'PatternReplacement', 'CaseModification', 'Substring']);

/** Options of `set` the lab's shell knows. */
const SET_FLAGS = new Set(['e', 'u', 'f']);

function literalOf(word: Word | null | undefined): string | undefined {
  if (word === null || word === undefined) return undefined;
  let out = '';
  for (const p of word.parts) {
    if (p.type === 'Literal' || p.type === 'SingleQuoted' || p.type === 'Escaped') out += p.value;
    else if (p.type === 'DoubleQuoted') {
      const inner = literalOf({ type: 'Word', parts: p.parts });
      if (inner === undefined) return undefined;
      out += inner;
    } else return undefined;
  }
  return out;
}

function wordOk(word: Word | null | undefined): boolean {
  if (word === null || word === undefined) return true;
  return word.parts.every(partOk);
}

function partOk(p: WordPart): boolean {
  switch (p.type) {
    case 'Literal':
    case 'SingleQuoted':
    case 'Escaped':
    case 'Glob':
      return true;
    case 'TildeExpansion':
      return p.user === null;
    case 'DoubleQuoted':
      return p.parts.every(partOk);
    case 'CommandSubstitution':
      return scriptOk(p.body);
    case 'ArithmeticExpansion':
      return arithOk(p.expression);
    case 'ParameterExpansion': {
      if (UNSUPPORTED_PARAMETERS.has(p.parameter) || !/^([A-Za-z_][A-Za-z0-9_]*|[0-9]+|[@*#?$0])$/.test(p.parameter)) return false;
      const op = p.operation;
      if (op === null) return true;
      if (!PARAMETER_OPS.has(op.type)) return false;
      switch (op.type) {
        case 'DefaultValue':
        case 'AssignDefault':
        case 'UseAlternative':
          return wordOk(op.word);
        case 'ErrorIfUnset':
          return wordOk(op.word);
        case 'PatternRemoval':
          return wordOk(op.pattern);
        case 'PatternReplacement':
          return wordOk(op.pattern) && wordOk(op.replacement);
        case 'CaseModification':
          return op.pattern === null;
        case 'Substring':
          return arithOk(op.offset) && arithOk(op.length) && p.parameter !== '@' && p.parameter !== '*';
        default:
          return true;
      }
    }
    default:
      return false;
  }
}

function redirectionOk(r: Redirection): boolean {
  if (r.fdVariable !== undefined) return false;
  if (r.fd !== null && (r.fd < 0 || r.fd > 2)) return false;
  if (r.target.type === 'HereDoc') return r.operator === '<<' || r.operator === '<<-' ? wordOk(r.target.content) : false;
  switch (r.operator) {
    case '<':
    case '>':
    case '>>':
    case '>|':
    case '&>':
    case '&>>':
    case '<<<':
      return wordOk(r.target);
    case '>&':
    case '<&': {
      // only duplications of 0, 1, 2
      const t = literalOf(r.target);
      return t !== undefined && /^[012]$/.test(t);
    }
    default:
      return false;
  }
}

function statementsOk(list: Statement[] | null | undefined): boolean {
  if (list === null || list === undefined) return true;
  for (const st of list) {
    if (st.background || st.deferredError !== undefined) return false;
    for (const p of st.pipelines) {
      if (p.timed === true) return false;
      for (const c of p.commands) if (!commandOk(c)) return false;
    }
  }
  return true;
}

function simpleOk(c: Extract<Command, { type: 'SimpleCommand' }>): boolean {
  for (const a of c.assignments) {
    if (a.array !== null || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(a.name) || !wordOk(a.value)) return false;
  }
  if (!wordOk(c.name) || !c.args.every(wordOk)) return false;
  const name = literalOf(c.name);
  if (name === undefined) return true;
  if (UNSUPPORTED_BUILTINS.has(name)) return false;
  const args = c.args.map(literalOf);
  switch (name) {
    case 'set': {
      if (args.length === 0) return false;
      for (let i = 0; i < args.length; i++) {
        const a = args[i];
        if (a === undefined) return false;
        if (a === '--' || a === '-') return true;
        if (a === '-o' || a === '+o') {
          if (args[i + 1] !== 'pipefail' && args[i + 1] !== 'errexit' && args[i + 1] !== 'nounset') return false;
          i++;
          continue;
        }
        if (/^[-+][a-zA-Z]+$/.test(a)) {
          if (![...a.slice(1)].every((f) => SET_FLAGS.has(f))) return false;
          continue;
        }
        return true; // positional parameters from here
      }
      return true;
    }
    case 'read':
      for (const a of args) {
        if (a === undefined) return false;
        if (a.startsWith('-') && a !== '-r') return false;
      }
      return true;
    case 'export':
    case 'unset':
    case 'local':
      return args.every((a) => a === undefined || !a.startsWith('-') || a === '--' || (name === 'unset' && (a === '-v' || a === '-f')));
    case 'exec':
      // `exec` with redirections only changes the shell's own descriptors
      return args.length > 0 && !(args[0] ?? '-').startsWith('-');
    case 'command':
      return args[0] !== '-V' && args[0] !== '-p';
    default:
      return true;
  }
}

function commandOk(c: Command): boolean {
  if (!c.redirections.every(redirectionOk)) return false;
  switch (c.type) {
    case 'SimpleCommand':
      return simpleOk(c);
    case 'If':
      return c.clauses.every((cl) => statementsOk(cl.condition) && statementsOk(cl.body)) && statementsOk(c.elseBody);
    case 'For':
      return /^[A-Za-z_][A-Za-z0-9_]*$/.test(c.variable) && (c.words === null || c.words.every(wordOk)) && statementsOk(c.body);
    case 'While':
    case 'Until':
      return statementsOk(c.condition) && statementsOk(c.body);
    case 'Case':
      return wordOk(c.word) && c.items.every((it) => it.patterns.every(wordOk) && statementsOk(it.body));
    case 'Subshell':
    case 'Group':
      return statementsOk(c.body);
    case 'ArithmeticCommand':
      return arithOk(c.expression);
    case 'CStyleFor':
      return arithOk(c.init) && arithOk(c.condition) && arithOk(c.update) && statementsOk(c.body);
    case 'FunctionDef':
      return c.redirections.length === 0 && /^[A-Za-z_][A-Za-z0-9_.:-]*$/.test(c.name) && commandOk(c.body);
    default:
      return false;
  }
}

/** Can the lab's shell run this script (all of it)? */
export function scriptOk(script: Script): boolean {
  return statementsOk(script.statements);
}
