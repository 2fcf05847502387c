// `test` and `[`: POSIX's rules by argument count (0 to 4), a recursive
// descent parser beyond (-o, -a, !, parentheses). File checks ask `files`.

export interface TestFiles {
  /** the file (symbolic links followed), or undefined when it does not exist */
  stat(path: string): Promise<TestStat | undefined>;
  /** without following a last symbolic link */
  lstat(path: string): Promise<TestStat | undefined>;
  /** may the running user read (4), write (2), execute/search (1) it? */
  access(path: string, bits: number): Promise<boolean>;
  /** is the variable set (-v) */
  isSet(name: string): boolean;
}

export interface TestStat {
  kind: 'file' | 'dir' | 'symlink' | 'device';
  size: number;
  mode: number;
  mtimeMs: number;
  ino: number;
  owner: string;
  group: string;
}

export class TestError extends Error {}

const UNARY = new Set(['-e', '-f', '-d', '-r', '-w', '-x', '-s', '-L', '-h', '-b', '-c', '-p', '-S', '-g', '-u', '-k', '-t', '-z', '-n', '-O', '-G', '-N', '-a', '-v', '-o']);
const BINARY = new Set(['=', '==', '!=', '<', '>', '-eq', '-ne', '-lt', '-le', '-gt', '-ge', '-nt', '-ot', '-ef']);

function integer(s: string): number {
  if (!/^\s*[+-]?\d+\s*$/.test(s)) throw new TestError(`${s}: integer expression expected`);
  return Number(s.trim());
}

async function unary(op: string, arg: string, files: TestFiles): Promise<boolean> {
  switch (op) {
    case '-z':
      return arg === '';
    case '-n':
      return arg !== '';
    case '-t':
      return false;
    case '-v':
      return files.isSet(arg);
    case '-o':
      return false;
    case '-L':
    case '-h':
      return (await files.lstat(arg))?.kind === 'symlink';
  }
  if (arg === '') return false;
  const st = await files.stat(arg);
  if (st === undefined) return false;
  switch (op) {
    case '-e':
    case '-a':
      return true;
    case '-f':
      return st.kind === 'file';
    case '-d':
      return st.kind === 'dir';
    case '-s':
      return st.size > 0;
    case '-r':
      return files.access(arg, 4);
    case '-w':
      return files.access(arg, 2);
    case '-x':
      return files.access(arg, 1);
    case '-b':
      return false;
    case '-c':
      return st.kind === 'device';
    case '-p':
    case '-S':
      return false;
    case '-g':
      return (st.mode & 0o2000) !== 0;
    case '-u':
      return (st.mode & 0o4000) !== 0;
    case '-k':
      return (st.mode & 0o1000) !== 0;
    case '-O':
    case '-G':
    case '-N':
      return true;
    default:
      throw new TestError(`${op}: unary operator expected`);
  }
}

async function binary(left: string, op: string, right: string, files: TestFiles): Promise<boolean> {
  switch (op) {
    case '=':
    case '==':
      return left === right;
    case '!=':
      return left !== right;
    case '<':
      return left < right;
    case '>':
      return left > right;
    case '-eq':
      return integer(left) === integer(right);
    case '-ne':
      return integer(left) !== integer(right);
    case '-lt':
      return integer(left) < integer(right);
    case '-le':
      return integer(left) <= integer(right);
    case '-gt':
      return integer(left) > integer(right);
    case '-ge':
      return integer(left) >= integer(right);
    case '-nt':
    case '-ot': {
      const a = await files.stat(left);
      const b = await files.stat(right);
      if (op === '-nt') return a !== undefined && (b === undefined || a.mtimeMs > b.mtimeMs);
      return b !== undefined && (a === undefined || a.mtimeMs < b.mtimeMs);
    }
    case '-ef': {
      const a = await files.stat(left);
      const b = await files.stat(right);
      return a !== undefined && b !== undefined && a.ino === b.ino;
    }
    default:
      throw new TestError(`${op}: binary operator expected`);
  }
}

/** The general grammar (more than four arguments, or inside parentheses). */
class Parser {
  private i = 0;
  constructor(
    private readonly a: string[],
    private readonly files: TestFiles,
  ) {}

  async parse(): Promise<boolean> {
    const v = await this.or();
    if (this.i < this.a.length) throw new TestError(`${this.a[this.i]}: unexpected argument`);
    return v;
  }

  private async or(): Promise<boolean> {
    let v = await this.and();
    while (this.a[this.i] === '-o') {
      this.i++;
      const r = await this.and();
      v = v || r;
    }
    return v;
  }

  private async and(): Promise<boolean> {
    let v = await this.not();
    while (this.a[this.i] === '-a') {
      this.i++;
      const r = await this.not();
      v = v && r;
    }
    return v;
  }

  private async not(): Promise<boolean> {
    if (this.a[this.i] === '!') {
      this.i++;
      return !(await this.not());
    }
    return this.primary();
  }

  private async primary(): Promise<boolean> {
    const a = this.a;
    const t = a[this.i];
    if (t === undefined) throw new TestError('argument expected');
    if (t === '(') {
      this.i++;
      const v = await this.or();
      if (a[this.i] !== ')') throw new TestError("`)' expected");
      this.i++;
      return v;
    }
    const next = a[this.i + 1];
    if (next !== undefined && BINARY.has(next) && a[this.i + 2] !== undefined) {
      this.i += 3;
      return binary(t, next, a[this.i - 1] as string, this.files);
    }
    if (UNARY.has(t) && next !== undefined) {
      this.i += 2;
      return unary(t, next, this.files);
    }
    this.i++;
    return t !== '';
  }
}

async function evaluate(a: string[], files: TestFiles): Promise<boolean> {
  switch (a.length) {
    case 0:
      return false;
    case 1:
      return a[0] !== '';
    case 2: {
      const [x, y] = a as [string, string];
      if (x === '!') return y === '';
      if (UNARY.has(x)) return unary(x, y, files);
      throw new TestError(`${x}: unary operator expected`);
    }
    case 3: {
      const [x, y, z] = a as [string, string, string];
      if (BINARY.has(y)) return binary(x, y, z, files);
      if (y === '-a' || y === '-o') return y === '-a' ? x !== '' && z !== '' : x !== '' || z !== '';
      if (x === '!') return !(await evaluate([y, z], files));
      if (x === '(' && z === ')') return y !== '';
      throw new TestError(`${y}: binary operator expected`);
    }
    case 4: {
      if (a[0] === '!') return !(await evaluate(a.slice(1), files));
      if (a[0] === '(' && a[3] === ')') return evaluate(a.slice(1, 3), files);
      return new Parser(a, files).parse();
    }
    default:
      return new Parser(a, files).parse();
  }
}

/** Run `test ARGS` (name 'test') or `[ ARGS ]` (name '['): exit status and what goes to stderr. */
export async function runTest(name: 'test' | '[', args: string[], files: TestFiles): Promise<{ status: number; stderr: string }> {
  let a = args;
  if (name === '[') {
    if (a[a.length - 1] !== ']') return { status: 2, stderr: "bash: [: missing `]'\n" };
    a = a.slice(0, -1);
  }
  try {
    return { status: (await evaluate(a, files)) ? 0 : 1, stderr: '' };
  } catch (e) {
    if (e instanceof TestError) return { status: 2, stderr: `bash: ${name}: ${e.message}\n` };
    throw e;
  }
}
