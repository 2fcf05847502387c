// The process exit code of a run, from its report.
//   0 every host ok (or changed), 2 a host failed, 4 a host unreachable and none
//   failed, 130 interrupted (^C), whatever else happened.

import type { Report } from './report.ts';

export const EXIT_OK = 0;
export const EXIT_HOST_FAILED = 2;
export const EXIT_HOST_UNREACHABLE = 4;
export const EXIT_INTERRUPTED = 130;

export function exitCodeFor(report: Pick<Report, 'interrupted' | 'failed_hosts' | 'unreachable_hosts'>): number {
  if (report.interrupted) return EXIT_INTERRUPTED;
  if (report.failed_hosts.length > 0) return EXIT_HOST_FAILED;
  if (report.unreachable_hosts.length > 0) return EXIT_HOST_UNREACHABLE;
  return EXIT_OK;
}
