// A fact is `command + parse -> typed value` and never changes anything.
// Facts are gathered in one round trip per host: the scripts of every fact a
// play needs are joined into one remote script that prints sections
// (see src/facts/gather.ts).

/**
 * A snippet several facts read: it runs once per gather script, in the
 * script's own shell (not a subshell) before the first section that uses it,
 * with stdin, stdout and stderr on /dev/null. It only sets shell variables
 * named `__pt_<id>_*`, which the facts' snippets read; it never exits. So a
 * command two facts need (systemctl) starts once.
 */
export interface SharedProbe {
  /** unique id, [a-z0-9_]+ */
  id: string;
  script: string;
}

export interface Fact<T> {
  /** unique id, [a-z0-9_]+; also the section name */
  id: string;
  /** POSIX sh snippet, read-only. Runs with stdout and stderr merged into the section. */
  script: string;
  /** probes whose variables the snippet reads (run before it, once per script) */
  shared?: readonly SharedProbe[];
  /** whether the snippet needs root (the gather script then runs through sudo) */
  become?: boolean;
  /** typed value from the section's output and the snippet's exit status */
  parse(output: string, exitCode: number): T;
}

export type FactValue<F> = F extends Fact<infer T> ? T : never;
