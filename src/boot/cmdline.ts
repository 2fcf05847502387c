// Kernel command lines as a SET of words.
//
// Words are split the way the kernel splits its command line
// (lib/cmdline.c next_arg): on spaces outside double quotes; `key="a b"` is
// one word. Editing keeps every existing word, its order and the spacing
// between words; it adds what is missing, never duplicates, and replaces
// conflicting values in place (`intel_iommu=off` -> `intel_iommu=on`).

export interface CmdlineWord {
  /** the word as written, quotes included */
  text: string;
  /** the part before the first `=` (the whole word for a flag) */
  key: string;
  /** the part after the first `=`, quotes removed; undefined for a flag */
  value: string | undefined;
  start: number;
  end: number;
}

/**
 * Parameters whose value is a comma list of options, and which of those
 * options exclude each other. Sources: the kernel's
 * Documentation/admin-guide/kernel-parameters.txt ("intel_iommu=
 * [DMAR] Intel IOMMU driver (DMAR) option: on, off, igfx_off, forcedac,
 * strict, sm_on, sm_off, tboot_noforce" - parsed as a comma list by
 * drivers/iommu/intel/iommu.c intel_iommu_setup; "amd_iommu= [HW,X86-64]
 * fullflush, force_enable, force_isolation, off, pgtbl_v1, pgtbl_v2 ..."
 * parsed by drivers/iommu/amd/init.c parse_amd_iommu_options; "iommu=
 * [X86] off, force, noforce, ..., pt, nopt, ..." parsed as a comma list by
 * arch/x86/kernel/pci-dma.c iommu_setup).
 */
const LIST_PARAMS: Record<string, { exclusive: string[][] }> = {
  intel_iommu: { exclusive: [['on', 'off']] },
  amd_iommu: { exclusive: [['off', 'force_enable']] },
  iommu: { exclusive: [['pt', 'nopt'], ['on', 'off'], ['force', 'noforce']] },
};

/** What /\s/ matches (JavaScript's white space and line terminators), by UTF-16 code unit: no regex per character. */
function isSpace(c: number): boolean {
  if (c < 128) return c === 32 || (c >= 9 && c <= 13);
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

const QUOTE = 34; // "

/** Split a kernel command line (or a GRUB_CMDLINE_LINUX value) into words. */
export function splitCmdline(line: string): CmdlineWord[] {
  const words: CmdlineWord[] = [];
  const n = line.length;
  let i = 0;
  while (i < n) {
    while (i < n && isSpace(line.charCodeAt(i))) i++;
    if (i >= n) break;
    const start = i;
    let inQuote = false;
    while (i < n) {
      const c = line.charCodeAt(i);
      if (!inQuote && isSpace(c)) break;
      if (c === QUOTE) inQuote = !inQuote;
      i++;
    }
    const text = line.slice(start, i);
    const kv = keyValue(text);
    words.push({ key: kv.key, value: kv.value, text, start, end: i });
  }
  return words;
}

function keyValue(text: string): { key: string; value: string | undefined } {
  // the kernel strips the quotes around a value (or around the whole word)
  const eq = text.indexOf('=');
  if (eq < 0) return { key: text.replace(/"/g, ''), value: undefined };
  return { key: text.slice(0, eq).replace(/"/g, ''), value: text.slice(eq + 1).replace(/^"(.*)"$/, '$1') };
}

/** The words of a command line: the kernel's, and those after a `--`, which go to init. */
export function kernelAndInitWords(line: string): { kernel: CmdlineWord[]; init: CmdlineWord[] } {
  const words = splitCmdline(line);
  const dd = words.findIndex((w) => w.text === '--');
  return dd < 0 ? { kernel: words, init: [] } : { kernel: words.slice(0, dd), init: words.slice(dd + 1) };
}

/** The words of a command line after a `--` go to init, not to the kernel. */
export function kernelWords(line: string): CmdlineWord[] {
  return kernelAndInitWords(line).kernel;
}

/** Whether the effective value of `arg` (`key=value` or a flag) is set on this command line. */
export function hasKernelArg(line: string, arg: string): boolean {
  return kernelArgTest(line)(arg);
}

/** hasKernelArg for several arguments of one command line: the line is split once. */
export function kernelArgTest(line: string): (arg: string) => boolean {
  const words = kernelWords(line);
  return (arg) => satisfied(words, parseArg(arg));
}

interface Arg {
  key: string;
  value: string | undefined;
  text: string;
}

function parseArg(arg: string): Arg {
  const t = arg.trim();
  if (t === '' || /\s/.test(t.replace(/"[^"]*"/g, ''))) throw new Error(`not a single kernel argument: ${JSON.stringify(arg)}`);
  return { ...keyValue(t), text: t };
}

function listItems(value: string): string[] {
  return value.split(',').filter((s) => s !== '');
}

/** the effective options of a list parameter: later words override earlier ones */
function effectiveItems(words: CmdlineWord[], key: string): string[] {
  const rule = LIST_PARAMS[key];
  let items: string[] = [];
  for (const w of words) {
    if (w.key !== key || w.value === undefined) continue;
    for (const it of listItems(w.value)) {
      const group = rule?.exclusive.find((g) => g.includes(it));
      if (group) items = items.filter((x) => !group.includes(x));
      if (!items.includes(it)) items.push(it);
    }
  }
  return items;
}

function satisfied(words: CmdlineWord[], a: Arg): boolean {
  if (a.value === undefined) return words.some((w) => w.key === a.key && w.value === undefined);
  if (LIST_PARAMS[a.key]) {
    const eff = effectiveItems(words, a.key);
    return listItems(a.value).every((it) => eff.includes(it));
  }
  for (let i = words.length - 1; i >= 0; i--) {
    const w = words[i]!;
    if (w.key === a.key && w.value !== undefined) return w.value === a.value;
  }
  return false;
}

/**
 * Edit a command line as a set of words.
 *  - `add`: `key=value` or a flag. Present already: nothing. The key present
 *    with another value: that word is rewritten in place (for list
 *    parameters such as intel_iommu only the conflicting option is
 *    replaced: `intel_iommu=off,igfx_off` -> `intel_iommu=on,igfx_off`),
 *    and later words with the same key are dropped. Absent: appended.
 *  - `remove`: `key=value` removes that value (an option of a list
 *    parameter, or the exact word); a bare `key` removes every word with
 *    that key.
 * Returns `current` unchanged (the same string) when nothing is to do.
 */
export function editKernelArgs(current: string, add: readonly string[], remove: readonly string[]): string {
  const words = splitCmdline(current);
  const dd = words.findIndex((w) => w.text === '--');
  const limit = dd < 0 ? words.length : dd;
  // the working copy: text per word (undefined = removed)
  const texts: Array<string | undefined> = words.map((w) => w.text);
  const live = (): CmdlineWord[] =>
    words.slice(0, limit).flatMap((w, i) => (texts[i] === undefined ? [] : [{ ...w, ...keyValue(texts[i]!), text: texts[i]! }]));
  const appended: string[] = [];

  const addArgs = add.map(parseArg);
  const removeArgs = remove.map(parseArg);

  for (const a of addArgs) {
    const cur = live();
    const idx: number[] = [];
    for (let i = 0; i < limit; i++) {
      const t = texts[i];
      if (t !== undefined && keyValue(t).key === a.key) idx.push(i);
    }
    if (a.value === undefined) {
      // a flag: present is enough; `key=...` words do not make it present
      if (!cur.some((w) => w.key === a.key && w.value === undefined) && !appended.includes(a.text)) appended.push(a.text);
      continue;
    }
    const alreadyAppended = appended.some((t) => keyValue(t).key === a.key);
    if (idx.length === 0) {
      if (!alreadyAppended) appended.push(a.text);
      continue;
    }
    const rule = LIST_PARAMS[a.key];
    if (rule) {
      const groups = rule.exclusive.filter((g) => listItems(a.value!).some((w) => g.includes(w)));
      const mentionsGroup = (t: string): boolean =>
        listItems(keyValue(t).value ?? '').some((it) => groups.some((g) => g.includes(it)));
      if (satisfied(cur, a) && idx.filter((i) => mentionsGroup(texts[i]!)).length <= 1) continue;
      // merge every word of this key into the first one (a later option overrides
      // an earlier one of its group in place), then apply the wanted options
      let items: string[] = [];
      for (const i of idx) {
        for (const it of listItems(keyValue(texts[i]!).value ?? '')) {
          const group = rule.exclusive.find((g) => g.includes(it));
          const pos = group ? items.findIndex((x) => group.includes(x)) : -1;
          if (pos >= 0) items[pos] = it;
          else if (!items.includes(it)) items.push(it);
        }
      }
      for (const it of listItems(a.value)) {
        if (items.includes(it)) continue;
        const group = rule.exclusive.find((g) => g.includes(it));
        const pos = group ? items.findIndex((x) => group.includes(x)) : -1;
        if (pos >= 0) items[pos] = it;
        else items.unshift(it);
      }
      items = items.filter((x, k, arr) => arr.indexOf(x) === k);
      texts[idx[0]!] = `${a.key}=${items.join(',')}`;
      for (const i of idx.slice(1)) texts[i] = undefined;
      continue;
    }
    // plain key=value: one word, the wanted value, at the first position
    const first = idx[0]!;
    const onlyOne = idx.length === 1;
    if (onlyOne && keyValue(texts[first]!).value === a.value) continue;
    if (!onlyOne && idx.every((i) => keyValue(texts[i]!).value === a.value)) {
      // exact duplicates: keep the first
      for (const i of idx.slice(1)) texts[i] = undefined;
      continue;
    }
    texts[first] = a.text;
    for (const i of idx.slice(1)) texts[i] = undefined;
  }

  // removals after additions, so that a conflicting value is replaced in place first
  for (const r of removeArgs) {
    for (let i = 0; i < limit; i++) {
      const t = texts[i];
      if (t === undefined) continue;
      const w = keyValue(t);
      if (w.key !== r.key) continue;
      // never take out what `add` asks for
      if (addArgs.some((a) => a.key === r.key && (r.value === undefined || a.value === r.value))) continue;
      if (r.value === undefined) {
        texts[i] = undefined;
        continue;
      }
      if (w.value === undefined) continue;
      if (LIST_PARAMS[r.key]) {
        const drop = listItems(r.value);
        const items = listItems(w.value);
        const kept = items.filter((x) => !drop.includes(x));
        if (kept.length === items.length) continue;
        texts[i] = kept.length === 0 ? undefined : `${w.key}=${kept.join(',')}`;
      } else if (w.value === r.value) {
        texts[i] = undefined;
      }
    }
  }

  const changed = texts.some((t, i) => t !== words[i]!.text) || appended.length > 0;
  if (!changed) return current;

  // rebuild, keeping the spacing between the words that stay
  const leading = words.length > 0 ? current.slice(0, words[0]!.start) : '';
  const tail = words.length > 0 ? current.slice(words[words.length - 1]!.end) : current;
  let out = leading;
  let first = true;
  words.forEach((w, i) => {
    if (i === limit && appended.length > 0) {
      // kernel arguments go before the `--` that starts init's arguments
      out += (first ? '' : ' ') + appended.join(' ');
      appended.length = 0;
      first = false;
    }
    const t = texts[i];
    if (t === undefined) return;
    out += (first ? '' : i > 0 ? current.slice(words[i - 1]!.end, w.start) : ' ') + t;
    first = false;
  });
  if (appended.length > 0) out += (first ? '' : ' ') + appended.join(' ');
  return out + tail;
}

export type CpuVendor = 'intel' | 'amd';
/** Which IOMMU driver the host needs: the firmware's (ACPI DMAR: Intel VT-d, IVRS: AMD-Vi), else the CPU vendor's. */
export type IommuKind = 'intel' | 'amd';

export function iommuKind(firmware: 'intel' | 'amd' | 'none' | 'unknown', cpuVendor: CpuVendor | 'other'): IommuKind | undefined {
  if (firmware === 'intel' || firmware === 'amd') return firmware;
  return cpuVendor === 'other' ? undefined : cpuVendor;
}

/** Arguments that turn an IOMMU off, whichever it is: never what a passthrough host wants. */
export const IOMMU_OFF_ARGS = ['intel_iommu=off', 'amd_iommu=off', 'iommu=off'] as const;

/**
 * The kernel arguments that turn the IOMMU on for PCI passthrough, for the
 * IOMMU the firmware offers (not the CPU vendor's guess: an AMD CPU can sit
 * on an emulated Intel VT-d unit).
 * Intel VT-d: only enabled with `intel_iommu=on` (unless the kernel was
 * built with CONFIG_INTEL_IOMMU_DEFAULT_ON).
 * AMD-Vi: on by default when the firmware offers it; `amd_iommu=on` is not a
 * valid option, so nothing is added.
 * Every argument that turns an IOMMU off goes, whichever IOMMU it names
 * (`intel_iommu=off` on an AMD CPU with a DMAR unit is what keeps it off).
 * `iommu=pt` (identity mapping for host devices, commonly added for
 * passthrough hosts) when `passthroughMode`; it replaces `iommu=nopt`.
 * Source: Documentation/admin-guide/kernel-parameters.txt.
 */
export function requiredKernelArgs(kind: IommuKind, opts: { passthroughMode: boolean }): { add: string[]; remove: string[] } {
  const pt = opts.passthroughMode ? ['iommu=pt'] : [];
  return { add: kind === 'intel' ? ['intel_iommu=on', ...pt] : [...pt], remove: [...IOMMU_OFF_ARGS] };
}
