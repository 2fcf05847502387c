// reboot and shutdown -r: ask the lab to reboot the host once the calling
// command returns (the connection drops). Nothing is printed, as with
// systemd's reboot. A non-root caller is refused the way logind refuses it.

import type { Tool, ToolResult } from '../types.ts';
import { distroInfo } from '../distro.ts';
import { fail, getopt, isRoot, ok } from './util.ts';

function refused(systemd: number): ToolResult {
  return fail(
    1,
    systemd >= 249
      ? 'Failed to set wall message, ignoring: Interactive authentication required.\nCall to Reboot failed: Interactive authentication required.\n'
      : 'Failed to set wall message, ignoring: Interactive authentication required.\nFailed to reboot system via logind: Interactive authentication required.\nFailed to start reboot.target: Interactive authentication required.\nSee system logs and \'systemctl status reboot.target\' for details.\n',
  );
}

export const reboot: Tool = (inv): ToolResult => {
  const p = getopt(inv.argv.slice(1), 'fwdnp', { force: false, wtmp_only: false, 'wtmp-only': false, 'no-wtmp': false, 'no-wall': false, help: false, reboot: false });
  if (p.error) return fail(1, `reboot: ${p.error.kind === 'invalid' ? `invalid option -- '${p.error.option}'` : `unrecognized option '${p.error.option}'`}\n`);
  if (p.opts.some(([o]) => o === 'help')) return ok('reboot [OPTIONS...] [ARG]\n\nReboot the system.\n');
  if (p.opts.some(([o]) => o === 'w' || o === 'wtmp-only' || o === 'wtmp_only')) return ok();
  if (!isRoot(inv)) return refused(distroInfo(inv.host.spec.distro).systemd);
  inv.host.requestReboot();
  return ok();
};

export const shutdown: Tool = (inv): ToolResult => {
  const p = getopt(inv.argv.slice(1), 'HPrhkc', { help: false, halt: false, poweroff: false, reboot: false, 'no-wall': false });
  if (p.error) return fail(1, `shutdown: ${p.error.kind === 'invalid' ? `invalid option -- '${p.error.option}'` : `unrecognized option '${p.error.option}'`}\n`);
  const flags = new Set(p.opts.map(([o]) => o));
  if (flags.has('help')) return ok('shutdown [OPTIONS...] [TIME] [WALL...]\n\nShut down the system.\n');
  const when = p.args[0] ?? '+1';
  if (!flags.has('r') && !flags.has('reboot')) {
    return fail(1, 'shutdown: the passthru lab only models reboots (shutdown -r now)\n');
  }
  if (when !== 'now' && when !== '+0' && when !== '0') {
    return fail(1, `shutdown: scheduled reboots ("${when}") are not modelled by the passthru lab; use "shutdown -r now"\n`);
  }
  if (!isRoot(inv)) return refused(distroInfo(inv.host.spec.distro).systemd);
  inv.host.requestReboot();
  return ok();
};
