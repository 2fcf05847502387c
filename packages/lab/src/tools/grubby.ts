// grubby. EL8/EL9: the grubby-bls wrapper (rhboot/grubby's grubby-bls
// script), same option handling, same output, same quirks (--update-kernel=ALL
// also sets kernelopts in grubenv; a non-root caller's grub2-editenv error
// does not change the exit status). EL7: the C grubby, which edits the
// linux16/linuxefi lines of the grub.cfg the firmware reads
// (/etc/grub2.cfg or, on UEFI, /etc/grub2-efi.cfg).

import type { Tool, ToolInvocation, ToolResult } from '../types.ts';
import { distroInfo } from '../distro.ts';
import { BLS_DIR, blsEntries, bootFiles, parseGrubenv, readGrubenv, setBlsField, writeGrubenv, type BlsEntry } from '../grub.ts';
import { fail, getopt, isRoot, notFound, ok } from './util.ts';

const LONGS: Record<string, boolean> = {
  help: false,
  'add-kernel': true,
  args: true,
  'bad-image-okay': false,
  'config-file': true,
  'copy-default': false,
  'default-kernel': false,
  'default-index': false,
  'default-title': false,
  env: true,
  grub2: false,
  info: true,
  initrd: true,
  'extra-initrd': true,
  'make-default': false,
  'remove-args': true,
  'remove-kernel': true,
  'set-default': true,
  'set-default-index': true,
  title: true,
  'update-kernel': true,
  zipl: false,
  'bls-directory': true,
};

/** grubby-bls update_args(): remove, then replace same-key args, then append */
export function updateArgs(args: string, remove: string, add: string): string {
  let a = ` ${args.split(/\s+/).filter(Boolean).join(' ')} `;
  const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  for (const arg of remove.split(/\s+/).filter(Boolean)) {
    if (arg.includes('=')) a = a.replace(new RegExp(`(^|\\s)${esc(arg)}(\\s|$)`), ' ');
    else a = a.replace(new RegExp(`(^|\\s)${esc(arg)}((?=\\s|$)|(=[^ ]*))`, 'g'), ' ');
  }
  const adds = add.split(/\s+/).filter(Boolean);
  for (const arg of adds) {
    const key = arg.includes('=') ? arg.slice(0, arg.lastIndexOf('=')) : arg;
    a = a.replace(new RegExp(`(^|\\s)${esc(key)}((?=\\s|$)|(=[^ ]*))`, 'g'), ' ');
  }
  for (const arg of adds) a += ` ${arg}`;
  return a.split(/\s+/).filter(Boolean).join(' ');
}

const USAGE = `Usage: grubby [OPTION...]
      --add-kernel=kernel-path            add an entry for the specified kernel
      --args=args                         default arguments for the new kernel or new arguments for kernel being updated)
      --bad-image-okay                    don't sanity check images in boot entries (for testing only)
  -c, --config-file=path                  path to grub config file to update ("-" for stdin)
      --copy-default                      use the default boot entry as a template for the new entry being added; if the default is not a linux image, or if the kernel referenced by the default image does not exist, the
                                          first linux entry whose kernel does exist is used as the template
      --default-kernel                    display the path of the default kernel
      --default-index                     display the index of the default kernel
      --default-title                     display the title of the default kernel
      --env=path                          path for environment data
      --grub2                             configure grub2 bootloader
      --info=kernel-path                  display boot information for specified kernel
      --initrd=initrd-path                initrd image for the new kernel
  -i, --extra-initrd=initrd-path          auxiliary initrd image for things other than the new kernel
      --make-default                      make the newly added entry the default boot entry
      --remove-args=STRING                remove kernel arguments
      --remove-kernel=kernel-path         remove all entries for the specified kernel
      --set-default=kernel-path           make the first entry referencing the specified kernel the default
      --set-default-index=entry-index     make the given entry index the default entry
      --title=entry-title                 title to use for the new kernel entry
      --update-kernel=kernel-path         updated information for the specified kernel
      --zipl                              configure zipl bootloader
  -b, --bls-directory                     path to directory containing the BootLoaderSpec fragment files

Help options:
  -?, --help                              Show this help message

`;

interface Opts {
  args?: string | undefined;
  removeArgs?: string | undefined;
  info?: string | undefined;
  update?: string | undefined;
  setDefault?: string | undefined;
  display?: 'kernel' | 'index' | 'title' | undefined;
}

function parseOpts(inv: ToolInvocation): Opts | ToolResult {
  if (inv.argv.length <= 1) return fail(1, 'no action specified\n');
  const p = getopt(inv.argv.slice(1), 'c:i:b:?', LONGS);
  if (p.error) {
    if (p.error.kind === 'missing') return fail(1, `grubby: option '--${p.error.option}' requires an argument\n`);
    if (p.error.kind === 'invalid') return fail(1, `grubby: invalid option -- '${p.error.option}'\n`);
    return fail(1, `grubby: unrecognized option '${p.error.option}'\n`);
  }
  const o: Opts = {};
  for (const [k, v] of p.opts) {
    if (k === 'help' || k === '?') return ok(USAGE);
    if (k === 'args') o.args = v;
    else if (k === 'remove-args') o.removeArgs = v;
    else if (k === 'info') o.info = v;
    else if (k === 'update-kernel') o.update = v;
    else if (k === 'set-default' || k === 'set-default-index') o.setDefault = v;
    else if (k === 'default-kernel') o.display = 'kernel';
    else if (k === 'default-index') o.display = 'index';
    else if (k === 'default-title') o.display = 'title';
    else if (k !== 'grub2') return fail(1, `grubby: option --${k} is not modelled by the passthru lab\n`);
  }
  if (!o.update && (o.args !== undefined || o.removeArgs !== undefined)) return fail(1, 'no action specified\n');
  return o;
}

// ------------------------------------------------------------------ EL8/EL9: grubby-bls

function expandVars(options: string, env: Map<string, string>): string {
  return options
    .split(/\s+/)
    .filter(Boolean)
    .map((w) => {
      if (!w.startsWith('$')) return w;
      const v = env.get(w.slice(1));
      return v ? v : w;
    })
    .join(' ')
    .split(/\s+/)
    .filter(Boolean)
    .join(' ');
}

function blsGrubby(inv: ToolInvocation, o: Opts): ToolResult {
  const spec = inv.host.spec;
  const root = isRoot(inv);
  // /boot/loader/entries is 0700 root: a non-root caller sees no entries
  const entries: BlsEntry[] = root ? blsEntries(inv.fs) : [];
  const envPath = bootFiles(spec).grubenv;
  const env = root || !envPath.startsWith('/boot/grub2') ? readGrubenv(inv.fs, spec) : parseGrubenv(undefined);
  const prefix = '/boot';
  const saved = env.get('saved_entry') ?? '';
  let defaultIndex = -1;
  const idx = saved === '' ? 0 : /^\d+$/.test(saved) ? Number(saved) : -1;
  entries.forEach((e, i) => {
    if (defaultIndex >= 0) return;
    if (i === idx || saved === e.id || saved === e.fields.get('title')) defaultIndex = i;
  });
  const toIndexes = (param: string): number[] => {
    if (param === 'ALL') return entries.map((_, i) => i);
    if (param === 'DEFAULT') return defaultIndex >= 0 ? [defaultIndex] : [];
    const out: number[] = [];
    entries.forEach((e, i) => {
      const linux = e.fields.get('linux') ?? '';
      if (param === linux || `/${param.split('/').pop()}` === linux) out.push(i);
      if (param === `TITLE=${e.fields.get('title')}`) out.push(i);
      if (param === String(i)) out.push(i);
    });
    return out.length ? out : [-1];
  };
  const argsOf = (e: BlsEntry): string => expandVars(e.fields.get('options') ?? '', env);

  if (o.display) {
    const e = entries[defaultIndex];
    if (o.display === 'kernel') return ok(e ? `${prefix}${e.fields.get('linux') ?? ''}\n` : `${prefix}\n`);
    if (o.display === 'index') return ok(defaultIndex >= 0 ? `${defaultIndex}\n` : '\n');
    return ok(e ? `${e.fields.get('title') ?? ''}\n` : '\n');
  }
  if (o.info !== undefined) {
    const ids = toIndexes(o.info);
    if (ids[0] === -1) return fail(1, `The param ${o.info} is incorrect\n`);
    let out = '';
    for (const i of ids) {
      const e = entries[i];
      if (!e) continue;
      let args = argsOf(e);
      let rootArg = '';
      const m = /(^|\s)root=(\S+)\s*/.exec(args);
      if (m) {
        rootArg = m[2] as string;
        args = args.replace(`root=${rootArg}`, '').split(/\s+/).filter(Boolean).join(' ');
      }
      out += `index=${i}\nkernel="${prefix}${e.fields.get('linux') ?? ''}"\nargs="${args}"\n`;
      if (rootArg) out += `root="${rootArg}"\n`;
      out += `initrd="${prefix}${e.fields.get('initrd') ?? ''}"\ntitle="${e.fields.get('title') ?? ''}"\nid="${e.id}"\n`;
    }
    return ok(out);
  }
  let stderr = '';
  if (o.update !== undefined) {
    const ids = toIndexes(o.update);
    if (ids[0] === -1) return fail(1, `The param ${prefix}${o.update} is incorrect\n`);
    const remove = o.removeArgs ?? '';
    const add = o.args ?? '';
    let opts = env.get('kernelopts') ?? '';
    if (remove || add) {
      if (!root) {
        stderr += `grub2-editenv: error: cannot open \`${envPath}.new': Permission denied.\n`;
      } else if (o.update === 'ALL') {
        opts = updateArgs(opts, remove, add);
        env.set('kernelopts', opts);
        writeGrubenv(inv.fs, spec, env);
      }
    }
    for (const i of ids) {
      const e = entries[i];
      if (!e || !(remove || add)) continue;
      const hasKernelopts = (e.fields.get('options') ?? '').split(/\s+/).includes('$kernelopts');
      const newArgs = updateArgs(argsOf(e), remove, add);
      let text = inv.fs.readFile(e.file) ?? '';
      if (o.update !== 'ALL' || !hasKernelopts) text = setBlsField(text, 'options', newArgs);
      if (!hasKernelopts && opts === newArgs) text = setBlsField(text, 'options', '$kernelopts');
      inv.fs.writeFile(e.file, text);
    }
  }
  if (o.setDefault !== undefined) {
    const ids = toIndexes(o.setDefault);
    const i = ids[0] ?? -1;
    if (i === -1) return fail(1, `${stderr}The param ${o.setDefault} is incorrect\n`);
    const e = entries[i];
    if (e && root) {
      env.set('saved_entry', e.id);
      writeGrubenv(inv.fs, spec, env);
      stderr += `The default is ${BLS_DIR}/${e.id}.conf with index ${i} and kernel ${prefix}${e.fields.get('linux') ?? ''}\n`;
    }
  }
  return ok('', stderr);
}

// ------------------------------------------------------------------ EL7: C grubby on grub.cfg

interface CfgEntry {
  title: string;
  lineIndex: number;
  image: string;
  args: string;
  initrd: string;
}

function cfgEntries(lines: string[]): CfgEntry[] {
  const out: CfgEntry[] = [];
  let title: string | undefined;
  let cur: Partial<CfgEntry> = {};
  lines.forEach((line, i) => {
    const m = /^menuentry '([^']*)'/.exec(line);
    if (m) {
      title = m[1] ?? '';
      cur = { title };
      return;
    }
    const l = /^\s*(linux16|linuxefi|linux)\s+(\S+)\s*(.*)$/.exec(line);
    if (l && title !== undefined) {
      cur.lineIndex = i;
      cur.image = l[2] ?? '';
      cur.args = l[3] ?? '';
    }
    const r = /^\s*(initrd16|initrdefi|initrd)\s+(\S+)/.exec(line);
    if (r && title !== undefined) cur.initrd = r[2] ?? '';
    if (/^}\s*$/.test(line) && title !== undefined) {
      if (cur.image !== undefined) out.push(cur as CfgEntry);
      title = undefined;
    }
  });
  return out;
}

function el7Grubby(inv: ToolInvocation, o: Opts): ToolResult {
  const spec = inv.host.spec;
  const cfgPath = bootFiles(spec).firmwareCfg;
  if (!isRoot(inv) && spec.bootMode === 'uefi') return fail(1, `grubby: Unable to open ${cfgPath}: Permission denied\n`);
  const text = inv.fs.readFile(cfgPath);
  if (text === undefined) return fail(1, `grubby: Unable to open ${cfgPath}: No such file or directory\n`);
  const lines = text.split('\n');
  const entries = cfgEntries(lines);
  const env = readGrubenv(inv.fs, spec);
  const saved = env.get('saved_entry');
  let def = entries.findIndex((e) => e.title === saved);
  if (def < 0) def = 0;
  const toIndexes = (param: string): number[] => {
    if (param === 'ALL') return entries.map((_, i) => i);
    if (param === 'DEFAULT') return [def];
    const out: number[] = [];
    entries.forEach((e, i) => {
      if (`/boot${e.image}` === param || e.image === param || String(i) === param) out.push(i);
    });
    return out;
  };
  if (o.display) {
    const e = entries[def];
    if (o.display === 'kernel') return ok(e ? `/boot${e.image}\n` : '');
    if (o.display === 'index') return ok(`${def}\n`);
    return ok(e ? `${e.title}\n` : '');
  }
  if (o.info !== undefined) {
    const ids = toIndexes(o.info);
    if (!ids.length) return fail(1, 'grubby: kernel not found\n');
    let out = '';
    for (const i of ids) {
      const e = entries[i] as CfgEntry;
      const words = e.args.split(/\s+/).filter(Boolean);
      const rootArg = words.find((w) => w.startsWith('root='));
      const args = words.filter((w) => w !== rootArg).join(' ');
      out += `index=${i}\nkernel=/boot${e.image}\nargs="${args}"\n${rootArg ? `root=${rootArg.slice(5)}\n` : ''}initrd=/boot${e.initrd}\ntitle=${e.title}\n`;
    }
    return ok(out);
  }
  if (o.update !== undefined) {
    if (!isRoot(inv)) return fail(1, `grubby: error writing ${cfgPath}-: Permission denied\n`);
    const ids = toIndexes(o.update);
    if (!ids.length) return fail(1, 'grubby: kernel not found\n');
    for (const i of ids) {
      const e = entries[i] as CfgEntry;
      const line = lines[e.lineIndex] ?? '';
      const m = /^(\s*(?:linux16|linuxefi|linux)\s+\S+)\s*(.*)$/.exec(line);
      if (!m) continue;
      lines[e.lineIndex] = `${m[1]} ${updateArgs(m[2] ?? '', o.removeArgs ?? '', o.args ?? '')}`;
    }
    inv.fs.writeFile(cfgPath, lines.join('\n'));
  }
  return ok();
}

export const grubby: Tool = (inv): ToolResult => {
  const d = distroInfo(inv.host.spec.distro);
  if (d.family !== 'el') return notFound('grubby');
  const o = parseOpts(inv);
  if ('exitCode' in o) return o;
  return d.layout === 'el7' ? el7Grubby(inv, o) : blsGrubby(inv, o);
};
