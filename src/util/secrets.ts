// Secrets never reach the terminal, a log or a report.
//
// Two mechanisms, used together:
//  1. masking by shape: `key = value` lines whose key looks secret
//     (password, secret, token, *_key, passphrase, credential), and the
//     password part of URLs (`mysql+pymysql://nova:PASS@db/nova`).
//  2. masking by value: every secret value passthru learns (become
//     passwords, -e values with secret-looking names, values read from
//     secret-looking keys of remote files) is registered once and replaced
//     wherever it appears, in any text.

export const MASK = '********';

// `pass` alone is a secret (ansible_ssh_pass), not the start of a word (passthrough_whitelist)
const SECRET_KEY = /(pass(word|wd|phrase)?s?(?![a-z])|secret|token|credential|(^|[_.-])key$|_key$|api[_-]?key|private)/i;

export function isSecretKey(key: string): boolean {
  const k = key.trim();
  // a path to a key file is not itself a secret
  if (/(_file|_path|_dir|_files)$/i.test(k)) return false;
  return SECRET_KEY.test(k);
}

// scheme://user:password@host -> scheme://user:********@host
const URL_PASSWORD = /([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)([^\s@/]+)(@)/gi;

// key = value, key: value, key="value", export KEY=value (one line at a time)
const KEY_VALUE = /^([+\- ]?\s*(?:export\s+)?)([A-Za-z0-9_.\-]+)(\s*[=:]\s*)(.*)$/;

export class SecretRegistry {
  private readonly values = new Set<string>();
  /** the values, longest first (made again after a new one is added) */
  private sorted: string[] | undefined;

  /** Remember a secret value so that it is masked wherever it appears. Short values (< 4 chars) are masked only by shape. */
  add(value: string | undefined | null): void {
    if (value === undefined || value === null) return;
    const v = String(value);
    if (v.length >= 4 && !this.values.has(v)) {
      this.values.add(v);
      this.sorted = undefined;
    }
  }

  /** Remember every secret a file holds: values of secret-looking keys and URL passwords. */
  addFromText(text: string): void {
    for (const line of text.split('\n')) {
      // a URL password needs "://", a key line "=" or ":": most lines (comments, sections) have neither
      if (line.includes('://')) for (const m of line.matchAll(URL_PASSWORD)) this.add(m[2]);
      const kv = KEY_VALUE.exec(line);
      if (kv && isSecretKey(kv[2] ?? '')) this.add(unquote((kv[4] ?? '').trim()));
    }
  }

  has(value: string): boolean {
    return this.values.has(value);
  }

  /** Mask registered values, URL passwords and secret-looking key=value lines. */
  mask(text: string): string {
    let out = text;
    // longest first, so that a value containing another is masked whole
    this.sorted ??= [...this.values].sort((a, b) => b.length - a.length);
    for (const v of this.sorted) if (out.includes(v)) out = out.split(v).join(MASK);
    return maskByShape(out);
  }
}

function unquote(v: string): string {
  const m = /^(['"])(.*)\1$/.exec(v);
  return m ? (m[2] ?? '') : v;
}

export function maskByShape(text: string): string {
  // both shapes need a ':' or a '=' (a URL's "://", a key line's separator)
  if (!text.includes(':') && !text.includes('=')) return text;
  return text
    .split('\n')
    .map((line) => {
      let l = line.includes('://') ? line.replace(URL_PASSWORD, `$1${MASK}$3`) : line;
      const m = KEY_VALUE.exec(l);
      if (m && isSecretKey(m[2] ?? '') && (m[4] ?? '').trim() !== '' && !(m[4] ?? '').startsWith(MASK)) {
        // keep a diff marker or a comment prefix intact
        l = `${m[1]}${m[2]}${m[3]}${MASK}`;
      }
      return l;
    })
    .join('\n');
}

/** The process-wide registry: the CLI, the engine and the UI share it. */
export const secrets = new SecretRegistry();
