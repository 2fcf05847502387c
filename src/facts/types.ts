// A fact is `command + parse -> typed value` and never changes anything.
// Facts are gathered in one round trip per host: the scripts of every fact a
// play needs are joined into one remote script that prints sections
// (see src/facts/gather.ts).

export interface Fact<T> {
  /** unique id, [a-z0-9_]+; also the section name */
  id: string;
  /** POSIX sh snippet, read-only. Runs with stdout and stderr merged into the section. */
  script: string;
  /** whether the snippet needs root (the gather script then runs through sudo) */
  become?: boolean;
  /** typed value from the section's output and the snippet's exit status */
  parse(output: string, exitCode: number): T;
}

export type FactValue<F> = F extends Fact<infer T> ? T : never;
