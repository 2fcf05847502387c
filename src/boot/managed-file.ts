// A file whose header says another tool manages it (cloud image builders,
// configuration management, generators) is that tool's: a change made there
// is undone at the tool's next run. passthru does not edit such a file.

/** lines of the header that are read */
const HEADER_LINES = 15;
const MANAGED = /\b(managed|generated|created|maintained|modified|written|overwritten)(\/[a-z]+)? (automatically )?by\b|\bdo not (edit|modify)\b|\bautomatically generated\b|\bchanges (to this file )?will be (lost|overwritten)\b/i;

/** The header line (1-based) that says another tool manages `content`, or undefined. */
export function managedBy(content: string): { line: number; text: string } | undefined {
  const lines = content.split('\n').slice(0, HEADER_LINES);
  for (const [i, raw] of lines.entries()) {
    const text = raw.trim();
    if (!text.startsWith('#')) continue;
    if (/passthru/i.test(text)) return undefined;
    if (MANAGED.test(text)) return { line: i + 1, text };
  }
  return undefined;
}
