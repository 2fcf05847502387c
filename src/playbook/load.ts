// Loading a playbook: YAML -> validated Playbook, or one ConfigError that
// names file:line:column and says what to do.
//
// Everything that can be checked before connecting to a host is checked here:
// keys (with "did you mean"), value types (zod), the action of each step
// against the known step kinds, notify against the play's handlers, and the
// syntax of every expression and {{ template }}, and (given the kinds'
// schemas) every step's options: all of them when the arguments hold no
// {{ }}, their names otherwise.

import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import type { z } from 'zod';
import { ConfigError, type ErrorLocation } from '../errors.ts';
import type { Vars } from '../inventory/types.ts';
import { ExprError, typeName } from './expression.ts';
import {
  ANSIBLE_PLAY_KEYS,
  ANSIBLE_STEP_KEYS,
  HANDLER_KEYS,
  PLAY_KEYS,
  STEP_KEYS,
  playSchema,
  stepSchema,
  type PlayInput,
  type StepInput,
} from './schema.ts';
import { closest, didYouMean, listOf } from './suggest.ts';
import { optionsProblem, type KindOptions } from './step-options.ts';
import { checkExpression, compileTemplate, hasTemplate, render, type Where } from './template.ts';
import type { LoadOptions, Play, Playbook, SerialSpec, SerialValue, StepDef } from './types.ts';
import { RESERVED_VARS, checkTemplates, checkVars, isPlainMapping, loadVarsFileSync } from './vars-file.ts';
import { locationOf, parseYaml, readTextFile, type Path, type YamlSource } from './yaml-source.ts';

const PLAYBOOK_SHAPE = 'a playbook is a list of plays:\n  - name: GPU passthrough\n    hosts: compute\n    steps:\n      - name: ...';

interface Ref {
  src: YamlSource;
  path: Path;
}
const refs = new WeakMap<object, Ref>();

/**
 * The location of something inside a step or play: `locate(step, [step.kind, 'section'])`
 * names the line of that argument. Falls back to the step's own location.
 */
export function locate(target: StepDef | Play, path: Path = []): ErrorLocation {
  const ref = refs.get(target);
  if (!ref) return target.location;
  return locationOf(ref.src, [...ref.path, ...path]);
}

/** For render(): the location of a path inside the step's arguments. */
export function argsWhere(step: StepDef): Where {
  return (p) => locate(step, [step.kind, ...p]);
}

/** Render the step's arguments; an undefined variable names the line of the argument that uses it. */
export function renderArgs(step: StepDef, vars: Vars): unknown {
  return render(step.args, vars, argsWhere(step));
}

export async function loadPlaybook(path: string, opts: LoadOptions): Promise<Playbook> {
  const text = await readTextFile(path, 'the playbook');
  return parsePlaybook(text, path, opts);
}

/** Parse playbook text. `file` names the file in errors; vars_files are read relative to it. */
export function parsePlaybook(text: string, file: string, opts: LoadOptions): Playbook {
  const src = parseYaml(text, file);
  try {
    return new Loader(src, opts).playbook();
  } catch (e) {
    if (e instanceof RangeError) throw new ConfigError({ file, line: 1, column: 1 }, 'the playbook is nested too deeply to read', 'a playbook is a few levels deep: check the file');
    throw e;
  }
}

// ---------------------------------------------------------------- helpers

/**
 * The issue to report: in a union of forms (`command: "text"`, a list, or a
 * mapping), the one of the form the user wrote (the deepest, or an unknown key).
 */
function deepest(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue[] {
  const first = issues[0];
  if (!first || first.code !== 'invalid_union') return [...issues];
  const inner = first.errors.map((alt) => alt[0]).filter((i): i is z.core.$ZodIssue => i !== undefined);
  const pick = inner.find((i) => i.code === 'unrecognized_keys') ?? inner.filter((i) => i.code !== 'invalid_type' || i.path.length > 0).sort((a, b) => b.path.length - a.path.length)[0];
  return pick ? deepest([{ ...pick, path: [...first.path, ...pick.path] }]) : [...issues];
}

function toList(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

/** tags: "a, b" is two tags (as in Ansible) */
function tagList(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  if (Array.isArray(v)) return v.map((t) => t.trim()).filter(Boolean);
  return v
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
}

function withoutNulls(o: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (o[k] !== null && o[k] !== undefined) out[k] = o[k];
  return out;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Does a value hold a {{ }} anywhere (strings, lists, mappings)? */
function templated(v: unknown): boolean {
  if (typeof v === 'string') return hasTemplate(v);
  if (Array.isArray(v)) return v.some(templated);
  if (isPlainMapping(v)) return Object.values(v).some(templated);
  return false;
}

class Loader {
  private readonly kinds: ReadonlySet<string>;
  private readonly options: ReadonlyMap<string, KindOptions> | undefined;
  constructor(
    private readonly src: YamlSource,
    opts: LoadOptions,
  ) {
    this.kinds = new Set(opts.kinds.keys());
    this.options = opts.kinds instanceof Map ? (opts.kinds as ReadonlyMap<string, KindOptions>) : undefined;
  }

  /**
   * A step's options against its kind's schema: all of them when nothing is
   * templated; with {{ }}, the names (values are checked on each host, once
   * rendered).
   */
  private checkOptions(kind: string, args: unknown, path: Path, label: string): void {
    const k = this.options?.get(kind);
    if (!k) return;
    let issues;
    if (!templated(args)) {
      const r = k.schema.safeParse(args);
      if (r.success) return;
      issues = r.error.issues;
    } else {
      if (!isPlainMapping(args)) return;
      // only the names: every value stands in as valid-looking as the schema makes it
      const r = k.schema.safeParse(args);
      if (r.success) return;
      issues = r.error.issues.filter((i) => i.code === 'unrecognized_keys');
      if (issues.length === 0) {
        const unions = r.error.issues.filter((i) => i.code === 'invalid_union');
        issues = unions.flatMap((u) => (u.code === 'invalid_union' ? u.errors.flat().filter((i) => i.code === 'unrecognized_keys') : []));
      }
      if (issues.length === 0) return;
    }
    const p = optionsProblem(k, deepest(issues));
    const loc = p.atKey ? this.keyAt([...path, ...p.path]) : this.at([...path, ...p.path]);
    throw new ConfigError(loc, `${label}: ${kind}: ${p.message}`, p.hint);
  }

  private at(path: Path): ErrorLocation {
    return locationOf(this.src, path);
  }
  private keyAt(path: Path): ErrorLocation {
    return locationOf(this.src, path, { key: true });
  }

  /** zod: the first issue as a ConfigError at the offending value */
  private validate<S extends z.ZodType>(schema: S, value: Record<string, unknown>, path: Path, label: string): z.infer<S> {
    const r = schema.safeParse(value);
    if (r.success) return r.data as z.infer<S>;
    const issue = r.error.issues[0];
    if (!issue) throw new ConfigError(this.at(path), `${label} is not valid`);
    let sub: PropertyKey[] = [...issue.path];
    if (issue.code === 'invalid_union') {
      // name the list item that is wrong, not the whole list
      let deepest: PropertyKey[] = [];
      for (const alt of issue.errors) for (const i of alt) if (i.path.length > deepest.length) deepest = [...i.path];
      sub = [...sub, ...deepest];
    }
    const key = String(issue.path[0] ?? '');
    const segs = sub.filter((s): s is string | number => typeof s === 'string' || typeof s === 'number');
    let bad: unknown = value;
    for (const s of segs) bad = (bad as Record<string | number, unknown> | undefined)?.[s];
    const where = segs.length > 1 ? `${key} item ${Number(segs[1]) + 1}` : key;
    const got = issue.code === 'invalid_type' || issue.code === 'invalid_union' || issue.code === 'invalid_format' ? ` (got ${typeName(bad)}${typeof bad === 'string' ? ` "${bad.length > 40 ? `${bad.slice(0, 40)}...` : bad}"` : ''})` : '';
    const hint =
      typeof bad === 'string' && bad.includes('{{')
        ? `${key} is not templated: write the value itself (only step arguments and expressions use variables)`
        : undefined;
    throw new ConfigError(this.at([...path, ...segs]), `${label}: ${where} ${issue.message}${got}`, hint);
  }

  private expr(v: string | boolean, path: Path, label: string, key: string): string {
    let e = typeof v === 'boolean' ? String(v) : v.trim();
    // `when: "{{ x }}"`: Ansible warns and takes it; so do we (without the braces)
    if (e.startsWith('{{') && e.endsWith('}}')) {
      try {
        const c = compileTemplate(e);
        const part = c.parts[0];
        if (c.single && typeof part === 'object') e = part.src;
      } catch {
        /* reported below */
      }
    }
    try {
      checkExpression(e);
    } catch (err) {
      if (err instanceof ExprError) throw new ConfigError(this.at(path), `${label}: ${key}: ${err.message}`, err.hint);
      throw err;
    }
    return e;
  }

  private conditions(v: string | boolean | Array<string | boolean> | undefined, path: Path, label: string, key: string): string[] {
    if (v === undefined) return [];
    if (Array.isArray(v)) return v.map((x, i) => this.expr(x, [...path, i], label, key));
    return [this.expr(v, path, label, key)];
  }

  /** until/changed_when/failed_when: a list is an "and" of its items */
  private joined(v: string | boolean | Array<string | boolean> | undefined, path: Path, label: string, key: string): string | undefined {
    const list = this.conditions(v, path, label, key);
    if (list.length === 0) return undefined;
    return list.length === 1 ? list[0] : list.map((x) => `(${x})`).join(' and ');
  }

  // ---------------------------------------------------------------- playbook

  playbook(): Playbook {
    const data = this.src.data;
    const file = this.src.file;
    if (data === null || data === undefined) {
      throw new ConfigError({ file, line: 1, column: 1 }, 'the playbook is empty', PLAYBOOK_SHAPE);
    }
    if (!Array.isArray(data)) {
      if (isPlainMapping(data) && ('hosts' in data || 'steps' in data || 'tasks' in data)) {
        throw new ConfigError(this.at([]), 'a playbook is a list of plays, not a single play', 'start the play with "- " (e.g. "- name: GPU passthrough") and indent the rest of it by two spaces');
      }
      throw new ConfigError(this.at([]), `a playbook must be a list of plays, not a ${typeName(data)}`, PLAYBOOK_SHAPE);
    }
    if (data.length === 0) throw new ConfigError(this.at([]), 'the playbook has no plays', PLAYBOOK_SHAPE);
    const plays = data.map((p, i) => this.play(p, i));
    return { file, plays };
  }

  // ---------------------------------------------------------------- play

  private play(raw: unknown, index: number): Play {
    const path = [index];
    const n = index + 1;
    if (!isPlainMapping(raw)) {
      throw new ConfigError(this.at(path), `play ${n} must be a mapping (name:, hosts:, steps:), not a ${typeName(raw)}`, PLAYBOOK_SHAPE);
    }
    const label = typeof raw.name === 'string' && raw.name ? `play "${raw.name}"` : `play ${n}`;
    for (const key of Object.keys(raw)) {
      if (PLAY_KEYS.includes(key)) continue;
      const ansible = ANSIBLE_PLAY_KEYS[key];
      if (ansible !== undefined) throw new ConfigError(this.keyAt([...path, key]), `${label}: "${key}" is not supported`, ansible);
      throw new ConfigError(this.keyAt([...path, key]), `${label}: unknown key "${key}"${didYouMean(key, PLAY_KEYS)}`, `play keys: ${listOf(PLAY_KEYS)}`);
    }
    if (raw.hosts === undefined || raw.hosts === null) {
      throw new ConfigError(this.at(path), `${label} has no hosts`, 'add hosts: with a group or host pattern of the inventory, e.g. "hosts: compute"');
    }
    const input: PlayInput = this.validate(playSchema, withoutNulls(raw, PLAY_KEYS), path, label);
    const hosts = Array.isArray(input.hosts) ? input.hosts.join(',') : input.hosts;
    checkTemplates(input.hosts, [...path, 'hosts'], (p) => this.at(p));
    const name = input.name ?? hosts;

    let vars: Vars = { ...checkVars(raw.vars, this.src, [...path, 'vars'], `${label}: vars`) };
    const files = input.vars_files === undefined ? [] : Array.isArray(input.vars_files) ? input.vars_files : [input.vars_files];
    files.forEach((f, i) => {
      const fpath = Array.isArray(input.vars_files) ? [...path, 'vars_files', i] : [...path, 'vars_files'];
      vars = { ...vars, ...this.varsFile(f, fpath, label) };
    });

    const serial = input.serial === undefined ? undefined : this.serial(input.serial, [...path, 'serial'], label);

    const handlers = (input.handlers ?? []).map((h, i) => this.step(h, [...path, 'handlers', i], true, label, i));
    const steps = (input.steps ?? []).map((s, i) => this.step(s, [...path, 'steps', i], false, label, i));
    this.checkHandlers(handlers, path, label);
    this.checkNotify([...steps, ...handlers], handlers, label);

    const play: Play = {
      name,
      hosts,
      vars,
      serial,
      maxFailPercentage: input.max_fail_percentage,
      anyErrorsFatal: input.any_errors_fatal ?? false,
      become: input.become,
      ...(input.become_user !== undefined ? { becomeUser: input.become_user } : {}),
      tags: tagList(input.tags),
      steps,
      handlers,
      location: this.at(path),
    };
    refs.set(play, { src: this.src, path });
    return play;
  }

  private varsFile(f: string, path: Path, label: string): Vars {
    if (f.includes('{{')) throw new ConfigError(this.at(path), `${label}: vars_files paths are not templated`, 'write the path itself');
    const full = isAbsolute(f) ? f : join(dirname(this.src.file), f);
    if (!existsSync(full)) {
      throw new ConfigError(this.at(path), `${label}: vars file "${f}" not found (looked for ${full})`, 'vars_files paths are relative to the playbook');
    }
    return loadVarsFileSync(full);
  }

  private serial(v: NonNullable<PlayInput['serial']>, path: Path, label: string): SerialSpec {
    const one = (x: number | string, p: Path): SerialValue => {
      if (typeof x === 'number') return x;
      const s = x.replace(/\s+/g, '');
      if (!s.endsWith('%')) return Number.parseInt(s, 10);
      const pct = Number.parseInt(s, 10);
      if (pct > 100) throw new ConfigError(this.at(p), `${label}: serial ${s} is more than 100%`, 'use a percentage from 1% to 100%');
      return `${pct}%`;
    };
    return Array.isArray(v) ? v.map((x, i) => one(x, [...path, i])) : one(v as number | string, path);
  }

  private checkHandlers(handlers: StepDef[], path: Path, label: string): void {
    const seen = new Set<string>();
    handlers.forEach((h, i) => {
      if (seen.has(h.name)) {
        throw new ConfigError(this.at([...path, 'handlers', i, 'name']), `${label}: two handlers are named "${h.name}"`, 'give each handler its own name (use listen: for a shared topic)');
      }
      seen.add(h.name);
    });
  }

  private checkNotify(steps: StepDef[], handlers: StepDef[], label: string): void {
    const names = new Set<string>();
    for (const h of handlers) {
      names.add(h.name);
      for (const l of h.listen) names.add(l);
    }
    for (const s of steps) {
      s.notify.forEach((n, i) => {
        if (names.has(n)) return;
        const ref = refs.get(s);
        const loc = ref ? locationOf(this.src, [...ref.path, 'notify', i]) : s.location;
        throw new ConfigError(
          loc,
          `${label}: step "${s.name}" notifies "${n}", but the play has no handler of that name${didYouMean(n, names)}`,
          names.size > 0 ? `handlers of this play: ${listOf(names)}` : 'add a handlers: list to the play with a handler of that name',
        );
      });
    }
  }

  // ---------------------------------------------------------------- step

  private step(raw: unknown, path: Path, isHandler: boolean, playLabel: string, index: number): StepDef {
    const what = isHandler ? 'handler' : 'step';
    const kinds = this.kinds;
    const kindList = listOf(kinds);
    if (!isPlainMapping(raw)) {
      throw new ConfigError(
        this.at(path),
        `${playLabel}: ${what} ${index + 1} must be a mapping with a name and one action, not a ${typeName(raw)}`,
        `write it as:\n  - name: what this ${what} does\n    <kind>: {arguments}\nstep kinds: ${kindList}`,
      );
    }
    const allowed = isHandler ? HANDLER_KEYS : STEP_KEYS;
    const keys = Object.keys(raw);
    const actions = keys.filter((k) => !allowed.includes(k) && kinds.has(k));
    const unknown = keys.filter((k) => !allowed.includes(k) && !kinds.has(k));
    const nameLabel = typeof raw.name === 'string' && raw.name ? `${what} "${raw.name}"` : `${what} ${index + 1}`;
    const label = `${playLabel}: ${nameLabel}`;

    for (const k of unknown) {
      const keyLoc = this.keyAt([...path, k]);
      if (k === 'listen') throw new ConfigError(keyLoc, `${label}: listen: is only for handlers`, 'move this step to the play\'s handlers:, or notify it by name');
      const ansible = ANSIBLE_STEP_KEYS[k] ?? (k.startsWith('with_') ? ANSIBLE_STEP_KEYS['loop'] : undefined);
      if (ansible !== undefined) throw new ConfigError(keyLoc, `${label}: "${k}" is not supported`, ansible);
      const likeKey = closest(k, allowed);
      const likeKind = closest(k, kinds);
      if (actions.length === 0 && (likeKind !== undefined || likeKey === undefined)) {
        throw new ConfigError(
          keyLoc,
          `${label}: unknown step kind "${k}"${likeKind ? ` (did you mean "${likeKind}"?)` : ''}`,
          `step kinds: ${kindList}`,
        );
      }
      throw new ConfigError(
        keyLoc,
        `${label}: unknown ${what} key "${k}"${didYouMean(k, [...allowed, ...kinds])}`,
        `${what} keys: ${listOf(allowed)}; and one action, a step kind: ${kindList}`,
      );
    }
    if (raw.name === undefined || raw.name === null || raw.name === '') {
      throw new ConfigError(
        this.at(path),
        `${playLabel}: ${what} ${index + 1}${actions[0] ? ` (${actions[0]})` : ''} has no name`,
        `add "name: <what this ${what} does>": it is shown in the progress and the recap${isHandler ? ', and notify: refers to it' : ''}`,
      );
    }
    if (typeof raw.name !== 'string') {
      throw new ConfigError(this.at([...path, 'name']), `${playLabel}: ${what} ${index + 1}: name must be a string (got ${typeName(raw.name)})`, 'put the name in quotes');
    }
    const name = raw.name;
    const kind = actions[0];
    if (kind === undefined) {
      throw new ConfigError(this.at(path), `${label} has no action`, `add one step kind with its arguments, e.g. "${[...kinds].sort()[0] ?? 'kind'}: {...}"; step kinds: ${kindList}`);
    }
    if (actions.length > 1) {
      throw new ConfigError(
        this.keyAt([...path, actions[1] as string]),
        `${label} has ${plural(actions.length, 'action')} (${actions.join(', ')}); a step does one thing`,
        'split it into one step per action',
      );
    }

    const input: StepInput = this.validate(stepSchema, withoutNulls(raw, allowed.filter((k) => k !== 'name')), path, label);
    if (input.register !== undefined && RESERVED_VARS.has(input.register)) {
      throw new ConfigError(this.at([...path, 'register']), `${label}: register: "${input.register}" is set by passthru`, 'choose another name');
    }

    const args = raw[kind] === null || raw[kind] === undefined ? {} : raw[kind];
    checkTemplates(args, [...path, kind], (p) => this.at(p));
    this.checkOptions(kind, args, [...path, kind], label);
    const until = this.joined(input.until, [...path, 'until'], label, 'until');
    const changedWhen = this.joined(input.changed_when, [...path, 'changed_when'], label, 'changed_when');
    const failedWhen = this.joined(input.failed_when, [...path, 'failed_when'], label, 'failed_when');

    const step: StepDef = {
      name,
      kind,
      args,
      when: this.conditions(input.when, [...path, 'when'], label, 'when'),
      ...(input.register !== undefined ? { register: input.register } : {}),
      notify: toList(input.notify),
      tags: tagList(input.tags),
      ...(input.become !== undefined ? { become: input.become } : {}),
      ...(input.become_user !== undefined ? { becomeUser: input.become_user } : {}),
      ...(input.timeout !== undefined ? { timeoutMs: Math.round(input.timeout * 1000) } : {}),
      retries: input.retries ?? (until !== undefined ? 3 : 0),
      delayMs: Math.round((input.delay ?? 5) * 1000),
      ...(until !== undefined ? { until } : {}),
      ignoreErrors: input.ignore_errors ?? false,
      runOnce: input.run_once ?? false,
      ...(changedWhen !== undefined ? { changedWhen } : {}),
      ...(failedWhen !== undefined ? { failedWhen } : {}),
      listen: toList(input.listen),
      location: this.at(path),
    };
    refs.set(step, { src: this.src, path });
    return step;
  }
}
