// PASSTHRU_LAB_TRACE=FILE: every exec a simulated host runs, as one JSON line
// (host, user, command, stdin as base64, exit status, milliseconds) appended
// to FILE. For measuring and for replaying what a client sent (a command's
// cost, a line against real bash); off unless set.
import { appendFileSync } from 'node:fs';

export interface TraceRecord {
  host: string;
  user: string;
  command: string;
  stdin: Buffer;
  exit: number;
  ms: number;
}

export function traceFile(): string | undefined {
  const f = process.env['PASSTHRU_LAB_TRACE'];
  return f === undefined || f === '' ? undefined : f;
}

export function trace(file: string, r: TraceRecord): void {
  try {
    appendFileSync(file, `${JSON.stringify({ ...r, stdin: r.stdin.toString('base64') })}\n`);
  } catch {
    // a measurement aid: never a reason to fail a command
  }
}
