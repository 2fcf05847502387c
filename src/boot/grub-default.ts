// GRUB_CMDLINE_LINUX in /etc/default/grub and its drop-ins.
//
// /etc/default/grub is a shell fragment that grub-mkconfig sources; on
// Debian and Ubuntu grub-mkconfig then sources every
// /etc/default/grub.d/*.cfg in glob order (Debian's grub2 package,
// util/grub-mkconfig.in: `for x in ${sysconfdir}/default/grub.d/*.cfg ; do
// if [ -e "${x}" ]; then . "${x}"; fi; done`), so the last assignment wins
// and a drop-in may override or extend the main file
// (`GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX foo"`). The kernel of a normal
// entry gets GRUB_CMDLINE_LINUX followed by GRUB_CMDLINE_LINUX_DEFAULT
// (util/grub.d/10_linux.in: linux_entry ... "${GRUB_CMDLINE_LINUX}
// ${GRUB_CMDLINE_LINUX_DEFAULT}").
//
// Assignments are read the way the shell would for the simple forms
// (`"..."` with $VAR / ${VAR} expansion, `'...'`, unquoted words, an
// optional `export`). Anything else in an assignment that matters
// (command substitution, a value spanning lines) is refused with the file
// and line rather than guessed.

import { ConfigError } from '../errors.ts';
import { editKernelArgs, hasKernelArg, kernelArgTest, splitCmdline } from './cmdline.ts';
import { managedBy } from './managed-file.ts';

export interface GrubFile {
  path: string;
  content: string;
}

export type CmdlineVar = 'GRUB_CMDLINE_LINUX' | 'GRUB_CMDLINE_LINUX_DEFAULT';

export interface GrubAssignment {
  path: string;
  /** 1-based */
  line: number;
  name: CmdlineVar;
  /** '"', "'" or '' (unquoted) */
  quote: '"' | "'" | '';
  /** the value as written between the quotes */
  literal: string;
  /** start/end of the whole value (quotes included) in the line */
  valueStart: number;
  valueEnd: number;
  /** refers to its own previous value ($GRUB_CMDLINE_LINUX) */
  selfRef: boolean;
  /** why this assignment cannot be evaluated or edited safely */
  complex?: string | undefined;
}

export interface GrubCmdline {
  /** effective GRUB_CMDLINE_LINUX */
  linux: string;
  /** effective GRUB_CMDLINE_LINUX_DEFAULT */
  linuxDefault: string;
  /** what a normal boot entry gets: linux + ' ' + linuxDefault */
  combined: string;
  /** the assignment that determines GRUB_CMDLINE_LINUX (the last one), if any */
  linuxSource?: { path: string; line: number } | undefined;
  linuxDefaultSource?: { path: string; line: number } | undefined;
  /** assignments that could not be evaluated (their value is taken literally) */
  problems: Array<{ path: string; line: number; message: string }>;
}

const ASSIGN = /^(\s*)(export\s+)?(GRUB_CMDLINE_LINUX(?:_DEFAULT)?)=/;

/** Drop-ins in the order grub-mkconfig sources them (glob order, C locale). */
export function sortDropins(dropins: readonly GrubFile[]): GrubFile[] {
  return dropins
    .filter((d) => d.path.endsWith('.cfg'))
    .slice()
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function parseValue(line: string, at: number): { quote: '"' | "'" | ''; literal: string; end: number; complex?: string } {
  const c = line[at];
  if (c === '"' || c === "'") {
    let i = at + 1;
    while (i < line.length) {
      if (c === '"' && line[i] === '\\') {
        i += 2;
        continue;
      }
      if (line[i] === c) break;
      i++;
    }
    if (i >= line.length) {
      return { quote: c, literal: line.slice(at + 1), end: line.length, complex: 'the quoted value continues on the next line' };
    }
    const literal = line.slice(at + 1, i);
    const next = line[i + 1];
    const r: { quote: '"' | "'"; literal: string; end: number; complex?: string } = { quote: c, literal, end: i + 1 };
    if (next !== undefined && !/[\s;#]/.test(next)) r.complex = 'the value is built from several quoted parts';
    else if (c === '"' && (literal.includes('$(') || literal.includes('`'))) r.complex = 'the value uses command substitution';
    return r;
  }
  let i = at;
  while (i < line.length && !/[\s;]/.test(line[i]!)) i++;
  const literal = line.slice(at, i);
  const r: { quote: ''; literal: string; end: number; complex?: string } = { quote: '', literal, end: i };
  if (/["'`]|\$\(|\\/.test(literal)) r.complex = 'the unquoted value uses quotes, escapes or command substitution';
  return r;
}

/** Every GRUB_CMDLINE_LINUX(_DEFAULT) assignment of one file, in order. */
export function findAssignments(file: GrubFile): GrubAssignment[] {
  const out: GrubAssignment[] = [];
  file.content.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    const m = ASSIGN.exec(line);
    if (!m) return;
    const name = m[3] as CmdlineVar;
    const at = m[0].length;
    const v = parseValue(line, at);
    const selfRef = v.quote !== "'" && new RegExp(`\\$\\{?${name}(?![A-Za-z0-9_])`).test(v.literal);
    out.push({
      path: file.path,
      line: i + 1,
      name,
      quote: v.quote,
      literal: v.literal,
      valueStart: at,
      valueEnd: v.end,
      selfRef,
      complex: v.complex,
    });
  });
  return out;
}

function expand(a: GrubAssignment, vars: Map<string, string>): string {
  if (a.quote === "'") return a.literal;
  let s = a.literal.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_m, b1?: string, b2?: string) => vars.get(b1 ?? b2 ?? '') ?? '');
  if (a.quote === '"') s = s.replace(/\\([$`"\\])/g, '$1');
  // unquoted: the shell splits and joins the words with single spaces
  if (a.quote === '') s = s.trim().split(/\s+/).filter(Boolean).join(' ');
  return s;
}

function allAssignments(files: readonly GrubFile[]): GrubAssignment[] {
  return files.flatMap((f) => findAssignments(f));
}

function orderFiles(defaultGrub: GrubFile, dropins: readonly GrubFile[]): GrubFile[] {
  return [defaultGrub, ...sortDropins(dropins)];
}

function evaluate(assignments: GrubAssignment[]): GrubCmdline {
  const vars = new Map<string, string>();
  const problems: GrubCmdline['problems'] = [];
  let linuxSource: GrubCmdline['linuxSource'];
  let linuxDefaultSource: GrubCmdline['linuxDefaultSource'];
  for (const a of assignments) {
    if (a.complex) problems.push({ path: a.path, line: a.line, message: a.complex });
    vars.set(a.name, expand(a, vars));
    if (a.name === 'GRUB_CMDLINE_LINUX') linuxSource = { path: a.path, line: a.line };
    else linuxDefaultSource = { path: a.path, line: a.line };
  }
  const linux = vars.get('GRUB_CMDLINE_LINUX') ?? '';
  const linuxDefault = vars.get('GRUB_CMDLINE_LINUX_DEFAULT') ?? '';
  return {
    linux,
    linuxDefault,
    combined: [linux, linuxDefault].filter((s) => s.trim() !== '').join(' '),
    linuxSource,
    linuxDefaultSource,
    problems,
  };
}

/**
 * The command line GRUB will give the kernel from /etc/default/grub and its
 * drop-ins (`dropins`: the /etc/default/grub.d/*.cfg files, any order).
 */
export function effectiveCmdline(defaultGrub: string, dropins: readonly GrubFile[] = []): GrubCmdline {
  return evaluate(allAssignments(orderFiles({ path: '/etc/default/grub', content: defaultGrub }, dropins)));
}

/** The assignments whose value flows into the effective one: the last, and the ones it refers back to. */
function liveChain(assignments: GrubAssignment[], name: CmdlineVar): GrubAssignment[] {
  const mine = assignments.filter((a) => a.name === name);
  const chain: GrubAssignment[] = [];
  for (let i = mine.length - 1; i >= 0; i--) {
    const a = mine[i]!;
    chain.unshift(a);
    if (!a.selfRef) break;
  }
  return chain;
}

function conflictsIn(literal: string, add: readonly string[]): string[] {
  // the words of `literal` that an argument of `add` would replace
  const out: string[] = [];
  const words = splitCmdline(literal);
  for (const a of add) {
    const eq = a.indexOf('=');
    if (eq < 0) continue;
    const key = a.slice(0, eq);
    for (const w of words) {
      if (w.key !== key || w.value === undefined) continue;
      // editKernelArgs on a copy tells whether this word conflicts
      const probe = editKernelArgs(w.text, [a], []);
      if (probe !== w.text && !hasKernelArg(w.text, a)) {
        // remove only what conflicts: for list parameters, the options that probe replaced
        const before = new Set((w.value ?? '').split(','));
        const after = new Set((splitCmdline(probe)[0]?.value ?? '').split(','));
        const gone = [...before].filter((x) => x !== '' && !after.has(x));
        if (gone.length > 0) out.push(`${key}=${gone.join(',')}`);
      }
    }
  }
  return out;
}

export interface GrubEdit {
  path: string;
  before: string;
  after: string;
}

export interface GrubEditResult {
  /** only the files that change */
  edits: GrubEdit[];
  before: GrubCmdline;
  after: GrubCmdline;
}

function rewrite(content: string, a: GrubAssignment, newLiteral: string): string {
  const lines = content.split('\n');
  const raw = lines[a.line - 1] ?? '';
  const cr = raw.endsWith('\r') ? '\r' : '';
  const line = cr ? raw.slice(0, -1) : raw;
  let quote = a.quote;
  if (quote === '' && /\s/.test(newLiteral.trim())) quote = '"';
  const value = quote === '' ? newLiteral.trim() : `${quote}${newLiteral}${quote}`;
  lines[a.line - 1] = line.slice(0, a.valueStart) + value + line.slice(a.valueEnd) + cr;
  return lines.join('\n');
}

function complexError(a: GrubAssignment): ConfigError {
  return new ConfigError(
    { file: a.path, line: a.line },
    `cannot edit ${a.name} safely: ${a.complex ?? 'unsupported form'}`,
    `add the kernel arguments to ${a.name} by hand, or simplify the assignment to ${a.name}="..."`,
  );
}

/** The kernel arguments an edit takes out of a file's assignments. */
function takenOut(before: string, after: string): string[] {
  const words = (content: string): string[] => findAssignments({ path: '', content }).flatMap((a) => splitCmdline(a.literal).map((w) => w.text));
  const kept = new Set(words(after));
  return words(before).filter((w) => !kept.has(w));
}

/** The header of passthru's own drop-in (Debian/Ubuntu: /etc/default/grub.d/). */
export const DROPIN_HEADER = [
  '# Written by passthru: the kernel arguments of GPU PCI passthrough (IOMMU).',
  '# update-grub reads it after /etc/default/grub and the drop-ins that sort before it;',
  "# passthru rewrites it; your own settings belong in another file.",
].join('\n');

export interface GrubEditOptions {
  /**
   * passthru's own drop-in (Debian/Ubuntu): the arguments are appended there
   * (`GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX ..."`), and the other files are
   * only edited to take out what turns the IOMMU off or conflicts.
   */
  dropin?: string | undefined;
}

/**
 * Edit the files that determine GRUB_CMDLINE_LINUX so that the kernel gets
 * `add` and none of `remove`:
 *  - arguments are added to the assignment that determines the value (the
 *    last one, in a drop-in when a drop-in overrides the main file), unless
 *    the effective command line has them already (also through
 *    GRUB_CMDLINE_LINUX_DEFAULT); with `opts.dropin`, to passthru's own
 *    drop-in instead, which is read last;
 *  - `remove` and values that conflict with `add` are taken out of every
 *    assignment that flows into the effective GRUB_CMDLINE_LINUX and
 *    GRUB_CMDLINE_LINUX_DEFAULT (an `intel_iommu=off` in
 *    GRUB_CMDLINE_LINUX_DEFAULT would win, since it comes later);
 *  - no assignment at all: `GRUB_CMDLINE_LINUX="..."` is appended to
 *    /etc/default/grub.
 * Every other line stays as it was. A file whose header says another tool
 * manages it is never edited: a ConfigError names it.
 */
export function editGrubCmdline(
  defaultGrub: GrubFile,
  dropins: readonly GrubFile[],
  add: readonly string[],
  remove: readonly string[],
  opts: GrubEditOptions = {},
): GrubEditResult {
  const ours = opts.dropin;
  const files = orderFiles(defaultGrub, ours === undefined ? dropins : [...dropins.filter((d) => d.path !== ours), { path: ours, content: dropins.find((d) => d.path === ours)?.content ?? '' }]);
  const existed = new Set([defaultGrub.path, ...dropins.map((d) => d.path)]);
  const contents = new Map(files.map((f) => [f.path, f.content]));
  const before = evaluate(allAssignments(files));
  for (const name of ['GRUB_CMDLINE_LINUX', 'GRUB_CMDLINE_LINUX_DEFAULT'] as const) {
    const bad = liveChain(allAssignments(files), name).find((a) => a.complex);
    if (bad) throw complexError(bad);
  }

  const current = (): GrubFile[] => files.map((f) => ({ path: f.path, content: contents.get(f.path) ?? '' }));
  const others = (): GrubFile[] => current().filter((f) => f.path !== ours);
  const apply = (a: GrubAssignment, edit: (literal: string) => string): void => {
    const next = edit(a.literal);
    if (next === a.literal) return;
    contents.set(a.path, rewrite(contents.get(a.path) ?? '', a, next));
  };

  // 1. removals and conflicts, in every live assignment of both variables
  for (const name of ['GRUB_CMDLINE_LINUX', 'GRUB_CMDLINE_LINUX_DEFAULT'] as const) {
    // re-read after each edit: line positions stay, values change
    const chain = liveChain(allAssignments(others()), name);
    chain.forEach((a0, i) => {
      const a = findAssignments({ path: a0.path, content: contents.get(a0.path) ?? '' }).find((x) => x.line === a0.line)!;
      if (ours === undefined && name === 'GRUB_CMDLINE_LINUX' && i === chain.length - 1) {
        // the determining line: a conflicting value is replaced in place
        apply(a, (lit) => {
          const conflicting = add.filter((x) => conflictsIn(lit, [x]).length > 0);
          return editKernelArgs(lit, conflicting, remove);
        });
      } else {
        apply(a, (lit) => editKernelArgs(lit, [], [...remove, ...conflictsIn(lit, add)]));
      }
    });
  }

  // 2. additions: passthru's drop-in, or the assignment that determines GRUB_CMDLINE_LINUX
  const mid = evaluate(allAssignments(others()));
  const midHas = kernelArgTest(mid.combined);
  const missing = add.filter((a) => !midHas(a));
  if (ours !== undefined) {
    const body = missing.length > 0 ? `GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX ${missing.join(' ')}"` : '# nothing to add: the other files have every argument';
    contents.set(ours, `${DROPIN_HEADER}\n${body}\n`);
  } else if (missing.length > 0) {
    const chain = liveChain(allAssignments(current()), 'GRUB_CMDLINE_LINUX');
    const last = chain[chain.length - 1];
    if (last) {
      apply(last, (lit) => editKernelArgs(lit, missing, []));
    } else {
      const main = files[0]!;
      const text = contents.get(main.path) ?? '';
      const eol = text.includes('\r\n') ? '\r\n' : '\n';
      const sep = text === '' || text.endsWith('\n') ? '' : eol;
      contents.set(main.path, `${text}${sep}GRUB_CMDLINE_LINUX="${missing.join(' ')}"${eol}`);
    }
  }

  const edits: GrubEdit[] = [];
  for (const f of files) {
    const after = contents.get(f.path) ?? '';
    if (after === f.content && existed.has(f.path)) continue;
    if (f.path !== ours) {
      const owner = managedBy(f.content);
      if (owner) {
        throw new ConfigError(
          { file: f.path, line: owner.line },
          `another tool manages this file ("${owner.text}"): passthru does not edit it, and the change it needs here would be undone at that tool's next run`,
          `take ${takenOut(f.content, after).join(' ') || 'the conflicting arguments'} out of GRUB_CMDLINE_LINUX / GRUB_CMDLINE_LINUX_DEFAULT through that tool, then run passthru again`,
        );
      }
    }
    edits.push({ path: f.path, before: f.content, after });
  }
  const after = evaluate(allAssignments(current()));
  if (ours !== undefined) {
    const afterHas = kernelArgTest(after.combined);
    const lost = add.filter((a) => !afterHas(a));
    if (lost.length > 0 && after.linuxSource) {
      throw new ConfigError(
        { file: after.linuxSource.path, line: after.linuxSource.line },
        `this assignment comes after passthru's drop-in ${ours} and sets GRUB_CMDLINE_LINUX outright: ${lost.join(' ')} would not reach the kernel`,
        'make it append ("$GRUB_CMDLINE_LINUX ..."), or move it to a file that sorts before the drop-in',
      );
    }
  }
  return { edits, before, after };
}
