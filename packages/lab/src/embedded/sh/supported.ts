// Can the lab's shell (interp.ts) run this tree? Decided before anything
// runs, from the tree alone: a line it cannot run fails whole, with one
// message naming what the lab does not simulate (as `bash: ...: not
// supported by the lab's shell`, status 2), and nothing of it runs.
// What it does not run: background jobs, `time`, arrays, [[ ]], brace
// expansion, process substitution, file descriptors above 2, and the
// builtins it does not have (declare, let, getopts, shopt, type, ...).
// passthru's scripts are POSIX sh (they run on dash): none of that.
import { arithOk } from './arith.ts';
import type { Command, Redirection, Script, Statement, Word, WordPart } from './ast.ts';
import { parseCached } from './parse-cache.ts';

/** Builtins the lab's shell does not implement: a line naming one fails. */
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
      return p.user === null || no(`~${p.user}`);
    case 'DoubleQuoted':
      return p.parts.every(partOk);
    case 'CommandSubstitution':
      return statementsOk(p.body.statements);
    case 'ArithmeticExpansion':
      return arithOk(p.expression) || no('this arithmetic');
    case 'ParameterExpansion': {
      if (UNSUPPORTED_PARAMETERS.has(p.parameter) || !/^([A-Za-z_][A-Za-z0-9_]*|[0-9]+|[@*#?$0])$/.test(p.parameter)) return no(`$${p.parameter}`);
      const op = p.operation;
      if (op === null) return true;
      if (!PARAMETER_OPS.has(op.type)) return no(`this \${${p.parameter}...} expansion`);
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
          return (arithOk(op.offset) && arithOk(op.length) && p.parameter !== '@' && p.parameter !== '*') || no('this substring expansion');
        default:
          return true;
      }
    }
    case 'BraceExpansion':
      return no('brace expansion');
    default:
      return no(p.type === 'ProcessSubstitution' ? 'process substitution' : `${p.type}`);
  }
}

function redirectionOk(r: Redirection): boolean {
  if (r.fdVariable !== undefined) return no('{var}> redirections');
  if (r.fd !== null && (r.fd < 0 || r.fd > 2)) return no(`file descriptor ${r.fd}`);
  if (r.target.type === 'HereDoc') return r.operator === '<<' || r.operator === '<<-' ? wordOk(r.target.content) : no(r.operator);
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
      return (t !== undefined && /^[012]$/.test(t)) || no(`${r.operator} to other than 0, 1, 2`);
    }
    default:
      return no(`the ${r.operator} redirection`);
  }
}

function statementsOk(list: Statement[] | null | undefined): boolean {
  if (list === null || list === undefined) return true;
  for (const st of list) {
    if (st.background) return no('background jobs (&)');
    if (st.deferredError !== undefined) return no(st.deferredError.message);
    for (const p of st.pipelines) {
      if (p.timed === true) return no('time');
      for (const c of p.commands) if (!commandOk(c)) return false;
    }
  }
  return true;
}

function simpleOk(c: Extract<Command, { type: 'SimpleCommand' }>): boolean {
  for (const a of c.assignments) {
    if (a.array !== null) return no('arrays');
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(a.name)) return no(`assignment to ${a.name}`);
    if (!wordOk(a.value)) return false;
  }
  if (!wordOk(c.name) || !c.args.every(wordOk)) return false;
  const name = literalOf(c.name);
  if (name === undefined) return true;
  if (UNSUPPORTED_BUILTINS.has(name)) return no(name);
  const args = c.args.map(literalOf);
  switch (name) {
    case 'set': {
      if (args.length === 0) return no('set without arguments');
      for (let i = 0; i < args.length; i++) {
        const a = args[i];
        if (a === undefined) return no('set with an expanded option');
        if (a === '--' || a === '-') return true;
        if (a === '-o' || a === '+o') {
          if (args[i + 1] !== 'pipefail' && args[i + 1] !== 'errexit' && args[i + 1] !== 'nounset') return no(`set ${a} ${args[i + 1] ?? ''}`);
          i++;
          continue;
        }
        if (/^[-+][a-zA-Z]+$/.test(a)) {
          if (![...a.slice(1)].every((f) => SET_FLAGS.has(f))) return no(`set ${a}`);
          continue;
        }
        return true; // positional parameters from here
      }
      return true;
    }
    case 'read':
      for (const a of args) {
        if (a === undefined) return no('read with an expanded option');
        if (a.startsWith('-') && a !== '-r') return no(`read ${a}`);
      }
      return true;
    case 'export':
    case 'unset':
    case 'local':
      return args.every((a) => a === undefined || !a.startsWith('-') || a === '--' || (name === 'unset' && (a === '-v' || a === '-f'))) || no(`${name} with options`);
    case 'exec':
      // `exec` with redirections only changes the shell's own descriptors
      return (args.length > 0 && !(args[0] ?? '-').startsWith('-')) || no('exec without a command or with options');
    case 'command':
      return (args[0] !== '-V' && args[0] !== '-p') || no(`command ${args[0]}`);
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
      return (/^[A-Za-z_][A-Za-z0-9_]*$/.test(c.variable) || no(`for ${c.variable}`)) && (c.words === null || c.words.every(wordOk)) && statementsOk(c.body);
    case 'While':
    case 'Until':
      return statementsOk(c.condition) && statementsOk(c.body);
    case 'Case':
      return wordOk(c.word) && c.items.every((it) => it.patterns.every(wordOk) && statementsOk(it.body));
    case 'Subshell':
    case 'Group':
      return statementsOk(c.body);
    case 'ArithmeticCommand':
      return arithOk(c.expression) || no('this arithmetic');
    case 'CStyleFor':
      return (arithOk(c.init) && arithOk(c.condition) && arithOk(c.update)) ? statementsOk(c.body) : no('this arithmetic');
    case 'FunctionDef':
      return (c.redirections.length === 0 || no('redirections of a function definition')) && (/^[A-Za-z_][A-Za-z0-9_.:-]*$/.test(c.name) || no(`function ${c.name}`)) && commandOk(c.body);
    default: {
      const type = (c as { type: string }).type;
      return no(type === 'ConditionalCommand' ? '[[ ]]' : type);
    }
  }
}

/** the first construct the last check met that the lab's shell does not run */
let reason: string | undefined;

function no(what: string): false {
  reason ??= what;
  return false;
}

/** Can the lab's shell run this script (all of it)? */
export function scriptOk(script: Script): boolean {
  return unsupported(script) === undefined;
}

/** What in this script the lab's shell does not run (the first such construct), or undefined when it runs all of it. */
export function unsupported(script: Script): string | undefined {
  reason = undefined;
  if (statementsOk(script.statements)) return undefined;
  return reason ?? 'this line';
}

/** bash's words for a line the lab cannot run (status 2, as for a syntax error: nothing of the line runs). */
export function unsupportedMessage(what: string): string {
  return `bash: ${what}: not supported by the lab's shell (the embedded lab simulates POSIX sh and the bash that passthru's scripts use)\n`;
}

/** The tree of a script, or what bash says when it cannot run it here (a syntax error, or a construct the lab does not simulate): status 2, nothing runs. */
export function scriptTree(text: string): { ast: Script } | { error: string } {
  let ast: Script;
  try {
    ast = parseCached(text);
  } catch (e) {
    return { error: `bash: syntax error: ${e instanceof Error ? e.message : String(e)}\n` };
  }
  const why = unsupported(ast);
  return why === undefined ? { ast } : { error: unsupportedMessage(why) };
}
