// Writing the HTML report of a run (`run --html FILE`, `passthru report`).

import type { Report } from '../report.ts';
import { writeWhole } from '../report.ts';
import { renderHtml } from './page.ts';

/** Write the page whole, or not at all. */
export async function writeHtmlReport(path: string, report: Report): Promise<void> {
  await writeWhole(path, renderHtml(report));
}
