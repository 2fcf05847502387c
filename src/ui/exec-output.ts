// Output of an ad-hoc command (`passthru exec`), in the manner of Ansible's:
//
//   compute-1 | CHANGED | rc=0 >>
//   <stdout>
//   compute-2 | FAILED | rc=1 >>
//   <stdout><stderr>
//   compute-3 | UNREACHABLE! => connection refused
//   compute-4 | FAILED! => sudo: a password is required
//
// Everything is masked.

import { secrets as globalSecrets, type SecretRegistry } from '../util/secrets.ts';
import { painter } from './color.ts';

export type ExecResult = { stdout: string; stderr: string; exitCode: number } | { error: string; unreachable: boolean };

const trimEnd = (t: string): string => t.replace(/\s+$/, '');

export function formatExecResult(host: string, r: ExecResult, color: boolean, secrets: SecretRegistry = globalSecrets): string {
  const paint = painter(color);
  if ('error' in r) {
    const head = r.unreachable ? paint('red', `${host} | UNREACHABLE! =>`) : paint('red', `${host} | FAILED! =>`);
    return `${head} ${secrets.mask(trimEnd(r.error))}`;
  }
  const ok = r.exitCode === 0;
  const head = paint(ok ? 'yellow' : 'red', `${host} | ${ok ? 'CHANGED' : 'FAILED'} | rc=${r.exitCode} >>`);
  const body = [trimEnd(r.stdout), trimEnd(r.stderr)].filter((t) => t !== '').join('\n');
  return body === '' ? head : `${head}\n${secrets.mask(body)}`;
}
