// Small helpers shared by the lab's tools.

import type { HostSpec, ToolInvocation, ToolResult } from '../types.ts';
import { distroInfo, type DistroInfo } from '../distro.ts';

export function ok(stdout = '', stderr = ''): ToolResult {
  return { stdout, stderr, exitCode: 0 };
}

export function fail(exitCode: number, stderr: string, stdout = ''): ToolResult {
  return { stdout, stderr, exitCode };
}

/** the calling user, as the shell's environment says (sudo sets USER=root) */
export function userOf(inv: ToolInvocation): string {
  return inv.env.USER ?? inv.env.LOGNAME ?? 'root';
}

export function isRoot(inv: ToolInvocation): boolean {
  return userOf(inv) === 'root';
}

export function distro(inv: ToolInvocation): DistroInfo {
  return distroInfo(inv.host.spec.distro);
}

export function notFound(name: string): ToolResult {
  return fail(127, `bash: ${name}: command not found\n`);
}

export interface ParsedShort {
  /** options in order: [letter, value?] */
  opts: Array<[string, string | undefined]>;
  args: string[];
  error?: { kind: 'invalid' | 'missing' | 'unrecognized'; option: string };
}

/**
 * getopt(3)-style parsing: `spec` lists short letters, a ':' after one takes
 * a value; `longs` maps long names to whether they take a value (--name=value
 * or --name value). Long options are returned with their full name.
 */
export function getopt(argv: string[], spec: string, longs: Record<string, boolean> = {}): ParsedShort {
  const takes = new Map<string, boolean>();
  for (let i = 0; i < spec.length; i++) {
    const c = spec[i] as string;
    if (c === ':') continue;
    takes.set(c, spec[i + 1] === ':');
  }
  const opts: Array<[string, string | undefined]> = [];
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--') {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      // unique prefix of a long option is accepted, as getopt_long does
      const matches = Object.keys(longs).filter((l) => l === name || l.startsWith(name));
      const full = matches.includes(name) ? name : matches.length === 1 ? matches[0] : undefined;
      if (full === undefined) return { opts, args, error: { kind: 'unrecognized', option: a } };
      if (longs[full]) {
        if (eq >= 0) opts.push([full, a.slice(eq + 1)]);
        else if (i + 1 < argv.length) opts.push([full, argv[++i]]);
        else return { opts, args, error: { kind: 'missing', option: full } };
      } else {
        opts.push([full, undefined]);
      }
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const c = a[j] as string;
        if (!takes.has(c)) return { opts, args, error: { kind: 'invalid', option: c } };
        if (takes.get(c)) {
          if (j + 1 < a.length) opts.push([c, a.slice(j + 1)]);
          else if (i + 1 < argv.length) opts.push([c, argv[++i]]);
          else return { opts, args, error: { kind: 'missing', option: c } };
          break;
        }
        opts.push([c, undefined]);
      }
      continue;
    }
    args.push(a);
  }
  return { opts, args };
}

/** commands of src/lab/tools that exist on this host */
export function toolsFor(spec: HostSpec): string[] {
  const d = distroInfo(spec.distro);
  const names = ['lspci', 'dmesg', 'systemctl', 'journalctl', 'reboot', 'shutdown'];
  if (d.family === 'el') names.push('grub2-mkconfig', 'grubby', 'dracut');
  else names.push('update-grub', 'grub-mkconfig', 'update-initramfs');
  if (spec.roles.includes('controller')) names.push('openstack');
  if (spec.roles.includes('guest')) names.push('cpuid');
  if (spec.kolla) names.push(spec.kolla.engine);
  return names;
}
