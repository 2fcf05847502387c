// Python's shlex.split(s, comments=..., posix=True), as Ansible's INI reader
// uses it for host lines and as the ssh connection uses it for
// ansible_ssh_common_args / ansible_ssh_extra_args.

const WHITESPACE = ' \t\r\n';

export class ShlexError extends Error {}

/**
 * Split like Python's `shlex.split(text, comments)` in POSIX mode:
 * whitespace separates words, '…' keeps everything, "…" lets \" and \\ be
 * escaped, a backslash outside quotes escapes the next character, and with
 * `comments` a `#` anywhere outside quotes ends the line (even mid-word).
 */
export function shlexSplit(text: string, comments = false): string[] {
  const out: string[] = [];
  let token = '';
  let quoted = false;
  // ' ' between words, 'a' in a word, '"' or "'" in quotes, '\\' after an escape
  let state: ' ' | 'a' | '"' | "'" | '\\' = ' ';
  let escapedState: ' ' | 'a' | '"' | "'" = 'a';
  const emit = (): void => {
    if (token !== '' || quoted) out.push(token);
    token = '';
    quoted = false;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (state === ' ' || state === 'a') {
      if (WHITESPACE.includes(c)) {
        if (state === 'a') emit();
        state = ' ';
      } else if (comments && c === '#') {
        // the rest of the line is a comment
        const nl = text.indexOf('\n', i);
        if (state === 'a') emit();
        state = ' ';
        if (nl < 0) break;
        i = nl;
      } else if (c === '\\') {
        escapedState = 'a';
        state = '\\';
      } else if (c === '"' || c === "'") {
        state = c;
      } else {
        token += c;
        state = 'a';
      }
    } else if (state === '"' || state === "'") {
      quoted = true;
      if (c === state) {
        state = 'a';
      } else if (state === '"' && c === '\\') {
        escapedState = '"';
        state = '\\';
      } else {
        token += c;
      }
    } else {
      // after a backslash: inside "…" only \" and \\ are escapes
      if (escapedState === '"' && c !== '"' && c !== '\\') token += '\\';
      token += c;
      state = escapedState;
    }
  }
  if (state === '"' || state === "'") throw new ShlexError('No closing quotation');
  if (state === '\\') throw new ShlexError('No escaped character');
  if (state === 'a') emit();
  return out;
}
