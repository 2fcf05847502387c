// The lab's shell, the only one the embedded lab has: it runs the syntax tree
// of a command line (just-bash's public `parse`, typed in ast.ts) with the
// lab's commands (commands/) called as plain functions. It does what bash
// does for the subset of bash that supported.ts accepts; a line outside it
// fails whole with one message (nothing of it runs). The subset is POSIX sh
// and the bash passthru's scripts and tests use; just-bash's own interpreter
// is not used (it put every command behind a revocable membrane, a deadline
// race and a fresh PATH walk: ~0.25 ms a command).
//
// Semantics follow bash (non-POSIX mode): word expansion in order (tilde,
// parameters, command substitution, field splitting on IFS, pathname
// expansion, quote removal), redirections left to right, pipelines with
// every command in a subshell, `set -e` with bash's exceptions, functions
// with `local`, and a shared stdin that the first reader consumes.
import { stdoutAsBytes, latin1FromBytes, unsafeBytesFromLatin1, type Command as JbCommand, type ExecResult } from 'just-bash';
import type { Proc } from '../commands/context.ts';
import { permits, type ShellFs, dirnameOf, basenameOf, DEVICES } from '../vfs.ts';
import { ArithError, evaluate, type ArithNode, type ArithScope } from './arith.ts';
import type { ArithExpression, Command, FunctionDef, Pipeline, Redirection, Script, SimpleCommand, Statement, Word, WordPart } from './ast.ts';
import { bytesToText, textToBytes } from './bytes.ts';
import { expandPathname, hasActiveGlob, matchPattern, patternOf, removePattern, replacePattern, unescapePattern, type GlobFs } from './glob.ts';
import { scriptTree } from './supported.ts';
import { readsStdin } from '../stdin-use.ts';
import { quote } from '../../util/quote.ts';
import { runTest, type TestFiles, type TestStat } from './test-expr.ts';

// ---- streams -------------------------------------------------------------------

/** Where a file descriptor writes (bytes). */
interface Out {
  write(bytes: string): Promise<void> | void;
}

class BufferOut implements Out {
  private chunks: string[] = [];
  write(bytes: string): void {
    if (bytes !== '') this.chunks.push(bytes);
  }
  bytes(): string {
    const all = this.chunks.length === 1 ? (this.chunks[0] as string) : this.chunks.join('');
    this.chunks = all === '' ? [] : [all];
    return all;
  }
}

const NULL_OUT: Out = { write: () => undefined };

class FileOut implements Out {
  constructor(
    private readonly fs: ShellFs,
    private readonly path: string,
  ) {}
  async write(bytes: string): Promise<void> {
    if (bytes !== '') await this.fs.appendFile(this.path, bytes, 'binary');
  }
}

/** A stdin: bytes and how far they were read (commands that inherit it share it). */
export class In {
  constructor(
    public data: string,
    public pos = 0,
  ) {}
  rest(): string {
    return this.pos === 0 ? this.data : this.data.slice(this.pos);
  }
}

interface Fds {
  in: In;
  out: Out;
  err: Out;
}

// ---- control flow ------------------------------------------------------------------

class ExitSignal {
  constructor(readonly status: number) {}
}
class ReturnSignal {
  constructor(readonly status: number) {}
}
class LoopSignal {
  constructor(
    readonly kind: 'break' | 'continue',
    public levels: number,
  ) {}
}
export class AbortedError extends Error {}
class RedirectError extends Error {}
/** An expansion that failed (bad arithmetic): the command does not run, its status is 1. */
class ExpansionError extends Error {}

// ---- state -------------------------------------------------------------------------

interface State {
  vars: Map<string, string>;
  exported: Set<string>;
  functions: Map<string, FunctionDef>;
  positional: string[];
  arg0: string;
  cwd: string;
  status: number;
  errexit: boolean;
  nounset: boolean;
  pipefail: boolean;
  noglob: boolean;
  /** function frames: the values `local` hid (undefined: was unset) */
  frames: Array<Map<string, string | undefined>>;
  loopDepth: number;
  /** sourced files being run (return ends one) */
  sourceDepth: number;
  /** a subshell, command substitution or pipeline part (not the shell of the command line) */
  subshell: boolean;
}

function cloneState(s: State): State {
  return {
    ...s,
    vars: new Map(s.vars),
    exported: new Set(s.exported),
    functions: new Map(s.functions),
    positional: [...s.positional],
    frames: s.frames.map((f) => new Map(f)),
    subshell: true,
  };
}

/** How far a command line may go before it fails (a runaway loop or recursion in a test script). */
export const LIMITS = Object.freeze({ maxLoopIterations: 100_000, maxCommandCount: 100_000, maxCallDepth: 100 });

/** What the lab's shell needs from the host around it. */
export interface ShellHostApi {
  fs: ShellFs;
  proc: Proc;
  /** the command a name resolves to */
  command(name: string): JbCommand | undefined;
  /** every command name (for `help`) */
  commandNames(): string[];
}

export interface RunOptions {
  env: Record<string, string>;
  cwd: string;
  /** stdin bytes (latin1) */
  stdin: string;
  /** $0 and the positional parameters */
  arg0?: string | undefined;
  args?: string[] | undefined;
  errexit?: boolean | undefined;
  nounset?: boolean | undefined;
}

export interface RunResult {
  /** bytes (latin1) */
  stdout: string;
  /** bytes (latin1) */
  stderr: string;
  exitCode: number;
}

const SHELL_BUILTINS = new Set([
  ':', 'true', 'false', 'exit', 'return', 'break', 'continue', 'shift', 'set', 'unset', 'export', 'local', 'cd', 'pwd', 'read',
  'test', '[', 'command', 'exec', 'eval', 'source', '.',
]);
/** commands found without a PATH search (bash's builtins that the lab implements as commands) */
const COMMAND_BUILTINS = new Set(['echo', 'printf', 'kill', 'trap', 'umask']);
const KEYWORDS = new Set(['if', 'then', 'else', 'elif', 'fi', 'for', 'while', 'until', 'do', 'done', 'case', 'esac', 'in', 'function', '{', '}', '!']);

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

// ---- word expansion -----------------------------------------------------------------------

interface Field {
  text: string;
  pat: string;
  glob: boolean;
}

/** Builds the fields of one or more words. */
class Fields {
  readonly out: Field[] = [];
  private text = '';
  private pat = '';
  private glob = false;
  /** an empty field is kept (it had a quoted part) */
  private keep = false;
  private open = false;

  constructor(private readonly ifs: string) {}

  /** Text that is not split; `active`: its wildcards work (unquoted). */
  add(text: string, active: boolean): void {
    this.text += text;
    this.pat += active ? text.replace(/\\/g, '\\\\') : patternOf(text, false);
    if (active && /[*?[]/.test(text)) this.glob = true;
    this.open = true;
  }

  /** A glob part of the word itself. */
  addGlob(pattern: string): void {
    this.text += pattern;
    this.pat += pattern;
    this.glob = true;
    this.open = true;
  }

  quoted(): void {
    this.keep = true;
    this.open = true;
  }

  /** The end of a field: kept when it has text or a quoted part (`force`: kept even empty). */
  end(force = false): void {
    if (this.open && (force || this.keep || this.text !== '')) this.out.push({ text: this.text, pat: this.pat, glob: this.glob });
    this.text = '';
    this.pat = '';
    this.glob = false;
    this.keep = false;
    this.open = false;
  }

  /** An unquoted expansion: split on IFS; its wildcards work. */
  split(value: string): void {
    const ifs = this.ifs;
    if (ifs === '') {
      if (value !== '') this.add(value, true);
      return;
    }
    const n = value.length;
    let i = 0;
    while (i < n) {
      const c = value[i] as string;
      if (!ifs.includes(c)) {
        let j = i + 1;
        while (j < n && !ifs.includes(value[j] as string)) j++;
        this.add(value.slice(i, j), true);
        i = j;
        continue;
      }
      // a delimiter: IFS white space around at most one other IFS character
      let j = i;
      while (j < n && isIfsSpace(value[j] as string, ifs)) j++;
      let hard = false;
      if (j < n && ifs.includes(value[j] as string) && !isIfsSpace(value[j] as string, ifs)) {
        hard = true;
        j++;
        while (j < n && isIfsSpace(value[j] as string, ifs)) j++;
      }
      if (hard) {
        // `a::b`: an empty field between two hard delimiters; `:a`: an empty first one
        if (this.open) this.end(true);
        else this.out.push({ text: '', pat: '', glob: false });
      } else this.end();
      i = j;
    }
  }
}

function isIfsSpace(c: string, ifs: string): boolean {
  return (c === ' ' || c === '\t' || c === '\n') && ifs.includes(c);
}

// ---- the shell -----------------------------------------------------------------------------

export class LabShell {
  private readonly fs: ShellFs;
  private readonly proc: Proc;
  private commandCount = 0;
  private callDepth = 0;
  private noErrexit = 0;
  private readonly globFs: GlobFs;
  private readonly testFiles: (st: State) => TestFiles;

  constructor(private readonly api: ShellHostApi) {
    this.fs = api.fs;
    this.proc = api.proc;
    const fs = this.fs;
    this.globFs = {
      readdir: (p) => fs.readdir(p),
      exists: async (p) => {
        try {
          await fs.lstat(p);
          return true;
        } catch {
          return false;
        }
      },
      isDirectory: async (p) => {
        try {
          return (await fs.stat(p)).isDirectory;
        } catch {
          return false;
        }
      },
    };
    this.testFiles = (st) => ({
      stat: (p) => this.testStat(st, p, true),
      lstat: (p) => this.testStat(st, p, false),
      access: async (p, bits) => {
        const node = fs.store.node(fs.resolvePath(st.cwd, p));
        if (node === undefined) {
          const abs = fs.resolvePath(st.cwd, p);
          if (DEVICES.has(abs)) return (bits & 1) === 0;
          if (fs.store.isVirtualBin(abs)) return true;
          return false;
        }
        return permits(node, this.proc.cred, bits);
      },
      isSet: (name) => st.vars.has(name),
    });
  }

  private async testStat(st: State, p: string, follow: boolean): Promise<TestStat | undefined> {
    try {
      const s = follow ? await this.fs.stat(this.fs.resolvePath(st.cwd, p)) : await this.fs.lstat(this.fs.resolvePath(st.cwd, p));
      const abs = this.fs.resolvePath(st.cwd, p);
      const node = this.fs.store.node(abs, follow);
      return {
        kind: s.isSymbolicLink ? 'symlink' : s.isDirectory ? 'dir' : DEVICES.has(abs) && node === undefined ? 'device' : 'file',
        size: s.size,
        mode: s.mode,
        mtimeMs: s.mtime.getTime(),
        ino: s.ino,
        owner: node?.owner ?? 'root',
        group: node?.group ?? 'root',
      };
    } catch {
      return undefined;
    }
  }

  /** A new shell (exported variables only, no functions), as `sh -c` or a script gets. */
  private newState(opts: RunOptions): State {
    const vars = new Map<string, string>();
    for (const [k, v] of Object.entries(opts.env)) vars.set(k, v);
    if (!vars.has('IFS')) vars.set('IFS', ' \t\n');
    if (!vars.has('PWD')) vars.set('PWD', opts.cwd);
    if (!vars.has('OLDPWD')) vars.set('OLDPWD', opts.cwd);
    if (!vars.has('OPTIND')) vars.set('OPTIND', '1');
    const exported = new Set(vars.keys());
    // bash's own, not exported
    const uid = String(this.proc.cred.uid);
    for (const [k, v] of [['PPID', '1'], ['UID', uid], ['EUID', uid], ['BASHPID', String(this.proc.pid)]] as const) if (!vars.has(k)) vars.set(k, v);
    return {
      vars,
      exported,
      functions: new Map(),
      positional: opts.args ?? [],
      arg0: opts.arg0 ?? 'bash',
      cwd: opts.cwd,
      status: 0,
      errexit: opts.errexit ?? false,
      nounset: opts.nounset ?? false,
      pipefail: false,
      noglob: false,
      frames: [],
      loopDepth: 0,
      sourceDepth: 0,
      subshell: false,
    };
  }

  /** Run a parsed script in a new shell. */
  async run(script: Script, opts: RunOptions): Promise<RunResult> {
    const st = this.newState(opts);
    const out = new BufferOut();
    const err = new BufferOut();
    const status = await this.runIn(script, st, { in: new In(opts.stdin), out, err });
    return { stdout: out.bytes(), stderr: err.bytes(), exitCode: status };
  }

  private async runIn(script: Script, st: State, fds: Fds): Promise<number> {
    try {
      return await this.statements(script.statements, st, fds);
    } catch (e) {
      if (e instanceof ExitSignal) return e.status;
      if (e instanceof ReturnSignal) return e.status;
      if (e instanceof LoopSignal) return st.status;
      throw e;
    }
  }

  /** A script text in a new shell (`sh -c`, a script file, ctx.exec). */
  private async runText(text: string, opts: RunOptions, fds: Fds): Promise<number> {
    const tree = scriptTree(text);
    if ('error' in tree) {
      await this.say(fds.err, tree.error);
      return 2;
    }
    return this.runIn(tree.ast, this.newState(opts), fds);
  }

  private exportedEnv(st: State, extra?: Map<string, string>): Record<string, string> {
    const env: Record<string, string> = {};
    for (const k of st.exported) {
      const v = st.vars.get(k);
      if (v !== undefined) env[k] = v;
    }
    if (extra !== undefined) for (const [k, v] of extra) env[k] = v;
    return env;
  }

  private checkAbort(): void {
    if (this.proc.signal.aborted) throw new AbortedError('aborted');
  }

  private async fatal(fds: Fds, message: string, status = 1): Promise<never> {
    await fds.err.write(textToBytes(message));
    throw new ExitSignal(status);
  }

  /** A failed expansion (unbound variable, ${x:?}) ends the shell: 127 as `bash -c` says, 1 in a subshell. */
  private expansionFatal(st: State, fds: Fds, message: string): Promise<never> {
    return this.fatal(fds, message, st.subshell ? 1 : 127);
  }

  // ---- statements ------------------------------------------------------------------------

  private async statements(list: Statement[], st: State, fds: Fds): Promise<number> {
    let status = 0;
    for (const s of list) status = await this.statement(s, st, fds);
    return status;
  }

  private async statement(s: Statement, st: State, fds: Fds): Promise<number> {
    let status = st.status;
    const n = s.pipelines.length;
    for (let i = 0; i < n; i++) {
      if (i > 0) {
        const op = s.operators[i - 1];
        if (op === '&&' && status !== 0) continue;
        if (op === '||' && status === 0) continue;
      }
      const p = s.pipelines[i] as Pipeline;
      const next = s.operators[i];
      // the left side of && and || is a condition: set -e does not apply to it
      const condition = next === '&&' || next === '||';
      if (condition) this.noErrexit++;
      try {
        status = await this.pipeline(p, st, fds);
      } catch (e) {
        if (!(e instanceof ExpansionError)) throw e;
        await this.say(fds.err, e.message);
        status = 1;
      } finally {
        if (condition) this.noErrexit--;
      }
      st.status = status;
      if (status !== 0 && st.errexit && this.noErrexit === 0 && !condition && !p.negated) throw new ExitSignal(status);
    }
    return status;
  }

  private async pipeline(p: Pipeline, st: State, fds: Fds): Promise<number> {
    let status: number;
    if (p.negated) this.noErrexit++;
    try {
      if (p.commands.length === 1) status = await this.command(p.commands[0] as Command, st, fds);
      else {
        let input = fds.in;
        const statuses: number[] = [];
        for (let k = 0; k < p.commands.length; k++) {
          const last = k === p.commands.length - 1;
          const buf = last ? undefined : new BufferOut();
          const out = buf ?? fds.out;
          const err = buf !== undefined && p.pipeStderr?.[k] === true ? buf : fds.err;
          const sub = cloneState(st);
          let s: number;
          try {
            s = await this.command(p.commands[k] as Command, sub, { in: input, out, err });
          } catch (e) {
            if (e instanceof ExitSignal) s = e.status;
            else if (e instanceof ReturnSignal || e instanceof LoopSignal) s = sub.status;
            else throw e;
          }
          statuses.push(s);
          if (buf !== undefined) input = new In(buf.bytes());
        }
        status = statuses[statuses.length - 1] ?? 0;
        if (st.pipefail) for (const s of statuses) if (s !== 0) status = s;
      }
    } finally {
      if (p.negated) this.noErrexit--;
    }
    return p.negated ? (status === 0 ? 1 : 0) : status;
  }

  /** The command's streams after its redirections; undefined (the error said) when one failed. */
  private async redirected(c: Command, st: State, fds: Fds): Promise<Fds | undefined> {
    if (c.redirections.length === 0) return fds;
    try {
      return await this.redirect(c.redirections, st, fds);
    } catch (e) {
      if (!(e instanceof RedirectError)) throw e;
      await fds.err.write(textToBytes(e.message));
      return undefined;
    }
  }

  private async withRedirections(c: Command, st: State, fds: Fds, run: (f: Fds) => Promise<number>): Promise<number> {
    const f = await this.redirected(c, st, fds);
    return f === undefined ? 1 : run(f);
  }

  private async command(c: Command, st: State, fds: Fds): Promise<number> {
    switch (c.type) {
      case 'SimpleCommand':
        return this.simple(c, st, fds);
      case 'FunctionDef':
        st.functions.set(c.name, c);
        return 0;
      case 'If':
        return this.withRedirections(c, st, fds, async (f) => {
          for (const clause of c.clauses) {
            if ((await this.condition(clause.condition, st, f)) === 0) return this.statements(clause.body, st, f);
          }
          return c.elseBody === null ? 0 : this.statements(c.elseBody, st, f);
        });
      case 'While':
      case 'Until':
        return this.withRedirections(c, st, fds, (f) => this.loop(c.condition, c.body, c.type === 'Until', st, f));
      case 'For':
        return this.withRedirections(c, st, fds, async (f) => {
          const items = c.words === null ? [...st.positional] : await this.expandWords(c.words, st, f);
          let status = 0;
          st.loopDepth++;
          try {
            for (const item of items) {
              this.tick();
              this.setVar(st, c.variable, item);
              const pass = await this.loopPass(c.body, st, f);
              status = pass.status ?? status;
              if (pass.stop) break;
            }
          } finally {
            st.loopDepth--;
          }
          return status;
        });
      case 'Case':
        return this.withRedirections(c, st, fds, async (f) => {
          const value = await this.expandString(c.word, st, f);
          let fall = false;
          let status = 0;
          for (let i = 0; i < c.items.length; i++) {
            const item = c.items[i] as (typeof c.items)[number];
            let hit = fall;
            if (!hit) {
              for (const p of item.patterns) {
                if (matchPattern(await this.expandPattern(p, st, f), value)) {
                  hit = true;
                  break;
                }
              }
            }
            if (!hit) continue;
            status = await this.statements(item.body, st, f);
            if (item.terminator === ';;') return status;
            fall = item.terminator === ';&';
          }
          return status;
        });
      case 'Subshell':
        return this.withRedirections(c, st, fds, async (f) => {
          const sub = cloneState(st);
          try {
            return await this.statements(c.body, sub, f);
          } catch (e) {
            if (e instanceof ExitSignal) return e.status;
            if (e instanceof ReturnSignal || e instanceof LoopSignal) return sub.status;
            throw e;
          }
        });
      case 'Group':
        return this.withRedirections(c, st, fds, (f) => this.statements(c.body, st, f));
      case 'ArithmeticCommand':
        return this.withRedirections(c, st, fds, async (f) => {
          try {
            return this.arith(c.expression, st) !== 0 ? 0 : 1;
          } catch (e) {
            if (!(e instanceof ExpansionError)) throw e;
            await this.say(f.err, e.message);
            return 1;
          }
        });
      case 'CStyleFor':
        return this.withRedirections(c, st, fds, async (f) => {
          let status = 0;
          st.loopDepth++;
          try {
            if (c.init !== null) this.arith(c.init, st);
            for (;;) {
              this.tick();
              if (c.condition !== null && this.arith(c.condition, st) === 0) break;
              const pass = await this.loopPass(c.body, st, f);
              status = pass.status ?? status;
              if (pass.stop) break;
              if (c.update !== null) this.arith(c.update, st);
            }
          } catch (e) {
            if (!(e instanceof ExpansionError)) throw e;
            await this.say(f.err, e.message);
            return 1;
          } finally {
            st.loopDepth--;
          }
          return status;
        });
      default:
        throw new Error(`the lab's shell cannot run ${c.type}`);
    }
  }

  private async condition(list: Statement[], st: State, fds: Fds): Promise<number> {
    this.noErrexit++;
    try {
      return await this.statements(list, st, fds);
    } finally {
      this.noErrexit--;
    }
  }

  /** One pass of a loop body: its status (none when break or continue cut it short), and whether the loop ends there. */
  private async loopPass(body: Statement[], st: State, fds: Fds): Promise<{ status?: number; stop: boolean }> {
    try {
      return { status: await this.statements(body, st, fds), stop: false };
    } catch (e) {
      if (!(e instanceof LoopSignal)) throw e;
      if (e.levels > 1) {
        e.levels--;
        throw e;
      }
      return { stop: e.kind === 'break' };
    }
  }

  private async loop(condition: Statement[], body: Statement[], until: boolean, st: State, fds: Fds): Promise<number> {
    let status = 0;
    st.loopDepth++;
    try {
      for (;;) {
        this.tick();
        const c = await this.condition(condition, st, fds);
        if (until ? c === 0 : c !== 0) break;
        const pass = await this.loopPass(body, st, fds);
        status = pass.status ?? status;
        if (pass.stop) break;
      }
    } finally {
      st.loopDepth--;
    }
    return status;
  }

  private iterations = 0;

  private tick(): void {
    this.checkAbort();
    if (++this.iterations > LIMITS.maxLoopIterations) throw new Error('maximum loop iterations exceeded');
  }

  // ---- simple commands ---------------------------------------------------------------------

  private async simple(c: SimpleCommand, st: State, fds: Fds): Promise<number> {
    this.checkAbort();
    if (++this.commandCount > LIMITS.maxCommandCount) throw new Error('maximum command count exceeded');
    const track = { status: undefined as number | undefined };
    let argv: string[];
    const assigns = new Map<string, string>();
    try {
      argv = c.name === null ? [] : await this.expandWords([c.name, ...c.args], st, fds, track);
      for (const a of c.assignments) {
        let v = a.value === null ? '' : await this.expandString(a.value, st, fds, track, true);
        if (a.append) v = (assigns.get(a.name) ?? st.vars.get(a.name) ?? '') + v;
        assigns.set(a.name, v);
      }
    } catch (e) {
      if (!(e instanceof ExpansionError)) throw e;
      await this.say(fds.err, e.message);
      return 1;
    }
    const substStatus = track.status;
    const f = await this.redirected(c, st, fds);
    if (f === undefined) return 1;
    if (argv.length === 0) {
      for (const [k, v] of assigns) this.setVar(st, k, v);
      return substStatus ?? 0;
    }
    return this.dispatch(argv, assigns, st, f, false);
  }

  /** Run NAME ARGS: function, builtin, or a command found in PATH. */
  private async dispatch(argv: string[], assigns: Map<string, string>, st: State, fds: Fds, skipFunctions: boolean): Promise<number> {
    const name = argv[0] as string;
    const args = argv.slice(1);
    const fn = skipFunctions ? undefined : st.functions.get(name);
    if (fn !== undefined) return this.withTemp(st, assigns, () => this.callFunction(fn, args, st, fds));
    if (SHELL_BUILTINS.has(name)) return this.withTemp(st, assigns, () => this.builtin(name, args, st, fds));
    let cmd: JbCommand | undefined;
    if (COMMAND_BUILTINS.has(name)) cmd = this.api.command(name);
    if (cmd === undefined) {
      const found = await this.resolve(name, st);
      if ('error' in found) {
        await fds.err.write(textToBytes(found.error));
        return found.status;
      }
      if ('script' in found) return this.runScriptFile(found.script, name, args, st, fds, assigns);
      cmd = found.cmd;
    }
    if (name === 'sh' || name === 'bash' || name.endsWith('/sh') || name.endsWith('/bash')) return this.runSh(name, args, st, fds, assigns);
    return this.external(cmd, name, args, assigns, st, fds);
  }

  /** Temporary assignments (`IFS= read`, `X=1 f`) around a builtin or function. */
  private async withTemp(st: State, assigns: Map<string, string>, run: () => Promise<number>): Promise<number> {
    if (assigns.size === 0) return run();
    const saved = new Map<string, string | undefined>();
    for (const [k, v] of assigns) {
      saved.set(k, st.vars.get(k));
      st.vars.set(k, v);
    }
    try {
      return await run();
    } finally {
      for (const [k, v] of saved) {
        if (v === undefined) st.vars.delete(k);
        else st.vars.set(k, v);
      }
    }
  }

  private async resolve(name: string, st: State): Promise<{ cmd: JbCommand } | { script: string } | { error: string; status: number }> {
    const fs = this.fs;
    const statOf = async (p: string) => {
      try {
        return await fs.stat(p);
      } catch {
        return undefined;
      }
    };
    if (name.includes('/')) {
      const p = fs.resolvePath(st.cwd, name);
      if (!(await fs.exists(p))) return { error: `bash: ${name}: No such file or directory\n`, status: 127 };
      const s = await statOf(p);
      if (s === undefined) return { error: `bash: ${name}: No such file or directory\n`, status: 127 };
      if (s.isDirectory) return { error: `bash: ${name}: Permission denied\n`, status: 126 };
      const base = basenameOf(p);
      const c = this.api.command(base);
      if (c !== undefined && (p === `/bin/${base}` || p === `/usr/bin/${base}`)) return { cmd: c };
      if ((s.mode & 0o111) !== 0) return { script: p };
      return { error: `bash: ${name}: Permission denied\n`, status: 126 };
    }
    const path = st.vars.get('PATH') ?? '/usr/bin:/bin';
    const c = this.api.command(name);
    for (const dir of path.split(':')) {
      if (dir === '') continue;
      const full = `${dir.startsWith('/') ? dir : fs.resolvePath(st.cwd, dir)}/${name}`;
      if (!(await fs.exists(full))) continue;
      const s = await statOf(full);
      if (s === undefined || s.isDirectory) continue;
      if (c !== undefined && (full === `/bin/${name}` || full === `/usr/bin/${name}`)) return { cmd: c };
      if ((s.mode & 0o111) !== 0) return { script: full };
    }
    if (c !== undefined && !(await fs.exists('/usr/bin'))) return { cmd: c };
    return { error: `bash: ${name}: command not found\n`, status: 127 };
  }

  /** A command of the lab, called directly. */
  private async external(cmd: JbCommand, name: string, args: string[], assigns: Map<string, string>, st: State, fds: Fds): Promise<number> {
    const input = fds.in;
    let env = st.vars;
    if (assigns.size > 0) {
      env = new Map(st.vars);
      for (const [k, v] of assigns) env.set(k, v);
    }
    const ctx = new CommandContext(this, st, env, assigns, input.rest());
    let r: ExecResult;
    try {
      r = await cmd.execute(args, ctx as never);
    } catch (e) {
      if (this.proc.signal.aborted) throw new AbortedError('aborted');
      await fds.err.write(textToBytes(`${name}: ${e instanceof Error ? e.message : String(e)}\n`));
      return 1;
    }
    // stdin is used up only by a command that reads it (a tool in a `while read` loop does not)
    if (ctx.consumed && readsStdin([name, ...args])) input.pos = input.data.length;
    if (r.stdout !== '') await fds.out.write(latin1FromBytes(stdoutAsBytes(r)));
    if (r.stderr !== '') await fds.err.write(textToBytes(r.stderr));
    return r.exitCode;
  }

  /** @internal for CommandContext */
  ctxExec(script: string, o: SubExecOptions, st: State, exported: Record<string, string>): Promise<ExecResult> {
    return this.subExec(script, o, st, exported);
  }

  /** @internal for CommandContext */
  ctxExported(st: State, assigns: Map<string, string>): Record<string, string> {
    return this.exportedEnv(st, assigns);
  }

  /** @internal for CommandContext */
  ctxSetVar(st: State, name: string, value: string): void {
    this.setVar(st, name, value);
  }

  get hostApi(): ShellHostApi {
    return this.api;
  }

  get procOf(): Proc {
    return this.proc;
  }

  /** ctx.exec of a command (sudo, nohup, xargs): a new shell running `script`; stdout as bytes. */
  private async subExec(
    script: string,
    o: SubExecOptions,
    st: State,
    exported: Record<string, string>,
  ): Promise<ExecResult> {
    // `args`: words added to the (one) command of the script, unparsed (xargs)
    if (o.args !== undefined && o.args.length > 0) script = `${script} ${quote(o.args)}`;
    const env = o.replaceEnv === true ? { ...(o.env ?? {}) } : { ...exported, ...(o.env ?? {}) };
    const out = new BufferOut();
    const err = new BufferOut();
    const stdin = o.stdin ?? '';
    const status = await this.runText(script, { env, cwd: o.cwd ?? st.cwd, stdin }, { in: new In(stdin), out, err });
    return { stdout: out.bytes(), stdoutKind: 'bytes', stderr: bytesToText(err.bytes()), exitCode: status };
  }

  /** `sh [-eu] -c SCRIPT [NAME ARGS]`, `sh FILE ARGS`, `sh` (script on stdin). */
  private async runSh(name: string, args: string[], st: State, fds: Fds, assigns: Map<string, string>): Promise<number> {
    let errexit = false;
    let nounset = false;
    let command: string | undefined;
    let fromStdin = false;
    let i = 0;
    for (; i < args.length; i++) {
      const a = args[i] as string;
      if (a === '--') {
        i++;
        break;
      }
      if (a === '-o' || a === '+o') {
        const o = args[++i];
        if (o === 'errexit') errexit = a === '-o';
        if (o === 'nounset') nounset = a === '-o';
        continue;
      }
      if (!/^[-+][A-Za-z]+$/.test(a)) break;
      for (const ch of a.slice(1)) {
        if (ch === 'e') errexit = a[0] === '-';
        else if (ch === 'u') nounset = a[0] === '-';
        else if (ch === 'c') command = '';
        else if (ch === 's') fromStdin = true;
      }
    }
    const env = this.exportedEnv(st, assigns);
    const base = basenameOf(name);
    let text: string;
    let arg0 = base;
    let rest: string[];
    const input = fds.in;
    if (command !== undefined) {
      const script = args[i];
      if (script === undefined) {
        await fds.err.write(textToBytes(`${base}: -c: option requires an argument\n`));
        return 2;
      }
      text = script;
      arg0 = args[i + 1] ?? base;
      rest = args.slice(i + 2);
    } else if (!fromStdin && args[i] !== undefined) {
      const file = args[i] as string;
      try {
        text = await this.fs.readFile(this.fs.resolvePath(st.cwd, file));
      } catch {
        await fds.err.write(textToBytes(`${base}: ${file}: No such file or directory\n`));
        return 127;
      }
      arg0 = file;
      rest = args.slice(i + 1);
    } else {
      text = bytesToText(input.rest());
      input.pos = input.data.length;
      rest = args.slice(i);
    }
    const stdin = input.rest();
    const sub: Fds = { in: command !== undefined || !fromStdin ? input : new In(''), out: fds.out, err: fds.err };
    return this.runText(text, { env, cwd: st.cwd, stdin, arg0, args: rest, errexit, nounset }, sub);
  }

  /** An executable file that is no command: run it as a shell script. */
  private async runScriptFile(path: string, name: string, args: string[], st: State, fds: Fds, assigns: Map<string, string>): Promise<number> {
    let text: string;
    try {
      text = await this.fs.readFile(path);
    } catch {
      await fds.err.write(textToBytes(`bash: ${name}: Permission denied\n`));
      return 126;
    }
    return this.runText(text, { env: this.exportedEnv(st, assigns), cwd: st.cwd, stdin: fds.in.rest(), arg0: name, args }, fds);
  }

  private async callFunction(fn: FunctionDef, args: string[], st: State, fds: Fds): Promise<number> {
    if (++this.callDepth > LIMITS.maxCallDepth) {
      this.callDepth--;
      return this.fatal(fds, `bash: ${fn.name}: maximum function nesting level exceeded (${LIMITS.maxCallDepth})\n`);
    }
    const saved = st.positional;
    st.positional = args;
    const frame = new Map<string, string | undefined>();
    st.frames.push(frame);
    try {
      return await this.command(fn.body, st, fds);
    } catch (e) {
      if (e instanceof ReturnSignal) return e.status;
      throw e;
    } finally {
      st.frames.pop();
      for (const [k, v] of frame) {
        if (v === undefined) st.vars.delete(k);
        else st.vars.set(k, v);
      }
      st.positional = saved;
      this.callDepth--;
    }
  }

  private setVar(st: State, name: string, value: string): void {
    st.vars.set(name, value);
  }

  // ---- builtins ----------------------------------------------------------------------------------

  private async say(out: Out, text: string): Promise<void> {
    if (text !== '') await out.write(textToBytes(text));
  }

  private async builtin(name: string, args: string[], st: State, fds: Fds): Promise<number> {
    switch (name) {
      case ':':
      case 'true':
        return 0;
      case 'false':
        return 1;
      case 'exit': {
        const a = args[0];
        if (a === undefined) throw new ExitSignal(st.status);
        if (!/^[+-]?\d+$/.test(a)) return this.fatal(fds, `bash: exit: ${a}: numeric argument required\n`, 2);
        throw new ExitSignal(((Number(a) % 256) + 256) % 256);
      }
      case 'return': {
        if (st.frames.length === 0 && st.sourceDepth === 0) {
          await this.say(fds.err, "bash: return: can only `return' from a function or sourced script\n");
          return 1;
        }
        const a = args[0];
        if (a !== undefined && !/^[+-]?\d+$/.test(a)) {
          await this.say(fds.err, `bash: return: ${a}: numeric argument required\n`);
          throw new ReturnSignal(2);
        }
        throw new ReturnSignal(a === undefined ? st.status : ((Number(a) % 256) + 256) % 256);
      }
      case 'break':
      case 'continue': {
        if (st.loopDepth === 0) return 0;
        const n = args[0] === undefined ? 1 : Number(args[0]);
        if (!Number.isInteger(n) || n < 1) {
          await this.say(fds.err, `bash: ${name}: ${args[0]}: loop count out of range\n`);
          return 1;
        }
        throw new LoopSignal(name, Math.min(n, st.loopDepth));
      }
      case 'shift': {
        const n = args[0] === undefined ? 1 : Number(args[0]);
        if (!Number.isInteger(n) || n < 0) {
          await this.say(fds.err, `bash: shift: ${args[0]}: numeric argument required\n`);
          return 1;
        }
        if (n > st.positional.length) return 1;
        st.positional = st.positional.slice(n);
        return 0;
      }
      case 'set':
        return this.set(args, st, fds);
      case 'unset': {
        let fn = false;
        for (const a of args) {
          if (a === '-f') fn = true;
          else if (a === '-v' || a === '--') continue;
          else if (fn) st.functions.delete(a);
          else {
            st.vars.delete(a);
            st.exported.delete(a);
          }
        }
        return 0;
      }
      case 'export':
        for (const a of args) {
          if (a === '--') continue;
          const eq = a.indexOf('=');
          const n = eq === -1 ? a : a.slice(0, eq);
          if (!NAME.test(n)) {
            await this.say(fds.err, `bash: export: \`${a}': not a valid identifier\n`);
            return 1;
          }
          if (eq !== -1) this.setVar(st, n, a.slice(eq + 1));
          st.exported.add(n);
        }
        return 0;
      case 'local': {
        const frame = st.frames[st.frames.length - 1];
        if (frame === undefined) {
          await this.say(fds.err, 'bash: local: can only be used in a function\n');
          return 1;
        }
        for (const a of args) {
          if (a === '--') continue;
          const eq = a.indexOf('=');
          const n = eq === -1 ? a : a.slice(0, eq);
          if (!NAME.test(n)) {
            await this.say(fds.err, `bash: local: \`${a}': not a valid identifier\n`);
            return 1;
          }
          if (!frame.has(n)) frame.set(n, st.vars.get(n));
          if (eq !== -1) st.vars.set(n, a.slice(eq + 1));
          else st.vars.delete(n);
        }
        return 0;
      }
      case 'cd':
        return this.cd(args, st, fds);
      case 'pwd':
        await this.say(fds.out, `${st.cwd}\n`);
        return 0;
      case 'read':
        return this.read(args, st, fds);
      case 'test':
      case '[': {
        const r = await runTest(name, args, this.testFiles(st));
        if (r.stderr !== '') await this.say(fds.err, r.stderr);
        return r.status;
      }
      case 'command': {
        if (args[0] === '-v') {
          let status = 0;
          for (const n of args.slice(1)) {
            const shown = await this.commandPath(n, st);
            if (shown === undefined) status = 1;
            else await this.say(fds.out, `${shown}\n`);
          }
          return status;
        }
        const rest = args[0] === '--' ? args.slice(1) : args;
        if (rest.length === 0) return 0;
        return this.dispatch(rest, new Map(), st, fds, true);
      }
      case 'exec': {
        const rest = args[0] === '--' ? args.slice(1) : args;
        if (rest.length === 0) return 0;
        throw new ExitSignal(await this.dispatch(rest, new Map(), st, fds, true));
      }
      case 'eval':
        return this.evalText(args.join(' '), st, fds, 0);
      case 'source':
      case '.': {
        const file = args[0];
        if (file === undefined) {
          await this.say(fds.err, `bash: ${name}: filename argument required\n`);
          return 2;
        }
        const path = await this.sourcePath(file, st);
        let text: string;
        try {
          text = await this.fs.readFile(path);
        } catch {
          await this.say(fds.err, `bash: ${file}: No such file or directory\n`);
          return 1;
        }
        const saved = st.positional;
        if (args.length > 1) st.positional = args.slice(1);
        st.sourceDepth++;
        try {
          return await this.evalText(text, st, fds, 1);
        } catch (e) {
          if (e instanceof ReturnSignal) return e.status;
          throw e;
        } finally {
          st.sourceDepth--;
          if (args.length > 1) st.positional = saved;
        }
      }
      default:
        throw new Error(`no builtin ${name}`);
    }
  }

  /** `eval` and `.`: text run in this shell. */
  private async evalText(text: string, st: State, fds: Fds, _depth: number): Promise<number> {
    const tree = scriptTree(text);
    if ('error' in tree) {
      await this.say(fds.err, tree.error);
      return 2;
    }
    return this.statements(tree.ast.statements, st, fds);
  }

  private async sourcePath(file: string, st: State): Promise<string> {
    if (file.includes('/')) return this.fs.resolvePath(st.cwd, file);
    for (const dir of (st.vars.get('PATH') ?? '').split(':')) {
      if (dir === '') continue;
      const p = `${dir}/${file}`;
      if (this.fs.store.node(p)?.type === 'file') return p;
    }
    return this.fs.resolvePath(st.cwd, file);
  }

  /** What `command -v NAME` prints (undefined: not found). */
  private async commandPath(name: string, st: State): Promise<string | undefined> {
    if (st.functions.has(name) || SHELL_BUILTINS.has(name) || COMMAND_BUILTINS.has(name) || KEYWORDS.has(name)) return name;
    const found = await this.resolve(name, st);
    if ('error' in found) return undefined;
    if ('script' in found) return found.script;
    if (name.includes('/')) return name;
    const path = st.vars.get('PATH') ?? '/usr/bin:/bin';
    for (const dir of path.split(':')) {
      if (dir === '') continue;
      const full = `${dir}/${name}`;
      if ((full === `/bin/${name}` || full === `/usr/bin/${name}`) && (await this.fs.exists(full))) return full;
    }
    return `/usr/bin/${name}`;
  }

  private async set(args: string[], st: State, fds: Fds): Promise<number> {
    for (let i = 0; i < args.length; i++) {
      const a = args[i] as string;
      if (a === '--') {
        st.positional = args.slice(i + 1);
        return 0;
      }
      if (a === '-') {
        st.positional = args.slice(i + 1);
        return 0;
      }
      if (a === '-o' || a === '+o') {
        const o = args[++i];
        const on = a === '-o';
        if (o === 'pipefail') st.pipefail = on;
        else if (o === 'errexit') st.errexit = on;
        else if (o === 'nounset') st.nounset = on;
        else {
          await this.say(fds.err, `bash: set: ${o ?? ''}: invalid option name\n`);
          return 2;
        }
        continue;
      }
      if (/^[-+][A-Za-z]+$/.test(a)) {
        const on = a[0] === '-';
        for (const ch of a.slice(1)) {
          if (ch === 'e') st.errexit = on;
          else if (ch === 'u') st.nounset = on;
          else if (ch === 'f') st.noglob = on;
          else {
            await this.say(fds.err, `bash: set: ${a[0]}${ch}: invalid option\n`);
            return 2;
          }
        }
        continue;
      }
      st.positional = args.slice(i);
      return 0;
    }
    return 0;
  }

  private async cd(args: string[], st: State, fds: Fds): Promise<number> {
    const rest = args.filter((a) => a !== '-P' && a !== '-L' && a !== '--');
    let target = rest[0];
    let print = false;
    if (target === undefined) {
      target = st.vars.get('HOME');
      if (target === undefined) {
        await this.say(fds.err, 'bash: cd: HOME not set\n');
        return 1;
      }
    } else if (target === '-') {
      target = st.vars.get('OLDPWD') ?? st.cwd;
      print = true;
    }
    const abs = this.fs.resolvePath(st.cwd, target);
    let isDir: boolean;
    try {
      isDir = (await this.fs.stat(abs)).isDirectory;
    } catch (e) {
      const code = (e as { code?: string }).code;
      await this.say(fds.err, `bash: cd: ${target}: ${code === 'EACCES' ? 'Permission denied' : 'No such file or directory'}\n`);
      return 1;
    }
    if (!isDir) {
      await this.say(fds.err, `bash: cd: ${target}: Not a directory\n`);
      return 1;
    }
    const node = this.fs.store.node(abs);
    if (node !== undefined && !permits(node, this.proc.cred, 1)) {
      await this.say(fds.err, `bash: cd: ${target}: Permission denied\n`);
      return 1;
    }
    st.vars.set('OLDPWD', st.cwd);
    st.cwd = abs;
    st.vars.set('PWD', abs);
    if (print) await this.say(fds.out, `${abs}\n`);
    return 0;
  }

  private async read(args: string[], st: State, fds: Fds): Promise<number> {
    let raw = false;
    const names: string[] = [];
    for (const a of args) {
      if (a === '-r') raw = true;
      else names.push(a);
    }
    if (names.length === 0) names.push('REPLY');
    const input = fds.in;
    const data = input.data;
    let line = '';
    let found = false;
    let pos = input.pos;
    for (;;) {
      const nl = data.indexOf('\n', pos);
      const chunk = nl === -1 ? data.slice(pos) : data.slice(pos, nl);
      pos = nl === -1 ? data.length : nl + 1;
      if (nl !== -1) found = true;
      if (!raw && chunk.endsWith('\\') && !chunk.endsWith('\\\\') && nl !== -1) {
        line += chunk.slice(0, -1);
        found = false;
        continue;
      }
      line += chunk;
      break;
    }
    input.pos = pos;
    let text = bytesToText(line);
    if (!raw) text = text.replace(/\\(.)/g, '$1');
    const ifs = st.vars.get('IFS') ?? ' \t\n';
    const values = splitForRead(text, ifs, names.length);
    names.forEach((n, i) => this.setVar(st, n, values[i] ?? ''));
    // at EOF without a newline: what was there is assigned, and the status says EOF
    return found ? 0 : 1;
  }

  // ---- redirections --------------------------------------------------------------------------------

  private async redirect(list: Redirection[], st: State, fds: Fds): Promise<Fds> {
    const f: Fds = { in: fds.in, out: fds.out, err: fds.err };
    for (const r of list) {
      const op = r.operator;
      if (r.target.type === 'HereDoc') {
        const doc = r.target;
        const text = doc.quoted ? literalText(doc.content) : await this.expandHeredoc(doc.content, st, fds);
        f.in = new In(textToBytes(text));
        continue;
      }
      if (op === '>&' || op === '<&') {
        const target = literalText(r.target);
        const fd = r.fd ?? (op === '>&' ? 1 : 0);
        if (target === '0' || fd === 0) continue;
        const from = target === '1' ? f.out : f.err;
        if (fd === 1) f.out = from;
        else if (fd === 2) f.err = from;
        continue;
      }
      if (op === '<<<') {
        const text = await this.expandString(r.target, st, fds);
        f.in = new In(textToBytes(`${text}\n`));
        continue;
      }
      const words = await this.expandWords([r.target], st, fds);
      if (words.length !== 1) throw new RedirectError(`bash: ${literalText(r.target) || '$?'}: ambiguous redirect\n`);
      const target = words[0] as string;
      if (op === '<') {
        f.in = new In(await this.readForRedirect(target, st));
        continue;
      }
      const sink = await this.openOut(target, op === '>>' || op === '&>>', st);
      if (op === '&>' || op === '&>>') {
        f.out = sink;
        f.err = sink;
      } else if ((r.fd ?? 1) === 1) f.out = sink;
      else if (r.fd === 2) f.err = sink;
      else if (r.fd === 0) f.in = new In('');
    }
    return f;
  }

  private async readForRedirect(target: string, st: State): Promise<string> {
    const abs = this.fs.resolvePath(st.cwd, target);
    if (abs === '/dev/null') return '';
    try {
      return await this.fs.readFile(abs, { encoding: 'binary' });
    } catch (e) {
      throw new RedirectError(`bash: ${target}: ${errnoMessage(e)}\n`);
    }
  }

  private async openOut(target: string, append: boolean, st: State): Promise<Out> {
    const abs = this.fs.resolvePath(st.cwd, target);
    if (abs === '/dev/null' || abs === '/dev/tty' || abs === '/dev/zero' || abs === '/dev/full' || abs === '/dev/random' || abs === '/dev/urandom') return NULL_OUT;
    try {
      if (append) await this.fs.appendFile(abs, '', 'binary');
      else await this.fs.writeFile(abs, '', 'binary');
    } catch (e) {
      throw new RedirectError(`bash: ${target}: ${errnoMessage(e)}\n`);
    }
    return new FileOut(this.fs, abs);
  }

  // ---- expansion ----------------------------------------------------------------------------------------

  /** Words -> fields: expansions, splitting, pathname expansion, quote removal. */
  private async expandWords(words: Word[], st: State, fds: Fds, track?: { status: number | undefined }): Promise<string[]> {
    const out: string[] = [];
    let fields: Fields | undefined;
    for (const w of words) {
      const parts = w.parts;
      // the common case: one literal word
      if (parts.length === 1 && (parts[0]?.type === 'Literal' || parts[0]?.type === 'SingleQuoted')) {
        out.push((parts[0] as { value: string }).value);
        continue;
      }
      fields ??= new Fields(st.vars.get('IFS') ?? ' \t\n');
      const start = fields.out.length;
      await this.expandParts(parts, false, st, fds, fields, track, false);
      fields.end();
      for (const f of fields.out.splice(start)) {
        if (f.glob && !st.noglob && hasActiveGlob(f.pat)) {
          const matches = await expandPathname(f.pat, st.cwd, this.globFs);
          if (matches.length > 0) {
            out.push(...matches);
            continue;
          }
          out.push(unescapePattern(f.pat));
        } else out.push(f.text);
      }
    }
    return out;
  }

  /** One word, no splitting, no pathname expansion (assignments, case words, here-strings). */
  private async expandString(w: Word, st: State, fds: Fds, track?: { status: number | undefined }, assignment = false): Promise<string> {
    const parts = w.parts;
    if (parts.length === 1 && (parts[0]?.type === 'Literal' || parts[0]?.type === 'SingleQuoted')) return (parts[0] as { value: string }).value;
    const f = new Fields('');
    await this.expandParts(parts, true, st, fds, f, track, assignment);
    f.end(true);
    return f.out.map((x) => x.text).join(' ');
  }

  /** A pattern: quoted parts match literally, the rest is a glob. */
  private async expandPattern(w: Word, st: State, fds: Fds): Promise<string> {
    const f = new Fields('');
    await this.expandParts(w.parts, false, st, fds, f, undefined, false, true);
    f.end(true);
    return f.out.map((x) => x.pat).join('');
  }

  private async expandHeredoc(w: Word, st: State, fds: Fds): Promise<string> {
    const f = new Fields('');
    for (const p of w.parts) {
      if (p.type === 'Literal' || p.type === 'SingleQuoted') f.add(p.value, false);
      else if (p.type === 'Escaped') f.add(p.value, false);
      else await this.expandParts([p], true, st, fds, f, undefined, false);
    }
    f.end(true);
    return f.out.map((x) => x.text).join('');
  }

  /**
   * Expand parts into `f`. `quoted`: inside double quotes (no splitting,
   * wildcards inactive). `patternMode`: unquoted expansions stay one field
   * and keep their wildcards (case patterns, ${x#pat}).
   */
  private async expandParts(parts: WordPart[], quoted: boolean, st: State, fds: Fds, f: Fields, track: { status: number | undefined } | undefined, assignment: boolean, patternMode = false): Promise<void> {
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i] as WordPart;
      switch (p.type) {
        case 'Literal':
          f.add(p.value, false);
          break;
        case 'SingleQuoted':
        case 'Escaped':
          f.add(p.value, false);
          f.quoted();
          break;
        case 'Glob':
          if (quoted) f.add(p.pattern, false);
          else f.addGlob(p.pattern);
          break;
        case 'TildeExpansion':
          f.add(st.vars.get('HOME') ?? '~', false);
          break;
        case 'DoubleQuoted': {
          // "$@": one field per parameter; none -> no field at all
          if (p.parts.length === 1 && p.parts[0]?.type === 'ParameterExpansion' && p.parts[0].parameter === '@' && p.parts[0].operation === null && !patternMode) {
            const params = st.positional;
            params.forEach((v, k) => {
              if (k > 0) f.end(true);
              f.add(v, false);
              f.quoted();
            });
            break;
          }
          f.quoted();
          await this.expandParts(p.parts, true, st, fds, f, track, false);
          break;
        }
        case 'CommandSubstitution': {
          const text = await this.commandSubstitution(p.body, st, fds);
          if (track !== undefined) track.status = st.status;
          this.addExpansion(f, text, quoted, patternMode);
          break;
        }
        case 'ParameterExpansion':
          await this.parameter(p.parameter, p.operation, quoted, st, fds, f, track, patternMode);
          break;
        case 'ArithmeticExpansion':
          this.addExpansion(f, String(this.arith(p.expression, st)), quoted, patternMode);
          break;
        default:
          throw new Error(`the lab's shell cannot expand ${p.type}`);
      }
    }
  }

  private addExpansion(f: Fields, text: string, quoted: boolean, patternMode: boolean): void {
    if (quoted) f.add(text, false);
    else if (patternMode) f.add(text, true);
    else f.split(text);
  }

  private async commandSubstitution(body: Script, st: State, fds: Fds): Promise<string> {
    const sub = cloneState(st);
    // bash clears -e in command substitutions (not POSIX mode)
    sub.errexit = false;
    const out = new BufferOut();
    let status: number;
    try {
      status = await this.statements(body.statements, sub, { in: fds.in, out, err: fds.err });
    } catch (e) {
      if (e instanceof ExitSignal) status = e.status;
      else if (e instanceof ReturnSignal || e instanceof LoopSignal) status = sub.status;
      else throw e;
    }
    st.status = status;
    return bytesToText(out.bytes()).replace(/\n+$/, '');
  }

  /** An arithmetic expression's value; ExpansionError when it cannot be computed. */
  private arith(e: ArithExpression, st: State): number {
    const scope: ArithScope = {
      get: (n) => st.vars.get(n),
      set: (n, v) => this.setVar(st, n, v),
      special: (n) => this.paramValue(n, st),
    };
    try {
      return evaluate(e as unknown as ArithNode, scope);
    } catch (err) {
      if (err instanceof ArithError) throw new ExpansionError(`bash: ${e.originalText ?? 'arithmetic'}: ${err.message}\n`);
      throw err;
    }
  }

  private paramValue(name: string, st: State): string | undefined {
    switch (name) {
      case '?':
        return String(st.status);
      case '$':
        return String(this.proc.pid);
      case '#':
        return String(st.positional.length);
      case '0':
        return st.arg0;
      case '@':
      case '*': {
        if (st.positional.length === 0) return undefined;
        const ifs = st.vars.get('IFS');
        return st.positional.join(ifs === undefined ? ' ' : ifs.slice(0, 1));
      }
      default:
        if (/^[0-9]+$/.test(name)) return st.positional[Number(name) - 1];
        return st.vars.get(name);
    }
  }

  private async parameter(
    name: string,
    op: Extract<WordPart, { type: 'ParameterExpansion' }>['operation'],
    quoted: boolean,
    st: State,
    fds: Fds,
    f: Fields,
    track: { status: number | undefined } | undefined,
    patternMode: boolean,
  ): Promise<void> {
    const value = this.paramValue(name, st);
    if (op === null) {
      if (value === undefined) {
        if (st.nounset && name !== '@' && name !== '*') await this.expansionFatal(st, fds, `bash: ${name}: unbound variable\n`);
        return;
      }
      // unquoted $@ / $*: every parameter is split on its own
      if (!quoted && !patternMode && (name === '@' || name === '*')) {
        st.positional.forEach((v, k) => {
          if (k > 0) f.end();
          f.split(v);
        });
        return;
      }
      this.addExpansion(f, value, quoted, patternMode);
      return;
    }
    switch (op.type) {
      case 'DefaultValue':
      case 'AssignDefault':
      case 'UseAlternative': {
        const missing = value === undefined || (op.checkEmpty && value === '');
        if (op.type === 'UseAlternative') {
          if (!missing) await this.expandParts(op.word.parts, quoted, st, fds, f, track, false, patternMode);
          return;
        }
        if (!missing) {
          this.addExpansion(f, value, quoted, patternMode);
          return;
        }
        if (op.type === 'AssignDefault') {
          const v = await this.expandString(op.word, st, fds, track);
          if (NAME.test(name)) this.setVar(st, name, v);
          this.addExpansion(f, v, quoted, patternMode);
          return;
        }
        await this.expandParts(op.word.parts, quoted, st, fds, f, track, false, patternMode);
        return;
      }
      case 'ErrorIfUnset': {
        const missing = value === undefined || (op.checkEmpty && value === '');
        if (missing) {
          const msg = op.word === null ? 'parameter null or not set' : await this.expandString(op.word, st, fds, track);
          await this.expansionFatal(st, fds, `bash: ${name}: ${msg}\n`);
        }
        this.addExpansion(f, value ?? '', quoted, patternMode);
        return;
      }
      case 'Length':
        if (name === '@' || name === '*') this.addExpansion(f, String(st.positional.length), quoted, patternMode);
        else {
          if (value === undefined && st.nounset) await this.expansionFatal(st, fds, `bash: ${name}: unbound variable\n`);
          this.addExpansion(f, String([...(value ?? '')].length), quoted, patternMode);
        }
        return;
      case 'PatternRemoval': {
        if (value === undefined && st.nounset) await this.expansionFatal(st, fds, `bash: ${name}: unbound variable\n`);
        const pat = await this.expandPattern(op.pattern, st, fds);
        this.addExpansion(f, removePattern(value ?? '', pat, op.side, op.greedy), quoted, patternMode);
        return;
      }
      case 'PatternReplacement': {
        if (value === undefined && st.nounset) await this.expansionFatal(st, fds, `bash: ${name}: unbound variable\n`);
        const pat = await this.expandPattern(op.pattern, st, fds);
        const rep = op.replacement === null ? '' : await this.expandString(op.replacement, st, fds, track);
        this.addExpansion(f, replacePattern(value ?? '', pat, rep, op.all, op.anchor), quoted, patternMode);
        return;
      }
      case 'Substring': {
        const chars = [...(value ?? '')];
        let off = this.arith(op.offset, st);
        if (off < 0) off = Math.max(0, chars.length + off);
        let len = op.length === null ? chars.length - off : this.arith(op.length, st);
        if (len < 0) len = Math.max(0, chars.length + len - off);
        this.addExpansion(f, chars.slice(off, off + len).join(''), quoted, patternMode);
        return;
      }
      case 'CaseModification': {
        const v = value ?? '';
        const up = op.direction === 'upper';
        const conv = (s: string) => (up ? s.toUpperCase() : s.toLowerCase());
        this.addExpansion(f, op.all ? conv(v) : conv(v.slice(0, 1)) + v.slice(1), quoted, patternMode);
        return;
      }
      default:
        throw new Error(`the lab's shell cannot expand \${${name}} with ${op.type}`);
    }
  }
}

interface SubExecOptions {
  cwd?: string | undefined;
  env?: Record<string, string> | undefined;
  replaceEnv?: boolean | undefined;
  stdin?: string | undefined;
  args?: string[] | undefined;
}

/** What a command gets as its context (one object, no closures: a command is called very often). */
class CommandContext {
  readonly fs: ShellFs;
  readonly cwd: string;
  readonly limits: Readonly<Record<string, number>>;
  readonly signal: AbortSignal;
  readonly xpgEcho = false;
  readonly requireDefenseContext = false;
  /** the command read its stdin */
  consumed = false;
  private exported: Record<string, string> | undefined;
  private fds: Map<number, string> | undefined;

  constructor(
    private readonly shell: LabShell,
    private readonly st: State,
    readonly env: Map<string, string>,
    private readonly assigns: Map<string, string>,
    private readonly data: string,
  ) {
    const api = shell.hostApi;
    this.fs = api.fs;
    this.cwd = st.cwd;
    this.limits = LIMITS;
    this.signal = shell.procOf.signal;
  }

  get stdin(): unknown {
    this.consumed = true;
    return unsafeBytesFromLatin1(this.data);
  }

  get exportedEnv(): Record<string, string> {
    this.exported ??= this.shell.ctxExported(this.st, this.assigns);
    return this.exported;
  }

  get fileDescriptors(): Map<number, string> {
    this.fds ??= new Map();
    return this.fds;
  }

  // commands take these off the context (`const exec = ctx.exec`): bound functions, made when asked for
  get exec(): (script: string, o?: SubExecOptions) => Promise<ExecResult> {
    return (script, o = {}) => this.shell.ctxExec(script, o, this.st, this.exportedEnv);
  }

  get execWithInheritedStdin(): (script: string, o?: SubExecOptions) => Promise<ExecResult> {
    return (script, o = {}) => this.shell.ctxExec(script, { ...o, stdin: this.data }, this.st, this.exportedEnv);
  }

  get getRegisteredCommands(): () => string[] {
    return () => this.shell.hostApi.commandNames();
  }

  get assignShellVariable(): (name: string, value: string) => void {
    return (name, value) => this.shell.ctxSetVar(this.st, name, value);
  }
}

/** The text of a word without expansions (quoted heredoc, literal redirect targets). */
function literalText(w: Word): string {
  let out = '';
  for (const p of w.parts) {
    if (p.type === 'Literal' || p.type === 'SingleQuoted' || p.type === 'Escaped') out += p.value;
    else if (p.type === 'Glob') out += p.pattern;
    else if (p.type === 'DoubleQuoted') out += literalText({ type: 'Word', parts: p.parts });
  }
  return out;
}

function errnoMessage(e: unknown): string {
  switch ((e as { code?: string }).code) {
    case 'EACCES':
      return 'Permission denied';
    case 'EISDIR':
      return 'Is a directory';
    case 'ENOTDIR':
      return 'Not a directory';
    case 'EPERM':
      return 'Operation not permitted';
    default:
      return 'No such file or directory';
  }
}

/** `read A B C` of a line: fields on IFS, the last name gets the rest. */
function splitForRead(line: string, ifs: string, count: number): string[] {
  if (ifs === '') return [line];
  const isWs = (c: string) => (c === ' ' || c === '\t' || c === '\n') && ifs.includes(c);
  const isDelim = (c: string) => ifs.includes(c);
  let i = 0;
  const n = line.length;
  while (i < n && isWs(line[i] as string)) i++;
  const out: string[] = [];
  while (out.length < count - 1 && i < n) {
    let j = i;
    while (j < n && !isDelim(line[j] as string)) j++;
    out.push(line.slice(i, j));
    // skip one delimiter with the white space around it
    while (j < n && isWs(line[j] as string)) j++;
    if (j < n && isDelim(line[j] as string) && !isWs(line[j] as string)) {
      j++;
      while (j < n && isWs(line[j] as string)) j++;
    }
    i = j;
  }
  let rest = line.slice(i);
  let end = rest.length;
  while (end > 0 && isWs(rest[end - 1] as string)) end--;
  rest = rest.slice(0, end);
  out.push(rest);
  return out;
}

export { dirnameOf };
