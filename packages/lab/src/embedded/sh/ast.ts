// The parts of just-bash's AST (its `parse`) that the lab's shell runs. Only
// the node types it needs are spelled out; just-bash exports few of them.
// The trees are shared (parse.ts caches them): never change one.
import { parse as justBashParse } from 'just-bash';

export interface Script {
  type: 'Script';
  statements: Statement[];
}

export interface Statement {
  type: 'Statement';
  pipelines: Pipeline[];
  operators: Array<'&&' | '||' | ';'>;
  background: boolean;
  deferredError?: { message: string; token: string } | undefined;
}

export interface Pipeline {
  type: 'Pipeline';
  commands: Command[];
  negated: boolean;
  timed?: boolean | undefined;
  pipeStderr?: boolean[] | undefined;
}

export type Command = SimpleCommand | If | For | While | Until | Case | Subshell | Group | FunctionDef | ArithmeticCommand | CStyleFor | OtherCommand;

export interface OtherCommand {
  type: 'ConditionalCommand';
  redirections: Redirection[];
}

/** An arithmetic expression tree (see arith.ts). */
export interface ArithExpression {
  type: 'ArithmeticExpression';
  expression: unknown;
  originalText?: string | undefined;
}

export interface ArithmeticCommand {
  type: 'ArithmeticCommand';
  expression: ArithExpression;
  redirections: Redirection[];
}

export interface CStyleFor {
  type: 'CStyleFor';
  init: ArithExpression | null;
  condition: ArithExpression | null;
  update: ArithExpression | null;
  body: Statement[];
  redirections: Redirection[];
}

export interface SimpleCommand {
  type: 'SimpleCommand';
  assignments: Assignment[];
  name: Word | null;
  args: Word[];
  redirections: Redirection[];
}

export interface If {
  type: 'If';
  clauses: Array<{ condition: Statement[]; body: Statement[] }>;
  elseBody: Statement[] | null;
  redirections: Redirection[];
}

export interface For {
  type: 'For';
  variable: string;
  words: Word[] | null;
  body: Statement[];
  redirections: Redirection[];
}

export interface While {
  type: 'While';
  condition: Statement[];
  body: Statement[];
  redirections: Redirection[];
}

export interface Until {
  type: 'Until';
  condition: Statement[];
  body: Statement[];
  redirections: Redirection[];
}

export interface Case {
  type: 'Case';
  word: Word;
  items: Array<{ patterns: Word[]; body: Statement[]; terminator: ';;' | ';&' | ';;&' }>;
  redirections: Redirection[];
}

export interface Subshell {
  type: 'Subshell';
  body: Statement[];
  redirections: Redirection[];
}

export interface Group {
  type: 'Group';
  body: Statement[];
  redirections: Redirection[];
}

export interface FunctionDef {
  type: 'FunctionDef';
  name: string;
  body: Command;
  redirections: Redirection[];
}

export interface Assignment {
  type: 'Assignment';
  name: string;
  value: Word | null;
  append: boolean;
  array: Word[] | null;
}

export type RedirectionOperator = '<' | '>' | '>>' | '>&' | '<&' | '<>' | '>|' | '&>' | '&>>' | '<<<' | '<<' | '<<-';

export interface Redirection {
  type: 'Redirection';
  fd: number | null;
  fdVariable?: string | undefined;
  operator: RedirectionOperator;
  target: Word | HereDoc;
}

export interface HereDoc {
  type: 'HereDoc';
  delimiter: string;
  content: Word;
  stripTabs: boolean;
  quoted: boolean;
}

export interface Word {
  type: 'Word';
  parts: WordPart[];
}

export type WordPart =
  | { type: 'Literal'; value: string }
  | { type: 'SingleQuoted'; value: string }
  | { type: 'Escaped'; value: string }
  | { type: 'DoubleQuoted'; parts: WordPart[] }
  | { type: 'Glob'; pattern: string }
  | { type: 'TildeExpansion'; user: string | null }
  | { type: 'ParameterExpansion'; parameter: string; operation: ParameterOperation | null }
  | { type: 'CommandSubstitution'; body: Script; legacy: boolean }
  | { type: 'ArithmeticExpansion'; expression: ArithExpression }
  | { type: 'ProcessSubstitution' | 'BraceExpansion' };

export type ParameterOperation =
  | { type: 'DefaultValue' | 'AssignDefault' | 'UseAlternative'; word: Word; checkEmpty: boolean }
  | { type: 'ErrorIfUnset'; word: Word | null; checkEmpty: boolean }
  | { type: 'Length' }
  | { type: 'PatternRemoval'; pattern: Word; side: 'prefix' | 'suffix'; greedy: boolean }
  | { type: 'PatternReplacement'; pattern: Word; replacement: Word | null; all: boolean; anchor: 'start' | 'end' | null }
  | { type: 'CaseModification'; direction: 'upper' | 'lower'; all: boolean; pattern: Word | null }
  | { type: 'Substring'; offset: ArithExpression; length: ArithExpression | null }
  | { type: 'Transform' | 'Indirection' | 'ArrayKeys' | 'VarNamePrefix' | 'LengthSliceError' | 'BadSubstitution' };

/** just-bash's public parser; its public ScriptNode type is checked (no cast) against the tree above. Throws on a syntax error. */
export function parseScript(text: string): Script {
  return justBashParse(text);
}
