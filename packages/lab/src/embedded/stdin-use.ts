// Does a command line read the stdin it inherits? The lab's shell wants a
// command's stdin up front, as a string, so an exec channel's line starts
// either at once (it reads no stdin: whatever the client sends is never
// looked at, as with a real process that does not read fd 0) or once the
// client closed its stdin (EOF: then every byte the client sent is there,
// however late it came). Never after a timeout: data that was sent must
// arrive.
//
// The answer is conservative: "no" only when every command that inherits the
// line's stdin is known not to read it. A command inherits it unless a
// redirection (`< f`, `<<`, `<<<`, `<&`) on it or on an enclosing compound
// command gives it another one, or it is not first in a pipeline. Command
// substitutions inherit it too. `sh -c 'LITERAL'` is looked into.
import { parseCached } from './sh/parse-cache.ts';

interface Node {
  type?: string;
  [key: string]: unknown;
}

/** Commands that never read their standard input. */
const NEVER_READS = new Set([
  ':', 'true', 'false', 'echo', 'printf', 'test', '[', 'exit', 'return', 'break', 'continue', 'shift', 'set', 'unset', 'export',
  'local', 'declare', 'typeset', 'readonly', 'cd', 'pwd', 'umask', 'trap', 'alias', 'unalias', 'hash', 'type', 'which', 'wait',
  'mkdir', 'rmdir', 'rm', 'mv', 'cp', 'ln', 'touch', 'chmod', 'chown', 'chgrp', 'stat', 'ls', 'readlink', 'realpath', 'dirname',
  'basename', 'mktemp', 'flock', 'kill', 'sleep', 'sync', 'uname', 'hostname', 'nproc', 'id', 'whoami', 'groups', 'date',
  'printenv', 'seq', 'du', 'df',
  // the lab's machine tools (src/lab/tools/: they are given no channel stdin)
  'lspci', 'dmesg', 'systemctl', 'journalctl', 'reboot', 'shutdown', 'update-grub', 'grub-mkconfig', 'grub2-mkconfig', 'grubby',
  'openstack', 'cpuid',
]);

/**
 * Commands that read stdin only without file operands (or with `-`), and the
 * short options of theirs that take a value. `pattern`: the first operand is
 * a pattern or script (grep, sed) unless given with one of `patternOpts`.
 */
const FILE_READERS: Record<string, { valued: string; long?: readonly string[]; pattern?: string }> = {
  cat: { valued: '' },
  head: { valued: 'nc' },
  tail: { valued: 'ncs' },
  wc: { valued: '' },
  sort: { valued: 'ktoST' },
  uniq: { valued: 'fsw' },
  md5sum: { valued: '' },
  sha1sum: { valued: '' },
  sha256sum: { valued: '' },
  base64: { valued: 'w' },
  grep: { valued: 'efmABCd', pattern: 'ef' },
  egrep: { valued: 'efmABCd', pattern: 'ef' },
  fgrep: { valued: 'efmABCd', pattern: 'ef' },
  sed: { valued: 'efl', pattern: 'ef' },
};

const SHELLS = new Set(['sh', 'bash', 'dash', '/bin/sh', '/bin/bash', '/usr/bin/sh', '/usr/bin/bash', '/bin/dash']);

/** A word that becomes one or more operands, none of them `-` or an option (an unmatched glob stays as it is). */
const OPERANDS = '\u0000operands';

/**
 * The value of a word without any expansion; OPERANDS for a glob that does
 * not start with `-`; undefined when its value is only known when it runs.
 */
function literal(word: unknown): string | undefined {
  const parts = (word as { parts?: Node[] } | null)?.parts;
  if (parts === undefined) return undefined;
  let out = '';
  let glob = false;
  for (const p of parts) {
    if (p.type === 'Literal' || p.type === 'SingleQuoted' || p.type === 'Escaped') out += p.value as string;
    else if (p.type === 'DoubleQuoted') {
      const inner = literal(p);
      if (inner === undefined || inner === OPERANDS) return undefined;
      out += inner;
    } else if (p.type === 'Glob' && out !== '' && !out.startsWith('-')) glob = true;
    else return undefined;
  }
  return glob ? OPERANDS : out;
}

/** Does a redirection give fd 0 another source? */
function redirectsStdin(redirections: unknown): boolean {
  if (!Array.isArray(redirections)) return false;
  return (redirections as Node[]).some((r) => {
    const op = r.operator as string;
    const fd = r.fd as number | null;
    if (fd === 0) return true;
    return fd === null && (op === '<' || op === '<<' || op === '<<-' || op === '<<<' || op === '<&' || op === '<>');
  });
}

/** Do the file operands of `cmd ARGS` leave stdin unread? */
function readsWithOperands(spec: (typeof FILE_READERS)[string], args: Array<string | undefined>): boolean {
  let operands = 0;
  let patternGiven = spec.pattern === undefined;
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i];
    if (a === undefined) return true;
    if (a === '--') {
      i++;
      break;
    }
    if (a === '-' || !a.startsWith('-')) {
      if (a === '-') return true;
      if (!patternGiven) patternGiven = true;
      else operands++;
      continue;
    }
    if (a === OPERANDS) {
      if (!patternGiven) patternGiven = true;
      else operands++;
      continue;
    }
    if (a.startsWith('--')) {
      if (a.includes('=')) {
        if (spec.pattern !== undefined && /^--(regexp|file|expression)=/.test(a)) patternGiven = true;
        continue;
      }
      // a long option whose value is the next word, or grep -r: not worth knowing here
      if (/^--(regexp|file|expression|lines|bytes|max-count|context|after-context|before-context|key|field-separator|output|skip-fields|skip-chars|check-chars|wrap|sleep-interval|pid|recursive|dereference-recursive|files0-from)$/.test(a)) return true;
      continue;
    }
    // a cluster of short options; a valued one takes the rest of the word or the next word
    for (let j = 1; j < a.length; j++) {
      const c = a[j] as string;
      if (/[0-9]/.test(c) && (spec === FILE_READERS['head'] || spec === FILE_READERS['tail'])) break; // head -5
      if (c === 'r' || c === 'R') {
        if (spec.pattern !== undefined && spec !== FILE_READERS['sed']) return true; // grep -r with no operand: the working directory
      }
      if (spec.valued.includes(c)) {
        if (spec.pattern?.includes(c)) patternGiven = true;
        if (j === a.length - 1) {
          if (args[i + 1] === undefined) return true;
          i++;
        }
        break;
      }
    }
  }
  for (; i < args.length; i++) {
    const a = args[i];
    if (a === undefined || a === '-') return true;
    if (!patternGiven) patternGiven = true;
    else operands++;
  }
  return operands === 0;
}

class Scan {
  /** function name -> body, for calls */
  private readonly functions = new Map<string, Node>();
  private readonly visiting = new Set<string>();
  private depth = 0;

  /** Do these statements, run with the line's stdin (`inherits`), read it? */
  statements(list: unknown, inherits: boolean): boolean {
    if (!Array.isArray(list)) return false;
    for (const st of list as Node[]) {
      for (const p of (st.pipelines as Node[] | undefined) ?? []) {
        const cmds = (p.commands as Node[] | undefined) ?? [];
        for (let i = 0; i < cmds.length; i++) if (this.command(cmds[i] as Node, inherits && i === 0)) return true;
      }
    }
    return false;
  }

  /** Command and process substitutions in words, redirections, assignments (they inherit stdin). */
  private substitutions(node: unknown, inherits: boolean): boolean {
    if (node === null || node === undefined) return false;
    if (Array.isArray(node)) {
      for (const n of node) if (this.substitutions(n, inherits)) return true;
      return false;
    }
    if (typeof node !== 'object') return false;
    const n = node as Node;
    switch (n.type) {
      case 'Word':
        return this.parts(n.parts, inherits);
      case 'Assignment':
        return this.substitutions(n.value, inherits) || this.substitutions(n.array, inherits);
      case 'Redirection':
        return this.substitutions(n.target, inherits);
      case 'HereDoc':
        return this.substitutions(n.content, inherits);
      default:
        return this.anywhere(n, inherits);
    }
  }

  private parts(parts: unknown, inherits: boolean): boolean {
    if (!Array.isArray(parts)) return false;
    for (const p of parts as Node[]) {
      switch (p.type) {
        case 'Literal':
        case 'SingleQuoted':
        case 'Escaped':
        case 'Glob':
        case 'TildeExpansion':
          continue;
        case 'DoubleQuoted':
          if (this.parts(p.parts, inherits)) return true;
          continue;
        case 'CommandSubstitution':
        case 'ProcessSubstitution':
          if (this.statements((p.body as Node | undefined)?.statements, inherits)) return true;
          continue;
        case 'ParameterExpansion':
          if (p.operation !== null && p.operation !== undefined && this.anywhere(p.operation as Node, inherits)) return true;
          continue;
        default:
          if (this.anywhere(p, inherits)) return true;
      }
    }
    return false;
  }

  /** Any substitution below `n` (the rare nodes: arithmetic, expansion operators). */
  private anywhere(n: Node, inherits: boolean): boolean {
    if (n.type === 'CommandSubstitution' || n.type === 'ProcessSubstitution') return this.statements((n.body as Node | undefined)?.statements, inherits);
    if (n.type === 'ArithCommandSubst') return inherits && this.script(n.command as string);
    if (n.type === 'Word') return this.parts(n.parts, inherits);
    for (const v of Object.values(n)) {
      if (typeof v !== 'object' || v === null) continue;
      if (Array.isArray(v)) {
        for (const x of v) if (typeof x === 'object' && x !== null && this.anywhere(x as Node, inherits)) return true;
      } else if (this.anywhere(v as Node, inherits)) return true;
    }
    return false;
  }

  private command(cmd: Node, inheritsOuter: boolean): boolean {
    const inherits = inheritsOuter && !redirectsStdin(cmd.redirections);
    // redirection targets are expanded by the shell running the command
    if (this.substitutions(cmd.redirections, inheritsOuter)) return true;
    switch (cmd.type) {
      case 'SimpleCommand':
        return this.simple(cmd, inherits);
      case 'FunctionDef':
        this.functions.set(cmd.name as string, cmd);
        return false;
      case 'If':
        for (const c of (cmd.clauses as Node[] | undefined) ?? []) if (this.statements(c.condition, inherits) || this.statements(c.body, inherits)) return true;
        return this.statements(cmd.elseBody, inherits);
      case 'For':
        return this.substitutions(cmd.words, inherits) || this.statements(cmd.body, inherits);
      case 'While':
      case 'Until':
        return this.statements(cmd.condition, inherits) || this.statements(cmd.body, inherits);
      case 'Case':
        if (this.substitutions(cmd.word, inherits)) return true;
        return ((cmd.items as Node[] | undefined) ?? []).some((it) => this.substitutions(it.patterns, inherits) || this.statements(it.body, inherits));
      case 'Subshell':
      case 'Group':
        return this.statements(cmd.body, inherits);
      case 'CStyleFor':
        return this.substitutions([cmd.init, cmd.condition, cmd.update], inherits) || this.statements(cmd.body, inherits);
      case 'ArithmeticCommand':
      case 'ConditionalCommand':
        return this.substitutions(cmd.expression, inherits);
      default:
        return inherits;
    }
  }

  private simple(cmd: Node, inherits: boolean): boolean {
    if (this.substitutions(cmd.assignments, inherits) || this.substitutions(cmd.name, inherits) || this.substitutions(cmd.args, inherits)) return true;
    if (!inherits || cmd.name === null || cmd.name === undefined) return false;
    const words = [cmd.name, ...((cmd.args as unknown[] | undefined) ?? [])].map(literal);
    // `[` parses as a (one-character) glob
    const np = (cmd.name as { parts?: Node[] }).parts;
    if (np?.length === 1 && np[0]?.type === 'Glob' && np[0].pattern === '[') words[0] = '[';
    return this.reads(words);
  }

  /** Does the command `words` (undefined: not known before it runs) read its stdin? */
  reads(words: Array<string | undefined>): boolean {
    const name = words[0];
    const args = words.slice(1);
    if (name === undefined) return true;
    if (name === 'command' || name === 'builtin') {
      if (args[0] === '-v' || args[0] === '-V') return false;
      return this.reads(args[0] === '-p' ? args.slice(1) : args);
    }
    if (name === 'exec' || name === 'nohup' || name === 'setsid' || name === 'time') return args.length > 0 && this.reads(args);
    if (name === 'trap') return false;
    if (NEVER_READS.has(name)) return false;
    const fn = this.functions.get(name);
    if (fn !== undefined) {
      if (this.visiting.has(name)) return false;
      this.visiting.add(name);
      try {
        return this.command(fn.body as Node, !redirectsStdin(fn.redirections));
      } finally {
        this.visiting.delete(name);
      }
    }
    const reader = FILE_READERS[name];
    if (reader !== undefined) return readsWithOperands(reader, args);
    if (SHELLS.has(name)) {
      // sh [-e...] -c 'SCRIPT' [args]: what SCRIPT does
      for (let i = 0; i < args.length; i++) {
        const a = args[i];
        if (a === undefined || !a.startsWith('-') || a === '-' || a === '--') return true;
        if (/^-[a-z]*c[a-z]*$/.test(a)) {
          const script = args[i + 1];
          return script === undefined || this.script(script);
        }
        if (a === '-s' || /^-[a-z]*s/.test(a)) return true;
      }
      return true;
    }
    return true;
  }

  script(text: string): boolean {
    if (++this.depth > 8) return true;
    try {
      return this.statements((parseCached(text) as unknown as Node).statements, true);
    } catch {
      return true;
    } finally {
      this.depth--;
    }
  }
}

const answers = new Map<string, boolean>();

/** Might `script`, run with an exec channel's stdin, read that stdin? (false: it surely does not) */
export function mayReadStdin(script: string): boolean {
  if (script.trim() === '') return false;
  let a = answers.get(script);
  if (a === undefined) {
    a = new Scan().script(script);
    if (answers.size >= 512) answers.clear();
    if (script.length < 64 * 1024) answers.set(script, a);
  }
  return a;
}

/** Does the command ARGV (expanded already), run with an inherited stdin, read it? */
export function readsStdin(argv: string[]): boolean {
  return new Scan().reads(argv);
}
