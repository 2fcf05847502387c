// `passthru report REPORT.json --html OUT.html`: the HTML page of a run's
// JSON report (the one `run --json` wrote), self-contained, for a browser
// or a change ticket.

import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { EXIT, UsageError } from '../errors.ts';
import { writeHtmlReport } from '../ui/html/write.ts';
import type { Report } from '../ui/report.ts';
import { REPORT_SCHEMA } from '../ui/report.ts';
import { ReportSchema } from '../ui/report-schema.ts';

export interface ReportCommandOptions {
  file: string;
  html: string;
  out: NodeJS.WritableStream;
}

/** Read and check a JSON report; one clear error naming the file (and the field) when it is not one. */
export async function readReport(file: string): Promise<Report> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { hint: 'give the file that `passthru run --json FILE` wrote' });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${file} is not JSON: ${(e as Error).message}`, { hint: 'give the file that `passthru run --json FILE` wrote' });
  }
  const schema = (value as { schema?: unknown } | null)?.schema;
  if (schema !== REPORT_SCHEMA) {
    throw new UsageError(`${file}: report schema ${schema === undefined ? '1 (no "schema" field)' : JSON.stringify(schema)}; this passthru reads schema ${REPORT_SCHEMA}`, {
      hint: 'write the report again with this version: passthru run ... --json FILE (or --html FILE directly)',
    });
  }
  const parsed = ReportSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
    throw new UsageError(`${file}: not a passthru report${where}: ${issue?.message ?? 'invalid'}`, { hint: 'give the file that `passthru run --json FILE` wrote, unchanged' });
  }
  // the file as written (zod's copy would reorder the keys)
  return value as Report;
}

export async function reportCommand(o: ReportCommandOptions): Promise<number> {
  const report = await readReport(o.file);
  await writeHtmlReport(o.html, report);
  o.out.write(`HTML report: ${resolve(o.html)} (${Object.keys(report.hosts).length} hosts)\n`);
  return EXIT.ok;
}
