// cpuid (Todd Allen's, 20230120) inside a lab guest: the real dump of a KVM
// guest's CPU, once per vCPU, with the KVM signature ("KVMKVMKVM") in the
// hypervisor_id line unless the guest was built with the hypervisor hidden
// (img_hide_hypervisor_id=true / hw:hide_hypervisor_id=true), which the lab
// records in /var/lib/lab/guest.json.

import type { LabFs, Tool, ToolResult } from '../types.ts';
import { GUEST_STATE } from '../rootfs.ts';
import { CPUID_KVM_GUEST_BODY } from './cpuid-template.ts';
import { fail, getopt, ok } from './util.ts';

const USAGE = `usage: cpuid [options...]

Dump detailed information about the CPU(s) gathered from the CPUID instruction,
and also determine the exact model of CPU(s).

options:

   -1,      --one-cpu    display information only for the current CPU
   -f FILE, --file=FILE  read raw hex information (-r output) from FILE instead
                         of from executions of the cpuid instruction.
                         If FILE is '-', read from stdin.
   -l V,    --leaf=V     display information for the single specified leaf.
                         If -s/--subleaf is not specified, 0 is assumed.
                         NOTE: If a leaf cannot be interpreted in isolation, it
                         will be displayed as raw hex.
   -s V,    --subleaf=V  display information for the single specified subleaf.
                         It requires -l/--leaf.
   -h, -H,  --help       display this help information
   -i,      --inst       use the CPUID instruction: The information it provides
                         is reliable.  It is not necessary to be root.
                         (This option is the default.)
   -k,      --kernel     use the CPUID kernel module: The information does not
                         seem to be reliable on all combinations of CPU type
                         and kernel version.  Typically, it is necessary to be
                         root.
   -r,      --raw        display raw hex information with no decoding
   -v,      --version    display cpuid version

`;

export function setGuestHypervisorHidden(fs: LabFs, hidden: boolean): void {
  fs.writeFile(GUEST_STATE, `${JSON.stringify({ hypervisorHidden: hidden }, null, 2)}\n`);
}

export function guestHypervisorHidden(fs: LabFs): boolean {
  try {
    return (JSON.parse(fs.readFile(GUEST_STATE) ?? '{}') as { hypervisorHidden?: boolean }).hypervisorHidden === true;
  } catch {
    return false;
  }
}

export const cpuid: Tool = (inv): ToolResult => {
  const p = getopt(inv.argv.slice(1), '1f:l:s:hHikrv', { 'one-cpu': false, file: true, leaf: true, subleaf: true, help: false, inst: false, kernel: false, raw: false, version: false });
  if (p.error) {
    const msg = p.error.kind === 'invalid' ? `cpuid: unrecognized option letter: ${p.error.option}` : p.error.kind === 'missing' ? `cpuid: option requires an argument: ${p.error.option}` : `cpuid: unrecognized option: ${p.error.option}`;
    return fail(1, `${msg}\n${USAGE}`);
  }
  if (p.args.length) return fail(1, `cpuid: unexpected argument: ${p.args[0]}\n${USAGE}`);
  let one = false;
  for (const [o] of p.opts) {
    if (o === 'h' || o === 'H' || o === 'help') return ok(USAGE);
    if (o === 'v' || o === 'version') return ok('cpuid version 20230120\n');
    if (o === '1' || o === 'one-cpu') one = true;
    if (['f', 'file', 'l', 'leaf', 's', 'subleaf', 'r', 'raw'].includes(o)) return fail(1, `cpuid: option ${o.length === 1 ? `-${o}` : `--${o}`} is not modelled by the passthru lab\n`);
  }
  let body = CPUID_KVM_GUEST_BODY;
  if (guestHypervisorHidden(inv.fs)) {
    body = body.replace('hypervisor_id (0x40000000) = "KVMKVMKVM\\0\\0\\0"', 'hypervisor_id (0x40000000) = "\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0"');
  }
  if (one) return ok(`CPU:\n${body}`);
  const n = Math.max(1, inv.host.spec.cpu.cores);
  let out = '';
  for (let i = 0; i < n; i++) out += `CPU ${i}:\n${body}`;
  return ok(out);
};
