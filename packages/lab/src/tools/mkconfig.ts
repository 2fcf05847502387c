// grub-mkconfig / update-grub (Debian, Ubuntu) and grub2-mkconfig (EL):
// evaluate /etc/default/grub (and on Debian-family /etc/default/grub.d/*.cfg)
// and write the config to -o FILE, whatever file that is: writing a file the
// firmware does not read changes nothing at the next boot, as on real hosts.
// EL8: also sets kernelopts in grubenv (what BLS entries with $kernelopts
// use). EL9 (9.3+): leaves the BLS options lines alone unless
// --update-bls-cmdline, and refuses to overwrite the UEFI stub.

import { posix } from 'node:path';
import type { Tool, ToolInvocation, ToolResult } from '../types.ts';
import { distroInfo } from '../distro.ts';
import {
  blsEntries,
  bootFiles,
  cmdlineArgs,
  installedKernels,
  readGrubDefaults,
  readGrubenv,
  renderBlsGrubCfg,
  renderDebianGrubCfg,
  renderEl7GrubCfg,
  rootDevice,
  setBlsField,
  writeGrubenv,
} from '../grub.ts';
import { machineId } from '../ids.ts';
import { ShellSyntaxError } from '../shellvars.ts';
import { fail, getopt, isRoot, notFound, ok } from './util.ts';

interface Parsed {
  output?: string | undefined;
  updateBls: boolean;
  noGrubenv: boolean;
  error?: ToolResult;
}

function parse(inv: ToolInvocation, self: string, el: boolean): Parsed {
  const longs: Record<string, boolean> = { output: true, help: false, version: false };
  if (el) {
    longs['update-bls-cmdline'] = false;
    longs['no-grubenv-update'] = false;
  }
  const p = getopt(inv.argv.slice(1), 'o:hV', longs);
  const usage = `Usage: ${self} [OPTION]\nGenerate a grub config file\n\n  -o, --output=FILE       output generated config to FILE [default=stdout]\n${el ? '  --no-grubenv-update     do not update variables in the grubenv file\n  --update-bls-cmdline    overwrite BLS cmdline args with default args\n' : ''}  -h, --help              print this message and exit\n  -V, --version           print the version information and exit\n\nReport bugs to <bug-grub@gnu.org>.\n`;
  if (p.error) {
    const opt = p.error.kind === 'invalid' ? `-${p.error.option}` : p.error.option;
    return { updateBls: false, noGrubenv: false, error: fail(1, `${self}: Unrecognized option \`${opt}'\n${usage}`) };
  }
  if (p.args.length) return { updateBls: false, noGrubenv: false, error: fail(1, `${self}: Unrecognized option \`${p.args[0]}'\n${usage}`) };
  const out: Parsed = { updateBls: false, noGrubenv: false };
  for (const [o, v] of p.opts) {
    if (o === 'o' || o === 'output') out.output = v;
    else if (o === 'h' || o === 'help') return { ...out, error: ok(usage) };
    else if (o === 'V' || o === 'version') return { ...out, error: ok(`${self} (GRUB) 2.06\n`) };
    else if (o === 'update-bls-cmdline') out.updateBls = true;
    else if (o === 'no-grubenv-update') out.noGrubenv = true;
  }
  return out;
}

function writeOutput(inv: ToolInvocation, self: string, output: string | undefined, text: string, dash: boolean): ToolResult | undefined {
  if (output === undefined) return undefined;
  const dir = posix.dirname(output);
  if (!inv.fs.isDirectory(dir)) {
    return fail(2, dash ? `/usr/sbin/${self}: 1: cannot create ${output}.new: Directory nonexistent\n` : `/usr/sbin/${self}: line 276: ${output}.new: No such file or directory\n`);
  }
  inv.fs.writeFile(output, text, dash ? { mode: 0o444 } : {});
  return undefined;
}

function mkconfigDebian(inv: ToolInvocation, self: string, argv0Output?: string): ToolResult {
  const spec = inv.host.spec;
  const d = distroInfo(spec.distro);
  const parsed = parse(inv, self, false);
  if (parsed.error) return parsed.error;
  const output = argv0Output ?? parsed.output;
  if (!isRoot(inv)) return fail(1, `${self}: You must run this as root\n`);
  let err = '';
  let defaults;
  try {
    defaults = readGrubDefaults(inv.fs, spec);
  } catch (e) {
    if (e instanceof ShellSyntaxError) return fail(2, e.dashMessage(`/usr/sbin/${self}`));
    throw e;
  }
  if (d.distro.startsWith('ubuntu')) for (const f of defaults.sourced) err += `Sourcing file \`${f}'\n`;
  err += 'Generating grub configuration file ...\n';
  const kernels = installedKernels(inv.fs);
  for (const k of kernels) err += `Found linux image: /boot/vmlinuz-${k}\nFound initrd image: /boot/initrd.img-${k}\n`;
  if ((defaults.vars.get('GRUB_DISABLE_OS_PROBER') ?? 'true') !== 'false') {
    err += 'Warning: os-prober will not be executed to detect other bootable partitions.\nSystems on them will not be added to the GRUB boot configuration.\nCheck GRUB_DISABLE_OS_PROBER documentation entry.\n';
  }
  if (spec.bootMode === 'uefi') err += 'Adding boot menu entry for UEFI Firmware Settings ...\n';
  const text = renderDebianGrubCfg(spec, defaults.vars, kernels);
  const r = writeOutput(inv, self, output, text, true);
  if (r) return { ...r, stderr: err + r.stderr };
  err += 'done\n';
  return output === undefined ? ok(text, err) : ok('', err);
}

export const grubMkconfig: Tool = (inv) => {
  if (distroInfo(inv.host.spec.distro).family !== 'debian') return notFound('grub-mkconfig');
  return mkconfigDebian(inv, 'grub-mkconfig');
};

export const updateGrub: Tool = (inv) => {
  if (distroInfo(inv.host.spec.distro).family !== 'debian') return notFound('update-grub');
  // update-grub is `exec grub-mkconfig -o /boot/grub/grub.cfg "$@"`
  return mkconfigDebian({ ...inv, argv: ['grub-mkconfig', ...inv.argv.slice(1)] }, 'grub-mkconfig', '/boot/grub/grub.cfg');
};

export const grub2Mkconfig: Tool = (inv): ToolResult => {
  const spec = inv.host.spec;
  const d = distroInfo(spec.distro);
  if (d.family !== 'el') return notFound('grub2-mkconfig');
  const self = 'grub2-mkconfig';
  const parsed = parse(inv, self, true);
  if (parsed.error) return parsed.error;
  const output = parsed.output === '/etc/grub2.cfg' ? '/boot/grub2/grub.cfg' : parsed.output === '/etc/grub2-efi.cfg' ? bootFiles(spec).firmwareCfg : parsed.output;
  if (!isRoot(inv)) return fail(1, `${self}: You must run this as root\n`);
  // RHEL 9: the EFI grub.cfg is a wrapper that must stay one
  if (d.layout === 'el9-bls' && output && /^\/boot\/efi\/EFI\/[^/]+\/grub\.cfg$/.test(output) && /^\s*configfile\s/m.test(inv.fs.readFile(output) ?? '')) {
    return fail(
      1,
      `Running \`grub2-mkconfig -o ${output}' will overwrite the GRUB wrapper.\nPlease run \`grub2-mkconfig -o /boot/grub2/grub.cfg' instead to update grub.cfg.\nGRUB configuration file was not updated.\n`,
    );
  }
  let defaults;
  try {
    defaults = readGrubDefaults(inv.fs, spec);
  } catch (e) {
    if (e instanceof ShellSyntaxError) return fail(1, e.bashMessage());
    throw e;
  }
  let err = 'Generating grub configuration file ...\n';
  let text: string;
  if (d.layout === 'el7') {
    const kernels = installedKernels(inv.fs);
    const mid = machineId(spec);
    for (const k of [...kernels, `0-rescue-${mid}`]) err += `Found linux image: /boot/vmlinuz-${k}\nFound initrd image: /boot/initramfs-${k}.img\n`;
    text = renderEl7GrubCfg(spec, defaults.vars, kernels);
  } else {
    text = renderBlsGrubCfg(spec, defaults.vars);
    const opts = `root=${rootDevice(spec)} ro ${cmdlineArgs(defaults.vars)}`;
    if (d.layout === 'el8-bls' && !parsed.noGrubenv) {
      const env = readGrubenv(inv.fs, spec);
      env.set('kernelopts', opts);
      writeGrubenv(inv.fs, spec, env);
    }
    if (d.layout === 'el9-bls' && parsed.updateBls) {
      const words = opts.split(/\s+/).filter(Boolean).join(' ');
      for (const e of blsEntries(inv.fs)) inv.fs.writeFile(e.file, setBlsField(inv.fs.readFile(e.file) ?? '', 'options', words));
      inv.fs.writeFile('/etc/kernel/cmdline', `${words}\n`);
    }
    if (spec.bootMode === 'uefi') err += 'Adding boot menu entry for UEFI Firmware Settings ...\n';
  }
  const r = writeOutput(inv, self, output, text, false);
  if (r) return { ...r, stderr: err + r.stderr };
  err += 'done\n';
  return output === undefined ? ok(text, err) : ok('', err);
};
