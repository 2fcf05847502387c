// How wide a line is on a terminal, and cutting it to a width: ANSI color
// codes take no column, East Asian wide characters take two, combining marks
// none, control characters are shown as spaces.

// eslint-disable-next-line no-control-regex
const ANSI_AT = /^\u001b\[[0-9;?]*[A-Za-z]/;

function charWidth(cp: number): number {
  if (cp < 32 || (cp >= 0x7f && cp < 0xa0)) return 1; // shown as a space by clean()
  if ((cp >= 0x300 && cp <= 0x36f) || (cp >= 0x200b && cp <= 0x200f) || (cp >= 0xfe00 && cp <= 0xfe0f)) return 0;
  if (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1faff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  ) {
    return 2;
  }
  return 1;
}

/** Control characters (tabs, carriage returns, escapes that are not colors) as spaces: one line, one column each. */
export function clean(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;?]*[A-Za-z]|[\u0000-\u001f\u007f-\u009f]/g, (m) => (m.length > 1 && m.startsWith('\u001b[') && m.endsWith('m') ? m : ' '));
}

/** Columns the text takes on a terminal. */
export function visibleWidth(text: string): number {
  let w = 0;
  let i = 0;
  while (i < text.length) {
    if (text[i] === '\u001b') {
      const m = ANSI_AT.exec(text.slice(i, i + 16));
      if (m) {
        i += m[0].length;
        continue;
      }
    }
    const cp = text.codePointAt(i) ?? 32;
    w += charWidth(cp);
    i += cp > 0xffff ? 2 : 1;
  }
  return w;
}

/** The text cut to `width` columns, ending in `…` when it was cut; colors are closed. */
export function fit(text: string, width: number): string {
  if (width <= 0) return '';
  if (visibleWidth(text) <= width) return text;
  let out = '';
  let w = 0;
  let i = 0;
  let colored = false;
  while (i < text.length) {
    if (text[i] === '\u001b') {
      const m = ANSI_AT.exec(text.slice(i, i + 16));
      if (m) {
        out += m[0];
        colored = true;
        i += m[0].length;
        continue;
      }
    }
    const cp = text.codePointAt(i) ?? 32;
    const cw = charWidth(cp);
    if (w + cw > width - 1) break;
    out += String.fromCodePoint(cp);
    w += cw;
    i += cp > 0xffff ? 2 : 1;
  }
  return `${out}…${colored ? '\u001b[0m' : ''}`;
}
