// What a run would do, without connecting to anything, in the shapes of
// ansible-playbook: --list-hosts, --list-steps (--list-tasks), --list-tags,
// --syntax-check. And the check that every --tags / --skip-tags names a tag
// the playbook has: a misspelt tag would otherwise select nothing (or skip
// nothing: a misspelt `--skip-tags rebot` would reboot).

import { ConfigError, UsageError } from '../errors.ts';
import { selectHosts } from '../inventory/index.ts';
import type { Inventory, Vars } from '../inventory/types.ts';
import { render, type Play, type Playbook } from '../playbook/index.ts';
import { closest } from '../playbook/suggest.ts';
import { stepSelector } from '../engine/run.ts';

/** Tags with a meaning of their own, as in Ansible. */
const SPECIAL_TAGS = ['always', 'untagged', 'all'];

function playbookTags(playbook: Playbook): Set<string> {
  const tags = new Set<string>();
  for (const play of playbook.plays) {
    for (const t of play.tags) tags.add(t);
    for (const s of [...play.steps, ...play.handlers]) for (const t of s.tags) tags.add(t);
  }
  return tags;
}

/**
 * --tags and --skip-tags checked against the playbook's tags; returns the
 * --tags to select by (`all`, Ansible's default, selects everything: undefined).
 */
export function checkTags(playbook: Playbook, tags: string[] | undefined, skipTags: string[] | undefined): string[] | undefined {
  const known = playbookTags(playbook);
  for (const [flag, list] of [['--tags', tags], ['--skip-tags', skipTags]] as const) {
    for (const t of list ?? []) {
      if (known.has(t) || SPECIAL_TAGS.includes(t)) continue;
      const near = closest(t, [...known, ...SPECIAL_TAGS]);
      const own = [...known].filter((k) => !SPECIAL_TAGS.includes(k)).sort();
      throw new UsageError(`${flag} ${t}: no step or play of ${playbook.file} has the tag '${t}'${near ? ` (did you mean '${near}'?)` : ''}`, {
        hint: `the playbook's tags: ${own.length > 0 ? own.join(', ') : 'none'}; and ${SPECIAL_TAGS.join(', ')} (see passthru run ${playbook.file} -i INVENTORY --list-tags)`,
      });
    }
  }
  return tags === undefined || tags.length === 0 || tags.includes('all') ? undefined : tags;
}

export interface ListOptions {
  playbook: Playbook;
  /** the playbook as given on the command line */
  playbookPath: string;
  inventory: Inventory;
  extraVars: Vars;
  /** --limit, resolved */
  limit?: string | undefined;
  tags?: string[] | undefined;
  skipTags?: string[] | undefined;
  startAtStep?: string | undefined;
  hosts: boolean;
  steps: boolean;
  tagsList: boolean;
}

const bracket = (xs: Iterable<string>): string => `[${[...xs].join(', ')}]`;

const playPattern = (play: Play, o: ListOptions): string => String(render(play.hosts, { ...play.vars, ...o.extraVars }, play.location));

function playHosts(pattern: string, o: ListOptions, limit: Set<string> | undefined): string[] {
  try {
    return selectHosts(o.inventory, pattern).filter((h) => !limit || limit.has(h));
  } catch (e) {
    if (e instanceof ConfigError) return [];
    throw e;
  }
}

/** ansible-playbook's --list-hosts / --list-tasks / --list-tags output, combined as it combines them. */
export function listPlaybook(o: ListOptions): string {
  const limit = o.limit !== undefined ? new Set(selectHosts(o.inventory, o.limit)) : undefined;
  const selected = stepSelector({ playbook: o.playbook, tags: o.tags, skipTags: o.skipTags, startAtStep: o.startAtStep });
  const lines = ['', `playbook: ${o.playbookPath}`];
  o.playbook.plays.forEach((play, i) => {
    const pattern = playPattern(play, o);
    lines.push('', `  play #${i + 1} (${pattern}): ${play.name}\tTAGS: ${bracket(play.tags)}`);
    if (o.hosts) {
      const hosts = playHosts(pattern, o, limit);
      lines.push(`    pattern: ['${pattern}']`, `    hosts (${hosts.length}):`, ...hosts.map((h) => `      ${h}`));
    }
    if (o.steps) {
      lines.push('    steps:');
      for (const s of play.steps.filter((x) => selected(x, play))) lines.push(`      ${s.name}\tTAGS: ${bracket(new Set([...play.tags, ...s.tags]))}`);
    }
    if (o.tagsList) {
      const all = new Set<string>();
      for (const s of play.steps) for (const t of [...play.tags, ...s.tags]) all.add(t);
      lines.push(`      TASK TAGS: ${bracket([...all].sort())}`);
    }
  });
  return `${lines.join('\n')}\n`;
}
